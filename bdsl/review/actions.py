"""Reviewer decisions: each one a `reviews` row plus an `audit_log` row, committed in one
transaction the moment it is made (killing the TUI loses nothing).

decision: approve | reject | revise | edit | seed | note. Edits never overwrite a turn:
the edited messages are stored with the review, and exports use the newest version.
"""

from __future__ import annotations

import json
import time

DECISIONS = ("approve", "reject", "revise", "edit", "seed", "note")


def record(store, conversation_id: int, reviewer: str, role: str, decision: str,
           notes: str = "", seed: bool = False, edited: list[dict] | None = None) -> None:
    if decision not in DECISIONS:
        raise ValueError(f"unknown decision {decision!r}")
    now = time.time()
    with store.transaction() as db:
        db.execute("INSERT INTO reviews (conversation_id, reviewer, role, decision, notes,"
                   " use_as_seed_example, edited_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   (conversation_id, reviewer, role, decision, notes, int(seed),
                    json.dumps(edited) if edited is not None else None, now))
        db.execute("INSERT INTO audit_log (at, actor, action, subject, details_json)"
                   " VALUES (?, ?, ?, ?, ?)",
                   (now, f"{reviewer} ({role})", decision, f"conversation:{conversation_id}",
                    json.dumps({"notes": notes, "seed": seed,
                                "edited_turns": [m["seq"] for m in edited or ()
                                                 if m.get("edited")]}, sort_keys=True)))


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
