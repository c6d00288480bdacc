"""Which conversations go out: bdsl.outcomes' review states, edits, turn kinds, the split."""

import attrs
import pytest

from bdsl.export.select import exportable, select, split_of
from bdsl.outcomes import GateSummary, ReviewState
from bdsl.store import Store
from tests.export import builder as b


def selected(run_dir, plan, **kw):
    store = Store.open(run_dir)
    try:
        return select(store, plan, **kw)
    finally:
        store.close()


def keys(sel):
    return {i.job.key for i in sel.items}


def test_default_exports_only_approved_and_unsampled(run_dir, plan):
    sel = selected(run_dir, plan)
    assert keys(sel) == {b.APPROVED, b.UNSAMPLED, b.BOARD}
    assert {i.review.state for i in sel.items} == {"approved", "accepted_unsampled"}
    assert sel.left_out == {"awaiting_review": 1, "awaiting_review/needs_review": 1,
                            "blocked": 1, "rejected": 1}
    assert sel.considered == 7


def test_include_unreviewed_adds_only_awaiting_that_passed(run_dir, plan):
    sel = selected(run_dir, plan, include_unreviewed=True)
    assert keys(sel) == {b.APPROVED, b.UNSAMPLED, b.BOARD, b.AWAITING}
    # soft gate failure, failed gates and rejection stay out
    assert sel.left_out == {"awaiting_review/needs_review": 1, "blocked": 1, "rejected": 1}


def test_revision_request_holds_an_approved_conversation(run_dir, plan):
    store = Store.open(run_dir)
    cid = store.db.execute("SELECT id FROM conversations WHERE job_key=?",
                           (b.APPROVED,)).fetchone()[0]
    b.add_review(store.db, cid, "cy", "clinical", "revise", "too long", at=b.T0 + 99)
    store.close()
    sel = selected(run_dir, plan, include_unreviewed=True)
    assert b.APPROVED not in keys(sel) and sel.left_out["needs_revision"] == 1


def test_only_the_current_version_of_a_job(run_dir, plan):
    """An older generation of an approved job is neither exported nor counted."""
    store = Store.open(run_dir)
    job = next(j for j in plan.jobs if j.key == b.UNSAMPLED)
    run_id = store.db.execute("SELECT MAX(id) FROM runs").fetchone()[0]
    store.finish_job(run_id, job, "old-hash", job.model.name, {}, b.turns_for(job, 99),
                     b.Usage(), b.T0, b.provenance(plan, job, "old-hash"))
    store.close()
    sel = selected(run_dir, plan)
    assert sel.considered == 7
    item = next(i for i in sel.items if i.job.key == b.UNSAMPLED)
    assert item.conv.content_hash == job.content_hash
    assert all("[99]" not in m.content for m in item.messages)


def test_unreviewed_rules_for_unscored_and_gateless_jobs(plan):
    job = plan.jobs[1]
    awaiting = ReviewState("awaiting_review")
    unscored = GateSummary("unscored", (), ())
    assert exportable(awaiting, unscored, job, include_unreviewed=True) == \
        "awaiting_review/unscored"
    gateless = attrs.evolve(job, gates=())
    assert exportable(awaiting, unscored, gateless, include_unreviewed=True) is None
    assert exportable(awaiting, unscored, gateless, include_unreviewed=False) == \
        "awaiting_review"
    assert exportable(ReviewState("blocked"), GateSummary("fail", ("x",), ()), job,
                      include_unreviewed=True) == "blocked"


def test_reviewer_edit_replaces_the_turn_and_is_marked(run_dir, plan):
    item = next(i for i in selected(run_dir, plan).items if i.job.key == b.APPROVED)
    edited = [m for m in item.messages if m.edited]
    assert [(m.seq, m.content) for m in edited] == [(3, b.EDITED_TEXT)]
    assert all(not m.edited for m in item.messages if m.seq != 3)
    original = next(t for t in item.conv.turns if t.seq == 3)
    assert original.content != b.EDITED_TEXT  # the store keeps the generated text


def test_hidden_and_alternate_turns_are_not_messages(run_dir, plan):
    item = next(i for i in selected(run_dir, plan).items if i.job.key == b.BOARD)
    assert {t.kind for t in item.conv.turns} == {"message", "hidden", "alternate"}
    assert [(m.role, m.content) for m in item.messages] == [
        ("user", "Should I pay rent or the card first?"),
        ("assistant", "Pay rent first, then the card minimum.")]


def test_train_flags_come_from_the_turns(run_dir, plan):
    item = next(i for i in selected(run_dir, plan).items if i.job.key == b.UNSAMPLED)
    assert [m.train for m in item.messages if m.role == "assistant"] == [False, True]


def test_system_prompt_is_the_assistant_persona(run_dir, plan):
    item = selected(run_dir, plan).items[0]
    assert item.system.startswith("You are Robin. A warm money coach.")
    for part in ("Voice: plain words, short sentences", "warmth 0.9",
                 "one step at a time", "never promises outcomes"):
        assert part in item.system


def test_split_is_a_stable_function_of_seed_and_key():
    assert split_of("k:1", 0, 0.5) == split_of("k:1", 0, 0.5)
    keys_ = [f"money:{i}" for i in range(400)]
    train = [k for k in keys_ if split_of(k, 0, 0.9) == "train"]
    assert 330 < len(train) < 390  # about 90%
    other_seed = [k for k in keys_ if split_of(k, 1, 0.9) == "train"]
    assert train != other_seed
    assert all(split_of(k, 0, 1.0) == "train" for k in keys_)
    assert all(split_of(k, 0, 0.0) == "validation" for k in keys_)
    # growing the train fraction only moves records into train
    assert set(train) <= {k for k in keys_ if split_of(k, 0, 0.95) == "train"}


@pytest.mark.parametrize("seed", [0, 7])
def test_split_of_an_export_does_not_depend_on_store_order(run_dir, plan, seed):
    a = {i.job.key: i.split for i in selected(run_dir, plan, seed=seed, train_fraction=0.5).items}
    assert a == {k: split_of(k, seed, 0.5) for k in a}
