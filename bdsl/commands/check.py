"""`bdsc check SPEC...`: diagnostics only. Fast: no LLM or TUI library is imported."""

from __future__ import annotations

import json
import sys

import click

from bdsl.commands._common import EXIT_OK, EXIT_SPEC, EXIT_USAGE, allow_outside, summary_line
from bdsl.diagnostics import render_text


@click.command("check")
@click.argument("specs", nargs=-1, required=True, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              help="json: one array of diagnostics for editors and CI.")
def check(specs: tuple[str, ...], fmt: str) -> None:
    """Check specs for errors without compiling a plan. Exit 1 if any has errors, 2 if a
    spec cannot be read at all."""
    from bdsl.compiler.pipeline import check_path

    failed = unreadable = False
    all_json = []
    for spec in specs:
        result = check_path(spec, allow_outside=allow_outside())
        failed |= not result.ok
        unreadable |= result.unreadable
        if fmt == "json":
            from bdsl.diagnostics import to_json

            all_json.extend(dict(d, spec=spec) for d in json.loads(to_json(result.diagnostics)))
            continue
        if result.diagnostics:
            click.echo(render_text(result.diagnostics, result.sources,
                                   color=sys.stderr.isatty()).rstrip("\n"), err=True)
        if result.unreadable:
            continue  # the error line says it all
        if result.diagnostics:
            click.echo("", err=True)
        status = "ok" if result.ok else "failed"
        click.echo(f"{status}: {spec}: {summary_line(result.diagnostics)}", err=True)
    if fmt == "json":
        click.echo(json.dumps(all_json, indent=2))
    sys.exit(EXIT_USAGE if unreadable else EXIT_SPEC if failed else EXIT_OK)
