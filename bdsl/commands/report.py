"""`bdsc report RUN_DIR [-o report.html]`: the run as one HTML file that opens offline."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bdsl.commands._common import EXIT_USAGE, require_run_dir


@click.command("report")
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option("-o", "--out", "out", type=click.Path(dir_okay=False), default=None,
              help="Where to write the HTML file (default: RUN_DIR/report.html).")
def report_cmd(run_dir: str, out: str | None) -> None:
    """Write a self-contained HTML report of a run: emotional trajectories per arc
    (targets vs annotations), gate pass rates and failure reasons, matrix coverage,
    review progress, tokens and cost by step."""
    from bdsl.report import write_report

    require_run_dir(run_dir)
    target = Path(out) if out else Path(run_dir) / "report.html"
    if not target.parent.is_dir():
        click.echo(f"error: cannot write {target}: {target.parent} is not a directory", err=True)
        sys.exit(EXIT_USAGE)
    try:
        path = write_report(run_dir, target)
    except OSError as exc:
        click.echo(f"error: cannot write {target}: {exc.strerror}", err=True)
        sys.exit(EXIT_USAGE)
    size = path.stat().st_size
    click.echo(f"wrote {path} ({size / 1e6:.1f} MB, self-contained; open it in any browser)",
               err=True)
