"""docs/scale.md cannot drift: every output it shows is what the code prints today.

Each block marked `<!-- output:NAME -->` starts with the command (`$ bdsc ...`); the test
runs it in a scratch folder holding the tutorial's finished spec as `coach.bds`, against
the local mock OpenAI server (`openai/gpt-4o-mini` answered by the mock, priced by
litellm's cost map) and, for the PostgreSQL blocks, the throwaway server of the `postgres`
fixture. Outputs are compared after normalising what changes from run to run and nothing
else: durations and rates, the server's port, the scratch folder's path, batch ids.
BDSL_UPDATE_DOCS=1 rewrites the blocks with today's output.

Both command tests are marked slow: every block is a `bdsc` process paying seconds of
start-up, so the PostgreSQL and batch blocks take about 2 minutes on the busy 2-core
development machine, and the worker blocks (local processes with one killed, a local Ray
cluster) with the batch run killed mid-batch about 3.5 minutes. The scaling table (from
the bench's JSON, no process) is checked in the fast suite.

    BDSL_UPDATE_DOCS=1 pytest tests/scale/test_scale_doc.py -m slow    # rewrite the blocks
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bdsl.testing import MockServer
from tests.conftest import ROOT
from tests.doc_blocks import check_output_blocks

DOC = ROOT / "docs" / "scale.md"
SPEC = ROOT / "specs" / "tutorial" / "first_spec.bds"
SHOWN_PORT = "5432"  # the doc's PostgreSQL port; the test's server has its own
SHOWN_HOME = "/home/ana/coach"  # the doc's scratch folder
TIMING = re.compile(r"\d+(\.\d+)?s\b|\d+(\.\d+)?/s\b")
BATCH_ID = re.compile(r"batch_mock\d+")
HEX_HOME = re.compile(r'"home": "[0-9a-f]{32}"')
# a killed worker: which one dies, and how many calls its successor replays, is timing
KILLED = (re.compile(r"worker w\d died"), re.compile(r"\d+ replayed from the store"),
          re.compile(r"\d+ cached\)"))
SCALING = ROOT / "bench" / "results" / "scaling-2026-11-25.json"
TABLE_BLOCK = re.compile(r"(<!-- table:scaling -->\n)((?:\|.*\n)*)")
FAST = ("pg-run", "pg-json", "pg-status", "pg-resume", "pg-refused", "pg-wrong-url",
        "live-run", "batch-run", "batch-status", "batch-fallback")
SLOW = ("procs-kill", "ray-run", "batch-resume")


# Printed by the interpreter at exit when httpx/anyio left a connection coroutine unawaited
# (seen after a resumed batch run); warning filters do not apply there. Known noise.
EXIT_WARNING = re.compile(r"^(?:sys:1: )?RuntimeWarning: (?:coroutine '.*' was never awaited"
                          r"|Enable tracemalloc to get the object allocation traceback)\n",
                          re.M)


def normal(text: str, killed: bool = False) -> str:
    text = EXIT_WARNING.sub("", text)
    text = BATCH_ID.sub("batch_mock<id>", TIMING.sub("<t>", text))
    text = HEX_HOME.sub('"home": "<id>"', text)
    if killed:
        for pattern in KILLED:
            text = pattern.sub("<n>", text)
    return text


class Shell:
    """`$ command` run in `folder` as a user types it; the terminal's text back, with
    the folder's path and the server's port as the doc shows them."""

    def __init__(self, folder: Path, env: dict, pg_port: int | None = None):
        self.folder, self.env, self.pg_port = folder, env, pg_port

    def argv(self, command: str) -> list[str]:
        if self.pg_port is not None:
            command = command.replace(f"127.0.0.1:{SHOWN_PORT}", f"127.0.0.1:{self.pg_port}")
        words = command.split()
        if words[0] == "bdsc":
            return [sys.executable, "-m", "bdsl", *words[1:]]
        return words

    def shown(self, command: str, text: str) -> str:
        text = text.rstrip().replace(str(self.folder.resolve()), SHOWN_HOME)
        if self.pg_port is not None:
            text = text.replace(f":{self.pg_port}/", f":{SHOWN_PORT}/")
        return f"$ {command}\n{text}"

    def env_for(self, extra: dict | None) -> dict:
        return {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "COLUMNS": "100",
                **self.env, **(extra or {})}

    def __call__(self, command: str, extra_env: dict | None = None, timeout: float = 300):
        out = subprocess.run(self.argv(command), cwd=self.folder, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             timeout=timeout, env=self.env_for(extra_env))
        return self.shown(command, out.stdout)

    def start(self, command: str) -> subprocess.Popen:
        return subprocess.Popen(self.argv(command), cwd=self.folder, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                env=self.env_for(None))


def _scratch(tmp_path: Path) -> Path:
    folder = tmp_path / "coach"
    folder.mkdir()
    (folder / "coach.bds").write_text(SPEC.read_text())
    return folder


def _database(postgres, name: str) -> None:
    import psycopg

    with psycopg.connect(postgres.url(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")


def fast_outputs(tmp_path: Path, postgres) -> dict[str, str]:
    folder = _scratch(tmp_path)
    _database(postgres, "coach")
    out = {}
    with MockServer(latency=0.0, batch_validating=0.1, batch_in_progress=0.3) as server:
        sh = Shell(folder, server.env(), postgres.port)
        pg = f"postgresql://postgres@127.0.0.1:{SHOWN_PORT}/coach"
        model = "--limit 2 --model openai/gpt-4o-mini"
        out["pg-run"] = sh(f"bdsc run coach.bds --out runs/pg {model} --store {pg}")
        out["pg-json"] = sh("cat runs/pg/store.json")
        out["pg-status"] = sh("bdsc status runs/pg")
        out["pg-resume"] = sh(f"bdsc run coach.bds --out runs/pg {model} --store {pg}")
        out["pg-refused"] = sh(f"bdsc run coach.bds --out runs/other {model} --store {pg}")
        out["pg-wrong-url"] = sh(f"bdsc run coach.bds --out runs/x {model} --store "
                                 "postgresql://ana:s3cret@127.0.0.1:1/coach")
        out["live-run"] = sh(f"bdsc run coach.bds --out runs/live {model}")
        out["batch-run"] = sh(f"bdsc run coach.bds --out runs/batch {model} --batch "
                              "--poll 0.2")
        out["batch-status"] = sh("bdsc status runs/batch")
        out["batch-fallback"] = sh("bdsc run coach.bds --out runs/echo --limit 1 --model "
                                   "fake/echo --batch")
    return out


def _children(pid: int, marker: bytes) -> list[int]:
    """pids whose command line holds `marker` and whose parent is `pid`, oldest first."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmd = f.read()
        except (OSError, ValueError, IndexError):
            continue
        if ppid == pid and marker in cmd:
            found.append(int(entry))
    return sorted(found)


