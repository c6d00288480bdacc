"""`bdsc run SPEC_OR_PLAN`: execute a plan into a run directory; resumable, cached.

Exit codes: 0 done, 2 usage/config (bad plan file, missing local model), 3 the run
failed or stopped before finishing (failed jobs, budget reached, interrupted).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click

from bdsl.commands._common import EXIT_RUN, EXIT_USAGE


def fail(message: str, code: int = EXIT_USAGE):
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


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
@click.option("--concurrency", type=click.IntRange(min=1), default=8, show_default=True,
              help="Jobs generated at the same time.")
@click.option("--max-cost", type=click.FloatRange(min=0), default=None,
              help="Stop cleanly once this many USD were spent in the run directory.")
@click.option("--max-tokens", type=click.IntRange(min=0), default=None,
              help="Stop cleanly once this many tokens were used in the run directory.")
def run_cmd(spec_or_plan, out, model, limit, concurrency, max_cost, max_tokens) -> None:
    """Generate the dataset: run every job of the plan, resumably."""
    from bdsl.engine.executor import RunOptions, effective_jobs

    plan = load_plan(spec_or_plan)
    run_dir = Path(out) if out else Path("runs") / (plan.spec.name or Path(spec_or_plan).stem)
    cost_cap, token_cap = plan_budget(plan, max_cost, max_tokens)
    options = RunOptions(model=model, limit=limit, concurrency=concurrency, max_cost=cost_cap,
                         max_tokens=token_cap)
    jobs = effective_jobs(plan, options)
    for name, problem in missing_local_models({j.model.name for j, _ in jobs}):
        fix = "bdsc models pull smollm2" if "smollm2" in name else problem
        fail(f"model `{name}` is not installed ({problem}).\n  fix: {fix}")
    sys.exit(execute_into(plan, run_dir, options))


def execute_into(plan, run_dir: Path, options) -> int:
    from bdsl.engine.calls import Counters
    from bdsl.engine.executor import ConfigError, execute
    from bdsl.engine.llm_adapter import LLMCompleter
    from bdsl.engine.progress import ProgressView
    from bdsl.engine.snapshot import write_snapshot
    from bdsl.serialize import to_json
    from bdsl.store import Store
    from bdsl.store.schema import SchemaError

    try:
        completer = LLMCompleter(max_concurrency=options.concurrency)
    except ImportError as e:
        fail(f"the model layer is not available ({e}); reinstall bdsl")
    try:
        store = Store.open(run_dir)
    except (SchemaError, OSError) as e:
        fail(f"cannot open the store in {run_dir}: {e}")
    (run_dir / "plan.json").write_text(to_json(plan) + "\n", encoding="utf-8")
    counters = Counters()

    def started(head) -> None:
        run_ids.append(head.run_id)
        click.echo(f"{head.jobs} jobs: {head.reused} reused, {head.regenerated} regenerated "
                   f"(spec changed), {head.new} to generate", err=True)

    outcome, interrupted, run_ids = None, False, []
    try:
        with ProgressView(counters):
            outcome = asyncio.run(execute(plan, store, completer, options, counters,
                                          started))
    except ConfigError as e:
        fail(str(e))
    except KeyboardInterrupt:
        interrupted = True
        if run_ids:
            store.update_run(run_ids[0], status="interrupted", calls_made=counters.calls_made,
                             cache_hits=counters.cache_hits, finished=True)
    if outcome is not None and outcome.status != "stopped_budget" and run_ids:
        from bdsl.commands.score import score_and_report

        score_and_report(store, plan, completer, run_ids[0],
                         generator_override=options.model or None)
    path, n = write_snapshot(store, run_dir)
    click.echo(f"dataset: {run_dir}/ ({n} conversations in {path.name}; store "
               f"{store.path.name})")
    if interrupted:
        click.echo("interrupted: finished work is stored; rerun the same command to resume",
                   err=True)
        return EXIT_RUN
    cost = "unknown" if counters.cost is None else f"${counters.cost:.4f}"
    click.echo(f"{outcome.done}/{outcome.jobs} jobs done, {outcome.failed} failed, "
               f"{outcome.pending} pending; {outcome.calls_made} LLM calls, "
               f"{outcome.cache_hits} replayed from the store; {counters.tokens} tokens, "
               f"cost {cost}")
    if outcome.status == "stopped_budget":
        click.echo(f"stopped: {outcome.stop_reason}; raise the cap and rerun to continue",
                   err=True)
        return EXIT_RUN
    if outcome.failed:
        click.echo(f"{outcome.failed} jobs failed; see `bdsc status {run_dir}`", err=True)
        return EXIT_RUN
    return 0
