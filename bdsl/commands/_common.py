"""Helpers shared by the front-end commands: compile with diagnostics printed."""

from __future__ import annotations

import sys

import click

from bdsl.diagnostics import render_text, to_json

EXIT_OK, EXIT_SPEC, EXIT_USAGE, EXIT_RUN = 0, 1, 2, 3


def compile_or_exit(spec: str, *, lower: bool = True, fmt: str = "text"):
    """Compile `spec`, print its diagnostics to stderr, exit 1 on errors."""
    from bdsl.compiler.pipeline import check_path, compile_path

    result = (compile_path if lower else check_path)(spec)
    report(result, fmt)
    if not result.ok:
        sys.exit(EXIT_SPEC)
    return result


def report(result, fmt: str = "text") -> None:
    if fmt == "json":
        return
    if result.diagnostics:
        color = sys.stderr.isatty()
        click.echo(render_text(result.diagnostics, result.sources, color=color), err=True)


def summary_line(diags) -> str:
    errors = sum(1 for d in diags if d.is_error)
    warnings = len(diags) - errors
    parts = []
    if errors:
        parts.append(f"{errors} error{'s' * (errors != 1)}")
    if warnings:
        parts.append(f"{warnings} warning{'s' * (warnings != 1)}")
    return ", ".join(parts) or "no problems"


__all__ = ["compile_or_exit", "report", "summary_line", "to_json", "EXIT_OK", "EXIT_SPEC",
           "EXIT_USAGE", "EXIT_RUN"]
