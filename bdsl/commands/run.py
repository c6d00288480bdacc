"""`bdsc run SPEC_OR_PLAN`: execute a plan into a run directory; resumable, cached.

Exit codes: 0 done; 2 usage/config (bad plan file, missing local model, a run already in
progress in the directory, a store that cannot be opened, a model that fails its preflight
call); 3 the run failed or stopped before finishing (failed jobs, interrupted); 4 stopped by
the budget (`--max-cost`, `--max-tokens`, or the spec's `budget`).
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
import threading
from pathlib import Path

import attrs
import click

from bdsl.commands._common import EXIT_BUDGET, EXIT_RUN, EXIT_USAGE


def fail(message: str, code: int = EXIT_USAGE):
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def import_litellm_in_background() -> None:
    """litellm takes seconds to import; start now, while the spec compiles and the store
    opens, so the first call does not wait for all of it (the import lock makes the
    engine's own import wait for this one to finish, never run twice)."""
    def load():
        try:
            import litellm  # noqa: F401
        except Exception:  # reported, if it matters, by the engine's own import
            pass

    threading.Thread(target=load, name="import-litellm", daemon=True).start()


def load_plan(path: str):
    """A compiled plan from a .bds spec (diagnostics printed, exit 1 on errors) or a plan.json."""
    from bdsl import ir
    from bdsl.serialize import from_json

    p = Path(path)
    if not p.is_file():
        fail(f"no such file: {path}")
    if p.suffix == ".bds":
        from bdsl.commands._common import compile_or_exit

        return compile_or_exit(path).plan
    try:
        return from_json(p.read_text(encoding="utf-8"), ir.Plan)
    except Exception as e:  # any JSON or structure error is the user's file, not our bug
        fail(f"{path} is not a bdsl plan ({type(e).__name__}: {str(e)[:200]}); "
             "pass a .bds spec or a plan.json written by `bdsc compile`")


def missing_local_models(models: set[str]) -> list[tuple[str, str]]:
    """(model, reason) for every local model whose weights are not installed."""
    local = sorted(m for m in models if m.startswith("local/"))
    if not local:
        return []
    try:
        from bdsl.llm.models import check_model_available
    except ImportError as e:
        fail(f"the model layer is not available ({e}); reinstall bdsl")

    out = []
    for m in local:
        problem = check_model_available(m)
        if problem:
            out.append((m, problem))
    return out


def plan_budget(plan, max_cost, max_tokens):
    """CLI caps win; otherwise the tightest cap any dataset in the plan declares."""
    costs = [d.budget.usd for d in plan.datasets if d.budget.usd is not None]
    tokens = [d.budget.tokens for d in plan.datasets if d.budget.tokens is not None]
    return (max_cost if max_cost is not None else (min(costs) if costs else None),
            max_tokens if max_tokens is not None else (min(tokens) if tokens else None))


@click.command("run")
@click.argument("spec_or_plan", type=click.Path(dir_okay=False))
@click.option("--out", "out", type=click.Path(file_okay=False), default=None,
              help="Run directory (default: runs/<spec-name>).")
@click.option("--model", default="", help="Use this model for every job (e.g. gpt-4o-mini).")
@click.option("--limit", type=click.IntRange(min=0), default=None,
              help="Only the first N jobs of the plan.")
@click.option("--sample", type=click.IntRange(min=1), default=None,
              help="N jobs spread over the matrix: every persona, arc, topic, culture and "
                   "kind appears before any repeats (deterministic).")
@click.option("--concurrency", type=click.IntRange(min=1), default=None,
              help="Conversations generated at the same time (calls in flight: up to twice "
                   "as many, since annotations run beside generation). Default 8; with "
                   "--batch, every job of the run (one batch holds them all).")
@click.option("--max-cost", type=click.FloatRange(min=0), default=None,
              help="Stop cleanly once this many USD were spent in the run directory.")
@click.option("--max-tokens", type=click.IntRange(min=0), default=None,
              help="Stop cleanly once this many tokens were used in the run directory.")
@click.option("--timeout", "timeout_s", type=click.FloatRange(min=1), default=120,
              show_default=True, help="Seconds one model call may take before it is retried.")
@click.option("--store", "store_url", default=None, metavar="URL",
              help="Keep the run store in PostgreSQL (postgresql://...) instead of "
                   "store.sqlite; the password comes from PGPASSWORD or ~/.pgpass.")
@click.option("--executor", type=click.Choice(["local", "processes", "ray"]), default="local",
              show_default=True, help="local: this process. processes: N worker processes "
              "on this machine. ray: N workers on a Ray cluster (needs a PostgreSQL --store).")
@click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True,
              help="With --executor processes|ray: how many workers (each runs "
                   "--concurrency conversations).")
@click.option("--address", default=None, help="With --executor ray: the cluster's address, "
              "e.g. ray://head:10001 (default: start a local Ray).")
