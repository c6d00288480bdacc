"""Score a run: every current conversation against its job's gates, results stored.

    summary = await score_run(store, plan, journal)

Results are keyed by (conversation, gate, gates_hash): re-scoring an unchanged run does
nothing, a threshold change re-scores without regenerating, and judge calls are
journaled so a re-score never pays twice. Checks dispatch through bdsl.gates.catalog.
When a gate asks for the judged safety screen (`screen "judged"`), one journaled screen
call per conversation runs first and its verdicts reach the checks in the GateContext.
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict

import attrs

from bdsl import ir
from bdsl.engine.prompts import PromptRenderer
from bdsl.gates import checks, judge, screen
from bdsl.gates.catalog import CHECKS, Scope, check_function
from bdsl.gates.view import GateContext, notes_of, turns_of
from bdsl.kinds import GateKind
from bdsl.outcomes import GateRow, gate_summary
from bdsl.serialize import from_json


def gate_context(index: ir.PlanIndex, job: ir.Job) -> GateContext:
    rules = tuple(r for name in job.context.compliance if name in index.compliance
                  for r in index.compliance[name].rules)
    strategies = {s: index.strategy[s] for s in job.context.strategies if s in index.strategy}
    return GateContext(arc=index.arc.get(job.context.arc), compliance=rules,
                       thresholds=dict(job.gate_thresholds), ops=dict(job.gate_ops),
                       strategies=strategies, culture=index.culture.get(job.context.culture),
                       methodology=index.methodology.get(job.context.methodology))


def is_dataset_gate(gate: ir.Gate) -> bool:
    return gate.kind == GateKind.CHECK and CHECKS[gate.metric].scope == Scope.DATASET


def conversation_rows(gates, turns, ctx) -> list[GateRow]:
    """Rows of every deterministic gate that looks at one conversation alone."""
    rows = []
    for gate in gates:
        if gate.kind == GateKind.TURN_RULE:
            rows.append(checks.turn_rule(gate, turns, ctx))
        elif gate.kind == GateKind.CHECK and not is_dataset_gate(gate):
            rows.append(check_function(gate.metric)(gate, turns, ctx))
    return rows


def dataset_rows(gates, conversations: dict) -> dict:
    """key -> rows of the dataset-scope gates, over conversations {key: (turns, ctx)} given
    in dataset order."""
    out: dict = defaultdict(list)
    for gate in gates:
        if is_dataset_gate(gate):
            for key, row in check_function(gate.metric)(gate, conversations).items():
                out[key].append(row)
    return out


def judge_input(plan, index, job, renderer, notes, model: str) -> judge.JudgeInput:
    from bdsl.engine.context import JobVariables
    from bdsl.llm.models import context_window

    return judge.JudgeInput(JobVariables(plan, index, job).for_step(), renderer, notes,
                            context_window(model))


def judge_model_for(ds: ir.DatasetInfo, judge_model: str | None, generator_override: str | None
                    ) -> str:
    """--judge-model wins; a judge that defaulted to the generator follows --model."""
    if judge_model:
        return judge_model
    if generator_override and ds.judge_model == ds.model.name:
        return generator_override
    return ds.judge_model


async def score_run(store, plan: ir.Plan, journal=None, judge_model: str | None = None,
                    generator_override: str | None = None, concurrency: int = 16) -> dict:
    from bdsl.store.gate_results import scored_gates, write_gate_rows
    from bdsl.store.reader import conversations

    index = plan.index()
    renderer = PromptRenderer(plan.templates)
    jobs = {j.key: j for j in plan.jobs}
    convs = [c for c in conversations(store) if c.job_key in jobs]
    views = {c.id: (turns_of(c), attrs.evolve(gate_context(index, jobs[c.job_key]),
                                             notes=notes_of(c))) for c in convs}
    # dataset-scope gates see every conversation of their dataset, scored or not
    by_dataset: dict[str, dict] = defaultdict(dict)
    for c in convs:
        by_dataset[c.dataset][c.id] = views[c.id]
    across: dict[int, list[GateRow]] = defaultdict(list)
    for dataset, members in by_dataset.items():
        gates = {g for c in convs if c.dataset == dataset for g in jobs[c.job_key].gates}
        dataset_gates = [index.gate[g] for g in sorted(gates) if g in index.gate
                         and is_dataset_gate(index.gate[g])]
        for cid, rows in dataset_rows(dataset_gates, members).items():
            across[cid].extend(rows)
    limit = asyncio.Semaphore(max(1, concurrency))

    async def score_one(conv) -> bool:
        job = jobs[conv.job_key]
        done = scored_gates(store, conv.id, job.gates_hash)
        if judge_model:  # a judge named on the command line judges again (the journal
            # replays what that model already answered, so the same model costs nothing)
            done = {g for g in done if g not in index.gate
                    or index.gate[g].kind != GateKind.JUDGE}
        gates = [index.gate[g] for g in job.gates if g in index.gate and g not in done]
        if not gates:
            return False
        turns, ctx = views[conv.id]
        model = judge_model_for(index.dataset[job.dataset], judge_model, generator_override)
        async with limit:
            if journal is not None and screen.wants_screen(gates):
                ctx = attrs.evolve(ctx, screen=await screen.screen(
                    turns, ctx.compliance, model, journal, job.key, conv.content_hash))
            wanted = {g.name for g in gates}
            rows = conversation_rows(gates, turns, ctx)
            rows += [r for r in across.get(conv.id, ()) if r.gate in wanted]
            # deterministic results are stored before any judge is asked
            write_gate_rows(store, conv.id, job.gates_hash, rows)
            judged = [g for g in gates if g.kind == GateKind.JUDGE]
            if judged and journal is not None:  # without a model, judged gates stay unscored
                inp = judge_input(plan, index, job, renderer, ctx.notes, model)
                # a conversation's judges are asked at once (and conversations side by side)
                rows = await asyncio.gather(*(
                    judge.judge(*ctx.judged(g), turns, inp, model, journal, job.key,
                                conv.content_hash) for g in judged))
                write_gate_rows(store, conv.id, job.gates_hash, list(rows))
        return True

    results = await asyncio.gather(*(score_one(c) for c in convs), return_exceptions=True)
    for r in results:  # the first failure (e.g. the budget) is the run's, after the rest
        if isinstance(r, BaseException):
            raise r
    scored = sum(1 for r in results if r)
    outcomes: Counter = Counter()
    failing: Counter = Counter()
    for conv in convs:
        s = gate_summary(store, conv.id, jobs[conv.job_key].gates_hash)
        outcomes[s.outcome] += 1
        failing.update(s.failing)
    return {"scored": scored, "conversations": len(convs), "outcomes": dict(outcomes),
            "failing_gates": dict(failing)}


def load_run_plan(run_dir) -> ir.Plan:
    from pathlib import Path

    return from_json(Path(run_dir, "plan.json").read_text(encoding="utf-8"), ir.Plan)
