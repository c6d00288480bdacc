"""Truncation, caching, incremental reruns and budget caps."""

import asyncio

import attrs
import pytest

from bdsl import ir
from bdsl.engine.executor import RunOptions, execute
from bdsl.engine.port import CallResult
from bdsl.serialize import canonical_hash, to_data
from bdsl.store import Store, conversations, status
from tests.engine.plans import ScriptedCompleter, job, plan


def go(store, p, completer, **options):
    return asyncio.run(execute(p, store, completer, RunOptions(**options)))


def truncated(req):
    return CallResult("half a sent", "length", 10, req.max_tokens or 0, 0.001, 0.0)


def test_truncated_reply_is_retried_with_more_room_and_never_stored(tmp_path):
    def script(req):
        if not req.json_schema and req.max_tokens == 64:  # attempt 0 of every text step
            return truncated(req)
        return None

    store = Store.open(tmp_path)
    outcome = go(store, plan(job("ds:a")), ScriptedCompleter(script))
    assert outcome.status == "done"
    [conv] = conversations(store)
    assert all("half a sent" not in t.content for t in conv.turns)
    assert status(store)["truncated_calls"] == 4
    # the paid truncated calls are journaled, so a rerun pays for none of them again
    for table in ("annotations", "turns", "conversations"):  # force a recompute of the job
        store.db.execute(f"DELETE FROM {table}")
    store.db.execute("UPDATE jobs SET state='pending'")
    again = ScriptedCompleter(script)
    assert go(store, plan(job("ds:a")), again).status == "done"
    assert again.requests == []


def test_always_truncated_fails_the_job_and_stores_no_turns(tmp_path):
    store = Store.open(tmp_path)
    completer = ScriptedCompleter(lambda r: None if r.json_schema else truncated(r))
    outcome = go(store, plan(job("ds:a")), completer)
    assert outcome.status == "failed" and outcome.failed == 1
    assert store.db.execute("SELECT COUNT(*) FROM turns").fetchone()[0] == 0
    [failure] = status(store)["failures"]
    assert "truncated" in failure["error"]
    # failed jobs are retried on a rerun, replaying the journal at no cost
    again = ScriptedCompleter(lambda r: None if r.json_schema else truncated(r))
    assert go(store, plan(job("ds:a")), again).failed == 1 and again.requests == []


def test_rerun_of_unchanged_plan_makes_zero_calls(tmp_path):
    store = Store.open(tmp_path)
    p = plan()
    first = ScriptedCompleter()
    out1 = go(store, p, first)
    assert out1.done == 3 and out1.calls_made == len(first.requests) == 24
    second = ScriptedCompleter()
    out2 = go(store, p, second)
    assert second.requests == [] and out2.reused == 3 and out2.calls_made == 0
    assert store.db.execute("SELECT COUNT(*) FROM conversations").fetchone()[0] == 3


def test_changing_one_job_regenerates_only_that_job(tmp_path):
    store = Store.open(tmp_path)
    jobs = [job(f"ds:{i}", seed=i) for i in range(3)]
    go(store, plan(*jobs), ScriptedCompleter())
    changed = attrs.evolve(jobs[1], seed=99)
    changed = attrs.evolve(changed, content_hash=canonical_hash(to_data(
        attrs.evolve(changed, content_hash=""))))
    second = ScriptedCompleter()
    out = go(store, plan(jobs[0], changed, jobs[2]), second)
    assert (out.reused, out.regenerated, out.new) == (2, 1, 0)
    assert len(second.requests) == 8 and {r.seed for r in second.requests} == {99}
    current = {c.job_key: c.content_hash for c in conversations(store)}
    assert current["ds:1"] == changed.content_hash
    assert len(list(conversations(store, current=False))) == 4  # the old version is kept


def test_model_override_is_part_of_the_cache_key(tmp_path):
    store = Store.open(tmp_path)
    go(store, plan(job("ds:a")), ScriptedCompleter())
    other = ScriptedCompleter()
    out = go(store, plan(job("ds:a")), other, model="fake/other")
    assert out.regenerated == 1 and {r.model for r in other.requests} == {"fake/other"}


def test_token_budget_stops_cleanly_and_a_higher_cap_continues(tmp_path):
    store = Store.open(tmp_path)
    p = plan(*[job(f"ds:{i}", seed=i) for i in range(4)])
    out = go(store, p, ScriptedCompleter(), max_tokens=150, concurrency=1)
    # each call is 15 tokens: the 10th call reaches 150, so the second job stops mid-way
    assert out.status == "stopped_budget" and "token budget" in out.stop_reason
    assert out.done == 1 and out.pending == 3 and out.calls_made == 10
    assert store.db.execute("SELECT COUNT(*) FROM turns").fetchone()[0] == 4
    more = ScriptedCompleter()
    out2 = go(store, p, more, max_tokens=10_000, concurrency=1)
    assert out2.status == "done" and out2.done == 4
    assert out2.cache_hits == 2 and len(more.requests) == 4 * 8 - 10
    assert store.spent().calls == 32


def test_cost_budget_counts_spend_of_earlier_runs(tmp_path):
    store = Store.open(tmp_path)
    p = plan(*[job(f"ds:{i}", seed=i) for i in range(2)])
    go(store, p, ScriptedCompleter(cost=0.01), limit=1)
    assert store.spent().cost == 0.08
    out = go(store, p, ScriptedCompleter(cost=0.01), max_cost=0.08)
    assert out.status == "stopped_budget" and out.calls_made == 0 and out.done == 1


def test_unknown_job_kind_cannot_enter_the_ir():
    import pytest

    with pytest.raises(ValueError, match="'poetry' is not a valid JobKind"):
        attrs.evolve(job("ds:a"), kind="poetry")


def test_plan_without_templates_is_a_config_error(tmp_path):
    import pytest

    from bdsl.engine.executor import ConfigError

    with pytest.raises(ConfigError, match="template `annotate` is not in the plan"):
        go(Store.open(tmp_path), attrs.evolve(plan(job("ds:a")), templates=tuple(
            t for t in plan().templates if t.name != "annotate")), ScriptedCompleter())


def test_ir_is_unchanged_by_the_engine():
    assert ir.PLAN_FORMAT == 1


def test_a_prompt_too_large_for_the_store_is_refused_before_it_is_paid(tmp_path, monkeypatch):
    from bdsl.engine.calls import Budget, CallJournal, Counters
    from bdsl.engine.port import CallRequest
    from bdsl.store import texts

    monkeypatch.setattr(texts, "MAX_TEXT_BYTES", 1000)
    store = Store.open(tmp_path)
    completer = ScriptedCompleter()
    journal = CallJournal(store, store.start_run(plan(), "", {}), completer, Budget(),
                          Counters())
    request = CallRequest("fake/echo", (("user", "x" * 2000),))
    with pytest.raises(texts.TextTooLarge, match="limit for one message"):
        asyncio.run(journal.call("ds:a", "c", "user", 0, 0, request))
    assert completer.requests == [] and store.spent().calls == 0
    store.close()
