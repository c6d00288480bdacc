"""Curriculum sessions exported as sessions, deliberation reasoning by convention,
meta-commentary as explanations, and the spec's `export [...]` list."""

import json

import pytest
import yaml

from bdsl.store import Store
from tests.export import signals_builder as s
from tests.export.conftest import bdsc, read_jsonl


def by_key(records, key=lambda r: r["job_key"]):
    out = {}
    for r in records:
        out.setdefault(key(r), []).append(r)
    return out


def test_openai_one_line_per_session_with_its_own_system_prompt(signals_run, tmp_path):
    out = tmp_path / "o"
    bdsc("export", signals_run, "--format", "openai", "-o", out, "--split", "1")
    lines, metas = read_jsonl(out / "train.jsonl"), read_jsonl(out / "train.meta.jsonl")
    sessions = [(line, m) for line, m in zip(lines, metas, strict=True)
                if m["job_key"] == s.PATH]
    assert [m["session"] for _, m in sessions] == [0, 1]
    (first, m0), (second, m1) = sessions
    assert m0["curriculum_id"] == m1["curriculum_id"] == s.PATH
    assert "session 1 of 2" in first["messages"][0]["content"]
    assert "earlier sessions" not in first["messages"][0]["content"]
    assert "session 2 of 2" in second["messages"][0]["content"]
    assert second["messages"][0]["content"].endswith(
        f"Where the learner is, from earlier sessions: {s.SUMMARY}")
    # each session holds only its own messages: no history across the boundary
    assert [m["content"] for m in second["messages"][1:]] == [
        "Session 2: " + s.USER[0], s.PATH_EDITED]
    # the session variables as the engine stored them, extra keys included
    assert m1["session_state"]["session"]["skills"] == ["set a limit"]
    assert m1["session_state"]["previous_summary"] == s.SUMMARY


def test_session_system_prompt_is_the_template_rendered_with_the_stored_state(
        signals_run, signals_plan, tmp_path):
    from bdsl.engine.context import JobVariables
    from bdsl.engine.prompts import PromptRenderer

    out = tmp_path / "o"
    bdsc("export", signals_run, "--format", "sharegpt", "-o", out, "--split", "1")
    rows = by_key(read_jsonl(out / "train.jsonl"), lambda r: r["metadata"]["job_key"])[s.PATH]
    job = next(j for j in signals_plan.jobs if j.key == s.PATH)
    renderer = PromptRenderer(signals_plan.templates)
    for row in rows:
        state = row["metadata"]["session_state"]
        want = renderer.render("assistant_system", **JobVariables(
            signals_plan, signals_plan.index(), job).for_step(**state))
        assert row["conversations"][0]["value"] == want


