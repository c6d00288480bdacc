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


def require_run_dir(run_dir: str, need_plan: bool = True) -> None:
    """Exit 2 with a clear message unless `run_dir` holds a run (store, and plan if needed)."""
    from pathlib import Path

    missing = [f for f in ("store.sqlite", "plan.json")[:2 if need_plan else 1]
               if not Path(run_dir, f).exists()]
    if missing:
        click.echo(f"error: {run_dir} is not a run directory (no {missing[0]}; run `bdsc run` "
                   "first)", err=True)
        sys.exit(EXIT_USAGE)


def open_run(run_dir: str):
    """(plan, store) of a run directory; the caller closes the store."""
    from bdsl.gates.score import load_run_plan
    from bdsl.store import Store

    require_run_dir(run_dir)
    return load_run_plan(run_dir), Store.open(run_dir)


def open_store_readonly(run_dir: str):
    """The run's store opened read-only (reports never write, and never block a run)."""
    from bdsl.store import Store

    require_run_dir(run_dir, need_plan=False)
    return Store.open_readonly(run_dir)


__all__ = ["require_run_dir", "open_run", "open_store_readonly", "compile_or_exit", "report", "summary_line", "to_json", "EXIT_OK", "EXIT_SPEC",
           "EXIT_USAGE", "EXIT_RUN"]
