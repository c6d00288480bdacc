"""Read side of the run store, for status, gates, review and export.

    store = Store.open(run_dir)
    for conv in conversations(store):        # current, finished job versions in plan order
        conv.messages(), conv.turns, conv.provenance, conv.usage
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import attrs

from bdsl import ir
from bdsl.serialize import from_json
from bdsl.store.db import Store
from bdsl.store.records import Annotation, Conversation, TurnRecord, Usage

_CONV_COLS = ("c.id, c.job_key, c.content_hash, c.run_id, c.dataset, c.kind, c.model, "
              "c.params_json, c.seed, c.context_json, c.calls, c.prompt_tokens, "
              "c.completion_tokens, c.cost, c.started_at, c.finished_at, c.provenance_json")


def conversations(store: Store, current: bool = True, dataset: str | None = None,
                  with_turns: bool = True) -> Iterator[Conversation]:
    """Finished conversations. current=True: only the version matching each job's
    current content hash, for jobs still in the plan, in plan order."""
    only = "" if dataset is None else " AND c.dataset = ?"
    if current:
        sql = (f"SELECT {_CONV_COLS} FROM conversations c JOIN jobs j "
               "ON j.key = c.job_key AND j.content_hash = c.content_hash "
               f"WHERE j.in_plan = 1{only} ORDER BY j.position")
    else:
        sql = f"SELECT {_CONV_COLS} FROM conversations c WHERE 1 = 1{only} ORDER BY c.id"
    params = () if dataset is None else (dataset,)
    for row in store.db.execute(sql, params).fetchall():
        conv = _conversation(row)
        if with_turns:
            conv = _with_turns(store, conv)
        yield conv


def conversation(store: Store, conversation_id: int) -> Conversation | None:
    row = store.db.execute(f"SELECT {_CONV_COLS} FROM conversations c WHERE c.id=?",
                           (conversation_id,)).fetchone()
    return _with_turns(store, _conversation(row)) if row else None


def _conversation(row) -> Conversation:
    (cid, key, chash, run_id, dataset, kind, model, params, seed, context, calls, pt, ct, cost,
     started, finished, prov) = row
    return Conversation(cid, key, chash, run_id, dataset, kind, model, json.loads(params), seed,
                        json.loads(context), Usage(calls, pt, ct, cost), started, finished,
                        json.loads(prov))


def _with_turns(store: Store, conv: Conversation) -> Conversation:
    notes = {seq: (Annotation(*vals), call_id) for seq, *vals, call_id in store.db.execute(
        "SELECT seq, primary_emotion, secondary_emotion, intensity, valence, strategy, call_id "
        "FROM annotations WHERE conversation_id=?", (conv.id,))}
    turns = []
    for seq, idx, role, kind, label, content, train, session, target, call_id in store.db.execute(
            "SELECT seq, idx, role, kind, label, content, train, session, target_json, call_id "
            "FROM turns WHERE conversation_id=? ORDER BY seq", (conv.id,)):
        ann, ann_call = notes.get(seq, (None, None))
        turns.append(TurnRecord(
            seq, idx, role, kind, content, bool(train), label, session,
            from_json(target, ir.TurnTarget) if target != "null" else None, call_id, ann,
            ann_call))
    return attrs.evolve(conv, turns=tuple(turns))


def status(store: Store) -> dict:
    """Counts for `bdsc status`: jobs by state, calls, cache hits, tokens, cost, failures."""
    db = store.db
    states = dict(db.execute("SELECT state, COUNT(*) FROM jobs WHERE in_plan=1 GROUP BY state"))
    spent = store.spent()
    cache_hits = db.execute("SELECT COALESCE(SUM(cache_hits), 0) FROM runs").fetchone()[0]
    last = db.execute("SELECT id, status, started_at, finished_at, spec_name, spec_version, "
                      "reused, regenerated, retries_json FROM runs ORDER BY id DESC LIMIT 1"
                      ).fetchone()
    failures = [{"job": k, "error": e} for k, e in db.execute(
        "SELECT key, error FROM jobs WHERE in_plan=1 AND state='failed' ORDER BY position")]
    error_kinds = dict(db.execute("SELECT kind, COUNT(*) FROM errors GROUP BY kind"))
    retries: dict[str, int] = {}
    for (text,) in db.execute("SELECT retries_json FROM runs"):
        for cause, n in json.loads(text or "{}").items():
            retries[cause] = retries.get(cause, 0) + n
    truncated = db.execute("SELECT COUNT(*) FROM llm_calls WHERE status='truncated'").fetchone()[0]
    paths: dict[str, list] = {}
    for key, content in db.execute(
            "SELECT c.job_key, t.content FROM turns t JOIN conversations c ON c.id = "
            "t.conversation_id JOIN jobs j ON j.key = c.job_key AND j.content_hash = "
            "c.content_hash WHERE j.in_plan = 1 AND t.label = 'session_outcome' "
            "ORDER BY j.position, t.seq"):
        paths.setdefault(key, []).append(json.loads(content))
    return {
        "curricula": paths,
        "jobs": {"total": sum(states.values()), "done": states.get("done", 0),
                 "failed": states.get("failed", 0), "pending": states.get("pending", 0)},
        "llm_calls": spent.calls, "truncated_calls": truncated, "cache_hits": int(cache_hits),
        "tokens": {"prompt": spent.prompt_tokens, "completion": spent.completion_tokens,
                   "total": spent.tokens},
        "cost_usd": spent.cost,
        "runs": db.execute("SELECT COUNT(*) FROM runs").fetchone()[0],
        "last_run": None if last is None else dict(zip(
            ("id", "status", "started_at", "finished_at", "spec_name", "spec_version",
             "reused", "regenerated", "retries"), (*last[:8], json.loads(last[8] or "{}")),
            strict=True)),
        "failures": failures,
        "errors_by_kind": error_kinds,
        "retries": retries,
        "batches": _batch_counts(db),
    }


def _batch_counts(db) -> dict[str, dict[str, int]]:
    """Provider batches by status: how many, and how many calls they held."""
    out: dict[str, dict[str, int]] = {}
    for status, hashes in db.execute("SELECT status, request_hashes_json FROM batches"):
        row = out.setdefault(status, {"batches": 0, "calls": 0})
        row["batches"] += 1
        row["calls"] += len(json.loads(hashes))
    return out


def changelog_rows(store) -> list[tuple]:
    """(at, run id, added, changed, unchanged, removed, details) per `bdsc run`, in order."""
    return [(*row[:6], json.loads(row[6] or "{}")) for row in store.db.execute(
        "SELECT at, run_id, added, changed, unchanged, removed, details_json "
        "FROM changelog ORDER BY id")]


def last_run_id(store) -> int | None:
    return store.db.execute("SELECT MAX(id) FROM runs").fetchone()[0]


def integrity(store, full: bool = False) -> list[str]:
    """Problems the database itself finds in the store ([] when it is sound): SQLite's
    quick_check (or integrity_check with full=True); on PostgreSQL every table is read."""
    if store.db.dialect == "sqlite":
        pragma = "integrity_check" if full else "quick_check"
        rows = [r[0] for r in store.db.execute(f"PRAGMA {pragma}").fetchall()]
        return [] if rows == ["ok"] else rows
    problems = []
    for table in ("runs", "jobs", "conversations", "turns", "llm_calls", "texts"):
        try:
            store.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()
        except Exception as e:  # a table PostgreSQL cannot read
            problems.append(f"{table}: {e}")
    return problems


def journaled_requests(store, steps: tuple[str, ...] = ()) -> list[tuple[int, str, dict]]:
    """(call id, step, request) of journaled calls, in order, requests restored from the
    stored texts (for tests, benchmarks and audits of what models were sent)."""
    from bdsl.store import texts
    from bdsl.store.db import request_chain

    sql = "SELECT id, step, request_ref, request_base FROM llm_calls"
    params: tuple = ()
    if steps:
        sql += f" WHERE step IN ({','.join('?' * len(steps))})"
        params = tuple(steps)
    return [(cid, step, texts.request_of(store.db, ref, request_chain(store.db, base)))
            for cid, step, ref, base in store.db.execute(sql + " ORDER BY id", params
                                                         ).fetchall()]
