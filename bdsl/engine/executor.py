"""Run a Plan's jobs with asyncio, journaling everything.

    outcome = await execute(plan, store, completer, RunOptions(concurrency=8))

`execute` is a coordinator and one worker: `prepare` records the run and brings the
store's jobs in line with the plan (jobs already done at their current content hash are
reused), then `work` claims pending jobs from the store, one lease at a time, and runs
`concurrency` of them at once until none is left. Several workers (other processes, Ray
tasks: bdsl.engine.distributed) can `work` on the same store: every job is claimed by one
worker at a time, a worker that dies leaves leases that expire, and every call is still
journaled once. A job's conversation is stored atomically with its turns once the whole
job succeeded; a rerun replays its finished calls from the journal.
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
from bdsl.store.db import owner_id, write_conversation

TEMPLATES_USED = ("user_system", "user_turn", "assistant_system", "assistant_turn", "annotate")
HEARTBEAT_S = 2.0


@attrs.frozen
class RunOptions:
    model: str = ""  # overrides every job's model
    limit: int | None = None  # only the first N jobs of the plan
    sample: int | None = None  # N jobs spread over the matrix (bdsl.engine.sampling)
    concurrency: int = 8  # jobs (conversations) in flight per worker
    max_cost: float | None = None
    max_tokens: int | None = None
    max_attempts: int = 3
    lease_s: float = 60.0  # a claimed job is another worker's to take after this long


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
    """(job with the model override applied, effective content hash), for the jobs this
    run covers: all, the first `limit`, or a `sample` spread over the matrix."""
    from bdsl.engine.sampling import spread

    jobs = plan.jobs
    if options.sample is not None:
        jobs = spread(jobs, options.sample)
    elif options.limit is not None:
        jobs = jobs[: options.limit]
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


def prepare(plan: ir.Plan, store: Store, options: RunOptions, counters: Counters
            ) -> RunOutcome:
    """Record the run, sync the store's jobs with the plan; the head of the outcome."""
    jobs = effective_jobs(plan, options)
    problems = check_plan(plan, jobs)
    if problems:
        raise ConfigError("; ".join(problems))
    run_id = store.start_run(plan, options.model, attrs.asdict(options))
    store.sync_jobs(run_id, plan, jobs)
    states = store.job_states()
    todo = [j for j, _ in jobs if states.get(j.key) != "done"]
    # regenerated: an older version of the job was finished before the spec changed
    had_output = store.keys_with_conversations()
    regenerated = sum(1 for j in todo if j.key in had_output)
    counters.jobs_total, counters.jobs_reused = len(jobs), len(jobs) - len(todo)
    counters.jobs_done = counters.jobs_reused
    store.update_run(run_id, reused=counters.jobs_reused, regenerated=regenerated)
    return RunOutcome(run_id, "running", len(jobs), counters.jobs_reused, regenerated,
                      len(todo) - regenerated, counters.jobs_done, 0, len(todo), 0, 0)


async def execute(plan: ir.Plan, store: Store, completer: Completer, options: RunOptions,
                  counters: Counters | None = None,
                  on_start: Callable[[RunOutcome], None] | None = None,
                  budget: Budget | None = None) -> RunOutcome:
    counters = counters or Counters()
    head = prepare(plan, store, options, counters)
    if on_start:
        on_start(head)
    budget = budget or Budget(options.max_cost, options.max_tokens, store.spent())
    failed = await work(plan, store, completer, options, head.run_id, counters, budget)
    return finish_run(store, plan, options, head, counters, budget, failed)


def finish_run(store: Store, plan: ir.Plan, options: RunOptions, head: RunOutcome,
               counters: Counters, budget: Budget, failed: int) -> RunOutcome:
    jobs = effective_jobs(plan, options)
    final = store.job_states()
    pending = sum(1 for j, _ in jobs if final.get(j.key) == "pending")
    failed = sum(1 for j, _ in jobs if final.get(j.key) == "failed") if failed else 0
    status = "stopped_budget" if budget.stopped else ("failed" if failed else "done")
    store.update_run(head.run_id, status=status, calls_made=counters.calls_made,
                     cache_hits=counters.cache_hits, finished=True, retries=counters.retries)
    done = sum(1 for j, _ in jobs if final.get(j.key) == "done")
    return RunOutcome(head.run_id, status, len(jobs), head.reused, head.regenerated, head.new,
                      done, failed, pending, counters.calls_made, counters.cache_hits,
                      budget.stopped)


