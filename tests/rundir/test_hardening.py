"""Issue 11's run-directory findings, each reproduced and now behaving: one budget over
every paid call, one writer per directory, fast and clear failures on misconfiguration,
environment problems as one-line errors, and no run left `running` forever."""

import json
import sqlite3
import time

from bdsl.store import Store
from bdsl.store.lock import RunLock
from tests.rundir.conftest import bdsc, write_spec


def test_the_budget_covers_judge_calls_and_run_and_status_agree(tmp_path):
    spec = write_spec(tmp_path)
    out = tmp_path / "run"
    first = bdsc("run", spec, "--out", out)
    assert first.returncode == 0, first.stderr
    status = json.loads(bdsc("status", out, "--format", "json").stdout)
    judge_calls = Store.open_readonly(out).db.execute(
        "SELECT COUNT(*) FROM llm_calls WHERE step LIKE 'judge:%'").fetchone()[0]
    assert judge_calls == 2  # clarity, one per conversation
    # the run's own summary counts every paid call, judges included, as status does
    assert f"this run: {status['llm_calls']} LLM calls" in first.stdout
    assert f"run directory total: {status['llm_calls']} calls" in first.stdout
    # a token cap below what the run needs stops it, with exit 4, and says so
    capped = tmp_path / "capped"
    r = bdsc("run", spec, "--out", capped, "--max-tokens", str(status["tokens"]["total"] // 2),
             "--concurrency", "1")
    assert r.returncode == 4, r.stdout + r.stderr
    assert "stopped by the budget: token budget reached" in r.stderr
    after = json.loads(bdsc("status", capped, "--format", "json").stdout)
    assert after["last_run"]["status"] == "stopped_budget"


def test_a_second_writer_is_refused_while_a_run_holds_the_directory(tmp_path):
    spec = write_spec(tmp_path)
    out = tmp_path / "run"
    assert bdsc("run", spec, "--out", out).returncode == 0
    with RunLock(out, "bdsc run"):
        r = bdsc("run", spec, "--out", out)
        assert r.returncode == 2 and "a run is in progress in this directory (pid" in r.stderr
        assert "Traceback" not in r.stderr and "internal error" not in r.stderr
        # readers never block
        assert bdsc("status", out).returncode == 0
    assert bdsc("run", spec, "--out", out).returncode == 0


def test_a_killed_run_is_not_running_forever(tmp_path):
    spec = write_spec(tmp_path)
    out = tmp_path / "run"
    assert bdsc("run", spec, "--out", out).returncode == 0
    store = Store.open(out)  # a run that died without a word (SIGKILL)
    store.db.execute("UPDATE runs SET status='running', finished_at=NULL")
    store.close()
    status = json.loads(bdsc("status", out, "--format", "json").stdout)
    assert status["last_run"]["status"] == "interrupted"  # no process holds the lock
    assert bdsc("run", spec, "--out", out).returncode == 0
    rows = Store.open_readonly(out).db.execute("SELECT status FROM runs ORDER BY id").fetchall()
    assert [r[0] for r in rows] == ["interrupted", "done"]


def test_a_wrong_base_url_fails_before_any_job_in_seconds(tmp_path):
    spec = write_spec(tmp_path, model="openai/mock-chat", per_cell=30)
    started = time.monotonic()
    r = bdsc("run", spec, "--out", tmp_path / "run", "--timeout", "5",
             env={"OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "OPENAI_API_KEY": "x"})
    took = time.monotonic() - started
    assert r.returncode == 2, r.stderr
    assert "model `openai/mock-chat`" in r.stderr and "hint:" in r.stderr
    assert took < 60  # was 197 s for 60 jobs, the cause only in `bdsc status`
    status = json.loads(bdsc("status", tmp_path / "run", "--format", "json").stdout)
    assert status["jobs"]["done"] == 0 and status["llm_calls"] == 0


def test_a_wrong_key_is_not_retried_and_says_so(tmp_path, mock):
    server = mock(api_key="right", models=["mock-chat"])
    spec = write_spec(tmp_path, model="openai/mock-chat")
    r = bdsc("run", spec, "--out", tmp_path / "run",
             env={**server.env(), "OPENAI_API_KEY": "wrong"})
    assert r.returncode == 2 and "check the API key" in r.stderr
    assert len(server.log.entries()) <= 2  # one probe (and its one retry at most), no jobs


def test_read_only_and_corrupt_run_directories_are_one_line_errors(tmp_path):
    spec = write_spec(tmp_path, gates="not_truncated")
    out = tmp_path / "run"
    assert bdsc("run", spec, "--out", out).returncode == 0
    out.chmod(0o555)
    (out / "store.sqlite").chmod(0o444)
    try:
        # readers work in a read-only directory
        assert bdsc("status", out).returncode == 0
        assert bdsc("export", out, "--format", "openai", "-o", tmp_path / "o",
                    "--include-unreviewed").returncode == 0
    finally:
        out.chmod(0o755)
        (out / "store.sqlite").chmod(0o644)
    plan = (out / "plan.json").read_text()
    (out / "plan.json").write_text(plan[: len(plan) // 2])
    r = bdsc("export", out, "--format", "openai", "-o", tmp_path / "o2")
    assert r.returncode == 2 and "plan.json cannot be read" in r.stderr
    (out / "plan.json").write_text(plan)
    db = sqlite3.connect(out / "store.sqlite")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the main file, then cut it
    db.close()
    data = (out / "store.sqlite").read_bytes()
    (out / "store.sqlite").write_bytes(data[: len(data) // 3])
    for args in (("status", out), ("score", out), ("export", out, "-o", tmp_path / "o3")):
        r = bdsc(*args)
        assert r.returncode == 2, (args, r.stderr)
        assert "internal error" not in r.stderr and "Traceback" not in r.stderr
        assert len(r.stderr.strip().splitlines()) <= 2


def test_a_partly_damaged_store_is_not_exported(tmp_path):
    spec = write_spec(tmp_path, gates="not_truncated")
    out = tmp_path / "run"
    assert bdsc("run", spec, "--out", out).returncode == 0
    db = sqlite3.connect(out / "store.sqlite")
    page = db.execute("PRAGMA page_size").fetchone()[0]
    root = db.execute("SELECT rootpage FROM sqlite_master WHERE name='annotations'").fetchone()[0]
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    raw = bytearray((out / "store.sqlite").read_bytes())
    start = (root - 1) * page
    raw[start:start + 12] = b"\x0d\x00\x00\x00\xff\xff\x00\x00\x00\x00\x00\x00"  # a bad header
    (out / "store.sqlite").write_bytes(bytes(raw))
    check = bdsc("status", out, "--check")
    assert check.returncode == 2 and "integrity FAILED" in check.stdout + check.stderr
    r = bdsc("export", out, "--format", "openai", "-o", tmp_path / "o", "--include-unreviewed")
    assert r.returncode == 2
    assert "integrity" in r.stderr


def test_fault_injection_run_completes_with_causes_and_nothing_paid_twice(tmp_path, mock):
    """30% of requests fail (429, 500, timeouts, hangs; seeded) at a local OpenAI-compatible
    server: every job ends done or failed with its cause, and no call is paid twice."""
    server = mock(seed=5, latency=0.02, timeout_delay=30,
                  faults={"429": 0.10, "500": 0.08, "timeout": 0.06, "hang": 0.06})
    spec = write_spec(tmp_path, model="openai/mock-chat", per_cell=4, gates="not_truncated")
    out = tmp_path / "run"
    r = bdsc("run", spec, "--out", out, "--timeout", "2", "--concurrency", "4",
             env=server.env(), timeout=600)
    assert r.returncode in (0, 3), r.stderr
    status = json.loads(bdsc("status", out, "--format", "json").stdout)
    jobs = status["jobs"]
    assert jobs["done"] + jobs["failed"] == jobs["total"] == 8 and jobs["pending"] == 0
    assert all(f["error"] for f in status["failures"])  # a failed job names its cause
    assert status["retries"]  # retries happened, and are counted by cause
    assert set(status["retries"]) <= {"rate_limit", "server", "timeout", "connection"}
    billed = server.log.billed_counts()
    assert billed and max(billed.values()) == 1  # no request body paid for twice
    store = Store.open_readonly(out)
    n, distinct = store.db.execute(
        "SELECT COUNT(*), COUNT(DISTINCT request_hash) FROM llm_calls").fetchone()
    assert n == distinct == sum(billed.values())  # every paid call journaled, once
