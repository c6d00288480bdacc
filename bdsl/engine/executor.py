"""Run a Plan's jobs with asyncio under a concurrency limit, journaling everything.

    outcome = await execute(plan, store, completer, RunOptions(concurrency=8))

Jobs already done at their current content hash are reused; the rest run (a
rerun replays their finished calls from the store). A job's conversation is
stored atomically with its turns once the whole job succeeded.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import attrs

from bdsl import ir
from bdsl.engine.calls import Budget, BudgetExceeded, CallJournal, Counters
from bdsl.engine.context import JobVariables
from bdsl.engine.kinds import runner
from bdsl.engine.novel import invent_scenario
from bdsl.engine.port import CallFailed, Completer
from bdsl.engine.prompts import PromptRenderer, TemplateError
from bdsl.engine.provenance import provenance
from bdsl.engine.steps import JobFailed, JobRun
from bdsl.serialize import canonical_hash, to_data
from bdsl.store import Store

TEMPLATES_USED = ("user_system", "user_turn", "assistant_system", "assistant_turn", "annotate")


@attrs.frozen
class RunOptions:
    model: str = ""  # overrides every job's model
    limit: int | None = None  # only the first N jobs of the plan
    concurrency: int = 8
    max_cost: float | None = None
    max_tokens: int | None = None
    max_attempts: int = 3


@attrs.frozen
class RunOutcome:
    run_id: int
    status: str  # done | failed | stopped_budget
    jobs: int
    reused: int
    regenerated: int
    new: int
    done: int
    failed: int
    pending: int
    calls_made: int
    cache_hits: int
    stop_reason: str = ""


class ConfigError(Exception):
    """The plan cannot run as configured (unknown kind, broken template, ...)."""


def effective_jobs(plan: ir.Plan, options: RunOptions) -> list[tuple[ir.Job, str]]:
    """(job with the model override applied, effective content hash)."""
    jobs = plan.jobs[: options.limit] if options.limit is not None else plan.jobs
    out = []
    for job in jobs:
        chash = job.content_hash or canonical_hash(to_data(job))
        if options.model and options.model != job.model.name:
            job = attrs.evolve(job, model=attrs.evolve(job.model, name=options.model))
            chash = canonical_hash({"job": chash, "model": options.model})
        out.append((job, chash))
    return out


def check_plan(plan: ir.Plan, jobs: list[tuple[ir.Job, str]]) -> list[str]:
    return PromptRenderer(plan.templates).check(TEMPLATES_USED)


async def execute(plan: ir.Plan, store: Store, completer: Completer, options: RunOptions,
                  counters: Counters | None = None,
                  on_start: Callable[[RunOutcome], None] | None = None) -> RunOutcome:
    jobs = effective_jobs(plan, options)
    problems = check_plan(plan, jobs)
    if problems:
        raise ConfigError("; ".join(problems))
    counters = counters or Counters()
    run_id = store.start_run(plan, options.model, attrs.asdict(options))
    store.sync_jobs(run_id, plan, jobs)
    states = store.job_states()
    todo = [(j, h) for j, h in jobs if states.get(j.key) != "done"]
    # regenerated: an older version of the job was finished before the spec changed
    had_output = store.keys_with_conversations()
    regenerated = sum(1 for j, _ in todo if j.key in had_output)
    counters.jobs_total, counters.jobs_reused = len(jobs), len(jobs) - len(todo)
    counters.jobs_done = counters.jobs_reused
    store.update_run(run_id, reused=counters.jobs_reused, regenerated=regenerated)
    head = RunOutcome(run_id, "running", len(jobs), counters.jobs_reused, regenerated,
                      len(todo) - regenerated, counters.jobs_done, 0, len(todo), 0, 0)
    if on_start:
        on_start(head)

    budget = Budget(options.max_cost, options.max_tokens, store.spent())
    journal = CallJournal(store, run_id, completer, budget, counters)
    renderer = PromptRenderer(plan.templates)
    index = plan.index()
    limiter = asyncio.Semaphore(max(1, options.concurrency))
    failed: list[str] = []

    async def one(job: ir.Job, chash: str) -> None:
        async with limiter:
            if budget.stopped:
                return
            run = JobRun(job, chash, job.model, JobVariables(plan, index, job), renderer,
                         journal, options.max_attempts)
            started = time.time()
            try:
                if job.context.novel:
                    await invent_scenario(run)
                await runner(job.kind)(run)
            except BudgetExceeded:
                return  # left pending: its journaled calls replay on the next run
            except (JobFailed, CallFailed, TemplateError, ValueError) as e:
                reason = f"{type(e).__name__}: {e}"
                store.fail_job(job.key, chash, reason)
                store.record_error(run_id, job.key, chash, "job", -1, 0, _kind(e), str(e))
                failed.append(job.key)
                counters.jobs_failed += 1
                return
            store.finish_job(run_id, job, chash, job.model.name, _params(job.model), run.turns,
                             run.usage, started, provenance(plan, job, chash, run, started))
            counters.jobs_done += 1

    flusher = asyncio.create_task(_flush_counters(store, run_id, counters))
    try:
        await asyncio.gather(*(one(j, h) for j, h in todo))
    finally:
        flusher.cancel()
        store.update_run(run_id, calls_made=counters.calls_made, cache_hits=counters.cache_hits)

    final = store.job_states()
    pending = sum(1 for j, _ in jobs if final.get(j.key) == "pending")
    status = "stopped_budget" if budget.stopped else ("failed" if failed else "done")
    store.update_run(run_id, status=status, calls_made=counters.calls_made,
                     cache_hits=counters.cache_hits, finished=True)
    return RunOutcome(run_id, status, len(jobs), counters.jobs_reused, regenerated,
                      len(todo) - regenerated, counters.jobs_done, len(failed), pending,
                      counters.calls_made, counters.cache_hits, budget.stopped)


async def _flush_counters(store: Store, run_id: int, counters: Counters) -> None:
    """Keep the runs row roughly current so `bdsc status` during a run (or after a kill)
    shows calls and cache hits; the journal itself is always exact."""
    while True:
        await asyncio.sleep(2.0)
        store.update_run(run_id, calls_made=counters.calls_made, cache_hits=counters.cache_hits)


def _params(model: ir.ModelConfig) -> dict:
    return {"temperature": model.temperature, "max_tokens": model.max_tokens,
            "top_p": model.top_p}


def _kind(e: Exception) -> str:
    return {"CallFailed": "llm_error", "TemplateError": "template"}.get(type(e).__name__,
                                                                         "job_failed")
