"""`bdsc gate` on conversations made elsewhere."""

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from bdsl.cli import main

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "gate"


def test_gate_scores_external_jsonl(tmp_path, monkeypatch, snapshot):
    for f in FIXTURE.iterdir():
        shutil.copy(f, tmp_path / f.name)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["gate", "spec.bds", "--input", "conversations.jsonl",
                                       "-o", "scored.jsonl"])
    assert result.exit_code == 1, result.output  # some conversations fail
    scored = [json.loads(x)["bdsl_gates"] for x in Path("scored.jsonl").read_text().splitlines()]
    assert [s["outcome"] for s in scored] == ["pass", "fail", "fail"]
    assert scored[1]["failing"] == ["forbidden_claims", "required_disclaimers"]
    assert scored[2]["failing"] == ["crisis_referral"]
    assert scored == snapshot


def test_malformed_jsonl_names_the_line(tmp_path, monkeypatch):
    for f in FIXTURE.iterdir():
        shutil.copy(f, tmp_path / f.name)
    monkeypatch.chdir(tmp_path)
    Path("bad.jsonl").write_text('{"messages": []}\n{not json\n')
    result = CliRunner().invoke(main, ["gate", "spec.bds", "--input", "bad.jsonl"])
    assert result.exit_code == 2 and "bad.jsonl:2:" in result.output
