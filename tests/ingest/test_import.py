"""`bdsc import FILE --spec SPEC --out RUN`: a Bright Run user's files as a run store that
`bdsc score`, `bdsc review` and `bdsc export` work on."""

import asyncio
import json

import pytest

from bdsl.gates.score import load_run_plan
from bdsl.store import Store, conversations
from tests.export import builder as b
from tests.export.conftest import bdsc, read_jsonl


@pytest.fixture
def brightrun_file(run_dir, tmp_path):
    out = tmp_path / "br"
    bdsc("export", run_dir, "--format", "brightrun-v4", "-o", out, "--split", "1")
    return out / "train.json"


def stored(run):
    store = Store.open_readonly(run)
    try:
        return {c.job_key: c for c in conversations(store)}
    finally:
        store.close()


def test_import_brightrun_into_a_run_store(brightrun_file, tmp_path):
    run = tmp_path / "imported"
    text = bdsc("import", brightrun_file, "--spec", b.SPEC, "--out", run, "--dataset", "money")
    assert text.startswith(f"imported 3 conversations (10 messages, brightrun-v4) into {run} "
                           "as dataset money; named spec entities: 3 user, 2 arc, 3 topic; "
                           "system prompts from the file: 3")
    data = json.loads(brightrun_file.read_text())
    ids = [c["conversation_metadata"]["conversation_id"] for c in data["conversations"]]
    convs = stored(run)
    assert sorted(convs) == sorted(f"money:{i}" for i in ids)  # jobs keyed by the source ids
    plan = load_run_plan(run)
    assert [d.name for d in plan.datasets] == ["money"]
    job = next(j for j in plan.jobs if j.key == f"money:{ids[1]}")
    assert (job.context.user, job.context.arc, job.context.topic) == \
        ("saver", "worry_to_plan", "budget")
    assert job.gates == ("not_truncated", "empathy", "clarity")  # the dataset's gates
    conv = convs[job.key]
    assert [t.content for t in conv.turns][-1] == b.EDITED_TEXT
    assert [t.train for t in conv.turns if t.role == "assistant"] == [False, True]
    imported = conv.provenance["import"]
    assert imported["source_id"] == ids[1] and imported["format"] == "brightrun-v4"
    assert imported["messages"][0]["emotional_state"]["primary"] == "anxiety"
    assert conv.model == "import:brightrun-v4"


def test_score_and_export_work_on_imported_data(brightrun_file, tmp_path):
    """Gated by the spec (here not_truncated only: a fake judge would fail them all), then
    exported again: the same conversations, ids, scaffolding and recorded emotions."""
    spec = tmp_path / "spec.bds"
    text = b.SPEC.read_text()
    spec.write_text(text.replace("gates [not_truncated, empathy, clarity]",
                                 "gates [not_truncated]"))
    run = tmp_path / "imported"
    bdsc("import", brightrun_file, "--spec", spec, "--out", run, "--dataset", "money")
    assert "gates: 3 pass" in bdsc("score", run)
    again = tmp_path / "again"
    bdsc("export", run, "--format", "brightrun-v4", "-o", again, "--split", "1")
    # whatever the gates decided, what was exported is the file's conversations, same ids
    before = json.loads(brightrun_file.read_text())
    after = json.loads((again / "train.json").read_text())
    by_id = {c["conversation_metadata"]["conversation_id"]: c for c in before["conversations"]}
    for conv in after["conversations"]:
        cid = conv["conversation_metadata"]["conversation_id"]
        old = by_id[cid]
        assert conv["conversation_metadata"]["scaffolding"] == \
            old["conversation_metadata"]["scaffolding"]
        assert [(p["current_user_input"], p["target_response"], p["system_prompt"])
                for p in conv["training_pairs"]] == \
            [(p["current_user_input"], p["target_response"], p["system_prompt"])
             for p in old["training_pairs"]]
        assert [h["emotional_state"] for p in conv["training_pairs"]
                for h in p["conversation_history"]] == \
            [h["emotional_state"] for p in old["training_pairs"]
             for h in p["conversation_history"]]


