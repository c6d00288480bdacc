"""`bdsc export` errors: clear messages, exit 2, no traceback; and its timing line."""

import sqlite3

from tests.export import builder as b
from tests.export.conftest import bdsc


def test_missing_run_dir(tmp_path):
    err = bdsc("export", tmp_path / "nope", "--format", "openai", "-o", tmp_path / "o", code=2)
    assert "is not a run directory" in err


def test_unknown_format(run_dir, tmp_path):
    err = bdsc("export", run_dir, "--format", "alpaca", "-o", tmp_path / "o", code=2)
    assert "'alpaca' is not one of" in err and "brightrun-v4" in err


def test_unknown_dataset(run_dir, tmp_path):
    err = bdsc("export", run_dir, "--format", "openai", "-o", tmp_path / "o",
               "--dataset", "nope", code=2)
    assert "unknown dataset 'nope'; the spec has: board, money" in err


def test_nothing_exportable_says_why_and_what_to_do(tmp_path, plan):
    run = tmp_path / "run"
    b.build_store(run, plan, only=(b.AWAITING, b.SOFT_FAIL, b.BLOCKED, b.REJECTED))
    err = bdsc("export", run, "--format", "openai", "-o", tmp_path / "o", code=2)
    assert err.strip() == (
        "error: nothing to export: 1 awaiting review, 1 awaiting review after a soft gate "
        "failure, 1 blocked (failed a gate), 1 rejected by a reviewer; pass "
        "--include-unreviewed to add the 1 that passed their gates")
    assert not (tmp_path / "o").exists()
    out = bdsc("export", run, "--format", "openai", "-o", tmp_path / "o", "--include-unreviewed")
    assert "exported 1 conversations" in out


def test_no_conversations_yet(tmp_path, plan):
    run = tmp_path / "run"
    b.build_store(run, plan, only=("no-such-job",))
    err = bdsc("export", run, "--format", "hf", "-o", tmp_path / "o", code=2)
    assert "holds no finished conversations" in err and "bdsc run" in err


def test_dataset_filter(run_dir, tmp_path):
    out = bdsc("export", run_dir, "--format", "openai", "-o", tmp_path / "o",
               "--dataset", "board")
    assert out.startswith("exported 1 conversations")


def test_summary_line(run_dir, tmp_path):
    out = bdsc("export", run_dir, "--format", "openai", "-o", tmp_path / "o", "--split", "1")
    assert out.startswith("exported 3 conversations (3 train, 0 validation) as openai to ")
    assert out.rstrip().endswith("left out: 1 awaiting_review, 1 awaiting_review/needs_review,"
                                 " 1 blocked, 1 rejected")


def test_gate_results_of_an_old_gates_hash_are_ignored(run_dir, tmp_path):
    """Results stored under a previous gates hash do not count: unscored, so held."""
    db = sqlite3.connect(run_dir / "store.sqlite")
    db.execute("UPDATE gate_results SET gates_hash='old' WHERE conversation_id="
               "(SELECT id FROM conversations WHERE job_key=?)", (b.UNSAMPLED,))
    db.commit()
    db.close()
    out = bdsc("export", run_dir, "--format", "openai", "-o", tmp_path / "o",
               "--include-unreviewed")
    assert "exported 3 conversations" in out and "1 awaiting_review/unscored" in out


def test_output_path_that_is_a_file(run_dir, tmp_path):
    target = tmp_path / "out.jsonl"
    target.write_text("x")
    err = bdsc("export", run_dir, "--format", "openai", "-o", target, code=2)
    assert "exists and is not a folder" in err and target.read_text() == "x"


def test_unreadable_changelog_manifest(run_dir, tmp_path):
    bad = tmp_path / "manifest.json"
    bad.write_text("{not json")
    err = bdsc("export", run_dir, "--format", "openai", "-o", tmp_path / "o",
               "--changelog", bad, code=2)
    assert "cannot read manifest" in err and not (tmp_path / "o").exists()


def test_without_format_the_spec_default_list_is_used(run_dir, tmp_path):
    """The test spec lists no `export [...]`: a dataset's list defaults to openai."""
    out = bdsc("export", run_dir, "-o", tmp_path / "o")
    assert [p.name for p in (tmp_path / "o").iterdir()] == ["openai"]
    assert out.splitlines()[-1].startswith("1 format in ")


def test_changelog_needs_one_format(run_dir, tmp_path):
    err = bdsc("export", run_dir, "-o", tmp_path / "o", "--changelog", tmp_path / "m.json",
               code=2)
    assert "--changelog compares one format's manifests: give --format too" in err
