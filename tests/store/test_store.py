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


# --- how the journal stores texts and requests (issue 12: store bytes per message) ------

TRICKY = ["", "\n", "user: ", "user: x", "a\nuser: b\n", "[3] user: hi", "You: \nX",
          "Assistant: two\nlines: here", "no label:here", "élan: ça va\n\n", "x: y: z",
          "A very long label that is not one: text"]


def test_texts_round_trip_and_a_labelled_line_shares_the_message_row(tmp_path, store_target):
    from bdsl.store import texts

    store = opened(tmp_path, store_target)
    with store.transaction() as db:
        interner = texts.Interner(db)
        refs = [texts.ref_of(interner, t) for t in TRICKY]
    assert [texts.text_of(store.db, r) for r in refs] == TRICKY
    reply = "I hear you. Let's take it one step at a time."
    with store.transaction() as db:
        interner = texts.Interner(db)
        for t in (reply, f"user: {reply}", f"Assistant: {reply}", f"[12] assistant: {reply}"):
            texts.ref_of(interner, t)
    stored = [t for (t,) in store.db.execute("SELECT text FROM texts")]
    assert stored.count(reply) == 1 and not any(t.endswith(reply) and t != reply
                                                for t in stored)
    assert {"user: ", "Assistant: ", "[12] assistant: "} <= set(stored)
    store.close()


def test_a_store_written_before_labels_were_split_reads_the_same(tmp_path):
    from bdsl.store import texts

    store = Store.open(tmp_path)
    with store.transaction() as db:  # the earlier encoding: one id per whole line
        old = json.dumps(texts.Interner(db).ids("You: hi\nAssistant: there".split("\n")))
    assert texts.text_of(store.db, old) == "You: hi\nAssistant: there"
    store.close()


def conversation_requests(n: int) -> list[tuple[str, str]]:
    """(step, canonical request JSON) of a conversation's calls, shaped like the engine's:
    a growing history, a transcript quoted in one user prompt, annotations with a schema."""
    system = "You are a coach.\nBe brief."
    history: list[list[str]] = []
    out = []
    for i in range(n):
        transcript = "\n".join(f"{'You' if r == 'user' else 'Assistant'}: {c}"
                               for r, c in history)
        out.append(("user", {"messages": [["system", system], ["user",
                    f"The conversation so far:\n{transcript}\n\nWrite your next message."]],
                             "model": "m", "seed": 1, "temperature": None}))
        history.append(["user", f"user message {i}"])
        out.append(("assistant", {"messages": [["system", system], *history], "model": "m",
                                  "seed": 1, "max_tokens": 256 + i % 2}))
        history.append(["assistant", f"assistant reply {i}\nsecond line"])
        earlier = "\n".join(f"[{k}] {r}: {c}" for k, (r, c) in enumerate(history))
        ann = {"messages": [["user", f"Earlier messages:\n{earlier}\nFields: ..."]],
               "model": "m", "json_schema": {"type": "object", "n": i % 3}}
        if i % 4 == 3:
            del ann["model"]  # a field the base has and this request lacks
        out.append(("annotate", ann))
    return [(step, json.dumps(r, sort_keys=True, ensure_ascii=False, separators=(",", ":")))
            for step, r in out]


def write_through_one_interner(store, run, requests, job_key="ds:0"):
    from bdsl.store import texts
    from bdsl.store.db import write_call

    with store.transaction() as db:
        interner = texts.Interner(db)
        for i, (step, rj) in enumerate(requests):
            write_call(db, interner, run, job_key, "c",
                       call(f"{job_key}-h{i}", step=step, request_json=rj, response_text=f"r{i}"))