def _done_jobs(run_dir: Path) -> int:
    import sqlite3

    try:
        with sqlite3.connect(f"file:{run_dir / 'store.sqlite'}?mode=ro", uri=True) as db:
            return db.execute("SELECT COUNT(*) FROM jobs WHERE state = 'done'").fetchone()[0]
    except sqlite3.Error:
        return 0


def _batches_sent(run_dir: Path) -> int:
    import sqlite3

    try:
        with sqlite3.connect(f"file:{run_dir / 'store.sqlite'}?mode=ro", uri=True) as db:
            return db.execute("SELECT COUNT(*) FROM batches").fetchone()[0]
    except sqlite3.Error:
        return 0


def _finish(sh: Shell, command: str, proc: subprocess.Popen) -> str:
    text, _ = proc.communicate(timeout=300)
    return sh.shown(command, text)


def slow_outputs(tmp_path: Path, postgres) -> dict[str, str]:
    folder = _scratch(tmp_path)
    _database(postgres, "coach_ray")
    out = {}
    with MockServer(latency=0.2, batch_validating=0.1, batch_in_progress=3.0) as server:
        sh = Shell(folder, server.env(), postgres.port)
        model = "--model openai/gpt-4o-mini"

        # two worker processes on a SQLite store; one is killed mid-run
        command = (f"bdsc run coach.bds --out runs/procs {model} --executor processes "
                   "--workers 2 --concurrency 2 --lease 5")
        proc = sh.start(command)
        deadline = time.time() + 240
        killed = False
        while not killed and time.time() < deadline and proc.poll() is None:
            time.sleep(0.2)
            workers = _children(proc.pid, b"bdsl.engine.worker")
            if len(workers) == 2 and _done_jobs(folder / "runs" / "procs") >= 2:
                os.kill(workers[0], signal.SIGKILL)
                killed = True
        out["procs-kill"] = _finish(sh, command, proc)
        assert killed, out["procs-kill"]

        pg = f"postgresql://postgres@127.0.0.1:{SHOWN_PORT}/coach_ray"
        out["ray-run"] = sh(f"bdsc run coach.bds --out runs/ray {model} --executor ray "
                            f"--workers 2 --store {pg}")

        # a batch run killed while its first batch is out, then run again
        command = f"bdsc run coach.bds --out runs/batch --limit 2 {model} --batch --poll 0.2"
        proc = sh.start(command)
        deadline = time.time() + 120
        while time.time() < deadline and proc.poll() is None:
            time.sleep(0.1)
            if _batches_sent(folder / "runs" / "batch"):
                proc.send_signal(signal.SIGKILL)
                break
        proc.wait()
        server.configure(batch_in_progress=0.3)
        out["batch-resume"] = sh(command)
    return out


