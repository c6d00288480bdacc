"""Gate results in the run store: one row per (conversation, gate, gates_hash)."""

from __future__ import annotations

import json
import time

from bdsl.outcomes import GateRow


def read_gate_rows(store, conversation_id: int, gates_hash: str) -> list[GateRow]:
    rows = []
    for gate, passed, score, threshold, reason, details in store.db.execute(
            "SELECT gate, passed, score, threshold, reason, details_json FROM gate_results "
            "WHERE conversation_id=? AND gates_hash=? ORDER BY gate",
            (conversation_id, gates_hash)):
        info = json.loads(details or "{}")
        rows.append(GateRow(gate, bool(passed), score, threshold, reason, info,
                            bool(info.get("soft", False))))
    return rows


def scored_gates(store, conversation_id: int, gates_hash: str) -> set[str]:
    return {g for (g,) in store.db.execute(
        "SELECT gate FROM gate_results WHERE conversation_id=? AND gates_hash=?",
        (conversation_id, gates_hash))}


def write_gate_rows(store, conversation_id: int, gates_hash: str, rows: list[GateRow]) -> None:
    now = time.time()
    with store.transaction() as db:
        for r in rows:
            db.execute(
                "INSERT INTO gate_results (conversation_id, gate, gates_hash, passed,"
                " score, threshold, reason, details_json, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (conversation_id, gate, gates_hash) DO UPDATE SET"
                " passed = excluded.passed, score = excluded.score,"
                " threshold = excluded.threshold, reason = excluded.reason,"
                " details_json = excluded.details_json, created_at = excluded.created_at",
                (conversation_id, r.gate, gates_hash, int(r.passed), r.score, r.threshold,
                 r.reason, json.dumps({**r.details, "soft": r.soft}, sort_keys=True,
                                      default=str), now))


def judged_scores(store) -> list[tuple[int, str, float, float, dict]]:
    """(conversation id, gate, score, threshold, details) of every scored, thresholded row."""
    return [(cid, gate, score, threshold, json.loads(details or "{}"))
            for cid, gate, score, threshold, details in store.db.execute(
                "SELECT conversation_id, gate, score, threshold, details_json FROM gate_results "
                "WHERE score IS NOT NULL AND threshold IS NOT NULL ORDER BY conversation_id, gate")]