async def work(plan: ir.Plan, store: Store, completer: Completer, options: RunOptions,
               run_id: int, counters: Counters, budget: Budget, owner: str = "",
               journal: CallJournal | None = None, shared: bool = False) -> int:
    """Claim and run pending jobs until none is left; the number that failed.

    shared=True: other workers run the same plan. A job another worker holds is waited for
    (its lease expires if that worker died, and this one takes it), and the budget is
    refreshed from the journal, which all workers write."""
    owner = owner or owner_id()
    journal = journal or CallJournal(store, run_id, completer, budget, counters)
    renderer = PromptRenderer(plan.templates)
    index = plan.index()
    by_key = {j.key: j for j, _ in effective_jobs(plan, options)}
    in_flight: set[str] = set()
    failed: list[str] = []

    async def run_job(job: ir.Job, chash: str) -> None:
        run = JobRun(job, chash, job.model, JobVariables(plan, index, job), renderer,
                     journal, options.max_attempts)
        started = time.time()
        try:
            if job.context.novel:
                await invent_scenario(run)
            await runner(job.kind)(run)
            await run.settle()  # the last annotations
        except BudgetExceeded:
            run.cancel_pending()
            store.release(owner, job.key)  # left pending: its calls replay on the next run
            return
        except (JobFailed, CallFailed, TemplateError, ValueError) as e:
            run.cancel_pending()
            reason = f"{type(e).__name__}: {e}"
            store.fail_job(job.key, chash, reason)
            store.record_error(run_id, job.key, chash, "job", -1, 0, _kind(e), str(e))
            failed.append(job.key)
            counters.jobs_failed += 1
            return
        await store.writer().submit(
            write_conversation, run_id, job, chash, job.model.name, _params(job.model),
            run.turns, run.usage, started, provenance(plan, job, chash, run, started))
        counters.jobs_done += 1

    skipped: set[str] = set()

    async def slot() -> None:
        while not budget.stopped:
            claim = store.claim_job(owner, options.lease_s)
            if claim is None:
                until = store.held_elsewhere(owner) if shared else None
                if until is None:
                    return
                await asyncio.sleep(min(max(until - time.time(), 0.05), 1.0))
                continue
            key, chash = claim
            job = by_key.get(key)
            if job is None:  # another worker's plan covers it (e.g. a different --limit)
                store.release(owner, key)
                if key in skipped:
                    return
                skipped.add(key)
                continue
            in_flight.add(key)
            try:
                await run_job(job, chash)
            finally:
                in_flight.discard(key)

    beat = asyncio.create_task(_heartbeat(store, run_id, owner, in_flight, options.lease_s,
                                          counters, completer, budget if shared else None))
    try:
        await asyncio.gather(*(slot() for _ in range(max(1, options.concurrency))))
    finally:
        beat.cancel()
        _copy_retries(completer, counters)
        if not shared:  # the coordinator sums its workers' counters into the runs row
            store.update_run(run_id, calls_made=counters.calls_made,
                             cache_hits=counters.cache_hits, retries=counters.retries)
    return len(failed)


async def _heartbeat(store: Store, run_id: int, owner: str, in_flight: set[str],
                     lease_s: float, counters: Counters, completer,
                     shared_budget: Budget | None) -> None:
    """Keep the runs row current (so `bdsc status` during a run, or after a kill, shows
    progress; the journal itself is always exact) and this worker's leases alive. With
    other workers, the budget learns what they spent (the journal holds every worker's
    calls; between beats a worker counts only its own)."""
    while True:
        await asyncio.sleep(min(HEARTBEAT_S, lease_s / 3))
        _copy_retries(completer, counters)
        if shared_budget is None:  # workers add their calls to the runs row themselves
            store.update_run(run_id, calls_made=counters.calls_made,
                             cache_hits=counters.cache_hits, retries=counters.retries)
        else:
            shared_budget.spent = store.spent()
        store.renew_leases(owner, list(in_flight), lease_s)


def _copy_retries(completer, counters: Counters) -> None:
    causes = getattr(completer, "retry_causes", None)
    if causes is not None:
        counters.retries = dict(causes)


def _params(model: ir.ModelConfig) -> dict:
    return {"temperature": model.temperature, "max_tokens": model.max_tokens,
            "top_p": model.top_p}


def _kind(e: Exception) -> str:
    return {"CallFailed": "llm_error", "TemplateError": "template"}.get(type(e).__name__,
                                                                         "job_failed")