def _check(want: dict[str, str], killed: tuple[str, ...] = ()) -> None:
    check_output_blocks(DOC, want, "tests/scale/test_scale_doc.py -m slow", set(FAST) | set(SLOW),
                        lambda name, text: normal(text, name in killed))


@pytest.mark.slow
def test_the_postgresql_and_batch_outputs_are_what_the_code_prints(tmp_path, postgres):
    _check(fast_outputs(tmp_path, postgres))


@pytest.mark.slow
def test_the_worker_and_resume_outputs_are_what_the_code_prints(tmp_path, postgres):
    pytest.importorskip("ray")
    _check(slow_outputs(tmp_path, postgres), killed=("procs-kill",))


def scaling_table() -> str:
    """The table of docs/scale.md section 5, from the bench's JSON as it wrote it."""
    import json

    data = json.loads(SCALING.read_text())
    store = {"local": "SQLite", "processes": "SQLite", "ray": "PostgreSQL"}
    lines = ["| executor | store | workers | calls | span s | wall s | calls/s | ideal calls/s "
             "| efficiency | speedup | answered 429 |",
             "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for r in data["rows"]:
        lines.append(f"| {r['executor']} | {store[r['executor']]} | {r['workers']} | "
                     f"{r['calls']} | {r['span_s']:.2f} | {r['wall_s']:.2f} | "
                     f"{r['throughput']:.2f} | {r['ideal']:.2f} | {r['efficiency']:.2f} | "
                     f"{r['speedup']:.2f}x | {r['rate_limited']} |")
    return "\n".join(lines) + "\n"


def test_the_scaling_table_is_the_bench_result():
    text = DOC.read_text(encoding="utf-8")
    want = scaling_table()
    if os.environ.get("BDSL_UPDATE_DOCS"):
        text = TABLE_BLOCK.sub(lambda m: m[1] + want, text)
        DOC.write_text(text, encoding="utf-8")
    [shown] = [m[2] for m in TABLE_BLOCK.finditer(text)]
    assert shown == want, "docs/scale.md's scaling table is not bench/results/" \
        "scaling-2026-11-25.json (BDSL_UPDATE_DOCS=1 pytest tests/scale/test_scale_doc.py)"
