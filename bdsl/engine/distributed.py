"""Many workers on one plan: the coordinator of `bdsc run --executor processes|ray`.

The coordinator (the `bdsc run` process) has already prepared the run: jobs synced into
the store, preflight passed. It starts N workers (bdsl.engine.worker), each the normal
engine claiming jobs by lease from the shared store, and watches them: progress comes
from the store (the journal is exact whoever wrote it), a worker that dies is reported
and its jobs go to the others when their leases expire. If every worker died with work
left, new ones are started (at most N more). The coordinator then finishes the run as a
single-worker run would.

Pools: `processes` (local OS processes, SQLite or PostgreSQL) and `ray` (Ray tasks on a
local or remote cluster; needs a store every node reaches, i.e. PostgreSQL).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from typing import IO

import attrs

from bdsl import ir
from bdsl.engine.calls import Budget, Counters
from bdsl.engine.executor import RunOptions, RunOutcome, effective_jobs, finish_run
from bdsl.engine.worker import WorkerTask, run_worker
from bdsl.serialize import to_json
from bdsl.store import Store

POLL_S = 0.5


@attrs.frozen
class Ended:
    name: str
    result: dict | None  # the worker's counters; None when it died
    error: str = ""


class ProcessPool:
    """Workers as local processes (`python -m bdsl.engine.worker`)."""

    def __init__(self):
        self.procs: dict[str, tuple[subprocess.Popen, IO, IO]] = {}

    def start(self, task: WorkerTask) -> None:
        # output to files, not pipes: a chatty worker must never block on a full pipe
        out, err = tempfile.TemporaryFile("w+"), tempfile.TemporaryFile("w+")
        proc = subprocess.Popen([sys.executable, "-m", "bdsl.engine.worker"],
                                stdin=subprocess.PIPE, stdout=out, stderr=err, text=True,
                                env={**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"})
        # the task is written by a thread: a plan larger than the pipe would block here
        asyncio.get_running_loop().run_in_executor(None, _feed, proc, attrs.asdict(task))
        self.procs[task.name] = (proc, out, err)

    def ended(self) -> list[Ended]:
        found = []
        for name, (proc, out, err) in list(self.procs.items()):
            if proc.poll() is None:
                continue
            del self.procs[name]
            out.seek(0)
            err.seek(0)
            lines, problems = out.read().strip().splitlines(), err.read().strip().splitlines()
            out.close()
            err.close()
            if proc.returncode == 0 and lines:
                found.append(Ended(name, json.loads(lines[-1])))
            else:
                last = problems[-1][:200] if problems else "no output"
                found.append(Ended(name, None, f"exit {proc.returncode}: {last}"))
        return found

    @property
    def running(self) -> int:
        return len(self.procs)

    def shutdown(self) -> None:
        for proc, _, _ in self.procs.values():
            proc.kill()


def _feed(proc: subprocess.Popen, task: dict) -> None:
    try:
        proc.stdin.write(json.dumps(task))
        proc.stdin.close()
    except (BrokenPipeError, OSError):
        pass  # the worker died first; ended() reports it


class RayPool:
    """Workers as Ray tasks: a local cluster started here, or `address` of a running one."""

    def __init__(self, address: str | None, workers: int):
        import logging

        import ray

        self.ray = ray
        if not ray.is_initialized():
            if address:
                ray.init(address=address, logging_level=logging.ERROR, log_to_driver=False)
            else:  # a local cluster; workers wait on the network, not the CPU
                ray.init(num_cpus=max(workers, os.cpu_count() or 1), include_dashboard=False,
                         logging_level=logging.ERROR, log_to_driver=False)
        # a task that dies is not retried by Ray: its leases expire and other workers
        # take its jobs (the same path as a lost node)
        self.remote = ray.remote(max_retries=0, num_cpus=1)(_ray_worker)
        self.refs: dict = {}
        self.plan_ref = None

    def start(self, task: WorkerTask) -> None:
        if self.plan_ref is None:
            self.plan_ref = self.ray.put(task.plan_json)
        self.refs[self.remote.remote(attrs.evolve(task, plan_json=""), self.plan_ref)] = \
            task.name

    def ended(self) -> list[Ended]:
        if not self.refs:
            return []
        ready, _ = self.ray.wait(list(self.refs), num_returns=len(self.refs), timeout=0)
        out = []
        for ref in ready:
            name = self.refs.pop(ref)
            try:
                out.append(Ended(name, self.ray.get(ref)))
            except Exception as e:  # the worker process or its node died
                out.append(Ended(name, None, f"{type(e).__name__}: "
                                             f"{str(e).strip().splitlines()[0][:200]}"))
        return out

    @property
    def running(self) -> int:
        return len(self.refs)

    def shutdown(self) -> None:
        for ref in self.refs:
            self.ray.cancel(ref, force=True)


def _ray_worker(task: WorkerTask, plan_json: str) -> dict:
    return run_worker(attrs.evolve(task, plan_json=plan_json))


POOLS: dict[str, Callable[[str | None, int], object]] = {
    "processes": lambda address, workers: ProcessPool(),
    "ray": lambda address, workers: RayPool(address, workers),
}


async def run_workers(plan: ir.Plan, store: Store, options: RunOptions, head: RunOutcome,
                      counters: Counters, budget: Budget, executor: str, workers: int,
                      address: str | None, timeout_s: float,
                      say: Callable[[str], None] = print) -> RunOutcome:
    pool = POOLS[executor](address, workers)
    base = WorkerTask(str(store.target), to_json(plan), attrs.asdict(options), head.run_id,
                      timeout_s)
    keys = [j.key for j, _ in effective_jobs(plan, options)]
    started = 0

    def start_one() -> None:
        nonlocal started
        started += 1
        pool.start(attrs.evolve(base, name=f"w{started}"))

    for _ in range(workers):
        start_one()
    results: list[dict] = []
    died = 0
    try:
        while True:
            for end in pool.ended():
                if end.result is not None:
                    results.append(end.result)
                else:
                    died += 1
                    say(f"worker {end.name} died ({end.error}); its jobs go to the other "
                        f"workers when their leases expire ({options.lease_s:g}s)")
            _progress(store, head.run_id, keys, counters)
            if pool.running == 0:
                stopped = next((r["stopped"] for r in results if r["stopped"]), "")
                if stopped or not store.unfinished() or started >= 2 * workers:
                    budget.stopped = budget.stopped or stopped
                    break
                start_one()  # every worker died with work left
                continue
            await asyncio.sleep(POLL_S)
    finally:
        pool.shutdown()
    counters.cache_hits = sum(r["cache_hits"] for r in results)
    counters.retries = _sum_dicts(r["retries"] for r in results)
    _progress(store, head.run_id, keys, counters)
    budget.spent = store.spent()
    failed = sum(r["failed"] for r in results)
    return finish_run(store, plan, options, head, counters, budget, failed or died)


def _progress(store: Store, run_id: int, keys: list[str], counters: Counters) -> None:
    states = store.job_states()
    counters.jobs_done = sum(1 for k in keys if states.get(k) == "done")
    counters.jobs_failed = sum(1 for k in keys if states.get(k) == "failed")
    counters.turns = store.turns_written(run_id)
    used = store.spent(run_id)
    counters.calls_made = used.calls
    counters.prompt_tokens, counters.completion_tokens = used.prompt_tokens, \
        used.completion_tokens
    counters.cost = used.cost


def _sum_dicts(dicts) -> dict:
    out: dict = {}
    for d in dicts:
        for k, v in d.items():
            out[k] = out.get(k, 0) + v
    return out
