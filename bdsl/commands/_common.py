"""Helpers shared by the front-end commands: compile with diagnostics printed."""

from __future__ import annotations

import sys

import click

from bdsl.diagnostics import render_text, to_json

EXIT_OK, EXIT_SPEC, EXIT_USAGE, EXIT_RUN = 0, 1, 2, 3


ALLOW_OUTSIDE = "bdsl.allow_outside"  # click context meta key set by --allow-outside


def allow_outside_option(command: click.Command) -> click.Command:
    """Give a command that compiles a spec the `--allow-outside` flag (once). The flag lands
    in the click context's meta, where `compile_or_exit` and `allow_outside()` read it, so a
    command needs no parameter of its own for it (bdsl.cli adds it to every such command)."""
    if not any(p.name == "allow_outside" for p in command.params):
        command.params.append(click.Option(
            ["--allow-outside"], is_flag=True, expose_value=False, is_eager=True,
            callback=lambda ctx, _param, value: ctx.meta.__setitem__(ALLOW_OUTSIDE, value),
            help="Let imports read files outside the project root (the git repository "
                 "holding the spec, or its folder). Their lines are never quoted."))
    return command


def allow_outside() -> bool:
    ctx = click.get_current_context(silent=True)
    return bool(ctx and ctx.meta.get(ALLOW_OUTSIDE))


def compile_or_exit(spec: str, *, lower: bool = True, fmt: str = "text", project=None):
    """Compile `spec`, print its diagnostics to stderr; exit 1 on errors, 2 when the spec
    itself cannot be read (missing, a directory, unreadable, not a regular file)."""
    from bdsl.compiler.pipeline import check_path, compile_path

    result = (compile_path if lower else check_path)(spec, allow_outside=allow_outside(),
                                                     project=project)
    report(result, fmt)
    if result.unreadable:
        sys.exit(EXIT_USAGE)
    if not result.ok:
        sys.exit(EXIT_SPEC)
    return result


def write_or_exit(path, text: str, hint: str = "") -> None:
    """Write `text` to `path`, creating its folder; all or nothing (a temporary file renamed
    over it, keeping an existing file's permissions). An OS error (permissions, a file where
    a folder should be, a full disk) is one line naming the path, with a hint; exit 2."""
    import os
    import shutil
    import tempfile
    from pathlib import Path

    path = Path(path)
    path = path.resolve() if path.is_symlink() else path  # rewrite the file, keep the link
    tmp = None
    try:
        if path.is_dir():
            raise IsADirectoryError(21, "it is a directory")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        if path.exists():
            shutil.copymode(path, tmp)
        else:
            os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        click.echo(f"error: cannot write {path}: {_why(path, exc)}"
                   + (f" (hint: {hint})" if hint else ""), err=True)
        sys.exit(EXIT_USAGE)


def _umask() -> int:
    import os

    mask = os.umask(0)
    os.umask(mask)
    return mask


def _why(path, exc: OSError) -> str:
    if isinstance(exc, (FileExistsError, NotADirectoryError)):
        for parent in reversed(path.parents):
            if parent.exists() and not parent.is_dir():
                return f"{parent} is a file, not a folder"
    return (exc.strerror or str(exc)).lower() if exc.strerror else str(exc)


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


__all__ = ["require_run_dir", "open_run", "open_store_readonly", "compile_or_exit", "report",
           "summary_line", "to_json", "allow_outside", "allow_outside_option", "write_or_exit",
           "EXIT_OK",
           "EXIT_SPEC", "EXIT_USAGE", "EXIT_RUN"]
