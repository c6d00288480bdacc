"""The review queue: every current conversation with its outcome and review state."""

from __future__ import annotations

import attrs

from bdsl import ir
from bdsl.outcomes import GateSummary, ReviewState, gate_summary, may_review, review_state

FILTER_KEYS = ("outcome", "gate", "persona", "arc", "topic", "culture", "state", "dataset")


@attrs.frozen
class QueueRow:
    conv: object
    job: ir.Job
    gates: GateSummary
    review: ReviewState
    policy: ir.ReviewPolicy = ir.ReviewPolicy()  # the conversation's dataset's

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
        policy = index.dataset[job.dataset].review
        state = review_state(store, conv.id, job.key, conv.content_hash, gates, policy)
        rows.append(QueueRow(conv, job, gates, state, policy))
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
                 pending_only: bool = False, reviewer: str | None = None) -> list[QueueRow]:
    """`pending_only`: what is waiting for this reviewer in this role: awaiting review, in
    a dataset whose policy lets them hold the role, and not yet approved by them or in
    the role (one person counts once, so a second approval of theirs would not count)."""
    out = []
    for r in rows:
        if any(v not in r.field(k).split() and v != r.field(k) for k, v in filters.items()):
            continue
        if pending_only and (
                r.review.state != "awaiting_review"
                or (role and role in {ro for ro, _ in r.review.approvals})
                or (reviewer and reviewer in {who for _, who in r.review.approvals})
                or (reviewer and role and not may_review(r.policy, reviewer, role))):
            continue
        out.append(r)
    return out
