"""kind = curriculum: a multi-session learning path. Each session is its own
conversation; a summary written at the end of a session (stored as a note) is
what the next session knows about the learner."""

from __future__ import annotations

from bdsl.engine.kinds.turns import run_turns
from bdsl.engine.steps import JobRun
from bdsl.kinds import Role, TurnKind


async def run_curriculum(run: JobRun) -> None:
    sessions = run.job.sessions
    summary = ""
    for s in sessions:
        session = {"index": s.index, "number": s.index + 1, "total": len(sessions),
                   "difficulty": s.difficulty, "learner_state": s.learner_state}
        step = {"session": session, "previous_summary": summary}
        history = await run_turns(run, s.turns, [], session=s.index, step=step)
        if s.index < len(sessions) - 1 and s.turns:
            last = s.turns[-1].index
            prompt = run.render("curriculum_summary", history=history, **step)
            rec = await run.text("session_summary", last, [("user", prompt)])
            summary = rec.response_text.strip()
            run.add(None, last, Role.ASSISTANT, TurnKind.NOTE, summary, train=False,
                    label="session_summary", session=s.index, call_id=rec.id)