def test_hf_rows_per_session_load_with_datasets(signals_run, tmp_path, monkeypatch):
    datasets = pytest.importorskip("datasets")
    out = tmp_path / "hf"
    bdsc("export", signals_run, "--format", "hf", "-o", out, "--split", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    ds = datasets.load_dataset(str(out), cache_dir=str(tmp_path / "cache"))["train"]
    sessions = [r for r in ds if r["curriculum_id"] == s.PATH]
    assert [r["session"] for r in sessions] == [0, 1]
    assert json.loads(sessions[1]["session_state"])["session"]["learner_state"] == "flow"
    others = [r for r in ds if r["curriculum_id"] is None]
    assert {r["job_key"] for r in others} == {s.METHOD, s.BOARD}
    assert all(r["session"] is None for r in others)


def test_legacy_curriculum_without_session_state_notes(signals_plan, tmp_path):
    """Conversations stored before the engine wrote session_state notes: the same values
    rebuilt from the plan's sessions and the stored summary."""
    run = tmp_path / "run"
    s.build_signals_store(run, signals_plan)
    store = Store.open(run)
    store.db.execute("DELETE FROM turns WHERE label='session_state'")
    store.close()
    out = tmp_path / "o"
    bdsc("export", run, "--format", "openai", "-o", out, "--split", "1", "--dataset", "path")
    metas = read_jsonl(out / "train.meta.jsonl")
    assert [m["session_state"]["previous_summary"] for m in metas] == ["", s.SUMMARY]
    assert "skills" not in metas[1]["session_state"]["session"]  # not stored: not invented


def test_reasoning_think_block_in_openai_and_sharegpt(signals_run, tmp_path):
    out = tmp_path / "o"
    bdsc("export", signals_run, "--format", "openai", "-o", out, "--split", "1",
         "--reasoning", "think", "--dataset", "board")
    [line] = read_jsonl(out / "train.jsonl")
    reply = line["messages"][2]["content"]
    assert reply == (f"<think>\nplanner: {s.PERSPECTIVES[0][1]} (turn 1)\n\n"
                     f"skeptic: {s.PERSPECTIVES[1][1]} (turn 1)\n</think>\n\n{s.SYNTHESES[0]}")
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["filters"]["reasoning"] == "think"
    out2 = tmp_path / "sg"
    bdsc("export", signals_run, "--format", "sharegpt", "-o", out2, "--split", "1",
         "--reasoning", "think", "--dataset", "board")
    [row] = read_jsonl(out2 / "train.jsonl")
    assert row["conversations"][2]["value"] == reply


def test_reasoning_field_on_hf_messages(signals_run, tmp_path):
    from bdsl.export.trl_checks import conversational_errors

    out = tmp_path / "hf"
    bdsc("export", signals_run, "--format", "hf", "-o", out, "--split", "1",
         "--reasoning", "field")
    rows = by_key(read_jsonl(out / "train.jsonl"))
    [board] = rows[s.BOARD]
    reply = board["messages"][2]
    assert reply["content"] == s.SYNTHESES[0]
    assert reply["reasoning_content"].startswith(f"planner: {s.PERSPECTIVES[0][1]}")
    [method] = rows[s.METHOD]
    assert not any("reasoning_content" in m for m in method["messages"])
    assert all(conversational_errors(r) == [] for rs in rows.values() for r in rs)


def test_reasoning_none_leaves_perspectives_out(signals_run, tmp_path):
    out = tmp_path / "o"
    bdsc("export", signals_run, "--format", "openai", "-o", out, "--split", "1")
    text = (out / "train.jsonl").read_text()
    assert s.PERSPECTIVES[0][1] not in text and "<think>" not in text


@pytest.mark.parametrize("fmt", ["openai", "sharegpt", "brightrun-v4", "dpo"])
def test_reasoning_a_format_cannot_carry_is_refused(signals_run, tmp_path, fmt):
    err = bdsc("export", signals_run, "--format", fmt, "-o", tmp_path / "o", "--reasoning",
               "field", code=2)
    assert f"error: {fmt} cannot carry reasoning as 'field'" in err


def test_meta_commentary_as_explanations_column(signals_run, tmp_path):
    out = tmp_path / "hf"
    bdsc("export", signals_run, "--format", "hf", "-o", out, "--split", "1")
    [method] = by_key(read_jsonl(out / "train.jsonl"))[s.METHOD]
    assert method["explanations"] == [{"message_index": 2, "text": s.META[0]},
                                      {"message_index": 4, "text": s.META[1]}]


def test_hf_weights_for_axolotl_and_llama_factory(signals_run, tmp_path):
    """skip_first: every message says whether it is trained on; axolotl reads that field,
    LLaMA-Factory gets one record per trained reply."""
    out = tmp_path / "hf"
    bdsc("export", signals_run, "--format", "hf", "-o", out, "--split", "1")
    [method] = by_key(read_jsonl(out / "train.jsonl"))[s.METHOD]
    assert [m["train"] for m in method["messages"]] == [False, False, False, False, True]
    axolotl = yaml.safe_load((out / "axolotl.yaml").read_text())["datasets"][0]
    assert axolotl["roles_to_train"] == [] and axolotl["message_field_training"] == "train"
    info = json.loads((out / "dataset_info.json").read_text())
    assert info["signals-test"]["file_name"] == "train.llamafactory.jsonl"
    assert yaml.safe_load((out / "llamafactory.yaml").read_text())["mask_history"] is True
    lf = by_key(read_jsonl(out / "train.llamafactory.jsonl"))
    # the method conversation: only its second reply is trained -> one record ending with it
    [record] = lf[s.METHOD]
    assert record["messages"][-1] == {"role": "assistant", "content": s.EDITED}
    assert len(lf[s.BOARD]) == 2 and len(lf[s.PATH]) == 2  # every reply trained


def test_unweighted_hf_export_trains_every_assistant_turn(run_dir, tmp_path):
    out = tmp_path / "hf"
    bdsc("export", run_dir, "--format", "hf", "-o", out, "--split", "1", "--dataset", "board")
    row = read_jsonl(out / "train.jsonl")[0]
    assert all(set(m) == {"role", "content"} for m in row["messages"])
    axolotl = yaml.safe_load((out / "axolotl.yaml").read_text())["datasets"][0]
    assert axolotl["roles_to_train"] == ["assistant"] and "message_field_training" not in axolotl
    assert json.loads((out / "dataset_info.json").read_text())["export-test"]["file_name"] == \
        "train.jsonl"
    assert not (out / "llamafactory.yaml").exists()


def test_spec_export_list_writes_every_format_in_its_own_folder(signals_run, tmp_path):
    out = tmp_path / "all"
    text = bdsc("export", signals_run, "-o", out, "--split", "1", "--reasoning", "think")
    formats = ["openai", "sharegpt", "hf", "dpo", "openai-dpo", "brightrun-v4"]
    assert sorted(p.name for p in out.iterdir()) == sorted(formats)
    for fmt in formats:
        manifest = json.loads((out / fmt / "manifest.json").read_text())
        assert manifest["format"] == fmt
        assert set(manifest["records"]) == {s.METHOD, s.BOARD, s.PATH}, fmt
        # reasoning where the format can carry it as asked, else none
        assert manifest["filters"]["reasoning"] == ("think" if fmt in ("openai", "sharegpt",
                                                                       "hf") else "none")
    assert text.rstrip().splitlines()[-1].startswith("6 formats in ")
    # again into the same folder: replaced, not refused
    bdsc("export", signals_run, "-o", out, "--split", "1")


def test_spec_export_refuses_a_folder_with_other_files(signals_run, tmp_path):
    out = tmp_path / "all"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    err = bdsc("export", signals_run, "-o", out, code=2)
    assert "holds notes.txt, which no earlier spec export wrote" in err
    assert (out / "notes.txt").read_text() == "mine"


def test_spec_export_skips_a_listed_format_with_nothing_to_hold(signals_plan, tmp_path):
    """The curriculum without its reviewer edit makes no pairs: dpo and openai-dpo are
    listed, said to be empty, and not written."""
    run = tmp_path / "run"
    s.build_signals_store(run, signals_plan, curriculum_edit=False)
    out = tmp_path / "all"
    text = bdsc("export", run, "-o", out, "--dataset", "path")
    assert sorted(p.name for p in out.iterdir()) == ["brightrun-v4", "hf", "openai", "sharegpt"]
    assert "dpo: nothing written (nothing to write as dpo: the exported conversations hold " \
           "no preference pairs" in text
    assert "openai-dpo: nothing written" in text and "6 formats in" in text


def test_explicit_format_with_nothing_to_hold_is_an_error(signals_plan, tmp_path):
    run = tmp_path / "run"
    s.build_signals_store(run, signals_plan, curriculum_edit=False)
    err = bdsc("export", run, "--format", "dpo", "-o", tmp_path / "o", "--dataset", "path",
               code=2)
    assert err.startswith("error: nothing to write as dpo")
