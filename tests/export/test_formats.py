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
