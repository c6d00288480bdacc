"""A spec's gates on conversations made elsewhere: the library behind `bdsc gate`.

Everything `bdsc run` applies, applied the same way:
  - conversation gates, with the dataset's compliance rules and its arcs' open/close
    rules and message-count range (one arc, the one `--arc` names, or the envelope of all);
  - dataset-scope gates (near-duplicates) over the whole input, optionally after an
    earlier export or run store (`--against`), so a copy of last month's data is caught;
  - judged gates and the judged safety screen, through a journal;
  - with `annotate`, per-turn emotion annotations by the judge model (tool_annotate), so
    arc_conformance and sentiment_trend score external data too. Results record that the
    annotations came from the tool (`annotation_source`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import attrs

from bdsl import ir
from bdsl.gates.view import GateContext, Turn, turns_from_messages
from bdsl.kinds import GateKind
from bdsl.outcomes import GateRow, summarize_gates


class SetupError(ValueError):
    """A usage problem (unknown dataset or arc, --annotate without a single arc)."""


class DirectJournal:
    """Model calls straight to the completer (bdsc gate has no run store to journal in);
    the same interface as the engine's CallJournal."""

    def __init__(self, completer):
        self.completer = completer

    async def call(self, job_key, content_hash, step, turn_index, attempt, request):
        from bdsl.engine.port import CallTruncated
        from bdsl.store.records import CallRecord

        try:
            res, status = await self.completer.complete(request), "ok"
        except CallTruncated as e:
            res, status = e.result, "truncated"
        return CallRecord("", step, turn_index, attempt, request.model, "", res.text,
                          res.finish_reason, status, res.prompt_tokens, res.completion_tokens,
                          res.cost, res.latency_s), False


@attrs.frozen
class Setup:
    plan: ir.Plan
    dataset: ir.DatasetInfo
    job: ir.Job  # the dataset's first job: its assistant, compliance and strategies
    gates: tuple[ir.Gate, ...]
    ctx: GateContext
    arc: ir.Arc | None
    strategies: tuple[ir.Strategy, ...]


def setup(plan: ir.Plan, dataset: str | None = None, arc: str | None = None,
          annotate: bool = False) -> Setup:
    from bdsl.diagnostics import did_you_mean

    index = plan.index()
    ds = index.dataset.get(dataset) if dataset else plan.datasets[0]
    if ds is None:
        near = did_you_mean(dataset, index.dataset)
        raise SetupError(f"no dataset `{dataset}` in the spec" + (
            f"; did you mean `{near}`?" if near else "; datasets: " + ", ".join(index.dataset)))
    jobs = [j for j in plan.jobs if j.dataset == ds.name]
    job = jobs[0]
    arcs = sorted({j.context.arc for j in jobs if j.context.arc})
    if arc is not None and arc not in arcs:
        near = did_you_mean(arc, arcs)
        raise SetupError(f"dataset `{ds.name}` has no arc `{arc}`" + (
            f"; did you mean `{near}`?" if near else "; its arcs: " + (", ".join(arcs) or "none")))
    chosen = arc or (arcs[0] if len(arcs) == 1 else None)
    if annotate and arcs and chosen is None:
        raise SetupError(f"dataset `{ds.name}` has {len(arcs)} arcs ({', '.join(arcs)}); "
                         "pick the one to check against with --arc NAME")
    from bdsl.gates.score import gate_context

    candidates = [index.arc[a] for a in arcs]
    ctx = attrs.evolve(
        gate_context(index, job), arc=index.arc[chosen] if chosen else None,
        opens=tuple(sorted({a.opens for a in candidates})),
        closes=tuple(sorted({a.closes for a in candidates})),
        turn_range=(min(a.min_turns for a in candidates), max(a.max_turns for a in candidates))
        if candidates else None)
    strategies = tuple(index.strategy[s] for s in job.context.strategies if s in index.strategy)
    return Setup(plan, ds, job, tuple(index.gate[g] for g in job.gates), ctx,
                 index.arc[chosen] if chosen else None, strategies)


@attrs.frozen
class Scored:
    key: str
    turns: tuple[Turn, ...]
    rows: tuple[GateRow, ...]

    @property
    def summary(self):
        return summarize_gates(list(self.rows))


async def score_records(s: Setup, records: dict[str, dict], journal=None,
                        judge_model: str | None = None, annotate: bool = False,
                        against: dict[str, list[Turn]] | None = None,
                        concurrency: int = 4) -> list[Scored]:
    """Score OpenAI-style records {key: {"messages": [...], "finish_reason"?: ...}}.
    `against`: earlier conversations {key: turns} that inputs must not duplicate."""
    from bdsl.engine.prompts import PromptRenderer
    from bdsl.gates import judge, screen
    from bdsl.gates.score import conversation_rows, dataset_rows, is_dataset_gate, judge_input
    from bdsl.gates.tool_annotate import Annotator, with_targets

    model = judge_model or s.dataset.judge_model
    source = f"tool:{model}" if annotate else "none"
    base = attrs.evolve(s.ctx, annotation_source=source)
    annotator = Annotator(s.plan, s.job, model, journal) if annotate else None
    inp = judge_input(s.plan, s.plan.index(), s.job, PromptRenderer(s.plan.templates), (),
                      model) if journal is not None else None
    gate = asyncio.Semaphore(concurrency)

    async def one(key: str, rec: dict) -> tuple[list[Turn], GateContext, list[GateRow]]:
        async with gate:
            turns = turns_from_messages(rec["messages"], str(rec.get("finish_reason") or ""))
            if s.arc is not None:
                turns = with_targets(turns, s.arc, s.strategies)
            if annotator is not None:
                turns = await annotator.annotate(turns, key)
            ctx = base
            if journal is not None and screen.wants_screen(s.gates):
                ctx = attrs.evolve(ctx, screen=await screen.screen(
                    turns, ctx.compliance, model, journal, key, ""))
            rows = conversation_rows(s.gates, turns, ctx)
            for g in s.gates:
                if g.kind == GateKind.JUDGE and journal is not None:
                    rows.append(await judge.judge(*ctx.judged(g), turns, inp, model, journal,
                                                  key, ""))
            return turns, ctx, rows

    keys = list(records)
    done = await asyncio.gather(*(one(k, records[k]) for k in keys))
    views: dict = {f"against {k}": (t, base) for k, t in (against or {}).items()}
    views.update({k: (turns, ctx) for k, (turns, ctx, _rows) in zip(keys, done, strict=True)})
    across = dataset_rows([g for g in s.gates if is_dataset_gate(g)], views)
    return [Scored(k, tuple(turns), tuple(rows + across.get(k, [])))
            for k, (turns, _ctx, rows) in zip(keys, done, strict=True)]


def annotations_of(turns: Iterable[Turn]) -> list[dict | None]:
    return [None if t.annotation is None else {
        "turn": t.index, "primary_emotion": t.annotation.primary_emotion,
        "secondary_emotion": t.annotation.secondary_emotion,
        "intensity": t.annotation.intensity, "valence": t.annotation.valence}
        for t in turns]


def turns_of_store(run_dir: str) -> dict[str, list[Turn]]:
    """The current conversations of a run directory, keyed `run <dir> #<id>`."""
    from bdsl.gates.view import turns_of
    from bdsl.store import Store
    from bdsl.store.reader import conversations

    store = Store.open_readonly(run_dir)
    try:
        return {f"{run_dir} #{c.id}": turns_of(c) for c in conversations(store)}
    finally:
        store.close()
