"""`bdsc run --batch` on an anthropic/* model against the mock's Message Batches API."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from tests.rundir.conftest import bdsc, write_spec
from tests.scale.test_batch import _batches, _export, _paid, kill_while_a_batch_is_out

pytestmark = pytest.mark.slow

MODEL = "anthropic/claude-haiku-4-5"  # batch prices in litellm's cost map
# litellm sends max_tokens 64000 (the model's maximum output) when a call names none
SERVED = {"models": ("claude-haiku-4-5",), "context_length": 200_000}


def test_anthropic_batch_run_equals_an_interactive_run_at_the_batch_price(tmp_path, mock):
    import litellm

    server = mock(batch_validating=0.05, batch_in_progress=0.1, record_bodies=True, **SERVED)
    spec = write_spec(tmp_path, model=MODEL, per_cell=2, gates="not_truncated")
    live = bdsc("run", spec, "--out", tmp_path / "live", env=server.env())
    assert live.returncode == 0, live.stderr
    assert {e.path for e in server.log.entries() if e.billed} == {"/v1/messages"}
    server.reset_log()

    r = bdsc("run", spec, "--out", tmp_path / "batch", "--batch", "--poll", "0.05",
             env=server.env())
    assert r.returncode == 0, r.stderr
    assert _export(tmp_path / "batch", tmp_path / "b") == _export(tmp_path / "live",
                                                                   tmp_path / "l")
    entries = server.log.entries()
    interactive = [e for e in entries if not e.path.startswith("batch:") and e.billed]
    assert [e.path for e in interactive] == ["/v1/messages"]  # the preflight probe
    lines = [e for e in entries if e.path == "batch:/v1/messages"]
    assert all(e.billed for e in lines) and max(Counter(e.body_hash for e in lines).values()) == 1
    assert all("seed" not in e.body and e.body["max_tokens"] for e in lines)
    # structured output (the annotations) goes as one forced tool per line
    tools = [e.body for e in lines if "tools" in e.body]
    assert tools and all(b["tool_choice"] == {"type": "tool", "name": b["tools"][0]["name"]}
                         for b in tools)
    batches = _batches(tmp_path / "batch")
    calls = sum(len(json.loads(h)) for _, _, h in batches)
    assert calls == len(lines) and len(batches) < calls / 3
    assert all(status == "completed" for _, status, _ in batches)
    assert "batch msgbatch_mock" in r.stderr
    shown = bdsc("status", tmp_path / "batch").stdout
    assert f"batches  {len(batches)} completed ({calls} calls)" in shown, shown

    prompt, completion, cost = _paid(tmp_path / "batch")
    price = litellm.model_cost["claude-haiku-4-5"]
    assert cost == pytest.approx(prompt * price["input_cost_per_token_batches"]
                                 + completion * price["output_cost_per_token_batches"])
    live_prompt, live_completion, live_cost = _paid(tmp_path / "live")
    assert (live_prompt, live_completion) == (prompt, completion)
    assert cost == pytest.approx(live_cost / 2)


def test_a_killed_anthropic_batch_run_resumes_polling_instead_of_resubmitting(tmp_path, mock):
    server = mock(batch_validating=0.05, batch_in_progress=4.0, **SERVED)
    spec = write_spec(tmp_path, model=MODEL, per_cell=2, gates="not_truncated")
    out = tmp_path / "run"
    kill_while_a_batch_is_out(spec, out, server)
    [(sent, status, hashes)] = _batches(out)
    assert sent.startswith("msgbatch_") and status != "completed"

    server.configure(batch_in_progress=0.1)
    again = bdsc("run", spec, "--out", out, "--batch", "--poll", "0.1", env=server.env())
    assert again.returncode == 0, again.stderr
    rows = _batches(out)
    assert rows[0][:2] == (sent, "completed")  # the same batch, polled to its end
    resent = set(json.loads(hashes)) & {h for _, _, hs in rows[1:] for h in json.loads(hs)}
    assert not resent  # none of its lines was sent again
    created = [e for e in server.log.entries() if e.path == "/v1/messages/batches"]
    assert len(created) == len(rows)  # the killed run's batch was not created twice
    billed = Counter(e.body_hash for e in server.log.entries()
                     if e.billed and e.path.startswith("batch:"))
    assert max(billed.values()) == 1
    status = json.loads(bdsc("status", out, "--format", "json").stdout)
    assert status["jobs"]["done"] == 4
