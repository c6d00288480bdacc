"""sharegpt, hf (TRL conversational, dataset card, datasets.load_dataset) and brightrun-v4."""

import json

import pytest
import yaml

from bdsl.export.trl_checks import conversational_errors, is_conversational
from tests.export import builder as b
from tests.export.conftest import export_records


def test_sharegpt_speakers_and_metadata(run_dir, tmp_path):
    _, recs = export_records(run_dir, tmp_path, "sharegpt", "--split", "1")
    by_key = {r["metadata"]["job_key"]: r for r in recs["train"]}
    assert set(by_key) == {b.APPROVED, b.UNSAMPLED, b.BOARD}
    rec = by_key[b.APPROVED]
    assert [t["from"] for t in rec["conversations"]] == ["system", "human", "gpt", "human", "gpt"]
    assert rec["conversations"][4]["value"] == b.EDITED_TEXT
    meta = rec["metadata"]
    assert meta["edited_turns"] == [4] and meta["untrained_turns"] == [2]
    assert meta["spec_version"] == "3.1.0" and meta["regulations"] == {"FINRA-2210": "2024-09"}
    assert meta["review_state"] == "approved" and meta["human_reviewed"] is True


def test_trl_structure_check():
    good = {"messages": [{"role": "user", "content": "u"},
                         {"role": "assistant", "content": "a"}]}
    assert is_conversational(good) and conversational_errors(good) == []
    assert not is_conversational({"text": "x"})
    assert conversational_errors({"messages": [{"role": "user", "content": "u"}]}) == [
        "no assistant message"]
    assert conversational_errors({"messages": [{"role": "gpt", "content": "a"}]})[0] == \
        "message 0: unknown role 'gpt'"


def test_hf_records_are_conversational_with_metadata_columns(run_dir, tmp_path):
    out, recs = export_records(run_dir, tmp_path, "hf", "--split", "1")
    rows = recs["train"]
    assert all(conversational_errors(r) == [] for r in rows)
    row = next(r for r in rows if r["job_key"] == b.APPROVED)
    assert row["spec_version"] == "3.1.0"
    assert row["regulations"] == [{"id": "FINRA-2210", "version": "2024-09"}]
    assert row["judge_scores"] == [{"metric": "clarity", "score": 0.9},
                                   {"metric": "empathy", "score": 0.82}]
    assert row["edited_turns"] == [4] and row["untrained_turns"] == [2]
    assert (out / "train.parquet").exists()  # pyarrow is a test dependency


def test_hf_dataset_card(run_dir, tmp_path):
    out, _ = export_records(run_dir, tmp_path, "hf", "--split", "0.5")
    text = (out / "README.md").read_text()
    header = yaml.safe_load(text.split("---")[1])
    files = {s["split"]: s["path"] for s in header["configs"][0]["data_files"]}
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(files) == {s for s in ("train", "validation") if manifest["counts"][s]}
    assert "| not_truncated | 6 | 7 | 85.7% |" in text  # over all 7 conversations
    assert "| empathy | 5 | 6 | 83.3% |" in text
    assert "| blocked | 1 |" in text and "| rejected | 1 |" in text
    assert "- exported: 3 (1 human reviewed, 2 not reviewed)" in text
    assert "- regulations: FINRA-2210 2024-09" in text and "`fake/echo`" in text
    assert "| worry_to_plan | 2 |" in text and "| money_panel | 1 |" in text
    axolotl = yaml.safe_load((out / "axolotl.yaml").read_text())
    assert axolotl["datasets"][0]["type"] == "chat_template"
    assert axolotl["datasets"][0]["field_messages"] == "messages"
    llama = json.loads((out / "dataset_info.json").read_text())
    assert llama["export-test"]["formatting"] == "sharegpt"
    assert llama["export-test"]["tags"]["role_tag"] == "role"


