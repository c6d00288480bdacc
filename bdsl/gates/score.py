"""Score a run: every current conversation against its job's gates, results stored.

    summary = await score_run(store, plan, completer)

Results are keyed by (conversation, gate, gates_hash): re-scoring an unchanged run does
nothing, a threshold change re-scores without regenerating, and judge calls are
journaled so a re-score never pays twice.
"""

from __future__ import annotations

import json
import time
from collections import Counter

from bdsl import ir
from bdsl.gates import checks, dataset_checks, judge
from bdsl.gates.view import GateContext, turns_of
from bdsl.outcomes import GateRow, gate_summary
from bdsl.serialize import from_json


def gate_context(index: ir.PlanIndex, job: ir.Job) -> GateContext:
    rules = tuple(r for name in job.context.compliance if name in index.compliance
                  for r in index.compliance[name].rules)
    return GateContext(index.arc.get(job.context.arc), rules, dict(job.gate_thresholds))


def deterministic_rows(gates, turns, ctx, truncated=()) -> list[GateRow]:
    rows = []
    for gate in gates:
        if gate.kind == "turn_rule":
            rows.append(checks.turn_rule(gate, turns, ctx))
        elif gate.kind == "check" and gate.metric == "not_truncated":
            rows.append(checks.not_truncated(gate, turns, ctx, truncated))
        elif gate.kind == "check" and gate.metric in checks.DETERMINISTIC:
            rows.append(checks.DETERMINISTIC[gate.metric](gate, turns, ctx))
        elif gate.kind == "check" and gate.metric == "sentiment_trend":
            rows.append(dataset_checks.sentiment_trend(gate, turns, ctx))
    return rows


def judge_model_for(ds: ir.DatasetInfo, judge_model: str | None, generator_override: str | None
                    ) -> str:
    """--judge-model wins; a judge that defaulted to the generator follows --model."""
    if judge_model:
        return judge_model
    if generator_override and ds.judge_model == ds.model.name:
        return generator_override
    return ds.judge_model


async def score_run(store, plan: ir.Plan, journal=None, judge_model: str | None = None,
                    generator_override: str | None = None) -> dict:
    from bdsl.store.reader import conversations

    index = plan.index()
    jobs = {j.key: j for j in plan.jobs}
    convs = [c for c in conversations(store) if c.job_key in jobs]
    dup_gates = {g.name for g in plan.gates if g.kind == "check"
                 and g.metric == "no_near_duplicates"}
    dups = {}
    if dup_gates:
        for dataset in {c.dataset for c in convs}:
            gate = next(g for g in plan.gates if g.name in dup_gates)
            texts = {c.id: " ".join(t.content for t in c.turns if t.kind == "message"
                                    and t.role == "assistant")
                     for c in convs if c.dataset == dataset}
            dups.update(dataset_checks.near_duplicates(
                texts, float(dict(gate.options).get("threshold", 0.85))))
    scored = 0
    for conv in convs:
        job = jobs[conv.job_key]
        done = {g for (g,) in store.db.execute(
            "SELECT gate FROM gate_results WHERE conversation_id=? AND gates_hash=?",
            (conv.id, job.gates_hash))}
        gates = [index.gate[g] for g in job.gates if g in index.gate and g not in done]
        if not gates:
            continue
        turns = turns_of(conv)
        ctx = gate_context(index, job)
        rows = deterministic_rows(gates, turns, ctx)
        for gate in gates:
            if gate.kind == "check" and gate.metric == "no_near_duplicates":
                rows.append(dataset_checks.near_duplicate_row(gate, conv.id, dups))
            elif gate.kind == "judge":
                if journal is None:
                    continue  # no model available here: judged gates stay unscored
                threshold = ctx.thresholds.get(gate.name, gate.threshold)
                model = judge_model_for(index.dataset[job.dataset], judge_model,
                                        generator_override)
                rows.append(await judge.judge(gate, threshold, turns,
                                              index.persona.get(job.context.assistant), model,
                                              journal, job.key, conv.content_hash))
        write_rows(store, conv.id, job.gates_hash, rows)
        scored += 1
    outcomes = Counter()
    failing = Counter()
    for conv in convs:
        s = gate_summary(store.db, conv.id, jobs[conv.job_key].gates_hash)
        outcomes[s.outcome] += 1
        failing.update(s.failing)
    return {"scored": scored, "conversations": len(convs), "outcomes": dict(outcomes),
            "failing_gates": dict(failing)}


def write_rows(store, conversation_id: int, gates_hash: str, rows: list[GateRow]) -> None:
    now = time.time()
    with store.transaction() as db:
        for r in rows:
            db.execute(
                "INSERT OR REPLACE INTO gate_results (conversation_id, gate, gates_hash, passed,"
                " score, threshold, reason, details_json, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (conversation_id, r.gate, gates_hash, int(r.passed), r.score, r.threshold,
                 r.reason, json.dumps({**r.details, "soft": r.soft}, sort_keys=True,
                                      default=str), now))


def load_run_plan(run_dir) -> ir.Plan:
    from pathlib import Path

    return from_json(Path(run_dir, "plan.json").read_text(encoding="utf-8"), ir.Plan)
