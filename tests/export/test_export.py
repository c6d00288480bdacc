"""Exports from a real (fake/echo) run: filtering by gates and review, every format."""

import json
import shutil
import sqlite3
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from bdsl.cli import main
from bdsl.export.formats import validate_openai

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "export"


def bdsc(*args, code=0):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == code, result.output
    return result.output


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("export")
    for f in FIXTURE.iterdir():
        shutil.copy(f, d / f.name)
    bdsc("run", d / "spec.bds", "--out", d / "run", "--concurrency", "1")  # stable ids
    return d / "run"


def approve_all(run_dir, role="brand"):
    db = sqlite3.connect(run_dir / "store.sqlite")
    for (cid,) in db.execute("SELECT id FROM conversations").fetchall():
        db.execute("INSERT INTO reviews (conversation_id, reviewer, role, decision, notes,"
                   " use_as_seed_example, created_at) VALUES (?, 'ana', ?, 'approve',"
                   " 'good pacing', 1, ?)", (cid, role, time.time()))
    db.commit()


def test_only_approved_or_unsampled_by_default(run_dir, tmp_path):
    from bdsl.outcomes import sampled_for_review

    db = sqlite3.connect(run_dir / "store.sqlite")
    convs = db.execute("SELECT job_key, content_hash FROM conversations").fetchall()
    unsampled = {k for k, h in convs if not sampled_for_review(k, h, 0.5)}
    result = CliRunner().invoke(main, ["export", str(run_dir), "--format", "openai",
                                       "-o", str(tmp_path / "o")])
    if not unsampled:  # every conversation drew a review: nothing is exportable yet
        assert result.exit_code == 2 and "--include-unreviewed" in result.output
        return
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert set(manifest["records"]) == unsampled
    assert manifest["counts"]["skipped_by_review_state"].get("awaiting_review", 0) == \
        len(convs) - len(unsampled)


def test_every_format_after_approval(run_dir, tmp_path):
    approve_all(run_dir)
    for fmt in ("openai", "sharegpt", "hf", "brightrun-v4"):
        out = bdsc("export", run_dir, "--format", fmt, "-o", tmp_path / fmt, "--split", "0.5")
        assert "exported 4 conversations" in out
    lines = [json.loads(x) for f in ("train", "validation")
             for x in (tmp_path / "openai" / f"{f}.jsonl").read_text().splitlines()]
    assert len(lines) == 4
    for rec in lines:
        assert validate_openai(rec) == []
        assert set(rec) == {"messages"} and rec["messages"][0]["role"] == "system"
        weights = [m["weight"] for m in rec["messages"] if m["role"] == "assistant"]
        assert weights[0] == 0 and all(w == 1 for w in weights[1:])  # train_on skip_first
    meta = (tmp_path / "openai" / "train.meta.jsonl").read_text().splitlines()
    assert all(json.loads(m)["regulations"] == {"FINRA-2210": "2024-09"} for m in meta)
    share = json.loads((tmp_path / "sharegpt" / "train.jsonl").read_text().splitlines()[0])
    assert [c["from"] for c in share["conversations"][:3]] == ["system", "human", "gpt"]
    bright = json.loads((tmp_path / "brightrun-v4" / "train.json").read_text())
    pair = bright["conversations"][0]["training_pairs"][0]
    tm = pair["training_metadata"]
    assert tm["human_reviewed"] is True and tm["use_as_seed_example"] is True
    assert tm["reviewer_notes"] == ["good pacing"]
    assert tm["quality_criteria"] == {"empathy_score": None, "clarity_score": None,
                                      "appropriateness_score": None,
                                      "brand_voice_alignment": None}  # not judged: null
    assert tm["emotional_progression_target"]["emotion"] == "anxiety"
    assert bright["consultant_profile"]["boundaries"] == ["never promises outcomes"]
    manifest = json.loads((tmp_path / "hf" / "manifest.json").read_text())
    import hashlib

    for name, digest in manifest["files"].items():
        assert hashlib.sha256((tmp_path / "hf" / name).read_bytes()).hexdigest() == digest
    assert manifest["spec"]["version"] == "2.0.0"


