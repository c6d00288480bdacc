"""Spend per step: the journal of LLM calls grouped by dataset and step, for reports.

Every paid call is journaled once (cache hits are not calls), so these sums agree with
`status(store)`'s totals. Cost stays unknown (None) for a group once any call in it has
no known cost; `unknown_cost_calls` says how many.
"""

from __future__ import annotations

import attrs


@attrs.frozen
class StepUsage:
    dataset: str
    step: str  # user | assistant | annotate | judge:<metric> | ...
    calls: int
    prompt_tokens: int
    completion_tokens: int
    cost: float | None
    unknown_cost_calls: int

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


def usage_by_step(store) -> list[StepUsage]:
    rows = store.db.execute(
        "SELECT COALESCE(j.dataset, ''), c.step, COUNT(*), COALESCE(SUM(c.prompt_tokens), 0),"
        " COALESCE(SUM(c.completion_tokens), 0), SUM(c.cost),"
        " SUM(CASE WHEN c.cost IS NULL THEN 1 ELSE 0 END)"
        " FROM llm_calls c LEFT JOIN jobs j ON j.key = c.job_key"
        " GROUP BY 1, 2 ORDER BY 1, 2").fetchall()
    return [StepUsage(ds, step, calls, pt, ct, None if unknown else (cost or 0.0), unknown)
            for ds, step, calls, pt, ct, cost, unknown in rows]