def test_hf_export_loads_with_datasets_offline(run_dir, tmp_path, monkeypatch):
    datasets = pytest.importorskip("datasets", reason="datasets is a test dependency")
    out, recs = export_records(run_dir, tmp_path, "hf", "--split", "0.5")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    ds = datasets.load_dataset(str(out), cache_dir=str(tmp_path / "cache"))
    assert {s: ds[s].num_rows for s in ds} == {s: len(r) for s, r in recs.items()}
    row = ds["train"][0]
    assert row["messages"][0]["role"] == "system" and row["spec_version"] == "3.1.0"
    parquet = datasets.load_dataset("parquet", data_files=str(out / "train.parquet"),
                                    cache_dir=str(tmp_path / "cache2"))["train"]
    assert parquet.num_rows == ds["train"].num_rows
    assert parquet[0]["messages"] == row["messages"]


def brightrun_conversation(recs, key):
    for data in recs.values():
        for conv in data["conversations"]:
            if conv["job_key"] == key:
                return data, conv
    raise KeyError(key)


def test_brightrun_pairs_are_measured_or_null(run_dir, tmp_path):
    _, recs = export_records(run_dir, tmp_path, "brightrun-v4", "--split", "1")
    data, conv = brightrun_conversation(recs, b.APPROVED)
    pairs = conv["training_pairs"]
    assert len(pairs) == 2
    first, second = pairs
    assert first["conversation_history"] == [] and second["turn_index"] == 3
    assert [h["role"] for h in second["conversation_history"]] == ["user", "assistant"]
    assert second["target_response"] == b.EDITED_TEXT
    assert first["detected_emotions"] == {"primary": "anxiety", "secondary": "fear",
                                          "intensity": 0.7, "valence": -0.5}
    tm = second["training_metadata"]
    assert tm["emotional_progression_target"] == {"turn_index": 2, "stage": 1,
                                                  "emotion": "hopeful", "intensity": 0.5,
                                                  "valence": tm["emotional_progression_target"]
                                                  ["valence"]}
    assert tm["strategy_target"] == "reframe" and tm["strategy_detected"] == "reframe"
    # judged: empathy 0.82, clarity 0.9; never judged: null, not a default
    assert tm["quality_criteria"] == {"empathy_score": 0.82, "clarity_score": 0.9,
                                      "appropriateness_score": None,
                                      "brand_voice_alignment": None}
    assert tm["quality_score"] == 0.86
    assert tm["human_reviewed"] is True and tm["use_as_seed_example"] is True
    assert tm["reviewer_notes"] == ["good pacing", "edited turn 3"]
    assert tm["edited_by_reviewer"] is True and first["training_metadata"]["train"] is False
    assert [t["emotion"] for t in conv["emotional_progression_target"]] == ["anxiety",
                                                                           "hopeful"]
    meta = data["training_file_metadata"]
    assert meta["total_conversations"] == 3 and meta["total_training_pairs"] == 5
    assert meta["trainable_pairs"] == 3  # two opening turns are skip_first
    assert meta["quality_summary"]["scored_conversations"] == 2
    assert meta["quality_summary"]["mean_quality_criteria"]["empathy_score"] == 0.785
    assert meta["scaffolding_distribution"]["kinds"] == {"conversation": 2, "deliberation": 1}
    assert data["consultant_profile"]["boundaries"] == ["never promises outcomes"]


def test_brightrun_unjudged_conversation_has_null_quality(run_dir, tmp_path):
    _, recs = export_records(run_dir, tmp_path, "brightrun-v4", "--split", "1")
    _, board = brightrun_conversation(recs, b.BOARD)
    tm = board["training_pairs"][0]["training_metadata"]
    assert tm["quality_score"] is None
    assert set(tm["quality_criteria"].values()) == {None}
    assert tm["human_reviewed"] is False and tm["reviewer_notes"] == []
    assert board["training_pairs"][0]["detected_emotions"] is None  # not annotated
    assert board["emotional_progression_target"] == []  # no arc