@click.option("--lease", "lease_s", type=click.FloatRange(min=3), default=60, show_default=True,
              help="Seconds before a dead worker's job goes to another worker (live workers "
                   "renew their leases).")
@click.option("--batch", is_flag=True,
              help="Send each turn round of all pending conversations as one provider batch "
                   "(OpenAI, Azure or Anthropic batch APIs: half price, answers within hours). "
                   "Resumable: a rerun polls the batches already sent.")
@click.option("--poll", "poll_s", type=click.FloatRange(min=0.05), default=30, show_default=True,
              help="With --batch: seconds between checks of a batch's status.")
def run_cmd(spec_or_plan, out, model, limit, sample, concurrency, max_cost, max_tokens,
            timeout_s, store_url, executor, workers, address, lease_s, batch, poll_s) -> None:
    """Generate the dataset: run every job of the plan, resumably."""
    import_litellm_in_background()
    from bdsl.engine.executor import RunOptions, effective_jobs

    if limit is not None and sample is not None:
        fail("--limit and --sample choose jobs two ways; pass one of them")
    if batch and executor != "local":
        fail("--batch runs in one process (the provider does the parallel work); "
             "drop --executor")
    if executor == "ray" and not store_url:
        fail("--executor ray needs a store every worker reaches: --store postgresql://...")
    if executor == "ray" and importlib.util.find_spec("ray") is None:
        fail("--executor ray needs Ray: pip install 'bdsl[ray]'")
    plan = load_plan(spec_or_plan)
    run_dir = Path(out) if out else Path("runs") / (plan.spec.name or Path(spec_or_plan).stem)
    cost_cap, token_cap = plan_budget(plan, max_cost, max_tokens)
    options = RunOptions(model=model, limit=limit, sample=sample, concurrency=concurrency or 8,
                         max_cost=cost_cap, max_tokens=token_cap, lease_s=lease_s)
    jobs = effective_jobs(plan, options)
    if batch and concurrency is None:
        options = attrs.evolve(options, concurrency=max(1, len(jobs)))
    for name, problem in missing_local_models({j.model.name for j, _ in jobs}):
        fix = "bdsc models pull smollm2" if "smollm2" in name else problem
        fail(f"model `{name}` is not installed ({problem}).\n  fix: {fix}")
    sys.exit(execute_into(plan, run_dir, options, timeout_s=timeout_s, store_url=store_url,
                          executor=executor, workers=workers, address=address,
                          batch_poll_s=poll_s if batch else None))


def execute_into(plan, run_dir: Path, options, timeout_s: float = 120.0,
                 store_url: str | None = None, executor: str = "local", workers: int = 2,
                 address: str | None = None, batch_poll_s: float | None = None) -> int:
    from bdsl.commands._common import open_store_for_writing
    from bdsl.engine.calls import Budget, Counters
    from bdsl.engine.progress import ProgressView
    from bdsl.serialize import to_json
    from bdsl.store.lock import RunLock, RunLocked

    try:
        lock = RunLock(run_dir, "bdsc run").acquire()
    except RunLocked as e:
        fail(f"{e}; wait for it to finish or stop it, then rerun (it resumes)")
    except OSError as e:
        fail(f"cannot lock the run directory {run_dir}: {e.strerror}")
    try:
        store = open_store_for_writing(run_dir, url=store_url)
        store.resolve_stale_runs()  # we hold the lock: no other run here is alive
        try:
            (run_dir / "plan.json").write_text(to_json(plan) + "\n", encoding="utf-8")
        except OSError as e:
            fail(f"cannot write {run_dir / 'plan.json'}: {e.strerror}")
        from bdsl.estimate.run_dir import write_estimate

        # the price before the first call, for `bdsc status` to set beside the actual
        try:
            write_estimate(run_dir, plan, options.model, options.limit, options.sample)
        except Exception as e:  # an estimate is advice: its failure never stops a run
            click.echo(f"warning: no estimate for this run ({type(e).__name__}: {e})",
                       err=True)
        counters = Counters()
        budget = Budget(options.max_cost, options.max_tokens, store.spent())
        try:
            with ProgressView(counters):
                outcome, interrupted = _run(plan, store, run_dir, options, counters, budget,
                                            timeout_s, executor, workers, address,
                                            batch_poll_s)
            return _report(store, run_dir, outcome, interrupted, counters, budget)
        finally:
            store.close()  # the writer's last group, then a checkpoint of the WAL
    finally:
        lock.release()


