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
  reviewers      A decision counts only if the policy lets that reviewer hold that role
                 (`roles`, and `reviewers { ana: [clinical] }` when the spec lists them).
                 One person counts once: `min_approvals` counts distinct reviewers, and
                 `require all` needs a different reviewer approving in each role, so one
                 person approving as clinical and as brand satisfies neither.
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


def may_review(policy: ir.ReviewPolicy, reviewer: str, role: str) -> bool:
    """Whether `reviewer` may decide under `role` for a dataset with this policy."""
    if policy.roles and role not in policy.roles:
        return False
    if policy.reviewers:
        return role in dict(policy.reviewers).get(reviewer, ())
    return True


def review_state(store, conversation_id: int, job_key: str, content_hash: str,
                 gates: GateSummary, policy: ir.ReviewPolicy) -> ReviewState:
    """Fold the conversation's reviews (newest decision per reviewer and role wins) through
    the policy; decisions the policy does not allow are not counted."""
    from bdsl.store.reviews import read_reviews

    latest: dict[tuple[str, str], str] = {}
    notes, seed, edited = [], False, None
    for r in read_reviews(store, conversation_id):
        if r.decision in ("approve", "reject", "revise") and may_review(policy, r.reviewer,
                                                                          r.role):
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
    """`approvals`: (role, reviewer) pairs the policy allows. Distinct people count."""
    if not approvals:
        return False
    if len({who for _, who in approvals}) < policy.min_approvals:
        return False
    if not policy.roles:
        return True
    if policy.require == "any":
        return any(role in policy.roles for role, _ in approvals)
    return _distinct_cover(policy.roles, approvals)


def _distinct_cover(roles, approvals) -> bool:
    """A different reviewer for every role, each having approved in it (a bipartite
    matching, by augmenting paths: roles and reviewers are a handful)."""
    by_role: dict[str, set[str]] = {}
    for role, who in approvals:
        by_role.setdefault(role, set()).add(who)
    holder: dict[str, str] = {}  # reviewer -> role they cover

    def assign(role: str, seen: set[str]) -> bool:
        for who in sorted(by_role.get(role, ())):
            if who in seen:
                continue
            seen.add(who)
            if who not in holder or assign(holder[who], seen):
                holder[who] = role
                return True
        return False

    return all(assign(role, set()) for role in dict.fromkeys(roles))


def unmet_policy(policy: ir.ReviewPolicy) -> str:
    """Why no set of the listed reviewers could ever satisfy the policy ("" if some can):
    every listed reviewer approving in every role they may hold is the best case."""
    if not policy.reviewers:
        return ""
    best = tuple((role, who) for who, roles in policy.reviewers for role in roles
                 if may_review(policy, who, role))
    if _policy_met(best, policy):
        return ""
    people = len({who for _, who in best})
    if people < policy.min_approvals:
        return (f"`min_approvals {policy.min_approvals}` needs {policy.min_approvals} "
                f"different reviewers, and {people} may approve")
    if policy.require == "any":
        return "no listed reviewer may hold any of its roles"
    return (f"`require all` needs a different reviewer for each of "
            f"{', '.join(policy.roles)}, and the listed reviewers cannot cover them")
