"""`bdsc status RUN_DIR`: jobs done/failed/pending, LLM calls (every paid call: generation,
annotation, judges), retries by cause, cache hits, tokens, cost, failures with reasons.

Reads only: works during a run, in a read-only directory, and never blocks a writer.
`--check` also asks the database to verify the store (SQLite's integrity check)."""

from __future__ import annotations

import json
import sys

import click

from bdsl.commands._common import EXIT_USAGE, open_store_readonly, store_errors, store_problem


@click.command("status")
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("--check", "check", is_flag=True,
              help="Verify the store's integrity too (reads every page; exit 2 if unsound).")
def status_cmd(run_dir: str, fmt: str, check: bool) -> None:
    """Show what a run directory holds."""
    from bdsl.estimate import run_dir as estimate
    from bdsl.store import status
    from bdsl.store.lock import held
    from bdsl.store.reader import integrity

    store = open_store_readonly(run_dir)
    try:
        s = status(store)
        problems = integrity(store, full=True) if check else None
        s["estimate"] = estimate.compare(run_dir, store)
        estimate_lines = estimate.status_lines(run_dir, store)
    except store_errors() as e:
        click.echo(f"error: {store_problem(run_dir, e)}", err=True)
        sys.exit(EXIT_USAGE)
    finally:
        store.close()
    last = s["last_run"] or {}
    if last.get("status") == "running" and held(run_dir) is None:
        last["status"] = "interrupted"  # no process holds the lock: the run is gone
    if fmt == "json":
        click.echo(json.dumps({**s, "integrity": problems}, indent=2, sort_keys=True))
        sys.exit(EXIT_USAGE if problems else 0)
    j, t = s["jobs"], s["tokens"]
    cost = "unknown" if s["cost_usd"] is None else f"${s['cost_usd']:.4f}"
    click.echo(f"{run_dir}: spec {last.get('spec_name', '?')} {last.get('spec_version', '')}"
               f" ({s['runs']} runs, last {last.get('status', '-')})")
    click.echo(f"  jobs     {j['done']}/{j['total']} done, {j['failed']} failed, "
               f"{j['pending']} pending")
    click.echo(f"  calls    {s['llm_calls']} LLM calls ({s['truncated_calls']} truncated), "
               f"{s['cache_hits']} replayed from the store")
    if s["retries"]:
        click.echo("  retries  " + ", ".join(f"{k} {n}" for k, n in sorted(s["retries"].items())))
    if s["batches"]:
        click.echo("  batches  " + ", ".join(
            f"{b['batches']} {status} ({b['calls']} calls)"
            for status, b in sorted(s["batches"].items())))
    click.echo(f"  tokens   {t['total']} ({t['prompt']} prompt, {t['completion']} completion)")
    click.echo(f"  cost     {cost}")
    for line in estimate_lines:
        click.echo(line)
    if s["errors_by_kind"]:
        click.echo("  errors   " + ", ".join(f"{k} {n}" for k, n in
                                              sorted(s["errors_by_kind"].items())))
    for key, sessions in s["curricula"].items():
        steps = " -> ".join(f"{x['difficulty']:.2f} {x['outcome']}" for x in sessions)
        click.echo(f"  sessions {key}: {steps} (difficulty, measured outcome)")
    for f in s["failures"]:
        click.echo(f"  failed   {f['job']}: {f['error']}")
    if problems is not None:
        if problems:
            click.echo(f"  integrity FAILED: {'; '.join(problems[:5])}")
            sys.exit(EXIT_USAGE)
        click.echo("  integrity ok")
