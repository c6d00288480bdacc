"""Reviewer decisions: each one a `reviews` row plus an `audit_log` row, committed in one
transaction the moment it is made (killing the TUI loses nothing).

decision: approve | reject | revise | edit | seed | note. Edits never overwrite a turn:
the edited messages are stored with the review, and exports use the newest version.
"""

from __future__ import annotations

from bdsl import ir
from bdsl.diagnostics import did_you_mean
from bdsl.outcomes import may_review
from bdsl.store.reviews import record_review

DECISIONS = ("approve", "reject", "revise", "edit", "seed", "note")


class NotAllowed(Exception):
    """The review policy does not let this reviewer decide under this role."""


def refusal(plan: ir.Plan, reviewer: str, role: str) -> str:
    """Why `reviewer` may not review this run as `role` ("" when some dataset's policy lets
    them). A spec that names no roles at all leaves the role to the reviewer."""
    policies = [d.review for d in plan.datasets]
    named = sorted({r for p in policies for r in p.roles})
    if named and role not in named:
        near = did_you_mean(role, named)
        return (f"`{role}` is not a review role of this run's spec (its roles: "
                f"{', '.join(named)})" + (f"; did you mean `{near}`?" if near else ""))
    if any(may_review(p, reviewer, role) for p in policies):
        return ""
    holders = sorted({who for p in policies for who, roles in p.reviewers if role in roles})
    return (f"`{reviewer}` may not review as `{role}`: the spec's `reviewers` give that role "
            f"to {', '.join(holders) or 'nobody'}")


def record(store, conversation_id: int, reviewer: str, role: str, decision: str,
           notes: str = "", seed: bool = False, edited: list[dict] | None = None,
           policy: ir.ReviewPolicy | None = None) -> None:
    """Record a decision; with `policy` (the conversation's dataset's), refuse one the
    policy does not allow instead of storing a decision that would not count."""
    if decision not in DECISIONS:
        raise ValueError(f"unknown decision {decision!r}")
    if policy is not None and not may_review(policy, reviewer, role):
        raise NotAllowed(f"{reviewer} may not review this dataset's conversations as {role}")
    record_review(store, conversation_id, reviewer, role, decision, notes, seed, edited)


def edit_turn(store, conv, seq: int, new_text: str, reviewer: str, role: str,
              previous_edit: tuple[dict, ...] | None = None,
              policy: ir.ReviewPolicy | None = None) -> list[dict]:
    """A new version of the conversation's visible messages with one turn replaced."""
    base = {m["seq"]: m for m in previous_edit or ()}
    messages = []
    for t in conv.turns:
        if t.kind != "message":
            continue
        m = dict(base.get(t.seq, {"seq": t.seq, "role": t.role, "content": t.content,
                                  "edited": False}))
        if t.seq == seq:
            m.update(content=new_text, edited=True)
        messages.append(m)
    record(store, conv.id, reviewer, role, "edit", notes=f"edited turn {seq}", edited=messages,
           policy=policy)
    return messages
