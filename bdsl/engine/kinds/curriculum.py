"""kind = curriculum: a multi-session learning path that adapts while it runs.

Each session is its own conversation. When it ends, a structured review of the session
(summary, mastery 0..1, the learner state it ended in, skills mastered) decides the next
session: its difficulty moves by the curriculum's `adapt` step for the measured outcome
(mastered, or the learner state), the learner starts it in the state they ended in, and the
skill in focus is the first one not yet mastered. When the review gives no valid verdict,
the outcome comes from the session's annotations instead, and the source says so.

Stored per session (notes, train=False): `session_state` at its start, JSON of exactly the
`session` and `previous_summary` variables its prompts saw; `session_summary` (the text the
next session carries); `session_outcome` (JSON: mastery, learner state, outcome, the
difficulty it leads to, the evidence and its source).
"""

from __future__ import annotations

import json
import statistics

import attrs

from bdsl.engine.kinds.turns import run_turns
from bdsl.engine.steps import JobRun
from bdsl.kinds import MASTERED, LearnerState, Role, TurnKind

SESSION_STATE = "session_state"
SESSION_SUMMARY = "session_summary"
SESSION_OUTCOME = "session_outcome"
REVIEW_TOKENS = 320  # a few sentences of summary plus three short fields


def review_schema(skills: list[str]) -> dict:
    skill_items = {"type": "string", "enum": skills} if skills else {"type": "string"}
    return {"type": "object", "additionalProperties": False,
            "required": ["summary", "mastery", "learner_state", "skills_mastered"],
            "properties": {
                "summary": {"type": "string"},
                "mastery": {"type": "number", "minimum": 0, "maximum": 1},
                "learner_state": {"type": "string", "enum": list(LearnerState)},
                "skills_mastered": {"type": "array", "items": skill_items,
                                    "maxItems": max(1, len(skills))}}}


def parse_review(text: str, skills: list[str]) -> dict:
    try:
        data = json.loads(text[text.find("{"):text.rfind("}") + 1])
    except json.JSONDecodeError as e:
        raise ValueError(f"not JSON: {e.msg}") from None
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    mastery = data.get("mastery")
    if isinstance(mastery, bool) or not isinstance(mastery, int | float) \
            or not 0 <= mastery <= 1:
        raise ValueError(f"mastery {mastery!r} is not a number in [0, 1]")
    state = data.get("learner_state")
    if state not in set(LearnerState):
        raise ValueError(f"learner_state {state!r} is not one of {', '.join(LearnerState)}")
    summary = data.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        raise ValueError("summary is empty")
    shown = data.get("skills_mastered") or []
    if not isinstance(shown, list) or (skills and any(x not in skills for x in shown)):
        raise ValueError(f"skills_mastered {shown!r} names skills outside the curriculum")
    return {"summary": summary.strip(), "mastery": float(mastery), "learner_state": state,
            "skills_mastered": [x for x in shown if isinstance(x, str)]}


def outcome_of(review: dict, mastered_at: float) -> str:
    """Overload wins (a learner who mastered it while overwhelmed still needs it easier);
    then mastery; else the learner state."""
    if review["learner_state"] == LearnerState.OVERLOAD:
        return str(LearnerState.OVERLOAD)
    if review["mastery"] >= mastered_at:
        return MASTERED
    return str(review["learner_state"])


def next_difficulty(difficulty: float, outcome: str, adapt: dict[str, float]) -> float:
    return round(min(1.0, max(0.0, difficulty + adapt.get(outcome, 0.0))), 4)


