"""manifest.json, deterministic files, the output folder, CHANGELOG.md between versions."""

import hashlib
import json

import pytest

from bdsl.export.changelog import changelog_markdown
from tests.export import builder as b
from tests.export.conftest import bdsc

FORMATS = ("openai", "sharegpt", "hf", "dpo", "openai-dpo", "brightrun-v4")


@pytest.mark.parametrize("fmt", FORMATS)
def test_manifest_hashes_every_file_and_names_the_spec(run_dir, tmp_path, fmt):
    out = tmp_path / fmt
    bdsc("export", run_dir, "--format", fmt, "-o", out, "--split", "0.5")
    manifest = json.loads((out / "manifest.json").read_text())
    written = {p.name for p in out.iterdir()} - {"manifest.json"}
    assert set(manifest["files"]) == written
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest
    assert manifest["format"] == fmt
    assert manifest["spec"]["version"] == "3.1.0"
    assert manifest["spec"]["regulations"] == {"FINRA-2210": "2024-09"}
    assert len(manifest["spec"]["spec_hash"]) == 64 and len(manifest["spec"]["plan_hash"]) == 64
    assert manifest["filters"] == {"include_unreviewed": False, "split": 0.5, "seed": 0,
                                   "dataset": None, "reasoning": "none"}
    c = manifest["counts"]
    if "dpo" in fmt:  # only the deliberation holds a pair (its bad synthesis)
        assert (c["exported"], c["considered"]) == (1, 7)
        assert set(manifest["records"]) == {b.BOARD}
        return
    assert (c["exported"], c["train"] + c["validation"], c["considered"]) == (3, 3, 7)
    assert set(manifest["records"]) == {b.APPROVED, b.UNSAMPLED, b.BOARD}
    assert manifest["records"][b.APPROVED]["edited"] is True
    assert manifest["bdsl_version"] and manifest["created_at"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_same_store_same_options_same_bytes(run_dir, tmp_path, fmt):
    bdsc("export", run_dir, "--format", fmt, "-o", tmp_path / "a", "--split", "0.5")
    bdsc("export", run_dir, "--format", fmt, "-o", tmp_path / "b", "--split", "0.5")
    a = json.loads((tmp_path / "a" / "manifest.json").read_text())
    bb = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert a["files"] == bb["files"]


def test_reexport_replaces_the_previous_export_only(run_dir, tmp_path):
    out = tmp_path / "o"
    bdsc("export", run_dir, "--format", "openai", "-o", out, "--split", "0.5")
    (out / "NOTES.txt").write_text("mine")
    bdsc("export", run_dir, "--format", "sharegpt", "-o", out, "--split", "1")
    names = {p.name for p in out.iterdir()}
    assert names == {"train.jsonl", "manifest.json", "NOTES.txt"}  # no stale meta files


def test_refuses_a_folder_that_is_not_an_export(run_dir, tmp_path):
    out = tmp_path / "docs"
    out.mkdir()
    (out / "thesis.md").write_text("keep me")
    err = bdsc("export", run_dir, "--format", "openai", "-o", out, code=2)
    assert "not empty" in err and (out / "thesis.md").read_text() == "keep me"


def test_changelog_between_two_dataset_versions(tmp_path):
    """v1: spec 3.1.0, FINRA 2024-09, no edit. v2: spec 3.2.0, FINRA 2025-01, one job
    dropped from the store, one added, one reviewer edit."""
    plan1 = b.compile_plan()
    b.build_store(tmp_path / "run1", plan1, edit=False)
    bdsc("export", tmp_path / "run1", "--format", "sharegpt", "-o", tmp_path / "v1")
    plan2 = b.compile_plan(version="3.2.0", regulation="2025-01")
    b.build_store(tmp_path / "run2", plan2, only=(b.APPROVED, b.BOARD, b.AWAITING))
    bdsc("export", tmp_path / "run2", "--format", "sharegpt", "-o", tmp_path / "v2",
         "--include-unreviewed", "--changelog", tmp_path / "v1" / "manifest.json")
    text = (tmp_path / "v2" / "CHANGELOG.md").read_text()
    assert text.startswith("# export-test: 3.1.0 -> 3.2.0\n")
    assert "- regulation FINRA-2210: 2024-09 -> 2025-01" in text
    # a version bump alone changes no job's content: nothing is regenerated
    assert "(1 added, 1 removed, 0 regenerated, 1 edited, 1 unchanged)" in text
    assert f"## Added\n\n- {b.AWAITING} (spec 3.2.0)" in text
    assert f"## Removed\n\n- {b.UNSAMPLED} (spec 3.1.0)" in text
    assert f"## Edited\n\n- {b.APPROVED} (spec 3.1.0 -> 3.2.0)" in text
    assert (f"## Same text, new spec or regulation version\n\n- {b.BOARD} "
            "(spec 3.1.0 -> 3.2.0)") in text
    assert "- filter include_unreviewed: False -> True" in text


def test_changelog_lists_regenerated_records(tmp_path):
    """A persona change changes every job's content hash: all regenerated."""
    b.build_store(tmp_path / "run1", b.compile_plan())
    bdsc("export", tmp_path / "run1", "--format", "openai", "-o", tmp_path / "v1")
    plan2 = b.compile_plan(replace={"A warm money coach.": "A calm money coach."})
    b.build_store(tmp_path / "run2", plan2)
    bdsc("export", tmp_path / "run2", "--format", "openai", "-o", tmp_path / "v2",
         "--changelog", tmp_path / "v1" / "manifest.json")
    text = (tmp_path / "v2" / "CHANGELOG.md").read_text()
    assert "(0 added, 0 removed, 3 regenerated, 0 edited, 0 unchanged)" in text
    assert f"## Regenerated\n\n- {b.BOARD}\n- {b.APPROVED}\n- {b.UNSAMPLED}\n" in text
    assert "spec hash:" in text and "spec version" not in text


def test_changelog_counts_a_reviewer_edit_as_edited(run_dir, tmp_path):
    bdsc("export", run_dir, "--format", "openai", "-o", tmp_path / "v1")
    old = json.loads((tmp_path / "v1" / "manifest.json").read_text())
    new = json.loads(json.dumps(old))
    new["records"][b.BOARD]["text_sha256"] = "0" * 64
    text = changelog_markdown(old, new)
    assert "0 regenerated, 1 edited, 2 unchanged" in text
    assert f"## Edited\n\n- {b.BOARD}" in text
    assert "spec version" not in text and "regulation" not in text
