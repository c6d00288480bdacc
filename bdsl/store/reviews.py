"""Reviewer decisions and the audit log in the run store.

Each decision is a `reviews` row plus an `audit_log` row, committed in one transaction
the moment it is made.
"""

from __future__ import annotations

import json
import time

import attrs


@attrs.frozen
class ReviewRow:
    reviewer: str
    role: str
    decision: str
    notes: str
    use_as_seed_example: bool
    edited: tuple[dict, ...] | None  # the edited messages, if this decision edited
    created_at: float


def read_reviews(store, conversation_id: int) -> list[ReviewRow]:
    """A conversation's decisions, oldest first."""
    return [ReviewRow(who, role, decision, notes, bool(seed),
                      tuple(json.loads(edited)) if edited else None, at)
            for who, role, decision, notes, seed, edited, at in store.db.execute(
                "SELECT reviewer, role, decision, notes, use_as_seed_example, edited_json,"
                " created_at FROM reviews WHERE conversation_id=? ORDER BY id",
                (conversation_id,))]


def record_review(store, conversation_id: int, reviewer: str, role: str, decision: str,
                  notes: str = "", seed: bool = False, edited: list[dict] | None = None) -> None:
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


def human_labels(store) -> dict[int, bool]:
    """conversation id -> approved? (the latest approve/reject per conversation wins)."""
    out = {}
    for cid, decision in store.db.execute("SELECT conversation_id, decision FROM reviews "
                                          "WHERE decision IN ('approve', 'reject') ORDER BY id"):
        out[cid] = decision == "approve"
    return out
