"""kind = curriculum: a multi-session learning path. Each session is its own
conversation; a summary written at the end of a session (stored as a note) is
what the next session knows about the learner.

Each session starts with a `session_state` note: JSON of exactly the `session` and
`previous_summary` variables its prompts were rendered with, so exports can give every
session its own system prompt as generated."""

from __future__ import annotations

import json

from bdsl.engine.kinds.turns import run_turns
from bdsl.engine.steps import JobRun
from bdsl.kinds import Role, TurnKind

SESSION_STATE = "session_state"


async def run_curriculum(run: JobRun) -> None:
    sessions = run.job.sessions
    summary = ""
    for s in sessions:
        session = {"index": s.index, "number": s.index + 1, "total": len(sessions),
                   "difficulty": s.difficulty, "learner_state": s.learner_state}
        step = {"session": session, "previous_summary": summary}
        first = s.turns[0].index if s.turns else 0
        run.add(None, first, Role.ASSISTANT, TurnKind.NOTE, json.dumps(step, sort_keys=True),
                train=False, label=SESSION_STATE, session=s.index)
        history = await run_turns(run, s.turns, [], session=s.index, step=step)
        if s.index < len(sessions) - 1 and s.turns:
            last = s.turns[-1].index
            prompt = run.render("curriculum_summary", history=history, **step)
            rec = await run.text("session_summary", last, [("user", prompt)])
            summary = rec.response_text.strip()
            run.add(None, last, Role.ASSISTANT, TurnKind.NOTE, summary, train=False,
                    label="session_summary", session=s.index, call_id=rec.id)
