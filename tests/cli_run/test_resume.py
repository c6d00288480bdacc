"""kill -9 a real `bdsc run` many times; the rerun must end exactly where an
uninterrupted run ends: same conversations, no duplicates, no call paid twice."""

import os
import random
import signal
import subprocess
import sys
import time

import attrs
import pytest

from bdsl import ir
from bdsl.serialize import canonical_hash, to_data, to_json
from bdsl.store import Store, conversations
from tests.engine.plans import job, plan

try:
    import bdsl.llm  # noqa: F401

    HAVE_LLM = True
except ImportError:  # until bdsl.llm lands: the same CLI code, with the model seam replaced
    HAVE_LLM = False

# `bdsc run` in-process in the child, its LLMCompleter swapped for the echo completer
DRIVER = """
import os, sys
import bdsl.engine.llm_adapter as adapter
from tests.engine.plans import ScriptedCompleter
adapter.LLMCompleter = lambda *a, **k: ScriptedCompleter(
    latency=float(os.environ["BDSL_FAKE_LATENCY"]))
from bdsl.cli import main
main(sys.argv[1:], prog_name="bdsc")
"""
FAKE = ir.ModelConfig("fake/echo", temperature=0.0, max_tokens=64)
N_JOBS = 24


def fake_plan() -> ir.Plan:
    jobs = []
    for i in range(N_JOBS):
        j = attrs.evolve(job(f"ds:{i}", seed=i), model=FAKE, content_hash="")
        jobs.append(attrs.evolve(j, content_hash=canonical_hash(to_data(j))))
    return plan(*jobs, name="resume")


ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def bdsc(*args):
    if HAVE_LLM:
        return [sys.executable, "-m", "bdsl", *args]
    return [sys.executable, "-c", DRIVER, *args]


def run_env():
    return dict(os.environ, LITELLM_LOCAL_MODEL_COST_MAP="True", BDSL_FAKE_LATENCY="0.12",
                PYTHONPATH=ROOT)


def journaled_calls(run_dir) -> int:
    import sqlite3

    path = run_dir / "store.sqlite"
    if not path.exists():
        return 0
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=0.05)
        try:
            return db.execute("SELECT COUNT(*) FROM llm_calls").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:  # schema not created yet, or busy: try again shortly
        return 0


def snapshot(run_dir):
    store = Store.open(run_dir)
    convs = [(c.job_key, c.content_hash, tuple((t.seq, t.role, t.kind, t.content,
                                                  t.annotation) for t in c.turns))
             for c in conversations(store, current=False)]
    calls = store.db.execute("SELECT COUNT(*), COUNT(DISTINCT request_hash) FROM llm_calls"
                             ).fetchone()
    states = store.job_states()
    store.close()
    return sorted(convs), calls, states


@pytest.mark.slow  # ~1-2 min: 10-20 process starts (litellm import) on 2 cores
def test_kill_9_many_times_then_resume_equals_an_uninterrupted_run(tmp_path):
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(to_json(fake_plan()))
    env = run_env()

    clean_dir = tmp_path / "clean"
    done = subprocess.run(bdsc("run", str(plan_file), "--out", str(clean_dir),
                               "--concurrency", "4"), env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    expected = snapshot(clean_dir)
    assert len(expected[0]) == N_JOBS and expected[1][0] == N_JOBS * 8

    rng = random.Random(1234)
    killed_dir = tmp_path / "killed"
    kills, progress = 0, []
    for _ in range(30):
        before = journaled_calls(killed_dir)
        proc = subprocess.Popen(bdsc("run", str(plan_file), "--out", str(killed_dir),
                                     "--concurrency", "4"), env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # Kill at a random point of the *work*, whatever the start-up costs: once the
        # journal has grown by a random number of calls (sometimes mid-call, sometimes
        # between a call's commit and its job's commit).
        target = before + rng.randint(1, 14)
        deadline = time.monotonic() + 60
        while proc.poll() is None and journaled_calls(killed_dir) < target \
                and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(rng.uniform(0, 0.05))
        finished = proc.poll() is not None
        if not finished:
            os.kill(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait()
        if (killed_dir / "store.sqlite").exists():
            progress.append(sum(s == "done" for s in snapshot(killed_dir)[2].values()))
        if finished or kills >= 12:
            break
    final = subprocess.run(bdsc("run", str(plan_file), "--out", str(killed_dir)), env=env,
                           capture_output=True, text=True, timeout=120)
    assert final.returncode == 0, final.stderr
    got = snapshot(killed_dir)
    assert kills >= 10, "the run finished before it could be killed often enough"
    # some kills landed mid-run: part of the jobs done, and progress never went backwards
    assert any(0 < n < N_JOBS for n in progress), progress
    assert progress == sorted(progress), progress
    print(f"{kills} kills; jobs done after each run: {progress}")
    assert got[0] == expected[0]  # same conversations, none duplicated
    calls, distinct = got[1]
    assert calls == distinct == expected[1][0]  # every call paid exactly once
    assert set(got[2].values()) == {"done"}
