"""`bdsc status RUN_DIR`: jobs done/failed/pending, LLM calls, cache hits, tokens, cost,
failures with reasons."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from bdsl.commands._common import EXIT_USAGE


@click.command("status")
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def status_cmd(run_dir: str, fmt: str) -> None:
    """Show what a run directory holds."""
    from bdsl.estimate import run_dir as estimate
    from bdsl.store import STORE_FILE, Store, status
    from bdsl.store.schema import SchemaError

    if not (Path(run_dir) / STORE_FILE).is_file():
        click.echo(f"error: {run_dir} is not a run directory (no {STORE_FILE}); "
                   "create one with `bdsc run SPEC --out DIR`", err=True)
        sys.exit(EXIT_USAGE)
    try:
        store = Store.open(run_dir)
    except SchemaError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(EXIT_USAGE)
    s = status(store)
    if fmt == "json":
        s["estimate"] = estimate.compare(run_dir, store)
        click.echo(json.dumps(s, indent=2, sort_keys=True))
        return
    j, t = s["jobs"], s["tokens"]
    last = s["last_run"] or {}
    cost = "unknown" if s["cost_usd"] is None else f"${s['cost_usd']:.4f}"
    click.echo(f"{run_dir}: spec {last.get('spec_name', '?')} {last.get('spec_version', '')}"
               f" ({s['runs']} runs, last {last.get('status', '-')})")
    click.echo(f"  jobs     {j['done']}/{j['total']} done, {j['failed']} failed, "
               f"{j['pending']} pending")
    click.echo(f"  calls    {s['llm_calls']} LLM calls ({s['truncated_calls']} truncated), "
               f"{s['cache_hits']} replayed from the store")
    click.echo(f"  tokens   {t['total']} ({t['prompt']} prompt, {t['completion']} completion)")
    click.echo(f"  cost     {cost}")
    for line in estimate.status_lines(run_dir, store):
        click.echo(line)
    if s["errors_by_kind"]:
        click.echo("  errors   " + ", ".join(f"{k} {n}" for k, n in
                                              sorted(s["errors_by_kind"].items())))
    for key, sessions in s["curricula"].items():
        steps = " -> ".join(f"{x['difficulty']:.2f} {x['outcome']}" for x in sessions)
        click.echo(f"  sessions {key}: {steps} (difficulty, measured outcome)")
    for f in s["failures"]:
        click.echo(f"  failed   {f['job']}: {f['error']}")
