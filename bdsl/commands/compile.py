"""`bdsc compile SPEC [-o plan.json]`: write the plan and print what it contains."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import click

from bdsl.commands._common import compile_or_exit, write_or_exit


def default_plan_path(spec: str) -> Path:
    return Path("build") / (Path(spec).stem + ".plan.json")


@click.command("compile")
@click.argument("spec", type=click.Path())
@click.option("-o", "--output", type=click.Path(), default=None,
              help="Where to write the plan (default: build/<spec>.plan.json).")
@click.option("--pretty", is_flag=True, help="Indent the JSON (larger file).")
def compile_cmd(spec: str, output: str | None, pretty: bool) -> None:
    """Compile a spec to a plan: every job, fully resolved and hashed."""
    from bdsl.serialize import to_json

    t0 = time.perf_counter()
    result = compile_or_exit(spec)
    plan = result.plan
    out = Path(output) if output else default_plan_path(spec)
    write_or_exit(out, to_json(plan, indent=2 if pretty else None) + "\n",
                  "" if output else "-o PATH writes the plan elsewhere")
    elapsed = time.perf_counter() - t0
    click.echo(plan_summary(plan))
    click.echo(f"wrote {out} in {elapsed:.2f}s")


def plan_summary(plan) -> str:
    kinds = Counter(j.kind for j in plan.jobs)
    turns = sum(len(j.turns) + sum(len(s.turns) for s in j.sessions) for j in plan.jobs)
    spec = plan.spec
    lines = [f"spec {spec.name} {spec.version}".rstrip()]
    for r in plan.spec.regulations:
        lines.append(f"  regulation {r.id} {r.version} effective {r.effective or '-'}")
    for d in plan.datasets:
        axes = " x ".join(f"{len(v)} {k}" for k, v in d.axes) or "1 cell"
        total = d.cells + d.excluded_cells + d.unsampled_cells
        cells = f"{total} cells"
        if d.excluded_cells:
            cells += f" - {d.excluded_cells} excluded"
        if d.unsampled_cells:
            cells += f" - {d.unsampled_cells} not sampled"
        if total != d.cells:
            cells += f" = {d.cells}"
        novel = d.jobs - d.cells * d.per_cell
        jobs = (f"{d.cells * d.per_cell} + {novel} novel-scenario = {d.jobs} jobs" if novel
                else f"{d.jobs} jobs")
        lines.append(f"  dataset {d.name} ({d.kind}, {d.model.name}): {axes} = {cells}"
                     f" x {d.per_cell} per cell = {jobs}")
    lines.append("  jobs: " + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
                 + f"; {turns} turns planned")
    lines.append(f"  plan hash {plan.plan_hash[:16]}  spec hash {plan.spec_hash[:16]}")
    return "\n".join(lines)