def test_review_tui_opens_imported_data(brightrun_file, tmp_path):
    from textual.widgets import DataTable

    from bdsl.tui.app import ReviewApp

    run = tmp_path / "imported"
    bdsc("import", brightrun_file, "--spec", b.SPEC, "--out", run, "--dataset", "money")

    async def go():
        app = ReviewApp(Store.open(run), load_run_plan(run), "ana", "brand")
        async with app.run_test(size=(120, 40)) as pilot:
            assert app.screen.query_one(DataTable).row_count == 3
            await pilot.press("enter")
            await pilot.press("a")
            await pilot.pause()
    asyncio.run(go())
    store = Store.open_readonly(run)
    assert store.db.execute("SELECT decision FROM reviews").fetchall() == [("approve",)]
    store.close()


def test_import_openai_jsonl(run_dir, tmp_path):
    out = tmp_path / "o"
    bdsc("export", run_dir, "--format", "openai", "-o", out, "--split", "1")
    run = tmp_path / "imported"
    bdsc("import", out / "train.jsonl", "--spec", b.SPEC, "--out", run)
    bdsc("score", run)
    convs = stored(run)
    assert sorted(convs) == ["board:train-1", "board:train-2", "board:train-3"]  # first dataset
    lines = read_jsonl(out / "train.jsonl")
    for n, line in enumerate(lines, 1):
        conv = convs[f"board:train-{n}"]
        assert [t.content for t in conv.turns] == [m["content"] for m in line["messages"][1:]]
        assert [t.train for t in conv.turns if t.role == "assistant"] == [
            m.get("weight", 1) == 1 for m in line["messages"] if m["role"] == "assistant"]
    again = tmp_path / "again"
    bdsc("export", run, "--format", "openai", "-o", again, "--split", "1")
    assert sorted(json.dumps(x, sort_keys=True) for x in read_jsonl(again / "train.jsonl")) == \
        sorted(json.dumps(x, sort_keys=True) for x in lines)


def test_import_errors_are_one_line(tmp_path, brightrun_file):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"messages": [{"role": "user", "content": "a"}]}\n{oops\n')
    err = bdsc("import", bad, "--spec", b.SPEC, "--out", tmp_path / "r", code=2)
    assert err.strip() == f"error: {bad}:2:2: not JSON (Expecting property name enclosed " \
                          "in double quotes)"
    assert not (tmp_path / "r" / "store.sqlite").exists()
    err = bdsc("import", brightrun_file, "--spec", b.SPEC, "--out", tmp_path / "r",
               "--dataset", "nope", code=2)
    assert "unknown dataset 'nope'; the spec has: board, money" in err
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    err = bdsc("import", brightrun_file, "--spec", b.SPEC, "--out", tmp_path / "full", code=2)
    assert "is not an empty folder" in err
    err = bdsc("import", tmp_path / "missing.json", "--spec", b.SPEC, "--out", tmp_path / "r",
               code=2)
    assert "missing.json: no such file" in err


def test_a_reply_the_file_says_was_cut_off_fails_not_truncated(tmp_path):
    data = tmp_path / "cut.jsonl"
    data.write_text(json.dumps({"id": "c1", "messages": [
        {"role": "user", "content": "How do I start a budget?"},
        {"role": "assistant", "content": "Start by listing every", "finish_reason": "length"},
    ]}) + "\n")
    run = tmp_path / "imported"
    bdsc("import", data, "--spec", b.SPEC, "--out", run)
    bdsc("score", run)
    store = Store.open_readonly(run)
    try:
        [(passed, reason, details)] = store.db.execute(
            "SELECT passed, reason, details_json FROM gate_results "
            "WHERE gate = 'not_truncated'").fetchall()
    finally:
        store.close()
    # a hard failure from the recorded finish_reason, not the soft mid-sentence heuristic
    assert not passed and reason == "truncated or empty turns: [1]"
    assert json.loads(details)["soft"] is False
