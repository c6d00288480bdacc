"""Reviewer decisions: each one a `reviews` row plus an `audit_log` row, committed in one
transaction the moment it is made (killing the TUI loses nothing).

decision: approve | reject | revise | edit | seed | note. Edits never overwrite a turn:
the edited messages are stored with the review, and exports use the newest version.
"""

from __future__ import annotations

from bdsl.store.reviews import record_review

DECISIONS = ("approve", "reject", "revise", "edit", "seed", "note")


def record(store, conversation_id: int, reviewer: str, role: str, decision: str,
           notes: str = "", seed: bool = False, edited: list[dict] | None = None) -> None:
    if decision not in DECISIONS:
        raise ValueError(f"unknown decision {decision!r}")
    record_review(store, conversation_id, reviewer, role, decision, notes, seed, edited)


def edit_turn(store, conv, seq: int, new_text: str, reviewer: str, role: str,
              previous_edit: tuple[dict, ...] | None = None) -> list[dict]:
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
    record(store, conv.id, reviewer, role, "edit", notes=f"edited turn {seq}", edited=messages)
    return messages
