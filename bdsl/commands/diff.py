"""`bdsc diff OLD NEW`: what a spec change does to the plan, the dataset and the bill.

Each side is a spec file, a plan.json, or `REV:path` read from git (the whole tree
at REV is exported, so relative imports resolve as they did at that commit).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import click

from bdsl.commands._common import EXIT_USAGE, compile_or_exit


@click.command("diff")
@click.argument("old")
@click.argument("new")
@click.option("--run", "run_dir", type=click.Path(file_okay=False), default=None,
              help="A previous run of OLD: its per-job calls, tokens and cost price the rebuild.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("--limit", default=20, show_default=True, help="Jobs listed per change kind.")
def diff_cmd(old: str, new: str, run_dir: str | None, fmt: str, limit: int) -> None:
    """Semantic diff of two versions of a spec (files or REV:path from git)."""
    from bdsl.plandiff import diff_plans
    from bdsl.serialize import to_data

    with tempfile.TemporaryDirectory(prefix="bdsc-diff-") as tmp:
        old_plan = load_side(old, Path(tmp) / "old", fmt)
        new_plan = load_side(new, Path(tmp) / "new", fmt)
    d = diff_plans(old_plan, new_plan)
    cost = rebuild_estimate(d, run_dir)
    if fmt == "json":
        data = to_data(d)
        data["summary"] = summary(d)
        data["rebuild"] = cost
        click.echo(json.dumps(data, indent=2, sort_keys=True))
        return
    click.echo(render(d, cost, limit))


def load_side(side: str, workdir: Path, fmt: str):
    from bdsl import ir
    from bdsl.serialize import from_json

    project = None
    if os.path.exists(side):
        path = Path(side)
    elif ":" in side:
        rev, rel = side.split(":", 1)
        path = export_revision(rev, rel, workdir)
        project = workdir  # the exported tree is the project: imports resolve as at REV
    else:
        raise click.BadParameter(f"{side!r} is neither a file nor REV:path", param_hint="OLD/NEW")
    if path.suffix == ".json":
        try:
            return from_json(path.read_text(encoding="utf-8"), ir.Plan)
        except Exception as e:  # the user's file, not our bug
            click.echo(f"error: {side} is not a bdsl plan ({type(e).__name__}: {str(e)[:200]})",
                       err=True)
            sys.exit(EXIT_USAGE)
    return compile_or_exit(str(path), fmt=fmt, project=project).plan


def export_revision(rev: str, rel: str, workdir: Path) -> Path:
    """Write the git tree at `rev` into workdir; return the spec path inside it."""
    def git(*args, **kw):
        return subprocess.run(["git", *args], capture_output=True, check=False, **kw)

    top = git("rev-parse", "--show-toplevel", text=True)
    if top.returncode != 0:
        click.echo("error: REV:path needs a git repository here", err=True)
        sys.exit(EXIT_USAGE)
    root = Path(top.stdout.strip())
    repo_rel = os.path.relpath(os.path.abspath(rel), root)
    if git("cat-file", "-e", f"{rev}:{repo_rel}").returncode != 0:
        click.echo(f"error: {rel} does not exist at {rev}", err=True)
        sys.exit(EXIT_USAGE)
    workdir.mkdir(parents=True)
    archive = git("-C", str(root), "archive", "--format=tar", rev)
    subprocess.run(["tar", "-x", "-C", str(workdir)], input=archive.stdout, check=True)
    return workdir / repo_rel


def summary(d) -> dict:
    return {"regenerate": d.count("regenerate"), "added": d.count("added"),
            "removed": d.count("removed"), "rescore": d.count("rescore"),
            "unchanged": d.unchanged_jobs}


def rebuild_estimate(d, run_dir: str | None) -> dict:
    """Messages to generate, and calls/tokens/cost priced by the previous run's averages."""
    jobs = [j for j in d.jobs if j.change in ("regenerate", "added")]
    est = {"jobs": len(jobs), "messages": sum(j.turns for j in jobs), "rescore_only": d.count(
        "rescore"), "basis": "no previous run given (--run)"}
    if run_dir and Path(run_dir, "store.sqlite").exists():
        from bdsl.store.db import Store
        from bdsl.store.reader import status

        store = Store.open(run_dir)
        try:
            st = status(store)
        finally:
            store.close()
        done = st["jobs"]["done"]
        if done:
            est.update({
                "llm_calls": round(st["llm_calls"] / done * len(jobs)),
                "tokens": round(st["tokens"]["total"] / done * len(jobs)),
                "cost_usd": (round(st["cost_usd"] / done * len(jobs), 4)
                             if st["cost_usd"] is not None else None),
                "basis": f"averages of {done} finished jobs in {run_dir}"})
    return est


def render(d, cost: dict, limit: int) -> str:
    o, n = d.old_spec, d.new_spec
    lines = [f"spec {o.name} {o.version or '-'} -> {n.name} {n.version or '-'}"]
    if d.regulations:
        lines.append("regulations:")
        lines += [f"  {r}" for r in d.regulations]
    if d.datasets:
        lines.append("datasets:")
        lines += [f"  {x}" for x in d.datasets]
    if d.entities:
        lines.append("definitions:")
        for e in d.entities:
            detail = f" ({', '.join(e.fields)})" if e.fields else ""
            lines.append(f"  {e.change:<8} {e.table[:-1] if e.table.endswith('s') else e.table}"
                         f" {e.name}{detail}")
    s = summary(d)
    lines.append(f"jobs: {s['regenerate']} to regenerate, {s['added']} added, {s['removed']} "
                 f"removed, {s['rescore']} to re-score only, {s['unchanged']} unchanged")
    for kind in ("regenerate", "added", "removed", "rescore"):
        group = [j for j in d.jobs if j.change == kind]
        for j in group[:limit]:
            why = f": {'; '.join(j.reasons)}" if j.reasons else ""
            lines.append(f"  {kind:<10} {j.key}{why}")
        if len(group) > limit:
            lines.append(f"  ... and {len(group) - limit} more {kind}")
    rebuild = f"rebuild: {cost['jobs']} jobs, {cost['messages']} messages to generate"
    if "llm_calls" in cost:
        price = f", ~${cost['cost_usd']:.4f}" if cost.get("cost_usd") is not None else ""
        rebuild += f", ~{cost['llm_calls']} LLM calls, ~{cost['tokens']} tokens{price}"
    lines.append(rebuild + f"  [{cost['basis']}]")
    return "\n".join(lines)
