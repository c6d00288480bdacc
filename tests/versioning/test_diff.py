"""`bdsc diff` on real git history in a temporary repository."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from bdsl.cli import main

GOOD = Path(__file__).resolve().parents[1] / "fixtures" / "good"
ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "t",
       "GIT_COMMITTER_EMAIL": "t@x"}


def git(repo, *args):
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True,
                   env={**os.environ, **ENV})


@pytest.fixture
def repo(tmp_path, monkeypatch):
    for f in GOOD.iterdir():
        shutil.copy(f, tmp_path / f.name)
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "v1.4.0")
    spec = tmp_path / "spec.bds"
    text = spec.read_text()
    text = text.replace('version "2024-06" effective 2024-06-30',
                        'version "2025-01" effective 2025-01-31')
    text = text.replace('"1.4.0"', '"1.5.0"').replace("brand_voice >= 0.9", "brand_voice >= 0.8")
    spec.write_text(text)
    voice = tmp_path / "voice.bds"
    voice.write_text(voice.read_text().replace("plain, warm", "plain, warm, brief"))
    git(tmp_path, "commit", "-qam", "FINRA-2111 2025-01: bump, voice tweak")
    # a third state, uncommitted: a topic removed from the matrix
    spec.write_text(text.replace("topics [emergency_fund, ft.retirement]", "topics [emergency_fund]"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args):
    result = CliRunner().invoke(main, ["diff", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_diff_between_commits_names_regulation_and_why(repo):
    data = json.loads(run("HEAD~1:spec.bds", "HEAD:spec.bds", "--format", "json"))
    assert data["old_spec"]["version"] == "1.4.0" and data["new_spec"]["version"] == "1.5.0"
    assert data["regulations"] == ["FINRA-2111: version 2024-06 -> 2025-01, effective "
                                   "2024-06-30 -> 2025-01-31"]
    assert data["summary"]["regenerate"] == 4
    changed = [e for e in data["entities"] if e["change"] == "changed"]
    assert [(e["table"], e["name"], e["fields"]) for e in changed] == [
        ("personas", "elena", ["voice"])]
    assert all("assistant `elena` changed" in j["reasons"] for j in data["jobs"])


def test_diff_commit_against_working_tree_shows_removed_cells(repo):
    out = run("HEAD:spec.bds", "spec.bds")
    assert "0 to regenerate, 0 added, 2 removed" in out
    assert "removed    elena_eq:avoider/shame_to_action/retirement:0" in out


def test_threshold_change_alone_is_rescore_only(repo):
    spec = repo / "spec.bds"
    base = spec.read_text()
    spec.write_text(base.replace("brand_voice >= 0.8", "brand_voice >= 0.6"))
    git(repo, "commit", "-qam", "threshold")
    data = json.loads(run("HEAD~1:spec.bds", "HEAD:spec.bds", "--format", "json"))
    assert data["summary"]["rescore"] == 2 and data["summary"]["regenerate"] == 0


def test_missing_revision_is_a_usage_error(repo):
    result = CliRunner().invoke(main, ["diff", "HEAD~9:spec.bds", "spec.bds"])
    assert result.exit_code == 2
