"""Many workers on one plan: local processes and a local Ray cluster, with a worker killed.

The provider is the local mock OpenAI server (deterministic replies, a latency per call),
so every run of the same spec asks the same questions and gets the same answers: a run
split over workers, one of them killed mid-run, must give exactly the conversations a
single-process SQLite run gives, and pay for no journaled call twice.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.rundir.conftest import bdsc, write_spec

pytestmark = pytest.mark.slow


def _export(run_dir, out):
    r = bdsc("export", run_dir, "--format", "openai", "-o", out, "--include-unreviewed",
             "--split", "1")
    assert r.returncode == 0, r.stderr
    return (out / "train.jsonl").read_text()


def _single_sqlite_run(tmp_path, spec, server):
    server.reset_log()
    r = bdsc("run", spec, "--out", tmp_path / "single", env=server.env())
    assert r.returncode == 0, r.stderr
    journaled = _journal_size(tmp_path / "single")
    return _export(tmp_path / "single", tmp_path / "single-export"), journaled


def _journal_size(run_dir) -> int:
    r = bdsc("status", run_dir, "--format", "json")
    return json.loads(r.stdout)["llm_calls"]


def _ray_workers() -> list[int]:
    """pids of Ray worker processes running our task (Ray titles them ray::<function>)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ")
        except OSError:
            continue
        if cmd.startswith(b"ray::_ray_worker"):
            found.append(int(pid))
    return found


def _done_jobs(url: str) -> int:
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute("SELECT COUNT(*) FROM jobs WHERE state = 'done'").fetchone()[0]


def test_processes_share_a_sqlite_store(tmp_path, mock):
    server = mock(latency=0.05)
    spec = write_spec(tmp_path, model="openai/mock-chat", per_cell=3, gates="not_truncated")
    expected, journaled = _single_sqlite_run(tmp_path, spec, server)
    server.reset_log()
    r = bdsc("run", spec, "--out", tmp_path / "procs", "--executor", "processes",
             "--workers", "3", "--concurrency", "1", env=server.env())
    assert r.returncode == 0, r.stderr
    assert _export(tmp_path / "procs", tmp_path / "procs-export") == expected
    assert _journal_size(tmp_path / "procs") == journaled
    assert max(server.log.billed_counts().values()) == 1  # nothing paid twice


def test_four_ray_workers_one_killed_match_a_single_sqlite_run(tmp_path, mock, postgres):
    pytest.importorskip("ray")
    server = mock(latency=0.2)
    spec = write_spec(tmp_path, model="openai/mock-chat", per_cell=8, gates="not_truncated")
    expected, journaled = _single_sqlite_run(tmp_path, spec, server)

    server.reset_log()
    url = postgres.new_database()
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", **server.env()}
    run = subprocess.Popen(
        [sys.executable, "-m", "bdsl", "run", str(spec), "--out", str(tmp_path / "ray"),
         "--store", url, "--executor", "ray", "--workers", "4", "--concurrency", "1",
         "--lease", "5"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    killed = None
    deadline = time.time() + 240
    while killed is None and time.time() < deadline and run.poll() is None:
        time.sleep(0.2)
        workers = _ray_workers()
        try:
            done = _done_jobs(url)
        except Exception:  # the store is not created yet
            continue
        if len(workers) == 4 and done >= 2:  # mid-run: some jobs done, all workers busy
            killed = workers[0]
            os.kill(killed, signal.SIGKILL)
    out, err = run.communicate(timeout=300)
    assert killed is not None, f"no Ray worker to kill:\n{out}\n{err}"
    assert run.returncode == 0, out + err
    assert "died" in err and "leases expire" in err, err

    assert _export(tmp_path / "ray", tmp_path / "ray-export") == expected
    status = json.loads(bdsc("status", tmp_path / "ray", "--format", "json").stdout)
    assert status["jobs"]["done"] == 16 and status["jobs"]["failed"] == 0
    # every call journaled once; only what the killed worker had in flight (one message and
    # its annotation at --concurrency 1) may have been billed and lost, then asked again
    assert _journal_size(tmp_path / "ray") == journaled
    twice = sum(n - 1 for n in server.log.billed_counts().values() if n > 1)
    assert twice <= 2
