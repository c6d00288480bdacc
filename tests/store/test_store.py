"""The run store: schema versioning, the call journal, atomic job completion, leases.

Every test that does not look at SQLite itself runs on both backends (`store_target`:
a SQLite file, and a fresh database on a PostgreSQL server the tests start)."""

import json
import sqlite3

import pytest

from bdsl.store import CallRecord, Store, TurnRecord, Usage, conversations
from bdsl.store.schema import SCHEMA_VERSION, SchemaError
from tests.engine.plans import job, plan


def call(h="h1", **kw) -> CallRecord:
    base = dict(request_hash=h, step="user", turn_index=0, attempt=0, model="fake/echo",
                request_json="{}", response_text="hi", finish_reason="stop", status="ok",
                prompt_tokens=3, completion_tokens=2, cost=0.5, latency_s=0.01)
    base.update(kw)
    return CallRecord(**base)


def test_new_store_is_wal_and_versioned(tmp_path):
    store = Store.open(tmp_path / "run")
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.db.execute("SELECT value FROM meta WHERE key='schema_version'"
                            ).fetchone()[0] == str(SCHEMA_VERSION)
    tables = {n for (n,) in store.db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"runs", "jobs", "conversations", "turns", "llm_calls", "annotations", "errors",
            "gate_results", "reviews", "audit_log", "changelog"} <= tables
    store.close()
    Store.open(tmp_path / "run").close()  # reopening applies nothing twice


def test_store_from_a_newer_bdsc_is_refused(tmp_path):
    Store.open(tmp_path).close()
    db = sqlite3.connect(tmp_path / "store.sqlite")
    db.execute("UPDATE meta SET value='99' WHERE key='schema_version'")
    db.commit()
    db.close()
    with pytest.raises(SchemaError, match="newer"):
        Store.open(tmp_path)


def opened(tmp_path, store_target) -> Store:
    return Store.open(tmp_path / "run", url=store_target)


def test_both_backends_get_the_same_tables(tmp_path, store_target):
    store = opened(tmp_path, store_target)
    assert store.db.execute("SELECT value FROM meta WHERE key='schema_version'"
                            ).fetchone()[0] == str(SCHEMA_VERSION)
    for table in ("runs", "jobs", "conversations", "turns", "llm_calls", "annotations",
                  "errors", "gate_results", "reviews", "audit_log", "changelog", "texts",
                  "plans", "batches"):
        store.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()
    store.close()
    opened(tmp_path, store_target).close()  # reopening applies nothing twice


def test_call_journal_is_keyed_by_request_hash(tmp_path, store_target):
    store = opened(tmp_path, store_target)
    run = store.start_run(plan(), "", {})
    rec = store.record_call(run, "ds:0", "c", call())
    assert rec.id is not None and store.cached_call("h1") == rec
    assert store.cached_call("other") is None
    # a second writer of the same call (two processes, a retried write) gets the stored
    # record back and nothing is journaled twice
    again = store.record_call(run, "ds:0", "c", call(response_text="a different reply"))
    assert again == rec and again.response_text == "hi"
    store.record_call(run, "ds:0", "c", call("h2", cost=None))
    assert store.spent() == Usage(2, 6, 4, None)  # one unknown price makes the total unknown


def test_finish_job_is_atomic(tmp_path, store_target):
    store = opened(tmp_path, store_target)
    j = job("ds:a")
    p = plan(j)
    run = store.start_run(p, "", {})
    store.sync_jobs(run, p, [(j, j.content_hash)])
    bad_turns = [TurnRecord(0, 0, "user", "message", "hi", True),
                 TurnRecord(0, 1, "assistant", "message", "dup seq", True)]
    with pytest.raises(Exception, match="(?i)unique|duplicate"):
        store.finish_job(run, j, j.content_hash, "m", {}, bad_turns, Usage(), 0.0, {})
    assert store.db.execute("SELECT COUNT(*) FROM conversations").fetchone()[0] == 0
    assert store.job_states() == {"ds:a": "pending"}
    good = [TurnRecord(0, 0, "user", "message", "hi", True)]
    store.finish_job(run, j, j.content_hash, "m", {}, good, Usage(), 0.0, {"seed": 1})
    assert store.job_states() == {"ds:a": "done"}
    [conv] = conversations(store)
    assert conv.messages() == [{"role": "user", "content": "hi", "train": True}]
    assert conv.provenance == {"seed": 1}


def test_sync_counts_added_changed_removed(tmp_path, store_target):
    store = opened(tmp_path, store_target)
    a, b = job("ds:a"), job("ds:b")
    p = plan(a, b)
    run = store.start_run(p, "", {})
    s1 = store.sync_jobs(run, p, [(a, "h1"), (b, "h2")])
    assert (s1.added, s1.changed, s1.unchanged, s1.removed) == (2, 0, 0, 0)
    s2 = store.sync_jobs(run, p, [(a, "h1-new")])
    assert (s2.added, s2.changed, s2.unchanged, s2.removed) == (0, 1, 0, 1)
    assert store.job_states() == {"ds:a": "pending"}
    assert store.db.execute("SELECT COUNT(*) FROM changelog").fetchone()[0] == 2


def test_requests_and_replies_are_stored_once_per_distinct_line(tmp_path, store_target):
    store = opened(tmp_path, store_target)
    run = store.start_run(plan(), "", {})
    history = [["system", "You are Elena.\nBe kind."], ["user", "I owe money."]]
    for i in range(3):
        request = {"messages": history, "model": "m", "seed": i}
        store.record_call(run, "ds:0", "c", call(f"h{i}", request_json=json.dumps(
            request, sort_keys=True, separators=(",", ":")), response_text=f"reply {i}"))
        history = history + [["assistant", f"reply {i}"], ["user", f"thanks {i}"]]
    lines = store.db.execute("SELECT COUNT(*) FROM texts").fetchone()[0]
    # 3 prompt lines, 3 replies, 2 later user lines: each stored once, not once per call
    assert lines == 3 + 3 + 2
    back = store.cached_call("h2")
    assert json.loads(back.request_json)["messages"][-1] == ["user", "thanks 1"]
    assert back.response_text == "reply 2"


def test_a_job_is_leased_to_one_worker_and_an_expired_lease_is_taken_again(tmp_path,
                                                                         store_target):
    store = opened(tmp_path, store_target)
    a, b = job("ds:a"), job("ds:b")
    p = plan(a, b)
    run = store.start_run(p, "", {})
    store.sync_jobs(run, p, [(a, "ha"), (b, "hb")])
    assert store.claim_job("w1", 60) == ("ds:a", "ha")
    assert store.claim_job("w2", 60) == ("ds:b", "hb")  # a is w1's
    assert store.claim_job("w2", 60) is None
    store.release("w2", "ds:b")
    assert store.claim_job("w3", 0.01) == ("ds:b", "hb")
    import time

    time.sleep(0.05)  # w3 died: its lease runs out
    assert store.claim_job("w4", 60) == ("ds:b", "hb")


def test_stale_running_rows_become_interrupted(tmp_path, store_target):
    store = opened(tmp_path, store_target)
    run = store.start_run(plan(), "", {})
    assert store.resolve_stale_runs(stale_after=3600) == 0  # its heartbeat is fresh
    assert store.resolve_stale_runs() == 1  # the caller holds the lock: nobody else is alive
    assert store.db.execute("SELECT status FROM runs WHERE id=?", (run,)).fetchone()[0] == \
        "interrupted"
