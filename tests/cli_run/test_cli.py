"""bdsc run / status through click, with the model seam replaced by the in-test completer."""

import json

import pytest
from click.testing import CliRunner

from bdsl.cli import main
from bdsl.serialize import to_json
from tests.engine.plans import ScriptedCompleter, job, plan


@pytest.fixture
def fake_llm(monkeypatch):
    import bdsl.engine.llm_adapter as adapter

    made = []

    def factory(*a, **kw):
        made.append(ScriptedCompleter())
        return made[-1]

    monkeypatch.setattr(adapter, "LLMCompleter", factory)
    return made


@pytest.fixture
def plan_file(tmp_path):
    path = tmp_path / "plan.json"
    path.write_text(to_json(plan(*[job(f"ds:{i}", seed=i) for i in range(3)])))
    return path


def test_run_then_status_then_rerun(tmp_path, plan_file, fake_llm):
    out = tmp_path / "run"
    r = CliRunner().invoke(main, ["run", str(plan_file), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "3 jobs: 0 reused, 0 regenerated (spec changed), 3 to generate" in r.output
    assert "3/3 jobs done" in r.output and f"dataset: {out}/" in r.output
    lines = (out / "conversations.jsonl").read_text().splitlines()
    assert len(lines) == 3
    rec = json.loads(lines[0])
    prov = rec["provenance"]
    assert prov["spec"]["name"] == "demo" and prov["regulations"][0]["id"] == "FINRA-2111"
    assert prov["job_hash"] and prov["model"] == "fake/echo" and prov["seed"] == 0
    assert prov["tokens"] == {"prompt": 80, "completion": 40} and prov["cost_usd"] > 0
    assert [m["role"] for m in rec["messages"]] == ["user", "assistant"] * 2
    assert (out / "plan.json").is_file()

    st = CliRunner().invoke(main, ["status", str(out), "--format", "json"])
    data = json.loads(st.output)
    assert data["jobs"] == {"total": 3, "done": 3, "failed": 0, "pending": 0}
    assert data["llm_calls"] == 24

    again = CliRunner().invoke(main, ["run", str(plan_file), "--out", str(out)])
    assert again.exit_code == 0 and "3 reused" in again.output
    assert fake_llm[-1].requests == []
    text = CliRunner().invoke(main, ["status", str(out)]).output
    assert "3/3 done" in text and "24 LLM calls" in text


def test_budget_stop_exits_4_and_says_how_to_continue(tmp_path, plan_file, fake_llm):
    out = tmp_path / "run"
    r = CliRunner().invoke(main, ["run", str(plan_file), "--out", str(out), "--max-tokens",
                                  "100", "--concurrency", "1"])
    assert r.exit_code == 4  # the documented exit code of a run stopped by its budget
    assert "stopped by the budget: token budget reached" in r.output and "rerun" in r.output
    r2 = CliRunner().invoke(main, ["run", str(plan_file), "--out", str(out)])
    assert r2.exit_code == 0 and "3/3 jobs done" in r2.output


def test_user_errors_exit_2_without_traceback(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text('{"format": 1}')
    r = CliRunner().invoke(main, ["run", str(bad)])
    assert r.exit_code == 2 and "is not a bdsl plan" in r.output
    assert "Traceback" not in r.output
    r = CliRunner().invoke(main, ["run", str(tmp_path / "missing.json")])
    assert r.exit_code == 2 and "no such file" in r.output
    r = CliRunner().invoke(main, ["status", str(tmp_path)])
    assert r.exit_code == 2 and "not a run directory" in r.output


def test_a_value_over_the_store_limit_is_a_one_line_error(tmp_path, plan_file, monkeypatch):
    """A reply (or prompt) too large for the store fails its job with one clear line, in
    the run's summary and in status; no traceback, and the other jobs are unaffected."""
    import bdsl.engine.llm_adapter as adapter
    from bdsl.store import texts

    monkeypatch.setattr(texts, "MAX_TEXT_BYTES", 2 * 1024 * 1024)
    huge = "x" * (3 * 1024 * 1024)

    calls = []

    def script(request):  # one call's reply is too large: its job fails, alone
        calls.append(request)
        return huge if len(calls) == 2 else None

    monkeypatch.setattr(adapter, "LLMCompleter", lambda *a, **kw: ScriptedCompleter(script))
    out = tmp_path / "run"
    r = CliRunner().invoke(main, ["run", str(plan_file), "--out", str(out)])
    assert r.exit_code == 3 and "Traceback" not in r.output, r.output
    assert "1 jobs failed; see `bdsc status" in r.output
    text = CliRunner().invoke(main, ["status", str(out)]).output
    print(text)
    line = "TextTooLarge: a text of 3.0 MiB is over the store's 2 MiB limit for one message"
    assert line in text and "Traceback" not in text
    data = json.loads(CliRunner().invoke(main, ["status", str(out), "--format", "json"]
                                         ).output)
    assert data["jobs"]["done"] == 2 and data["jobs"]["failed"] == 1
