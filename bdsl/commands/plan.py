"""`bdsc plan SPEC`: a human-readable view of the matrix and one sample job."""

from __future__ import annotations

import click

from bdsl.commands._common import compile_or_exit
from bdsl.commands.compile import plan_summary


@click.command("plan")
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("--job", "job_key", default=None, help="Show this job (default: the first).")
def plan_cmd(spec: str, job_key: str | None) -> None:
    """Explain what a spec will generate: datasets, matrix, gates and a sample job."""
    plan = compile_or_exit(spec).plan
    click.echo(plan_summary(plan))
    index = plan.index()
    for d in plan.datasets:
        click.echo(f"\ndataset {d.name}")
        for axis, names in d.axes:
            click.echo(f"  {axis:<9} {', '.join(names)}")
        click.echo(f"  model     {d.model.name}  judge {d.judge_model}  seed {d.seed}")
        if d.review.roles:
            click.echo(f"  review    {d.review.sample:.0%} sampled, roles "
                       f"{', '.join(d.review.roles)} (require {d.review.require})")
        click.echo(f"  export    {', '.join(d.exports)}")
    job = next((j for j in plan.jobs if j.key == job_key), None) if job_key else plan.jobs[0]
    if job is None:
        raise click.BadParameter(f"no job {job_key!r}", param_hint="--job")
    click.echo(f"\nsample job {job.key} ({job.kind})  hash {job.content_hash[:16]}")
    ctx = job.context
    for label, name in (("assistant", ctx.assistant), ("user", ctx.user), ("arc", ctx.arc),
                        ("topic", ctx.topic), ("culture", ctx.culture), ("panel", ctx.panel),
                        ("method", ctx.methodology), ("curriculum", ctx.curriculum)):
        if name:
            click.echo(f"  {label:<10} {name}{_describe(index, label, name)}")
    if ctx.compliance:
        click.echo(f"  compliance {', '.join(ctx.compliance)}")
    if job.gates:
        click.echo(f"  gates      {', '.join(job.gates)}")
    sessions = job.sessions or ()
    if sessions:
        for s in sessions:
            click.echo(f"  session {s.index + 1}: difficulty {s.difficulty:.2f}, "
                       f"learner state {s.learner_state or '-'}")
            _turns(s.turns)
    else:
        _turns(job.turns)


def _describe(index, label: str, name: str) -> str:
    if label == "arc":
        arc = index.arc[name]
        stages = " -> ".join(f"{s.emotion}({s.intensity:g})" for s in arc.stages)
        return f": {stages}, {arc.min_turns}..{arc.max_turns} messages"
    if label == "topic":
        return f": {index.topic[name].title}"
    if label in ("user", "assistant"):
        return f": {index.persona[name].summary.strip().splitlines()[0]}"
    return ""


def _turns(turns) -> None:
    for t in turns:
        if t.role == "user":
            target = f"{t.emotion}({t.intensity:g})" if t.emotion else "-"
            click.echo(f"    {t.index:>2} user       target {target}")
        else:
            weight = "" if t.train else "  (not trained on)"
            click.echo(f"    {t.index:>2} assistant  strategy {t.strategy or '-'}{weight}")
