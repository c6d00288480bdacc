"""`bdsc fmt FILE...`: rewrite specs in canonical form (comments kept)."""

from __future__ import annotations

import difflib
import sys

import click

from bdsl.commands._common import EXIT_OK, EXIT_SPEC, EXIT_USAGE, write_or_exit
from bdsl.diagnostics import render_text


@click.command("fmt")
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--check", is_flag=True, help="Change nothing; exit 1 if a file is not formatted.")
@click.option("--diff", "show_diff", is_flag=True, help="Print a diff instead of writing.")
def fmt_cmd(files: tuple[str, ...], check: bool, show_diff: bool) -> None:
    """Format .bds files canonically, so spec diffs stay small."""
    from bdsl.formatter import FormatError, format_source
    from bdsl.source import SourceError, read_source

    status = EXIT_OK
    for path in files:
        try:
            src = read_source(path)
            formatted = format_source(src)
        except SourceError as exc:  # E001 (cannot read it at all) is the environment: exit 2
            click.echo(f"error[{exc.code}] {exc.message}", err=True)
            status = max(status, EXIT_USAGE if exc.code == "E001" else EXIT_SPEC)
            continue
        except FormatError as exc:
            click.echo(render_text(exc.diagnostics, {src.path: src}), err=True)
            status = max(status, EXIT_SPEC)
            continue
        if formatted == src.text:
            continue
        if check or show_diff:
            if show_diff:
                sys.stdout.writelines(difflib.unified_diff(
                    src.text.splitlines(True), formatted.splitlines(True), path, path + " (fmt)"))
            if check:
                click.echo(f"would reformat {path}", err=True)
                status = max(status, EXIT_SPEC)
            continue
        write_or_exit(path, formatted, "--diff prints the formatted text instead")
        click.echo(f"formatted {path}", err=True)
    sys.exit(status)