def test_split_is_deterministic(run_dir, tmp_path):
    approve_all(run_dir)
    a = bdsc("export", run_dir, "--format", "sharegpt", "-o", tmp_path / "a")
    b = bdsc("export", run_dir, "--format", "sharegpt", "-o", tmp_path / "b")
    assert a.split(" as ")[0] == b.split(" as ")[0]
    assert (tmp_path / "a" / "train.jsonl").read_bytes() == (tmp_path / "b" / "train.jsonl"
                                                               ).read_bytes()


def test_hf_export_loads_with_datasets_offline(run_dir, tmp_path, monkeypatch):
    datasets = pytest.importorskip("datasets")
    approve_all(run_dir)
    bdsc("export", run_dir, "--format", "hf", "-o", tmp_path / "hf", "--split", "0.5")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    ds = datasets.load_dataset(str(tmp_path / "hf"), cache_dir=str(tmp_path / "cache"))
    assert ds["train"].num_rows + ds["validation"].num_rows == 4
    first = ds["train"][0] if ds["train"].num_rows else ds["validation"][0]
    assert first["messages"][0]["role"] == "system" and first["spec_version"] == "2.0.0"


def test_rejected_never_exported(run_dir, tmp_path):
    db = sqlite3.connect(run_dir / "store.sqlite")
    cid = db.execute("SELECT MIN(id) FROM conversations").fetchone()[0]
    db.execute("INSERT INTO reviews (conversation_id, reviewer, role, decision, notes,"
               " created_at) VALUES (?, 'bo', 'brand', 'reject', 'off-voice', ?)",
               (cid, time.time() + 1))
    db.commit()
    out = bdsc("export", run_dir, "--format", "openai", "-o", tmp_path / "r",
               "--include-unreviewed")
    assert "exported 3 conversations" in out and "1 rejected" in out


def test_changelog_between_two_exports(run_dir, tmp_path):
    approve_all(run_dir)
    bdsc("export", run_dir, "--format", "sharegpt", "-o", tmp_path / "v1")
    old = json.loads((tmp_path / "v1" / "manifest.json").read_text())
    old["spec"]["version"] = "1.9.0"
    old["spec"]["regulations"] = {"FINRA-2210": "2023-11"}
    gone = sorted(old["records"])[0]
    old["records"][gone]["content_hash"] = "0" * 64
    old["records"]["money:ghost/worry_to_plan/budget:0"] = {"content_hash": "x"}
    (tmp_path / "old.json").write_text(json.dumps(old))
    bdsc("export", run_dir, "--format", "sharegpt", "-o", tmp_path / "v2", "--changelog",
         tmp_path / "old.json")
    text = (tmp_path / "v2" / "CHANGELOG.md").read_text()
    assert "1.9.0 -> 2.0.0" in text and "regulation FINRA-2210: 2023-11 -> 2024-09" in text
    assert f"## Regenerated\n\n- {gone}" in text
    assert "## Removed\n\n- money:ghost/worry_to_plan/budget:0" in text


def test_format_snapshots(run_dir, tmp_path, snapshot):
    """One record of each format (ids and timestamps that vary between runs removed)."""
    approve_all(run_dir)
    records = {}
    for fmt, name in (("openai", "train.jsonl"), ("sharegpt", "train.jsonl"),
                      ("hf", "train.jsonl"), ("brightrun-v4", "train.json")):
        bdsc("export", run_dir, "--format", fmt, "-o", tmp_path / fmt, "--split", "1.0")
        text = (tmp_path / fmt / name).read_text()
        if fmt == "brightrun-v4":
            data = json.loads(text)
            data["training_file_metadata"].pop("created_at")
            first = data["conversations"][0]
            first.pop("conversation_id")
            records[fmt] = {"metadata": data["training_file_metadata"],
                            "profile": data["consultant_profile"], "first": first}
        else:
            records[fmt] = json.loads(text.splitlines()[0])
    assert records == snapshot
