"""Incremental reruns after spec edits, recorded in the dataset changelog."""

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from bdsl.cli import main

GOOD = Path(__file__).resolve().parents[1] / "fixtures" / "good"


def bdsc(*args):
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_edit_regenerates_only_changed_jobs_and_changelog_says_so(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for f in GOOD.iterdir():
        shutil.copy(f, tmp_path / f.name)
    spec = tmp_path / "spec.bds"
    bdsc("run", "spec.bds", "--model", "fake/echo", "--out", "run")
    text = spec.read_text()
    spec.write_text(text.replace('"1.4.0"', '"1.5.0"')
                    .replace('version "2024-06" effective 2024-06-30',
                             'version "2025-01" effective 2025-01-31')
                    .replace("Building an emergency fund", "Building a rainy-day fund"))
    out = bdsc("run", "spec.bds", "--model", "fake/echo", "--out", "run")
    assert "2 reused" in out
    entries = json.loads(bdsc("changelog", "run", "--format", "json"))
    assert [e["spec_version"] for e in entries] == ["1.4.0", "1.5.0"]
    last = entries[-1]
    assert last["regulation_changes"] == {"FINRA-2111": ["2024-06", "2025-01"]}
    assert (last["added"], last["regenerated"], last["kept"], last["removed"]) == (0, 2, 2, 0)
    assert all("/emergency_fund:" in k for k in last["keys"]["changed"])
    # an unchanged rerun adds no entry
    bdsc("run", "spec.bds", "--model", "fake/echo", "--out", "run")
    assert len(json.loads(bdsc("changelog", "run", "--format", "json"))) == 2
