"""`bdsc review RUN_DIR`: the review TUI (the only command that imports textual)."""

from __future__ import annotations

import os
import sys

import click

from bdsl.commands._common import EXIT_USAGE, open_run


@click.command("review")
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option("--reviewer", default=lambda: os.environ.get("BDSL_REVIEWER"),
              help="Your name (or BDSL_REVIEWER).")
@click.option("--role", default=lambda: os.environ.get("BDSL_ROLE"),
              help="Your review role: one the spec's review { roles [...] } names, and, if "
                   "it lists reviewers, one it gives you (or BDSL_ROLE).")
def review_cmd(run_dir: str, reviewer: str | None, role: str | None) -> None:
    """Review conversations: approve, reject, request revision, edit, mark seed examples.
    Exit 2 when the spec does not give REVIEWER the ROLE."""
    if not reviewer or not role:
        click.echo("error: say who reviews: --reviewer NAME --role ROLE "
                   "(or BDSL_REVIEWER / BDSL_ROLE)", err=True)
        sys.exit(EXIT_USAGE)
    plan, store = open_run(run_dir)
    from bdsl.review.actions import refusal

    refused = refusal(plan, reviewer, role)
    if refused:
        store.close()
        click.echo(f"error: {refused}", err=True)
        sys.exit(EXIT_USAGE)
    from bdsl.tui.app import ReviewApp

    try:
        ReviewApp(store, plan, reviewer, role).run()
    finally:
        store.close()