def test_a_conversations_requests_are_deltas_and_replay_byte_identical(tmp_path, store_target):
    from bdsl.store.reader import journaled_requests

    store = opened(tmp_path, store_target)
    run = store.start_run(plan(), "", {})
    requests = conversation_requests(12)
    write_through_one_interner(store, run, requests)
    for i, (step, rj) in enumerate(requests):
        back = store.cached_call(f"ds:0-h{i}")
        assert back.request_json == rj and back.step == step and back.response_text == f"r{i}"
    assert [json.dumps(r, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
            for _, _, r in journaled_requests(store)] == [rj for _, rj in requests]
    bases = [b for (b,) in store.db.execute("SELECT request_base FROM llm_calls ORDER BY id")]
    assert bases[:3] == [None, None, None] and all(b is not None for b in bases[6:])
    # linear, not quadratic: the last calls store about as much as the early ones
    sizes = [n for (n,) in store.db.execute(
        "SELECT LENGTH(request_ref) FROM llm_calls WHERE step = 'assistant' ORDER BY id")]
    assert max(sizes[2:]) - min(sizes[2:]) <= 8, sizes
    store.close()


def test_a_chain_of_deltas_is_bounded(tmp_path, monkeypatch):
    from bdsl.store import texts

    monkeypatch.setattr(texts, "MAX_DEPTH", 3)
    store = Store.open(tmp_path)
    run = store.start_run(plan(), "", {})
    requests = [r for r in conversation_requests(10) if r[0] == "assistant"]
    write_through_one_interner(store, run, requests)
    bases = [b for (b,) in store.db.execute("SELECT request_base FROM llm_calls ORDER BY id")]
    assert bases.count(None) >= 2  # stored whole again after 3 deltas
    for i, (_step, rj) in enumerate(requests):
        assert store.cached_call(f"ds:0-h{i}").request_json == rj
    store.close()


def test_a_rolled_back_write_is_never_a_base(tmp_path, store_target):
    """The writer runs each write in a savepoint: one that fails is rolled back, and the
    next call of the same job must not be stored as a delta over the call it wrote."""
    import asyncio

    from bdsl.store.db import write_call

    store = opened(tmp_path, store_target)
    run = store.start_run(plan(), "", {})
    requests = [r for r in conversation_requests(4) if r[0] == "assistant"]

    def write_then_fail(db, interner, rec):
        write_call(db, interner, run, "ds:0", "c", rec)
        raise RuntimeError("after the insert")

    async def go():
        w = store.writer()
        await w.submit(write_call, run, "ds:0", "c",
                       call("a0", step="assistant", request_json=requests[0][1]))
        with pytest.raises(RuntimeError):
            await w.submit(write_then_fail,
                           call("a1", step="assistant", request_json=requests[1][1]))
        await w.submit(write_call, run, "ds:0", "c",
                       call("a2", step="assistant", request_json=requests[2][1]))

    asyncio.run(go())
    assert store.cached_call("a1") is None
    assert store.cached_call("a2").request_json == requests[2][1]
    store.close()


def test_a_v2_store_migrates_and_replays_what_it_journaled(tmp_path, store_target):
    """A store written by the v2 bdsc (whole requests, one text row per line) opens under
    this one: it is migrated in place and every journaled call replays unchanged."""
    from bdsl.store import texts
    from bdsl.store.database import open_database
    from bdsl.store.schema import apply_schema, schema_version

    target = store_target or tmp_path / "run" / "store.sqlite"
    target_dir = tmp_path / "run"
    target_dir.mkdir()
    db = open_database(target)
    apply_schema(db, upto=2)
    requests = conversation_requests(3)
    with db.transaction():
        interner = texts.Interner(db)
        for i, (step, rj) in enumerate(requests):
            data = json.loads(rj)
            for m in data["messages"]:  # v2's encoding, written as v2 wrote it
                m[1] = interner.ids(m[1].split("\n"))
            if data.get("json_schema"):
                schema = json.dumps(data["json_schema"], sort_keys=True, separators=(",", ":"))
                data["json_schema"] = {"$text": interner.ids([schema])[0]}
            db.execute(
                "INSERT INTO llm_calls (request_hash, run_id, job_key, content_hash, step,"
                " turn_index, attempt, model, request_json, response_text, request_ref,"
                " response_ref, finish_reason, status, latency_s, created_at)"
                " VALUES (?, 1, 'ds:0', 'c', ?, 0, 0, 'm', '', '', ?, ?, 'stop', 'ok', 0, 0)",
                (f"old{i}", step, json.dumps(data, separators=(",", ":"), sort_keys=True),
                 json.dumps(interner.ids([f"You: reply {i}"]))))
    assert schema_version(db) == 2
    db.close()
    store = Store(target)
    assert schema_version(store.db) == SCHEMA_VERSION
    for i, (_step, rj) in enumerate(requests):
        back = store.cached_call(f"old{i}")
        assert back.request_json == rj and back.response_text == f"You: reply {i}"
    # new calls of the same job go on in the new encoding next to the old ones
    write_through_one_interner(store, 1, conversation_requests(2), job_key="ds:new")
    assert store.cached_call("ds:new-h3").request_json == conversation_requests(2)[3][1]
    store.close()
