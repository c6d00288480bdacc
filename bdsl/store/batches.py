"""Provider batches a run submitted: journaled when submitted, so a restarted run polls
them instead of paying for their lines again."""

from __future__ import annotations

import json
import time

OPEN = ("validating", "in_progress", "finalizing", "submitted", "completed")


def record_batch(store, batch_id: str, run_id: int, model: str, status: str,
                 request_hashes: list[str], input_file: str) -> None:
    now = time.time()
    with store.transaction() as db:
        db.execute("INSERT INTO batches (id, run_id, model, status, request_hashes_json, "
                   "input_file, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                   "ON CONFLICT (id) DO NOTHING",
                   (batch_id, run_id, model, status, json.dumps(request_hashes), input_file,
                    now, now))


def update_batch(store, batch_id: str, status: str, output_file: str = "") -> None:
    with store.transaction() as db:
        db.execute("UPDATE batches SET status = ?, output_file = CASE WHEN ? = '' THEN "
                   "output_file ELSE ? END, updated_at = ? WHERE id = ?",
                   (status, output_file, output_file, time.time(), batch_id))


def open_batches(store) -> list[tuple[str, str, list[str]]]:
    """(batch id, model, request hashes) of batches whose answers may still be needed:
    submitted and not yet known to have failed, expired or been cancelled."""
    marks = ",".join("?" * len(OPEN))
    return [(bid, model, json.loads(hashes)) for bid, model, hashes in store.db.execute(
        f"SELECT id, model, request_hashes_json FROM batches WHERE status IN ({marks}) "
        "ORDER BY created_at", OPEN).fetchall()]


def batch_rows(store) -> list[dict]:
    """Every batch, for `bdsc status`."""
    return [{"id": bid, "run_id": run_id, "model": model, "status": status,
             "lines": len(json.loads(hashes))}
            for bid, run_id, model, status, hashes in store.db.execute(
                "SELECT id, run_id, model, status, request_hashes_json FROM batches "
                "ORDER BY created_at").fetchall()]
