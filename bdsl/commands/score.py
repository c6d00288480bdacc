"""`bdsc score RUN_DIR`: apply the plan's gates to every stored conversation.

`bdsc run` scores at the end of each run; this command re-scores (e.g. after only a
gate threshold changed, which does not regenerate anything) or scores with
`--judge-model` overriding the datasets' judge models.
"""

from __future__ import annotations

import asyncio
import json
import sys

import click

from bdsl.commands._common import EXIT_USAGE, open_run


def score_and_report(store, plan, completer, run_id: int, judge_model: str | None = None,
                     fmt: str = "text", generator_override: str | None = None) -> dict:
    from bdsl.engine.calls import Budget, CallJournal, Counters
    from bdsl.gates.score import score_run

    journal = CallJournal(store, run_id, completer, Budget(None, None, store.spent()), Counters())
    summary = asyncio.run(score_run(store, plan, journal, judge_model, generator_override))
    print_summary(summary, fmt)
    return summary


def print_summary(summary: dict, fmt: str) -> None:
    if fmt == "json":
        click.echo(json.dumps(summary, indent=2, sort_keys=True))
        return
    o = summary["outcomes"]
    failing = ", ".join(f"{g} {n}" for g, n in sorted(summary["failing_gates"].items()))
    click.echo(f"gates: {o.get('pass', 0)} pass, {o.get('needs_review', 0)} need review, "
               f"{o.get('fail', 0)} fail, {o.get('unscored', 0)} unscored"
               + (f"; failing: {failing}" if failing else ""))


@click.command("score")
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option("--judge-model", default=None, help="Override every dataset's judge model.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def score_cmd(run_dir: str, judge_model: str | None, fmt: str) -> None:
    """Score a run's conversations with the gates of its plan."""
    from bdsl.engine.llm_adapter import LLMCompleter
    from bdsl.store.lock import RunLock, RunLocked
    from bdsl.store.reader import last_run_id

    try:
        lock = RunLock(run_dir, "bdsc score").acquire()
    except RunLocked as e:
        click.echo(f"error: {e}; score after it finishes (bdsc run scores at its end)", err=True)
        sys.exit(EXIT_USAGE)
    try:
        plan, store = open_run(run_dir)
        run_id = last_run_id(store)
        try:
            score_and_report(store, plan, LLMCompleter(), run_id, judge_model, fmt)
        finally:
            store.close()
    finally:
        lock.release()
