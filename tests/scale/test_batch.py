"""`bdsc run --batch` against the local mock of OpenAI's Files and Batch API."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter

import pytest

from tests.rundir.conftest import bdsc, write_spec

pytestmark = pytest.mark.slow

MODEL = "openai/gpt-4o-mini"  # priced in litellm's cost map, batch prices included


def _export(run_dir, out):
    r = bdsc("export", run_dir, "--format", "openai", "-o", out, "--include-unreviewed",
             "--split", "1")
    assert r.returncode == 0, r.stderr
    return (out / "train.jsonl").read_text()


def _batches(run_dir) -> list[tuple]:
    with sqlite3.connect(run_dir / "store.sqlite") as db:
        return db.execute("SELECT id, status, request_hashes_json FROM batches "
                          "ORDER BY created_at").fetchall()


def _paid(run_dir) -> tuple[int, int, float]:
    with sqlite3.connect(run_dir / "store.sqlite") as db:
        return db.execute("SELECT SUM(prompt_tokens), SUM(completion_tokens), SUM(cost) "
                          "FROM llm_calls WHERE step <> 'preflight'").fetchone()


def test_batch_run_equals_an_interactive_run_at_the_batch_price(tmp_path, mock):
    import litellm

    server = mock(batch_validating=0.05, batch_in_progress=0.1)
    spec = write_spec(tmp_path, model=MODEL, per_cell=2, gates="not_truncated")
    live = bdsc("run", spec, "--out", tmp_path / "live", env=server.env())
    assert live.returncode == 0, live.stderr
    server.reset_log()

    r = bdsc("run", spec, "--out", tmp_path / "batch", "--batch", "--poll", "0.05",
             env=server.env())
    assert r.returncode == 0, r.stderr
    assert _export(tmp_path / "batch", tmp_path / "b") == _export(tmp_path / "live",
                                                                   tmp_path / "l")
    entries = server.log.entries()
    interactive = [e for e in entries if not e.path.startswith("batch:") and e.billed]
    assert len(interactive) == 1  # the preflight probe; every other call went in a batch
    batches = _batches(tmp_path / "batch")
    # one batch per turn round: 4 conversations side by side, never one batch per call
    lines = sum(len(json.loads(h)) for _, _, h in batches)
    assert len(batches) < lines / 3
    assert all(status == "completed" for _, status, _ in batches)
    assert "batch batch_mock" in r.stderr
    shown = bdsc("status", tmp_path / "batch").stdout
    assert f"batches  {len(batches)} completed ({lines} calls)" in shown, shown

    prompt, completion, cost = _paid(tmp_path / "batch")
    price = litellm.model_cost["gpt-4o-mini"]
    assert cost == pytest.approx(prompt * price["input_cost_per_token_batches"]
                                 + completion * price["output_cost_per_token_batches"])
    live_prompt, live_completion, live_cost = _paid(tmp_path / "live")
    assert (live_prompt, live_completion) == (prompt, completion)
    assert cost == pytest.approx(live_cost / 2)


def kill_while_a_batch_is_out(spec, out, server) -> None:
    """`bdsc run --batch` in a subprocess, SIGKILLed once its first batch is journaled."""
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", **server.env()}
    cmd = [sys.executable, "-m", "bdsl", "run", str(spec), "--out", str(out), "--batch",
           "--poll", "0.1"]
    first = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    deadline = time.time() + 120
    while time.time() < deadline and first.poll() is None:
        time.sleep(0.1)
        if (out / "store.sqlite").exists():
            try:
                if _batches(out):
                    break
            except sqlite3.OperationalError:
                continue
    assert first.poll() is None, first.communicate()
    os.kill(first.pid, signal.SIGKILL)
    first.wait()


def test_a_killed_batch_run_resumes_polling_instead_of_resubmitting(tmp_path, mock):
    server = mock(batch_validating=0.05, batch_in_progress=4.0)
    spec = write_spec(tmp_path, model=MODEL, per_cell=2, gates="not_truncated")
    out = tmp_path / "run"
    kill_while_a_batch_is_out(spec, out, server)
    [(sent, status, hashes)] = _batches(out)
    assert status != "completed"

    server.configure(batch_in_progress=0.1)
    again = bdsc("run", spec, "--out", out, "--batch", "--poll", "0.1", env=server.env())
    assert again.returncode == 0, again.stderr
    assert f"batch {sent}: sent before the restart, polling it again" in again.stderr
    rows = _batches(out)
    assert rows[0][:2] == (sent, "completed")  # the same batch, polled to its end
    resent = set(json.loads(hashes)) & {h for _, _, hs in rows[1:] for h in json.loads(hs)}
    assert not resent  # none of its lines was sent again
    # nothing paid twice (the preflight probe is asked afresh by every run, interactively)
    billed = Counter(e.body_hash for e in server.log.entries()
                     if e.billed and e.path.startswith("batch:"))
    assert max(billed.values()) == 1
    status = json.loads(bdsc("status", out, "--format", "json").stdout)
    assert status["jobs"]["done"] == 4
