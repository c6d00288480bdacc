"""Judged quality scores of an exported conversation, as the gates stored them.

Judges score whole conversations (0..1). Only judged gates evaluated under the job's
current gates hash count; a judge that gave no valid verdict has no score (None)."""

from __future__ import annotations

import attrs

from bdsl import ir


@attrs.frozen
class JudgedScore:
    metric: str
    gate: str
    score: float | None
    threshold: float | None
    passed: bool


def judged_scores(item, index: ir.PlanIndex) -> dict[str, JudgedScore]:
    """metric -> its judged score; when two gates judge one metric the first by gate
    name is kept (its gate is named, so nothing is merged)."""
    out: dict[str, JudgedScore] = {}
    for row in item.gates.results:  # ordered by gate name
        gate = index.gate.get(row.gate)
        if gate is None or gate.kind != "judge" or gate.metric in out:
            continue
        out[gate.metric] = JudgedScore(gate.metric, row.gate, row.score, row.threshold,
                                       row.passed)
    return out
