"""kind = conversation: a multi-turn conversation following the job's turn targets."""

from __future__ import annotations

from bdsl.engine.kinds.turns import run_turns
from bdsl.engine.steps import JobRun


async def run_conversation(run: JobRun) -> None:
    await run_turns(run, run.job.turns, [])
