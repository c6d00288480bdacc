"""The review queue: every current conversation with its outcome and review state."""

from __future__ import annotations

import attrs

from bdsl import ir
from bdsl.outcomes import GateSummary, ReviewState, gate_summary, review_state

FILTER_KEYS = ("outcome", "gate", "persona", "arc", "topic", "culture", "state", "dataset")


@attrs.frozen
class QueueRow:
    conv: object
    job: ir.Job
    gates: GateSummary
    review: ReviewState

    def field(self, key: str) -> str:
        ctx = self.job.context
        return {"outcome": self.gates.outcome, "state": self.review.state,
                "persona": ctx.user, "arc": ctx.arc, "topic": ctx.topic, "culture": ctx.culture,
                "dataset": self.job.dataset, "gate": " ".join(self.gates.failing)}[key]


def load_queue(store, plan: ir.Plan) -> list[QueueRow]:
    from bdsl.store.reader import conversations

    index = plan.index()
    jobs = {j.key: j for j in plan.jobs}
    rows = []
    for conv in conversations(store):
        job = jobs.get(conv.job_key)
        if job is None:
            continue
        gates = gate_summary(store, conv.id, job.gates_hash)
        state = review_state(store, conv.id, job.key, conv.content_hash, gates,
                             index.dataset[job.dataset].review)
        rows.append(QueueRow(conv, job, gates, state))
    return rows


def parse_filter(text: str) -> dict[str, str]:
    """`outcome=fail arc=crisis_to_referral` -> {"outcome": "fail", ...}; bad keys raise."""
    out = {}
    for part in text.split():
        key, _, value = part.partition("=")
        if key not in FILTER_KEYS or not value:
            raise ValueError(f"filters are key=value with key in {', '.join(FILTER_KEYS)}")
        out[key] = value
    return out


def apply_filter(rows: list[QueueRow], filters: dict[str, str], role: str | None = None,
                 pending_only: bool = False) -> list[QueueRow]:
    out = []
    for r in rows:
        if any(v not in r.field(k).split() and v != r.field(k) for k, v in filters.items()):
            continue
        if pending_only and (r.review.state != "awaiting_review"
                             or (role and role in {ro for ro, _ in r.review.approvals})):
            continue
        out.append(r)
    return out