def from_annotations(turns) -> tuple[str, dict]:
    """The outcome the session's user annotations point to, when no review is valid:
    strongly negative and intense -> overload; otherwise hold (productive struggle)."""
    notes = [t.annotation for t in turns if t.role == Role.USER and t.annotation is not None]
    if not notes:
        return str(LearnerState.PRODUCTIVE_STRUGGLE), {"annotated_user_turns": 0}
    intensity = statistics.mean(a.intensity for a in notes)
    valence = statistics.mean(a.valence for a in notes)
    state = LearnerState.OVERLOAD if valence < -0.4 and intensity > 0.7 \
        else LearnerState.PRODUCTIVE_STRUGGLE
    return str(state), {"annotated_user_turns": len(notes),
                        "user_intensity_mean": round(intensity, 4),
                        "user_valence_mean": round(valence, 4)}


@attrs.define
class CurriculumPath:
    """A curriculum's progress from session to session: what the engine records while it
    runs and the estimator reproduces while it walks the same job."""

    skills: list[str]
    adapt: dict
    mastered_at: float
    total: int
    difficulty: float
    state: str
    mastered: list[str] = attrs.Factory(list)
    summary: str = ""

    @classmethod
    def start(cls, spec: dict, plans) -> CurriculumPath:
        return cls(list(spec.get("skills") or ()), dict(spec.get("adapt") or ()),
                   spec.get("mastered_at", 0.7), len(plans),
                   plans[0].difficulty if plans else 0.0,
                   plans[0].learner_state if plans else "")

    def step(self, s) -> dict:
        """The variables session `s`'s prompts get (recorded as its session_state note)."""
        skills = self.skills
        focus = next((k for k in skills if k not in self.mastered), skills[-1] if skills else "")
        session = {"index": s.index, "number": s.index + 1, "total": self.total,
                   "difficulty": self.difficulty, "planned_difficulty": s.difficulty,
                   "learner_state": self.state, "skill": focus,
                   "skills_mastered": list(self.mastered)}
        return {"session": session, "previous_summary": self.summary}

    def reviewed(self, review: dict) -> str:
        """Take a session's parsed review in; its outcome."""
        self.state, self.summary = review["learner_state"], review["summary"]
        self.mastered += [k for k in review["skills_mastered"] if k not in self.mastered]
        return outcome_of(review, self.mastered_at)


async def run_curriculum(run: JobRun) -> None:
    plans = run.job.sessions
    path = CurriculumPath.start(run.vars.base["curriculum"] or {}, plans)
    skills = path.skills
    for s in plans:
        step = path.step(s)
        first = s.turns[0].index if s.turns else 0
        last = s.turns[-1].index if s.turns else first
        run.add(None, first, Role.ASSISTANT, TurnKind.NOTE, json.dumps(step, sort_keys=True),
                train=False, label=SESSION_STATE, session=s.index)
        start = len(run.turns)
        history = await run_turns(run, s.turns, [], session=s.index, step=step)
        await run.settle()  # the session's outcome reads its annotations
        prompt = run.render("curriculum_review", history=history, **step)
        review, call_id = await run.structured(
            "session_review", last, [("user", prompt)], review_schema(skills), "session_review",
            lambda text: parse_review(text, skills), "invalid_review", REVIEW_TOKENS)
        evidence_outcome, evidence = from_annotations(run.turns[start:])
        if review is not None:
            outcome, source = path.reviewed(review), "review"
        else:
            outcome, source = evidence_outcome, "annotations"
            path.state = evidence_outcome
        new_difficulty = next_difficulty(path.difficulty, outcome, path.adapt)
        if review is not None and s.index < len(plans) - 1:
            run.add(None, last, Role.ASSISTANT, TurnKind.NOTE, path.summary, train=False,
                    label=SESSION_SUMMARY, session=s.index, call_id=call_id)
        run.add(None, last, Role.ASSISTANT, TurnKind.NOTE, json.dumps({
            "session": s.index + 1, "difficulty": path.difficulty, "outcome": outcome,
            "mastery": review["mastery"] if review else None, "learner_state": path.state,
            "skills_mastered": list(path.mastered), "next_difficulty": new_difficulty,
            "source": source, "evidence": evidence}, sort_keys=True),
            train=False, label=SESSION_OUTCOME, session=s.index, call_id=call_id)
        path.difficulty = new_difficulty
