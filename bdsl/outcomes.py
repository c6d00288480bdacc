"""Where a stored conversation stands: its gate outcome and its review state.

One place defines these so gates, the review TUI and exports agree:

  gate outcome   pass | fail | needs_review | unscored
      fail          any hard gate failed (deterministic, arc conformance, safety...)
      needs_review  only soft failures: a judged score below its threshold but within
                    SOFT_MARGIN of it, or a judge that gave no valid score
      pass          every gate passed
  review state   approved | rejected | needs_revision | awaiting_review | accepted_unsampled
                 | blocked (gates failed: never exported)
      A conversation that passed its gates is sampled for review with probability
      `review.sample`, decided by a hash of (job key, content hash) so the choice is
      stable across runs. Not sampled -> accepted_unsampled (exportable, marked
      human_reviewed=false). Sampled or needs_review -> awaiting_review until the
      policy's roles approve (`require all`: every role; `any`: one of them).
"""

from __future__ import annotations

import hashlib

import attrs

from bdsl import ir

SOFT_MARGIN = 0.1
EXPORTABLE = ("approved", "accepted_unsampled")


@attrs.frozen
class GateRow:
    gate: str
    passed: bool
    score: float | None
    threshold: float | None
    reason: str
    details: dict
    soft: bool  # a failure that routes to review instead of rejecting


@attrs.frozen
class GateSummary:
    outcome: str
    failing: tuple[str, ...]
    results: tuple[GateRow, ...]


@attrs.frozen
class ReviewState:
    state: str
    approvals: tuple[tuple[str, str], ...] = ()  # (role, reviewer)
    rejections: tuple[tuple[str, str], ...] = ()
    seed_example: bool = False
    notes: tuple[str, ...] = ()
    edited: tuple[dict, ...] | None = None  # latest edited messages, if any
    sampled: bool = False

    @property
    def human_reviewed(self) -> bool:
        return bool(self.approvals or self.rejections)


def summarize_gates(rows: list[GateRow]) -> GateSummary:
    if not rows:
        return GateSummary("unscored", (), ())
    failing = tuple(r.gate for r in rows if not r.passed)
    if any(not r.passed and not r.soft for r in rows):
        outcome = "fail"
    elif failing:
        outcome = "needs_review"
    else:
        outcome = "pass"
    return GateSummary(outcome, failing, tuple(rows))


def gate_summary(store, conversation_id: int, gates_hash: str) -> GateSummary:
    """Outcome from the stored gate results of one conversation (current gates only)."""
    from bdsl.store.gate_results import read_gate_rows

    return summarize_gates(read_gate_rows(store, conversation_id, gates_hash))


def sampled_for_review(job_key: str, content_hash: str, fraction: float) -> bool:
    if fraction <= 0:
        return False
    digest = hashlib.sha256(f"review|{job_key}|{content_hash}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction


def review_state(store, conversation_id: int, job_key: str, content_hash: str,
                 gates: GateSummary, policy: ir.ReviewPolicy) -> ReviewState:
    """Fold the conversation's reviews (newest decision per reviewer wins) through the policy."""
    from bdsl.store.reviews import read_reviews

    latest: dict[tuple[str, str], str] = {}
    notes, seed, edited = [], False, None
    for r in read_reviews(store, conversation_id):
        if r.decision in ("approve", "reject", "revise"):
            latest[(r.reviewer, r.role)] = r.decision
        if r.notes:
            notes.append(r.notes)
        seed = r.use_as_seed_example if r.decision == "seed" else seed or r.use_as_seed_example
        if r.edited:
            edited = r.edited
    approvals = tuple(sorted((role, who) for (who, role), d in latest.items() if d == "approve"))
    rejections = tuple(sorted((role, who) for (who, role), d in latest.items() if d == "reject"))
    revisions = [k for k, d in latest.items() if d == "revise"]
    sampled = sampled_for_review(job_key, content_hash, policy.sample)
    base = dict(approvals=approvals, rejections=rejections, seed_example=seed,
                notes=tuple(notes), edited=edited, sampled=sampled)
    if gates.outcome == "fail":
        return ReviewState("blocked", **base)
    if rejections:
        return ReviewState("rejected", **base)
    if revisions:
        return ReviewState("needs_revision", **base)
    if _policy_met(approvals, policy):
        return ReviewState("approved", **base)
    if gates.outcome == "needs_review" or sampled or approvals:
        return ReviewState("awaiting_review", **base)
    if gates.outcome == "unscored":
        return ReviewState("awaiting_review", **base)
    return ReviewState("accepted_unsampled", **base)


def _policy_met(approvals, policy: ir.ReviewPolicy) -> bool:
    if not approvals:
        return False
    roles = {role for role, _ in approvals}
    if len(approvals) < policy.min_approvals:
        return False
    if not policy.roles:
        return True
    if policy.require == "any":
        return bool(roles & set(policy.roles))
    return set(policy.roles) <= roles
