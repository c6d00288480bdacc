"""The turn loop every kind shares: user turns from the simulator, assistant turns
from a kind-specific hook, each visible message annotated beside the next one's
generation (JobRun.annotate_later)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import attrs

from bdsl import ir
from bdsl.engine.steps import JobRun, Speaker, visible
from bdsl.kinds import TurnKind
from bdsl.store import CallRecord


@attrs.frozen
class Extra:
    """A record stored after the message it belongs to (alternate or note)."""

    kind: TurnKind
    label: str
    content: str
    call_id: int | None
    role: str = "assistant"
    train: bool = False


# (run, target, history, step variables) -> (the message's call, extras)
AssistantHook = Callable[[JobRun, ir.TurnTarget, list[dict], dict],
                         Awaitable[tuple[CallRecord, list[Extra]]]]


async def plain_assistant(run: JobRun, target: ir.TurnTarget, history: list[dict],
                          step: dict) -> tuple[CallRecord, list[Extra]]:
    return await Speaker(run).assistant(target, history, **step), []


async def run_turns(run: JobRun, turns: tuple[ir.TurnTarget, ...], history: list[dict],
                    assistant: AssistantHook = plain_assistant, session: int = -1,
                    step: dict | None = None) -> list[dict]:
    step = step or {}
    speaker = Speaker(run)
    for target in turns:
        extras: list[Extra] = []
        if target.role == "user":
            rec = await speaker.user(target, history, **step)
        else:
            rec, extras = await assistant(run, target, history, step)
        content = rec.response_text.strip()
        added = run.add(target, target.index, target.role, TurnKind.MESSAGE, content,
                        train=target.train, session=session, call_id=rec.id)
        run.annotate_later(added, history)  # beside the next message, not before it
        for x in extras:
            run.add(target, target.index, x.role, x.kind, x.content, train=x.train,
                    label=x.label, session=session, call_id=x.call_id)
        history = visible(history, target.role, content)
    return history
