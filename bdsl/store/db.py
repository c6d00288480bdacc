"""The run store: every run's plan, jobs, journal of paid calls, conversations and results.

    store = Store.open(run_dir)                          # runs/x/store.sqlite (SQLite, WAL)
    store = Store.open(run_dir, url="postgresql://...")  # PostgreSQL: many workers, one store

Every method that changes state commits before it returns, so what a caller has been told
is stored survives `kill -9`. SQLite in WAL mode with synchronous=NORMAL is durable against
a crashed or killed process (only an OS crash can lose the last commits); `durable=True`
selects FULL. The engine's hot writes (the journal, finished jobs) go through a Writer
thread that groups them (bdsl/store/writer.py); everything else runs here, in the caller.

Jobs are claimed with leases so several workers can share one plan: a worker takes a
pending job whose lease is free or expired, renews its leases while it works, and a killed
worker's jobs are taken again when their leases expire. On PostgreSQL claims use
`FOR UPDATE SKIP LOCKED`; on SQLite one process holds the run directory's lock.
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bdsl import ir
from bdsl.serialize import from_json, to_data, to_json
from bdsl.store import texts
from bdsl.store.database import (
    Database,
    StoreUnavailable,
    is_url,
    open_database,
    redact,
    without_password,
)
from bdsl.store.records import CallRecord, SyncSummary, TurnRecord, Usage
from bdsl.store.schema import apply_schema, check_schema

STORE_FILE = "store.sqlite"
STORE_POINTER = "store.json"  # a run directory whose store is elsewhere (PostgreSQL)


def store_target(run_dir: str | Path) -> str | Path:
    """Where a run directory's store lives: store.json's URL, else store.sqlite."""
    pointer = Path(run_dir) / STORE_POINTER
    if pointer.is_file():
        return json.loads(pointer.read_text(encoding="utf-8"))["store"]
    return Path(run_dir) / STORE_FILE


def owner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Store:
    def __init__(self, target: str | Path, durable: bool = False, readonly: bool = False):
        self.target = target
        self.durable = durable
        self.readonly = readonly
        self.path = None if is_url(target) else Path(target)
        self.db: Database = open_database(target, readonly, durable)
        try:
            (check_schema if readonly else apply_schema)(self.db)
        except BaseException:
            self.db.close()
            raise
        self._writer = None

    @classmethod
    def open(cls, run_dir: str | Path, durable: bool = False, url: str | None = None) -> Store:
        """The run directory's store (created if new). With `url`, the store lives in that
        PostgreSQL database and the directory records where (store.json, no password)."""
        run_dir = Path(run_dir)
        run_dir.mkdir(parents=True, exist_ok=True)
        if url:
            store = cls(url, durable)
            try:
                home = store._claim_database(run_dir)
            except BaseException:
                store.close()
                raise
            (run_dir / STORE_POINTER).write_text(
                json.dumps({"store": without_password(url), "home": home}) + "\n", encoding="utf-8")
            return store
        return cls(store_target(run_dir), durable)

    def _claim_database(self, run_dir: Path) -> str:
        """A PostgreSQL database holds one run directory's store: two directories sharing
        one would mix their jobs. The database remembers which directory it belongs to."""
        pointer = run_dir / STORE_POINTER
        mine = (json.loads(pointer.read_text(encoding="utf-8")).get("home")
                if pointer.is_file() else None)
        with self.transaction() as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'home'").fetchone()
            if row is None:
                home = mine or uuid.uuid4().hex
                db.execute("INSERT INTO meta (key, value) VALUES ('home', ?)", (home,))
                db.execute("INSERT INTO meta (key, value) VALUES ('home_path', ?)",
                           (str(run_dir.resolve()),))
                return home
        if row[0] != mine:
            where = self.db.execute("SELECT value FROM meta WHERE key = 'home_path'"
                                    ).fetchone()
            raise StoreUnavailable(
                f"{self.name} already holds the store of another run directory "
                f"({where[0] if where else 'unknown'}); give each run directory its own "
                "database (CREATE DATABASE ...)")
        return row[0]

    @classmethod
    def open_readonly(cls, run_dir: str | Path) -> Store:
        return cls(store_target(run_dir), readonly=True)

    @property
    def name(self) -> str:
        return self.path.name if self.path is not None else redact(str(self.target))

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        with self.db.transaction() as db:
            yield db

    def writer(self):
        """The thread that groups the engine's writes (started on first use)."""
        if self._writer is None:
            from bdsl.store.writer import Writer

            self._writer = Writer(lambda: open_database(self.target, False, self.durable))
        return self._writer

    # --- runs -----------------------------------------------------------------------

    def start_run(self, plan: ir.Plan, model_override: str, options: dict) -> int:
        spec = plan.spec
        now = time.time()
        with self.transaction() as db:
            run_id = db.execute(
                "INSERT INTO runs (started_at, status, spec_name, spec_version, spec_path, "
                "spec_hash, plan_hash, regulations_json, model_override, options_json, "
                "heartbeat_at, owner) VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "RETURNING id",
                (now, spec.name, spec.version, spec.path, plan.spec_hash, plan.plan_hash,
                 to_json(spec.regulations), model_override, json.dumps(options, sort_keys=True),
                 now, owner_id())).fetchone()[0]
            if db.dialect == "postgresql":  # workers elsewhere read it from here
                db.execute("INSERT INTO plans (plan_hash, plan_json, created_at) "
                           "VALUES (?, ?, ?) ON CONFLICT (plan_hash) DO NOTHING",
                           (plan.plan_hash, to_json(plan), now))
        return int(run_id)

    def update_run(self, run_id: int, *, status: str | None = None, calls_made: int = 0,
                   cache_hits: int = 0, reused: int | None = None,
                   regenerated: int | None = None, finished: bool = False,
                   retries: dict | None = None) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE runs SET status=COALESCE(?, status), calls_made=?, cache_hits=?, "
                "reused=COALESCE(?, reused), regenerated=COALESCE(?, regenerated), "
                "retries_json=COALESCE(?, retries_json), heartbeat_at=?, "
                "finished_at=CASE WHEN ? = 1 THEN ? ELSE finished_at END WHERE id=?",
                (status, calls_made, cache_hits, reused, regenerated,
                 json.dumps(retries, sort_keys=True) if retries is not None else None,
                 time.time(), int(finished), time.time(), run_id))

    def resolve_stale_runs(self, stale_after: float | None = None) -> int:
        """Runs still marked `running` whose process is gone become `interrupted`. With
        `stale_after` None the caller holds the run directory's lock, so no other run can be
        alive; otherwise (many workers) a run is stale when its heartbeat is that old."""
        now = time.time()
        cutoff = now if stale_after is None else now - stale_after
        with self.transaction() as db:
            rows = db.execute("UPDATE runs SET status='interrupted', finished_at="
                              "COALESCE(heartbeat_at, started_at) WHERE status='running' AND "
                              "COALESCE(heartbeat_at, started_at) <= ? RETURNING id",
                              (cutoff,)).fetchall()
        return len(rows)

    def plan(self, plan_hash: str) -> ir.Plan | None:
        row = self.db.execute("SELECT plan_json FROM plans WHERE plan_hash=?",
                              (plan_hash,)).fetchone()
        return from_json(row[0], ir.Plan) if row else None

    def latest_plan_hash(self) -> str | None:
        row = self.db.execute("SELECT plan_hash FROM runs ORDER BY id DESC LIMIT 1").fetchone()
        return row[0] if row else None

    # --- jobs -----------------------------------------------------------------------

    def sync_jobs(self, run_id: int, plan: ir.Plan,
                  jobs: Iterable[tuple[ir.Job, str]]) -> SyncSummary:
        """Upsert (job, effective content hash) pairs: a job is done when a conversation for
        its exact hash is stored, else pending (a job that failed before is tried again;
        its journaled calls replay for free and its last error is kept until it runs)."""
        jobs = list(jobs)
        now = time.time()
        old = {k: (h, s) for k, h, s in self.db.execute(
            "SELECT key, content_hash, state FROM jobs WHERE in_plan=1")}
        done_versions = {(k, h) for k, h in self.db.execute(
            "SELECT job_key, content_hash FROM conversations")}
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
                else:  # new, changed, or failed before: this run tries it (again)
                    state = "pending"
                error_keep = int(prev is not None and prev[0] == chash)
                db.execute(
                    "INSERT INTO jobs (key, dataset, kind, content_hash, gates_hash, seed, model,"
                    " job_json, state, error, position, in_plan, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, 1, ?)"
                    " ON CONFLICT(key) DO UPDATE SET dataset=excluded.dataset,"
                    " kind=excluded.kind, content_hash=excluded.content_hash,"
                    " gates_hash=excluded.gates_hash, seed=excluded.seed, model=excluded.model,"
                    " job_json=excluded.job_json, state=excluded.state,"
                    " error=CASE WHEN ? = 1 THEN jobs.error ELSE '' END,"
                    " position=excluded.position, in_plan=1, updated_at=excluded.updated_at,"
                    " lease_owner='', lease_until=0",
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
        return dict(self.db.execute("SELECT key, state FROM jobs WHERE in_plan=1").fetchall())

    def keys_with_conversations(self) -> set[str]:
        return {k for (k,) in self.db.execute("SELECT DISTINCT job_key FROM conversations")}

    def claim_job(self, owner: str, lease_s: float) -> tuple[str, str] | None:
        """(key, content hash) of the next pending job in plan order whose lease is free or
        expired, now leased to `owner`; None when nothing is left to claim."""
        now = time.time()
        lock = " FOR UPDATE SKIP LOCKED" if self.db.dialect == "postgresql" else ""
        with self.transaction() as db:
            row = db.execute(
                "UPDATE jobs SET lease_owner=?, lease_until=? WHERE key = (SELECT key FROM jobs"
                " WHERE in_plan=1 AND state='pending' AND (lease_owner='' OR lease_until<?)"
                f" ORDER BY position LIMIT 1{lock}) RETURNING key, content_hash",
                (owner, now + lease_s, now)).fetchone()
        return (row[0], row[1]) if row else None

    def held_elsewhere(self, owner: str) -> float | None:
        """When the first lease another worker holds on a pending job expires (None when no
        pending job is leased elsewhere: nothing left to wait for)."""
        return self.db.execute(
            "SELECT MIN(lease_until) FROM jobs WHERE in_plan=1 AND state='pending' "
            "AND lease_owner <> '' AND lease_owner <> ?", (owner,)).fetchone()[0]

    def renew_leases(self, owner: str, keys: Iterable[str], lease_s: float) -> None:
        keys = list(keys)
        if not keys:
            return
        with self.transaction() as db:
            for key in keys:
                db.execute("UPDATE jobs SET lease_until=? WHERE key=? AND lease_owner=?",
                           (time.time() + lease_s, key, owner))

    def release(self, owner: str, key: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE jobs SET lease_owner='', lease_until=0 WHERE key=? AND "
                       "lease_owner=?", (key, owner))

    def unfinished(self) -> int:
        """Jobs still pending in the plan (leased or not)."""
        return self.db.execute("SELECT COUNT(*) FROM jobs WHERE in_plan=1 AND state='pending'"
                               ).fetchone()[0]

    def fail_job(self, key: str, content_hash: str, error: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE jobs SET state='failed', error=?, updated_at=?, lease_owner='' "
                       "WHERE key=? AND content_hash=?", (error, time.time(), key, content_hash))

    # --- the call journal -----------------------------------------------------------

    def cached_call(self, request_hash: str) -> CallRecord | None:
        """A finished call of this exact request, if one was journaled, with its request
        and reply restored from the stored texts."""
        return read_call(self.db, request_hash)

    def record_call(self, run_id: int, job_key: str, content_hash: str,
                    call: CallRecord) -> CallRecord:
        with self.transaction() as db:
            return write_call(db, texts.Interner(db), run_id, job_key, content_hash, call)

    def record_error(self, run_id: int, job_key: str, content_hash: str, step: str,
                     turn_index: int, attempt: int, kind: str, message: str) -> None:
        with self.transaction() as db:
            write_error(db, None, run_id, job_key, content_hash, step, turn_index, attempt,
                        kind, message)

    def turns_written(self, run_id: int) -> int:
        """Messages of the conversations this run finished (progress of many workers)."""
        return self.db.execute(
            "SELECT COUNT(*) FROM turns t JOIN conversations c ON c.id = t.conversation_id "
            "WHERE c.run_id = ? AND t.kind = 'message'", (run_id,)).fetchone()[0]

    def spent(self, run_id: int | None = None) -> Usage:
        """Everything paid for in this store, over all runs (or in one run)."""
        where, params = ("", ()) if run_id is None else (" WHERE run_id = ?", (run_id,))
        n, p, c, cost, unknown = self.db.execute(
            "SELECT COUNT(*), COALESCE(SUM(prompt_tokens), 0), COALESCE(SUM(completion_tokens),"
            " 0), COALESCE(SUM(cost), 0), SUM(CASE WHEN cost IS NULL THEN 1 ELSE 0 END)"
            " FROM llm_calls" + where, params).fetchone()
        return Usage(n, p, c, None if unknown else cost)

    # --- finishing a job ------------------------------------------------------------

    def finish_job(self, run_id: int, job: ir.Job, content_hash: str, model: str,
                   params: dict, turns: list[TurnRecord], usage: Usage, started_at: float,
                   provenance: dict) -> int:
        with self.transaction() as db:
            return write_conversation(db, None, run_id, job, content_hash, model, params,
                                      turns, usage, started_at, provenance)


# --- writes shared by the caller's connection and the writer thread -----------------------
# Each takes (db, interner, ...) and runs inside the caller's transaction.

def write_call(db, interner, run_id: int, job_key: str, content_hash: str,
               call: CallRecord) -> CallRecord:
    """Journal one paid call (idempotent: a second writer of the same request gets the
    record already stored, and nothing is written twice). Its request is stored as a delta
    over the last call of the same job and step written through this interner, when they
    share enough (texts.as_delta)."""
    data = texts.request_data(interner, call.request_json)
    tokens = texts.flatten(data.get("messages") or [])
    key = (job_key, content_hash, call.step)
    base = interner.bases.get(key)
    if base is not None and not _is_call(db, base[0], base[4]):
        base = None  # not stored after all (rolled back): never build on it
    stored, base_id, depth = texts.as_delta(data, tokens, base)
    row = db.execute(
        "INSERT INTO llm_calls (request_hash, run_id, job_key, content_hash, step,"
        " turn_index, attempt, model, request_json, response_text, request_ref, response_ref,"
        " request_base, finish_reason, status, prompt_tokens, completion_tokens, cost,"
        " latency_s, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, '', '', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (request_hash) DO NOTHING RETURNING id",
        (call.request_hash, run_id, job_key, content_hash, call.step, call.turn_index,
         call.attempt, call.model, texts.dump(stored),
         texts.ref_of(interner, call.response_text), base_id, call.finish_reason, call.status,
         call.prompt_tokens, call.completion_tokens, call.cost, call.latency_s,
         time.time())).fetchone()
    if row is None:  # journaled already: return what is stored, so every reader agrees
        return read_call(db, call.request_hash)
    if tokens:
        if len(interner.bases) >= 10_000:
            interner.bases.clear()
        interner.bases[key] = (row[0], tokens, depth, data, call.request_hash)
    return CallRecord(*[getattr(call, f) for f in _CALL_FIELDS[:-1]], id=row[0])


def _is_call(db, call_id: int, request_hash: str) -> bool:
    return db.execute("SELECT 1 FROM llm_calls WHERE id = ? AND request_hash = ?",
                      (call_id, request_hash)).fetchone() is not None


def read_call(db, request_hash: str) -> CallRecord | None:
    row = db.execute(
        "SELECT request_hash, step, turn_index, attempt, model, request_ref, response_ref,"
        " finish_reason, status, prompt_tokens, completion_tokens, cost, latency_s, id,"
        " request_base FROM llm_calls WHERE request_hash=?", (request_hash,)).fetchone()
    if row is None:
        return None
    rhash, step, turn, attempt, model, req_ref, resp_ref, *rest, base = row
    request = json.dumps(texts.request_of(db, req_ref, request_chain(db, base)),
                         sort_keys=True, ensure_ascii=False,
                         separators=(",", ":")) if req_ref else ""
    return CallRecord(rhash, step, turn, attempt, model, request,
                      texts.text_of(db, resp_ref), *rest)


def request_chain(db, base: int | None) -> list[str]:
    """The request refs of a call's bases, nearest first (one query). A base is always an
    earlier row, and a chain at most texts.MAX_DEPTH long; the query holds to both, so
    a damaged row cannot make it loop."""
    if base is None:
        return []
    rows = db.execute(
        "WITH RECURSIVE chain (id, rref, base, depth) AS ("
        " SELECT id, request_ref, request_base, 0 FROM llm_calls WHERE id = ?"
        " UNION ALL SELECT c.id, c.request_ref, c.request_base, chain.depth + 1"
        " FROM llm_calls c JOIN chain ON c.id = chain.base"
        " WHERE c.id < chain.id AND chain.depth <= ?)"
        " SELECT rref FROM chain ORDER BY depth", (base, texts.MAX_DEPTH + 1)).fetchall()
    return [r[0] for r in rows]


def write_error(db, _interner, run_id: int, job_key: str, content_hash: str, step: str,
                turn_index: int, attempt: int, kind: str, message: str) -> None:
    db.execute(
        "INSERT INTO errors (run_id, job_key, content_hash, step, turn_index, attempt,"
        " kind, message, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (run_id, job_key, content_hash, step, turn_index, attempt, kind, message[:2000],
         time.time()))


