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
              help="A previous run of OLD: its per-job averages are shown beside the estimate.")
@click.option("--model", default="",
              help="Price the rebuild as `bdsc run --model M` would make it.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("--limit", default=20, show_default=True, help="Jobs listed per change kind.")
def diff_cmd(old: str, new: str, run_dir: str | None, model: str, fmt: str, limit: int) -> None:
    """Semantic diff of two versions of a spec (files or REV:path from git)."""
    from bdsl.plandiff import diff_plans
    from bdsl.serialize import to_data

    with tempfile.TemporaryDirectory(prefix="bdsc-diff-") as tmp:
        old_plan = load_side(old, Path(tmp) / "old", fmt)
        new_plan = load_side(new, Path(tmp) / "new", fmt)
    d = diff_plans(old_plan, new_plan)
    cost = rebuild_estimate(d, new_plan, run_dir, model)
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


def rebuild_estimate(d, new_plan, run_dir: str | None, model: str = "") -> dict:
    """Messages to generate, and the calls/tokens/price of the rebuild estimated from the new
    plan (bdsl.estimate: the jobs to regenerate or add in full, re-scored jobs' judges
    only); with --run, also the previous run's per-job averages."""
    from bdsl.engine.prompts import TemplateError
    from bdsl.estimate.plan_estimate import estimate_plan

    jobs = [j for j in d.jobs if j.change in ("regenerate", "added")]
    rescore = frozenset(j.key for j in d.jobs if j.change == "rescore")
    est = {"jobs": len(jobs), "messages": sum(j.turns for j in jobs), "rescore_only": len(
        rescore)}
    try:
        e = estimate_plan(new_plan, model, keys={j.key for j in jobs} | rescore,
                          rescore_only=rescore)
    except TemplateError as err:
        est["basis"] = f"no estimate: {err}"
    else:
        est.update({"llm_calls": e.calls, "tokens": e.tokens, "cost_usd": e.cost(),
                    "batch_cost_usd": e.cost(batch=True),
                    "basis": "estimated from the new plan (bdsc plan --estimate)"})
    if run_dir and Path(run_dir, "store.sqlite").exists():
        est["previous_run"] = previous_run_averages(run_dir, len(jobs))
    return est


def previous_run_averages(run_dir: str, jobs: int) -> dict:
    from bdsl.store.db import Store
    from bdsl.store.reader import status

    store = Store.open(run_dir)
    try:
        st = status(store)
    finally:
        store.close()
    done = st["jobs"]["done"]
    if not done:
        return {"basis": f"no finished jobs in {run_dir}"}
    return {"llm_calls": round(st["llm_calls"] / done * jobs),
            "tokens": round(st["tokens"]["total"] / done * jobs),
            "cost_usd": (round(st["cost_usd"] / done * jobs, 4)
                         if st["cost_usd"] is not None else None),
            "basis": f"averages of {done} finished jobs in {run_dir}"}


def _priced(cost: dict) -> str:
    if "llm_calls" not in cost:
        return ""
    price = ""
    if cost.get("cost_usd") is not None:
        price = f", ~${cost['cost_usd']:.4f}"
        if cost.get("batch_cost_usd") is not None and cost["cost_usd"] > 0:
            price += f" (batch ~${cost['batch_cost_usd']:.4f})"
    return f", ~{cost['llm_calls']} LLM calls, ~{cost['tokens']} tokens{price}"


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
    rescore = f", {cost['rescore_only']} to re-score" if cost["rescore_only"] else ""
    lines.append(f"rebuild: {cost['jobs']} jobs, {cost['messages']} messages to generate"
                 f"{rescore}{_priced(cost)}  [{cost['basis']}]")
    if "previous_run" in cost:
        prev = cost["previous_run"]
        lines.append(f"  previous run: {_priced(prev).removeprefix(', ')}  [{prev['basis']}]")
    return "\n".join(lines)
