"""`bdsc review RUN_DIR`: the review TUI (the only command that imports textual)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from bdsl.commands._common import EXIT_USAGE


@click.command("review")
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option("--reviewer", default=lambda: os.environ.get("BDSL_REVIEWER"),
              help="Your name (or BDSL_REVIEWER).")
@click.option("--role", default=lambda: os.environ.get("BDSL_ROLE"),
              help="Your review role, e.g. clinical, linguistic, brand (or BDSL_ROLE).")
def review_cmd(run_dir: str, reviewer: str | None, role: str | None) -> None:
    """Review conversations: approve, reject, request revision, edit, mark seed examples."""
    if not reviewer or not role:
        click.echo("error: say who reviews: --reviewer NAME --role ROLE "
                   "(or BDSL_REVIEWER / BDSL_ROLE)", err=True)
        sys.exit(EXIT_USAGE)
    if not Path(run_dir, "store.sqlite").exists() or not Path(run_dir, "plan.json").exists():
        click.echo(f"error: {run_dir} is not a run directory (run `bdsc run` first)", err=True)
        sys.exit(EXIT_USAGE)
    from bdsl.gates.score import load_run_plan
    from bdsl.store import Store
    from bdsl.tui.app import ReviewApp

    plan = load_run_plan(run_dir)
    store = Store.open(run_dir)
    try:
        ReviewApp(store, plan, reviewer, role).run()
    finally:
        store.close()