def write_conversation(db, _interner, run_id: int, job: ir.Job, content_hash: str, model: str,
                       params: dict, turns: list[TurnRecord], usage: Usage, started_at: float,
                       provenance: dict) -> int:
    """A finished conversation with its turns and annotations, and its job marked done,
    in the caller's transaction."""
    context = {"cell": [list(c) for c in job.cell], **to_data(job.context)}
    conv_id = db.execute(
        "INSERT INTO conversations (job_key, content_hash, run_id, dataset, kind, model,"
        " params_json, seed, context_json, prompt_tokens, completion_tokens, cost,"
        " calls, started_at, finished_at, provenance_json)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (job_key, content_hash) DO NOTHING RETURNING id",
        (job.key, content_hash, run_id, job.dataset, str(job.kind), model,
         json.dumps(params, sort_keys=True), job.seed, json.dumps(context, sort_keys=True),
         usage.prompt_tokens, usage.completion_tokens, usage.cost, usage.calls,
         started_at, time.time(), json.dumps(provenance, sort_keys=True))).fetchone()
    if conv_id is None:  # another worker finished this version first: keep theirs
        conv_id = db.execute("SELECT id FROM conversations WHERE job_key=? AND content_hash=?",
                             (job.key, content_hash)).fetchone()
    else:
        for t in turns:
            db.execute(
                "INSERT INTO turns (conversation_id, seq, idx, role, kind, label, content,"
                " train, session, target_json, call_id)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (conv_id[0], t.seq, t.idx, str(t.role), str(t.kind), t.label, t.content,
                 int(t.train), t.session, to_json(t.target) if t.target else "null", t.call_id))
            a = t.annotation
            if a is not None:
                db.execute(
                    # raw_json stays '' since v3: it repeated these columns (an
                    # Annotation is exactly them) and nothing reads it
                    "INSERT INTO annotations (conversation_id, seq, primary_emotion,"
                    " secondary_emotion, intensity, valence, strategy, raw_json, call_id)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, '', ?)",
                    (conv_id[0], t.seq, a.primary_emotion, a.secondary_emotion, a.intensity,
                     a.valence, a.strategy, t.annotation_call_id))
    db.execute("UPDATE jobs SET state='done', error='', updated_at=?, lease_owner='' "
               "WHERE key=? AND content_hash=?", (time.time(), job.key, content_hash))
    return int(conv_id[0])


_CALL_FIELDS = [a.name for a in CallRecord.__attrs_attrs__]
