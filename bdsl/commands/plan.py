"""`bdsc plan SPEC`: a human-readable view of the matrix and one sample job."""

from __future__ import annotations

import sys

import click

from bdsl.commands._common import EXIT_SPEC, compile_or_exit
from bdsl.commands.compile import plan_summary


@click.command("plan")
@click.argument("spec", type=click.Path())
@click.option("--job", "job_key", default=None, help="Show this job (default: the first).")
@click.option("--prompts", is_flag=True,
              help="Also render the sample job's prompts: the user and assistant, what its "
                   "kind adds (contrastive, deliberation, panel, session), its judges.")
@click.option("--estimate", is_flag=True,
              help="Also estimate the run before the first call: LLM calls by step, tokens, "
                   "and the price (interactive and batch) from litellm's cost map.")
@click.option("--model", default="",
              help="With --estimate: price the run as `bdsc run --model M` would make it.")
@click.option("--limit", type=click.IntRange(min=0), default=None,
              help="With --estimate: only the first N jobs, as `bdsc run --limit N`.")
def plan_cmd(spec: str, job_key: str | None, prompts: bool, estimate: bool, model: str,
             limit: int | None) -> None:
    """Explain what a spec will generate: datasets, matrix, gates and a sample job."""
    if (model or limit is not None) and not estimate:
        raise click.UsageError("--model and --limit only apply with --estimate")
    plan = compile_or_exit(spec).plan
    click.echo(plan_summary(plan))
    index = plan.index()
    for d in plan.datasets:
        click.echo(f"\ndataset {d.name}")
        for axis, names in d.axes:
            click.echo(f"  {axis:<9} {', '.join(names)}")
        click.echo(f"  model     {d.model.name}  judge {d.judge_model}  seed {d.seed}")
        if d.review.roles:
            approvals = (f", {d.review.min_approvals} different reviewers"
                         if d.review.min_approvals > 1 else "")
            click.echo(f"  review    {d.review.sample:.0%} sampled, roles "
                       f"{', '.join(d.review.roles)} (require {d.review.require}{approvals})")
        if d.review.reviewers:
            click.echo("  reviewers " + "; ".join(f"{who}: {', '.join(roles)}"
                                                  for who, roles in d.review.reviewers))
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
        cur = index.curriculum.get(ctx.curriculum)
        if cur is not None:
            click.echo("  adapts    after each session, difficulty "
                       + ", ".join(f"{k} {d:+.2f}" for k, d in cur.adapt)
                       + f" (mastered at {cur.mastered_at:g})")
        for s in sessions:
            if s.index == 0:
                click.echo(f"  session 1: difficulty {s.difficulty:.2f}, "
                           f"learner state {s.learner_state or '-'}")
            else:
                click.echo(f"  session {s.index + 1}: planned difficulty {s.difficulty:.2f}; "
                           "difficulty and learner state decided by session "
                           f"{s.index}'s outcome")
            _turns(s.turns)
    else:
        _turns(job.turns)
    if prompts:
        _prompts(plan, index, job)
    if estimate:
        _estimate(plan, model, limit)


def _estimate(plan, model: str, limit: int | None) -> None:
    from bdsl.engine.prompts import TemplateError
    from bdsl.estimate.plan_estimate import estimate_plan
    from bdsl.estimate.render import render

    try:
        click.echo("\n" + render(estimate_plan(plan, model, limit)))
    except TemplateError as e:
        click.echo(f"error: cannot estimate: {e}", err=True)
        sys.exit(EXIT_SPEC)


def _prompts(plan, index, job) -> None:
    from bdsl.engine.preview import preview_prompts

    for name, text in preview_prompts(plan, job):
        click.echo(f"\n--- prompt {name} ---")
        click.echo(text.strip())


def _describe(index, label: str, name: str) -> str:
    if label == "arc":
        arc = index.arc[name]
        stages = " -> ".join(f"{s.emotion}({s.intensity:g}"
                             + (f", assistant: {s.assistant})" if s.assistant else ")")
                             for s in arc.stages)
        return f": {_bds(stages)}, {arc.min_turns}..{arc.max_turns} messages"
    if label == "topic":
        return f": {index.topic[name].title}"
    if label in ("user", "assistant"):
        return f": {index.persona[name].summary.strip().splitlines()[0]}"
    return ""


def _turns(turns) -> None:
    for t in turns:
        if t.role == "user":
            target = _bds(f"{t.emotion}({t.intensity:g})") if t.emotion else "-"
            click.echo(f"    {t.index:>2} user       target {target}")
        else:
            weight = "" if t.train else "  (not trained on)"
            must = f"  must: {t.protocol}" if t.protocol else ""
            click.echo(f"    {t.index:>2} assistant  strategy {t.strategy or '-'}{must}{weight}")


def _bds(fragment: str) -> str:
    """A piece of .bds syntax, coloured by the bds lexer when stdout is a terminal."""
    if not sys.stdout.isatty():
        return fragment
    from bdsl.highlight import highlight_fragment

    return highlight_fragment(fragment)