def _run(plan, store, run_dir, options, counters, budget, timeout_s, executor, workers,
         address, batch_poll_s=None):
    import attrs

    from bdsl.engine.calls import BudgetExceeded, CallJournal
    from bdsl.engine.executor import ConfigError, effective_jobs, finish_run, prepare, work
    from bdsl.engine.llm_adapter import LLMCompleter
    from bdsl.engine.preflight import models_to_probe, preflight
    from bdsl.llm.routes import routes_of

    routes = routes_of(plan)
    try:
        # calls in flight: a conversation's next message and its last one's annotation
        completer = LLMCompleter(max_concurrency=2 * options.concurrency, timeout_s=timeout_s,
                                 routes=routes)
        probe = LLMCompleter(max_retries=1, timeout_s=min(timeout_s, 30.0), routes=routes)
    except ImportError as e:
        fail(f"the model layer is not available ({e}); reinstall bdsl")
    run_ids: list[int] = []

    def started(head) -> None:
        run_ids.append(head.run_id)
        click.echo(f"{head.jobs} jobs: {head.reused} reused, {head.regenerated} regenerated "
                   f"(spec changed), {head.new} to generate", err=True)

    async def main():
        generator = options.model or None
        head = prepare(plan, store, options, counters)
        started(head)
        checks = models_to_probe(plan, effective_jobs(plan, options), None, generator)
        problems = await preflight(checks, CallJournal(store, head.run_id, probe, budget,
                                                       counters), head.run_id)
        if problems:
            store.update_run(head.run_id, status="failed", finished=True)
            raise ConfigError("\n".join(str(p) for p in problems))
        calls = completer
        if batch_poll_s is not None:
            calls = batch_completer(store, head.run_id, completer, routes, batch_poll_s)
        if executor == "local":
            failed = await work(plan, store, calls, options, head.run_id, counters, budget)
            outcome = finish_run(store, plan, options, head, counters, budget, failed)
        else:
            from bdsl.engine.distributed import run_workers

            outcome = await run_workers(plan, store, options, head, counters, budget, executor,
                                        workers, address, timeout_s,
                                        say=lambda m: click.echo(m, err=True))
        summary = None
        if outcome.status != "stopped_budget":
            from bdsl.gates.score import score_run

            journal = CallJournal(store, head.run_id, calls, budget, counters)
            try:
                summary = await score_run(store, plan, journal, None, generator,
                                          concurrency=options.concurrency)
            except BudgetExceeded:  # judges are paid calls too: the cap stops them
                outcome = attrs.evolve(outcome, status="stopped_budget",
                                       stop_reason=budget.stopped + " while scoring")
                store.update_run(head.run_id, status="stopped_budget",
                                 calls_made=counters.calls_made, finished=True)
        return outcome, summary

    try:
        outcome, summary = asyncio.run(main())
    except ConfigError as e:
        fail(str(e))
    except KeyboardInterrupt:
        if run_ids:
            store.update_run(run_ids[0], status="interrupted", calls_made=counters.calls_made,
                             cache_hits=counters.cache_hits, finished=True)
        return None, True
    if summary is not None:
        from bdsl.commands.score import print_summary

        print_summary(summary, "text")
    return outcome, False


def batch_completer(store, run_id, interactive, routes, poll_s):
    from bdsl.engine.batching import BatchCompleter
    from bdsl.llm.batch import BatchClient

    return BatchCompleter(store, run_id, BatchClient(routes), interactive, poll_s=poll_s,
                          say=lambda m: click.echo(m, err=True))


def _report(store, run_dir, outcome, interrupted, counters, budget) -> int:
    from bdsl.engine.snapshot import write_snapshot

    path, n = write_snapshot(store, run_dir)
    click.echo(f"dataset: {run_dir}/ ({n} conversations in {path.name}; store {store.name})")
    if interrupted:
        click.echo("interrupted: finished work is stored; rerun the same command to resume",
                   err=True)
        return EXIT_RUN
    cost = "unknown" if counters.cost is None else f"${counters.cost:.4f}"
    total = budget.spent
    total_cost = "unknown" if total.cost is None else f"${total.cost:.4f}"
    retries = ", ".join(f"{k} {v}" for k, v in sorted(counters.retries.items()))
    click.echo(f"{outcome.done}/{outcome.jobs} jobs done, {outcome.failed} failed, "
               f"{outcome.pending} pending; this run: {counters.calls_made} LLM calls "
               f"(generation, annotation and judges), {outcome.cache_hits} replayed from the "
               f"store, {counters.tokens} tokens, cost {cost}"
               + (f"; retries: {retries}" if retries else ""))
    click.echo(f"run directory total: {total.calls} calls, {total.tokens} tokens, "
               f"cost {total_cost} (what `bdsc status` shows)")
    if outcome.status == "stopped_budget":
        click.echo(f"stopped by the budget: {outcome.stop_reason}; raise the cap and rerun to "
                   "continue (finished work is kept)", err=True)
        return EXIT_BUDGET
    if outcome.failed:
        click.echo(f"{outcome.failed} jobs failed; see `bdsc status {run_dir}`", err=True)
        return EXIT_RUN
    return 0
