"""Helpers shared by the front-end commands: compile with diagnostics printed."""

from __future__ import annotations

import sys

import click

from bdsl.diagnostics import render_text, to_json

EXIT_OK, EXIT_SPEC, EXIT_USAGE, EXIT_RUN, EXIT_BUDGET = 0, 1, 2, 3, 4


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

    from bdsl.store.db import STORE_FILE, STORE_POINTER

    has_store = Path(run_dir, STORE_FILE).exists() or Path(run_dir, STORE_POINTER).exists()
    missing = ([] if has_store else [STORE_FILE]) + (
        ["plan.json"] if need_plan and not Path(run_dir, "plan.json").exists() else [])
    if missing:
        click.echo(f"error: {run_dir} is not a run directory (no {missing[0]}; run `bdsc run` "
                   "first)", err=True)
        sys.exit(EXIT_USAGE)


def store_problem(run_dir, exc: BaseException) -> str:
    """One line for an environment problem with a run's store (never a traceback)."""
    import sqlite3

    from bdsl.store.database import StoreUnavailable
    from bdsl.store.schema import SchemaError

    where = f"the store in {run_dir}"
    if isinstance(exc, (StoreUnavailable, SchemaError)):
        return f"{where}: {exc}"
    text = str(exc)
    if isinstance(exc, sqlite3.DatabaseError):
        if "readonly" in text or "read-only" in text:
            return (f"{where} is read-only ({text}); use a writable copy of the directory, "
                    "or a reading command (status, export, report)")
        if "not a database" in text or "malformed" in text or "disk image" in text:
            return (f"{where} is corrupt or not a bdsl store ({text}); `bdsc status {run_dir} "
                    "--check` says more; restore it from a copy")
        if "locked" in text:
            return f"{where} is locked by another process ({text}); retry when it is done"
        return f"{where}: {text}"
    if isinstance(exc, OSError):
        return f"{where}: {exc.strerror or text}"
    return f"{where}: {type(exc).__name__}: {text}"


_STORE_ERRORS = None


def store_errors() -> tuple:
    """The exceptions that mean "this store cannot be used", not "bdsc has a bug"."""
    global _STORE_ERRORS
    if _STORE_ERRORS is None:
        import sqlite3

        from bdsl.store.database import StoreUnavailable
        from bdsl.store.schema import SchemaError

        errors = [sqlite3.DatabaseError, OSError, StoreUnavailable, SchemaError]
        try:
            import psycopg

            errors.append(psycopg.Error)
        except ImportError:
            pass
        _STORE_ERRORS = tuple(errors)
    return _STORE_ERRORS


def load_plan_of(run_dir: str):
    """The plan a run directory was generated from (exit 2 when it is missing or corrupt)."""
    from bdsl.gates.score import load_run_plan

    try:
        return load_run_plan(run_dir)
    except Exception as e:  # unreadable or not a plan: the user's file, not our bug
        click.echo(f"error: {run_dir}/plan.json cannot be read as a plan ({type(e).__name__}: "
                   f"{str(e).splitlines()[0][:160] if str(e) else ''}); rerun `bdsc run` to "
                   "write it again", err=True)
        sys.exit(EXIT_USAGE)


def open_run(run_dir: str, writable: bool = True):
    """(plan, store) of a run directory; the caller closes the store."""
    require_run_dir(run_dir)
    plan = load_plan_of(run_dir)
    return plan, (open_store_for_writing(run_dir) if writable else open_store_readonly(run_dir))


def open_store_readonly(run_dir: str):
    """The run's store opened read-only (reports never write, never block a run, and work
    in a read-only directory)."""
    from bdsl.store import Store

    require_run_dir(run_dir, need_plan=False)
    try:
        return Store.open_readonly(run_dir)
    except store_errors() as e:
        click.echo(f"error: {store_problem(run_dir, e)}", err=True)
        sys.exit(EXIT_USAGE)


def open_store_for_writing(run_dir, url: str | None = None):
    from bdsl.store import Store

    try:
        return Store.open(run_dir, url=url)
    except store_errors() as e:
        click.echo(f"error: {store_problem(run_dir, e)}", err=True)
        sys.exit(EXIT_USAGE)


__all__ = ["require_run_dir", "open_run", "open_store_readonly", "open_store_for_writing",
           "compile_or_exit", "report", "summary_line", "to_json", "allow_outside",
           "allow_outside_option", "write_or_exit", "EXIT_OK", "EXIT_SPEC", "EXIT_USAGE",
           "EXIT_RUN", "EXIT_BUDGET"]
