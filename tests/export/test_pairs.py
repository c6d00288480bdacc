"""Preference pairs (dpo, openai-dpo) from the hand-built signals store: contrastive,
bad synthesis and reviewer-edit pairs, each sharing exactly the generated context."""

import json

import pytest

from bdsl.export.trl_checks import preference_errors
from tests.export import signals_builder as s
from tests.export.conftest import bdsc, read_jsonl


def pairs_by_source(out, job_key=None):
    return {r["source"]: r for r in read_jsonl(out / "train.jsonl")
            if job_key in (None, r["job_key"]) and r["session"] is None}


def test_dpo_rows_name_source_and_job_and_share_the_generated_context(signals_run, tmp_path):
    out = tmp_path / "dpo"
    text = bdsc("export", signals_run, "--format", "dpo", "-o", out, "--split", "1")
    assert "(4 pairs: 1 bad_synthesis, 1 contrastive, 2 reviewer_edit)" in text
    rows = pairs_by_source(out)
    assert all(preference_errors(r) == [] for r in rows.values())
    contrastive = rows["contrastive"]
    assert contrastive["job_key"] == s.METHOD and contrastive["kind"] == "contrastive"
    # the method reply (as the reviewer edited it) against the conventional reply
    assert contrastive["chosen"] == [{"role": "assistant", "content": s.EDITED}]
    assert contrastive["rejected"] == [{"role": "assistant", "content": s.CONVENTIONAL[1]}]
    assert contrastive["chosen_edited"] is True
    assert contrastive["explanation"] == s.META[1]
    # the context both replies were generated for: system, then the history as generated
    prompt = contrastive["prompt"]
    assert prompt[0]["role"] == "system" and "ask_first method" in prompt[0]["content"]
    assert [m["content"] for m in prompt[1:]] == [s.USER[0], s.METHOD_REPLIES[0], s.USER[1]]
    edit = rows["reviewer_edit"]
    assert (edit["chosen"][0]["content"], edit["rejected"][0]["content"]) == \
        (s.EDITED, s.METHOD_REPLIES[1])
    assert edit["prompt"] == prompt and edit["chosen_edited"] is False
    bad = rows["bad_synthesis"]
    assert bad["job_key"] == s.BOARD
    assert (bad["chosen"][0]["content"], bad["rejected"][0]["content"]) == \
        (s.SYNTHESES[1], s.BAD_SYNTHESIS)
    assert [m["content"] for m in bad["prompt"][1:]] == [s.USER[0], s.SYNTHESES[0], s.USER[1]]
    assert bad["message_index"] == 4 and bad["turn_index"] == 3


def test_a_curriculum_pair_is_in_its_session(signals_run, tmp_path):
    """A reviewer's edit of the second session's reply: the pair's prompt is that
    session's system prompt and that session's history only."""
    out = tmp_path / "dpo"
    bdsc("export", signals_run, "--format", "dpo", "-o", out, "--split", "1")
    [pair] = [r for r in read_jsonl(out / "train.jsonl") if r["job_key"] == s.PATH]
    assert (pair["source"], pair["curriculum_id"], pair["session"]) == \
        ("reviewer_edit", s.PATH, 1)
    assert pair["chosen"][0]["content"] == s.PATH_EDITED
    assert pair["rejected"][0]["content"] == s.PATH_REPLY.format(n=2)
    system, *history = pair["prompt"]
    assert "session 2 of 2" in system["content"] and s.SUMMARY in system["content"]
    assert history == [{"role": "user", "content": "Session 2: " + s.USER[0]}]


def test_untrained_turns_give_no_pair_and_are_counted(signals_run, tmp_path):
    """The method dataset trains with skip_first: its first reply's contrast is left out."""
    out = tmp_path / "dpo"
    bdsc("export", signals_run, "--format", "dpo", "-o", out, "--split", "1")
    check = json.loads((out / "manifest.json").read_text())["checks"]["preference_pairs"]
    assert check == {"pairs": 4, "by_source": {"bad_synthesis": 1, "contrastive": 1,
                                               "reviewer_edit": 2},
                     "left_out_untrained": {"contrastive": 1}, "identical_texts": 0,
                     "warnings": []}
    card = (out / "README.md").read_text()
    assert "| contrastive | 1 |" in card and "| reviewer_edit | 2 |" in card
    assert "- left out (turns the spec does not train on): 1 contrastive" in card


def test_edit_pairs_only_where_the_spec_allows(signals_plan, tmp_path):
    from tests.export import builder as b

    plan = b.compile_plan(s.SPEC, replace={"  edit_pairs true\n": ""})  # both datasets
    run = tmp_path / "run"
    s.build_signals_store(run, plan)
    out = tmp_path / "dpo"
    bdsc("export", run, "--format", "dpo", "-o", out, "--split", "1")
    assert set(pairs_by_source(out)) == {"contrastive", "bad_synthesis"}


def test_openai_dpo_lines_and_meta_sidecar(signals_run, tmp_path):
    from bdsl.export.openai_dpo import record_errors

    out = tmp_path / "odpo"
    bdsc("export", signals_run, "--format", "openai-dpo", "-o", out, "--split", "1")
    lines, metas = read_jsonl(out / "train.jsonl"), read_jsonl(out / "train.meta.jsonl")
    assert len(lines) == len(metas) == 4
    for line, meta in zip(lines, metas, strict=True):
        assert set(line) == {"input", "preferred_output", "non_preferred_output"}
        assert record_errors(line) == []
        assert line["input"]["messages"][-1]["role"] == "user"
        assert meta["source"] in ("contrastive", "bad_synthesis", "reviewer_edit")
    by_source = {m["source"]: line for line, m in zip(lines, metas, strict=True)}
    assert by_source["bad_synthesis"]["non_preferred_output"] == [
        {"role": "assistant", "content": s.BAD_SYNTHESIS}]


def test_openai_dpo_record_checks_catch_bad_structure():
    from bdsl.export.openai_dpo import record_errors

    good = {"input": {"messages": [{"role": "user", "content": "u"}]},
            "preferred_output": [{"role": "assistant", "content": "a"}],
            "non_preferred_output": [{"role": "assistant", "content": "b"}]}
    assert record_errors(good) == []
    assert record_errors({**good, "extra": 1}) == ["unrecognized_key"]
    assert record_errors({**good, "preferred_output": []}) == ["invalid_preferred_output"]
    assert record_errors({**good, "input": {"messages": [{"role": "tool", "content": "x"}]}}) \
        == ["unrecognized_role"]


def test_dpo_loads_with_datasets_offline(signals_run, tmp_path, monkeypatch):
    datasets = pytest.importorskip("datasets")
    out = tmp_path / "dpo"
    bdsc("export", signals_run, "--format", "dpo", "-o", out, "--split", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    ds = datasets.load_dataset(str(out), cache_dir=str(tmp_path / "cache"))["train"]
    assert ds.num_rows == 4
    assert {"prompt", "chosen", "rejected", "source", "job_key"} <= set(ds.column_names)
    parquet = datasets.load_dataset("parquet", data_files=str(out / "train.parquet"),
                                    cache_dir=str(tmp_path / "cache2"))["train"]
    assert parquet["pair_id"] == ds["pair_id"]


def test_no_pairs_is_a_clear_error(run_dir, tmp_path):
    """The test store's money dataset has no alternates and no edit_pairs."""
    err = bdsc("export", run_dir, "--format", "openai-dpo", "-o", tmp_path / "o",
               "--dataset", "money", code=2)
    assert "nothing to write as openai-dpo: the exported conversations hold no preference " \
           "pairs" in err
    assert not (tmp_path / "o").exists()
