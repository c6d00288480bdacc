"""One worker of a many-worker run: the normal engine (`executor.work`) in its own process.

A worker gets a WorkerTask (where the store is, the plan, the run's options), opens the
store, claims jobs by lease until none is left and returns its counters. The coordinator
(bdsl.engine.distributed) starts N of them as local processes or as Ray tasks; neither
kind shares memory with the coordinator, only the store. A worker that dies leaves leases
that expire; the others take its jobs and replay its journaled calls, so nothing is paid
twice.

    python -m bdsl.engine.worker < task.json    # prints the worker's result as JSON
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

import attrs


@attrs.frozen
class WorkerTask:
    target: str  # a store.sqlite path or a postgresql:// URL
    plan_json: str
    options: dict  # RunOptions as data
    run_id: int
    timeout_s: float = 120.0
    name: str = "worker"


def run_worker(task: WorkerTask) -> dict:
    """Work until no job is left; the counters, for the coordinator to add up."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    from bdsl import ir
    from bdsl.engine.calls import Budget, Counters
    from bdsl.engine.executor import RunOptions, work
    from bdsl.engine.llm_adapter import LLMCompleter
    from bdsl.llm.routes import routes_of
    from bdsl.serialize import from_json
    from bdsl.store import Store
    from bdsl.store.db import owner_id

    plan = from_json(task.plan_json, ir.Plan)
    options = RunOptions(**task.options)
    store = Store(task.target)
    try:
        completer = LLMCompleter(max_concurrency=2 * options.concurrency,
                                 timeout_s=task.timeout_s, routes=routes_of(plan))
        counters = Counters()
        budget = Budget(options.max_cost, options.max_tokens, store.spent())
        owner = f"{task.name}@{owner_id()}"
        failed = asyncio.run(work(plan, store, completer, options, task.run_id, counters,
                                  budget, owner=owner, shared=True))
    finally:
        store.close()
    return {"name": task.name, "owner": owner, "failed": failed,
            "calls_made": counters.calls_made, "cache_hits": counters.cache_hits,
            "jobs_done": counters.jobs_done, "retries": counters.retries,
            "stopped": budget.stopped}


def main() -> None:
    task = WorkerTask(**json.load(sys.stdin))
    json.dump(run_worker(task), sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
