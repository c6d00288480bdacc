"""`bdsc gate SPEC --input conversations.jsonl`: a spec's gates on data made elsewhere.

Input: OpenAI chat JSONL (`{"messages": [...]}` per line). Output: each record with
`bdsl_gates: {outcome, failing, results}` added. Conversations from elsewhere carry no
annotations or arc targets, so arc conformance reports "not applicable" rather than pass.
Exit 0 when every conversation passes, 1 when any fails or needs review, 2 on bad input.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import click

from bdsl.commands._common import EXIT_SPEC, EXIT_USAGE, compile_or_exit


class DirectJournal:
    """Judge calls straight to the model (no run store to journal into)."""

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


def read_conversations(path: str) -> list[dict]:
    records = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            raise click.UsageError(f"{path}:{n}:{e.colno}: not JSON ({e.msg})") from None
        msgs = rec.get("messages") if isinstance(rec, dict) else None
        if not isinstance(msgs, list) or not all(isinstance(m, dict) and "role" in m
                                                 and "content" in m for m in msgs):
            raise click.UsageError(f"{path}:{n}: expected {{\"messages\": [{{\"role\": ..., "
                                   "\"content\": ...}, ...]}")
        records.append(rec)
    return records


@click.command("gate")
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("--input", "input_path", type=click.Path(dir_okay=False, exists=True), required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Scored JSONL (default: <input>.scored.jsonl).")
@click.option("--dataset", default=None, help="Whose gates to apply (default: the first).")
@click.option("--judge-model", default=None, help="Override the dataset's judge model.")
def gate_cmd(spec, input_path, output, dataset, judge_model) -> None:
    """Apply a spec's gates to conversations made elsewhere (OpenAI messages JSONL)."""
    from bdsl.engine.prompts import PromptRenderer
    from bdsl.gates.judge import judge
    from bdsl.gates.score import conversation_rows, judge_input
    from bdsl.gates.view import GateContext, turns_from_messages
    from bdsl.outcomes import summarize_gates

    plan = compile_or_exit(spec).plan
    index = plan.index()
    ds = index.dataset.get(dataset) if dataset else plan.datasets[0]
    if ds is None:
        click.echo(f"error: no dataset {dataset!r} in {spec}", err=True)
        sys.exit(EXIT_USAGE)
    job = next(j for j in plan.jobs if j.dataset == ds.name)
    gates = [index.gate[g] for g in job.gates]
    rules = tuple(r for c in job.context.compliance for r in index.compliance[c].rules)
    ctx = GateContext(None, rules, dict(job.gate_thresholds))
    records = read_conversations(input_path)
    renderer = PromptRenderer(plan.templates)
    journal = None
    if any(g.kind == "judge" for g in gates):
        from bdsl.engine.llm_adapter import LLMCompleter

        journal = DirectJournal(LLMCompleter())

    async def score(rec):
        turns = turns_from_messages(rec["messages"])
        rows = conversation_rows(gates, turns, ctx)
        model = judge_model or ds.judge_model
        for g in gates:
            if g.kind == "judge":
                rows.append(await judge(g, ctx.thresholds.get(g.name, g.threshold), turns,
                                        judge_input(plan, index, job, renderer, (), model),
                                        model, journal, "", ""))
        return summarize_gates(rows)

    out = Path(output or Path(input_path).with_suffix(".scored.jsonl"))
    counts = {"pass": 0, "fail": 0, "needs_review": 0, "unscored": 0}
    with out.open("w", encoding="utf-8") as fh:
        for rec in records:
            s = asyncio.run(score(rec))
            counts[s.outcome] += 1
            rec = dict(rec, bdsl_gates={
                "outcome": s.outcome, "failing": list(s.failing),
                "results": [{"gate": r.gate, "passed": r.passed, "score": r.score,
                             "threshold": r.threshold, "reason": r.reason,
                             "details": r.details} for r in s.results]})
            fh.write(json.dumps(rec, ensure_ascii=False, sort_keys=True) + "\n")
    click.echo(f"{len(records)} conversations: {counts['pass']} pass, {counts['needs_review']} "
               f"need review, {counts['fail']} fail -> {out}")
    sys.exit(EXIT_SPEC if counts["fail"] or counts["needs_review"] else 0)
