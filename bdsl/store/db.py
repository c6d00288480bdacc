"""The run store: one SQLite database (WAL) per run directory.

Write path used by the engine. Every method that changes state commits before
it returns, so what a caller has been told is stored survives `kill -9`.
WAL with synchronous=NORMAL is durable against a crashed or killed process
(only an OS crash can lose the last commits); `durable=True` selects FULL.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bdsl import ir
from bdsl.serialize import to_data, to_json
from bdsl.store.records import CallRecord, SyncSummary, TurnRecord, Usage
from bdsl.store.schema import apply_schema, check_schema

STORE_FILE = "store.sqlite"


class Store:
    def __init__(self, path: str | Path, durable: bool = False, readonly: bool = False):
        self.path = Path(path)
        self.readonly = readonly
        if readonly:
            self.db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True,
                                      isolation_level=None, timeout=30.0)
            check_schema(self.db)
            return
        self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30.0)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
        self.db.execute("PRAGMA foreign_keys=ON")
        apply_schema(self.db)

    @classmethod
    def open(cls, run_dir: str | Path, durable: bool = False) -> Store:
        run_dir = Path(run_dir)
        run_dir.mkdir(parents=True, exist_ok=True)
        return cls(run_dir / STORE_FILE, durable)

    @classmethod
    def open_readonly(cls, run_dir: str | Path) -> Store:
        return cls(Path(run_dir) / STORE_FILE, readonly=True)

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # --- runs -----------------------------------------------------------------------

    def start_run(self, plan: ir.Plan, model_override: str, options: dict) -> int:
        spec = plan.spec
        with self.transaction() as db:
            cur = db.execute(
                "INSERT INTO runs (started_at, status, spec_name, spec_version, spec_path, "
                "spec_hash, plan_hash, regulations_json, model_override, options_json) "
                "VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?, ?)",
                (time.time(), spec.name, spec.version, spec.path, plan.spec_hash,
                 plan.plan_hash, to_json(spec.regulations), model_override,
                 json.dumps(options, sort_keys=True)))
            return int(cur.lastrowid)

    def update_run(self, run_id: int, *, status: str | None = None, calls_made: int = 0,
                   cache_hits: int = 0, reused: int | None = None,
                   regenerated: int | None = None, finished: bool = False) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE runs SET status=COALESCE(?, status), calls_made=?, cache_hits=?, "
                "reused=COALESCE(?, reused), regenerated=COALESCE(?, regenerated), "
                "finished_at=CASE WHEN ? THEN ? ELSE finished_at END WHERE id=?",
                (status, calls_made, cache_hits, reused, regenerated, finished, time.time(),
                 run_id))

    # --- jobs -----------------------------------------------------------------------

    def sync_jobs(self, run_id: int, plan: ir.Plan,
                  jobs: Iterable[tuple[ir.Job, str]]) -> SyncSummary:
        """Upsert (job, effective content hash) pairs; a changed hash resets the job to
        pending unless a conversation for that exact hash is already stored."""
        jobs = list(jobs)
        now = time.time()
        old = {k: (h, s) for k, h, s in self.db.execute(
            "SELECT key, content_hash, state FROM jobs WHERE in_plan=1")}
        done_versions = set(self.db.execute("SELECT job_key, content_hash FROM conversations"))
        added = changed = unchanged = reusable = 0
        keys = set()
        moved: dict[str, list[str]] = {"added": [], "changed": []}
        with self.transaction() as db:
            db.execute("UPDATE jobs SET in_plan=0")
            for pos, (job, chash) in enumerate(jobs):
                keys.add(job.key)
                prev = old.get(job.key)
                if prev is None:
                    added += 1
                    moved["added"].append(job.key)
                elif prev[0] != chash:
                    changed += 1
                    moved["changed"].append(job.key)
                else:
                    unchanged += 1
                if (job.key, chash) in done_versions:
                    state = "done"
                    reusable += 1
                elif prev is not None and prev[0] == chash and prev[1] == "failed":
                    state = "failed"
                else:
                    state = "pending"
                error_keep = prev is not None and prev[0] == chash
                db.execute(
                    "INSERT INTO jobs (key, dataset, kind, content_hash, gates_hash, seed, model,"
                    " job_json, state, error, position, in_plan, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, 1, ?)"
                    " ON CONFLICT(key) DO UPDATE SET dataset=excluded.dataset,"
                    " kind=excluded.kind, content_hash=excluded.content_hash,"
                    " gates_hash=excluded.gates_hash, seed=excluded.seed, model=excluded.model,"
                    " job_json=excluded.job_json, state=excluded.state,"
                    " error=CASE WHEN ? THEN jobs.error ELSE '' END,"
                    " position=excluded.position, in_plan=1, updated_at=excluded.updated_at",
                    (job.key, job.dataset, job.kind, chash, job.gates_hash, job.seed,
                     job.model.name, to_json(job), state, pos, now, error_keep))
            removed_keys = sorted(set(old) - keys)
            removed = len(removed_keys)
            details = {**moved, "removed": removed_keys, "spec_version": plan.spec.version,
                       "regulations": {r.id: r.version for r in plan.spec.regulations}}
            db.execute(
                "INSERT INTO changelog (at, run_id, spec_hash, plan_hash, added, changed,"
                " unchanged, removed, details_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (now, run_id, plan.spec_hash, plan.plan_hash, added, changed, unchanged,
                 removed, json.dumps(details, sort_keys=True)))
        return SyncSummary(added, changed, unchanged, removed, reusable)

    def job_states(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT key, state FROM jobs WHERE in_plan=1"))

    def keys_with_conversations(self) -> set[str]:
        return {k for (k,) in self.db.execute("SELECT DISTINCT job_key FROM conversations")}

    def fail_job(self, key: str, content_hash: str, error: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE jobs SET state='failed', error=?, updated_at=? "
                       "WHERE key=? AND content_hash=?", (error, time.time(), key, content_hash))

    # --- the call journal -----------------------------------------------------------

    def cached_call(self, request_hash: str) -> CallRecord | None:
        row = self.db.execute(
            "SELECT request_hash, step, turn_index, attempt, model, request_json, "
            "response_text, finish_reason, status, prompt_tokens, completion_tokens, cost, "
            "latency_s, id FROM llm_calls WHERE request_hash=?", (request_hash,)).fetchone()
        return CallRecord(*row) if row else None

    def record_call(self, run_id: int, job_key: str, content_hash: str,
                    call: CallRecord) -> CallRecord:
        with self.transaction() as db:
            cur = db.execute(
                "INSERT INTO llm_calls (request_hash, run_id, job_key, content_hash, step,"
                " turn_index, attempt, model, request_json, response_text, finish_reason,"
                " status, prompt_tokens, completion_tokens, cost, latency_s, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (call.request_hash, run_id, job_key, content_hash, call.step, call.turn_index,
                 call.attempt, call.model, call.request_json, call.response_text,
                 call.finish_reason, call.status, call.prompt_tokens, call.completion_tokens,
                 call.cost, call.latency_s, time.time()))
            return CallRecord(*[getattr(call, f) for f in _CALL_FIELDS[:-1]], id=cur.lastrowid)

    def record_error(self, run_id: int, job_key: str, content_hash: str, step: str,
                     turn_index: int, attempt: int, kind: str, message: str) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO errors (run_id, job_key, content_hash, step, turn_index, attempt,"
                " kind, message, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (run_id, job_key, content_hash, step, turn_index, attempt, kind, message,
                 time.time()))

    def spent(self) -> Usage:
        """Everything paid for in this run directory, over all runs."""
        n, p, c, cost, unknown = self.db.execute(
            "SELECT COUNT(*), COALESCE(SUM(prompt_tokens), 0), COALESCE(SUM(completion_tokens),"
            " 0), COALESCE(SUM(cost), 0), SUM(cost IS NULL) FROM llm_calls").fetchone()
        return Usage(n, p, c, None if unknown else cost)

    # --- finishing a job ------------------------------------------------------------

    def finish_job(self, run_id: int, job: ir.Job, content_hash: str, model: str,
                   params: dict, turns: list[TurnRecord], usage: Usage, started_at: float,
                   provenance: dict) -> int:
        """Store a conversation with its turns and annotations and mark the job done,
        all in one transaction."""
        context = {"cell": [list(c) for c in job.cell], **to_data(job.context)}
        with self.transaction() as db:
            cur = db.execute(
                "INSERT INTO conversations (job_key, content_hash, run_id, dataset, kind, model,"
                " params_json, seed, context_json, prompt_tokens, completion_tokens, cost,"
                " calls, started_at, finished_at, provenance_json)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (job.key, content_hash, run_id, job.dataset, job.kind, model,
                 json.dumps(params, sort_keys=True), job.seed, json.dumps(context, sort_keys=True),
                 usage.prompt_tokens, usage.completion_tokens, usage.cost, usage.calls,
                 started_at, time.time(), json.dumps(provenance, sort_keys=True)))
            conv_id = int(cur.lastrowid)
            for t in turns:
                db.execute(
                    "INSERT INTO turns (conversation_id, seq, idx, role, kind, label, content,"
                    " train, session, target_json, call_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (conv_id, t.seq, t.idx, t.role, t.kind, t.label, t.content, int(t.train),
                     t.session, to_json(t.target) if t.target else "null", t.call_id))
                a = t.annotation
                if a is not None:
                    db.execute(
                        "INSERT INTO annotations (conversation_id, seq, primary_emotion,"
                        " secondary_emotion, intensity, valence, strategy, raw_json, call_id)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (conv_id, t.seq, a.primary_emotion, a.secondary_emotion, a.intensity,
                         a.valence, a.strategy, to_json(a), t.annotation_call_id))
            db.execute("UPDATE jobs SET state='done', error='', updated_at=? "
                       "WHERE key=? AND content_hash=?", (time.time(), job.key, content_hash))
        return conv_id


_CALL_FIELDS = [a.name for a in CallRecord.__attrs_attrs__]
