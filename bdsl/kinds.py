"""The closed sets of names the IR and the store use, as enums, and the job-kind table.

StrEnum members compare equal to their text ("user" == Role.USER) and serialize as it,
so plan.json and the store hold plain strings while code gets typos caught at import.

JOB_KINDS is the one table of job kinds: the schema's `kind` choice, kind inference,
the dataset checks and the engine's runners all derive from it. A new kind is its
runner module plus one line here.

Imports nothing heavy: the compiler reads this table.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

import attrs


class Role(StrEnum):
    USER = "user"
    ASSISTANT = "assistant"


class JobKind(StrEnum):
    CONVERSATION = "conversation"
    DELIBERATION = "deliberation"
    EXPLICIT_PANEL = "explicit_panel"
    CONTRASTIVE = "contrastive"
    CURRICULUM = "curriculum"


class GateKind(StrEnum):
    JUDGE = "judge"  # metric op threshold, scored by a model with a rubric
    TURN_RULE = "turn_rule"  # every/no/some ROLE turn [mentioning X] predicate operand
    CHECK = "check"  # a built-in check from bdsl.gates.catalog


class RuleKind(StrEnum):
    """The kinds of rule a `compliance` block holds."""

    DISCLAIMER = "disclaimer"
    FORBID = "forbid"
    REQUIRE = "require"
    ESCALATE = "escalate"
    QUALIFY = "qualify"


class Protocol(StrEnum):
    """What an assistant turn must do, beyond its strategy's style."""

    REFERRAL = "referral"  # refer the person to the dataset's escalation resource(s)


class LearnerState(StrEnum):
    FLOW = "flow"
    OVERLOAD = "overload"
    BOREDOM = "boredom"
    PRODUCTIVE_STRUGGLE = "productive_struggle"


# What a curriculum session's outcome can be: a learner state, or mastery of the skill.
MASTERED = "mastered"
SESSION_OUTCOMES = (MASTERED, *LearnerState)


class PanelMode(StrEnum):
    EXPLICIT = "explicit"
    DELIBERATION = "deliberation"


class TurnKind(StrEnum):
    """What a stored text of a conversation is."""

    MESSAGE = "message"  # part of the visible conversation
    HIDDEN = "hidden"  # deliberation scratch (one perspective's view)
    ALTERNATE = "alternate"  # a counter-example for the message at the same index
    NOTE = "note"  # commentary about the message (meta-commentary, session summary)


@attrs.frozen
class JobKindSpec:
    kind: JobKind
    runner: str  # "module:function" of the engine coroutine that runs one job
    needs: str = ""  # the dataset field this kind cannot run without
    panel_mode: PanelMode | None = None  # kinds built on a panel need this mode
    # inference: does a dataset with these entities default to this kind?
    infer: Callable[[object, object, object], bool] = attrs.field(
        default=lambda panel, methodology, curriculum: False, eq=False)
    doc: str = ""


def _spec(*args, **kw) -> JobKindSpec:
    return JobKindSpec(*args, **kw)


# Order matters for inference: the first kind whose `infer` holds is the default.
JOB_KINDS: dict[JobKind, JobKindSpec] = {s.kind: s for s in (
    _spec(JobKind.DELIBERATION, "bdsl.engine.kinds.panels:run_deliberation", "panel",
          PanelMode.DELIBERATION,
          lambda p, m, c: p is not None and p.mode == PanelMode.DELIBERATION,
          "hidden expert deliberation, then one synthesized reply"),
    _spec(JobKind.EXPLICIT_PANEL, "bdsl.engine.kinds.panels:run_explicit_panel", "panel",
          PanelMode.EXPLICIT, lambda p, m, c: p is not None and p.mode == PanelMode.EXPLICIT,
          "the reply shows 2-3 perspectives and asks what matters"),
    _spec(JobKind.CURRICULUM, "bdsl.engine.kinds.curriculum:run_curriculum", "curriculum",
          None, lambda p, m, c: c is not None, "a multi-session learning path"),
    _spec(JobKind.CONTRASTIVE, "bdsl.engine.kinds.contrastive:run_contrastive", "methodology",
          None, lambda p, m, c: m is not None and m.contrastive,
          "method reply vs conventional reply per turn, with meta-commentary"),
    _spec(JobKind.CONVERSATION, "bdsl.engine.kinds.conversation:run_conversation", "",
          None, lambda p, m, c: True, "a multi-turn conversation along an arc"),
)}


def infer_job_kind(panel, methodology, curriculum) -> JobKind:
    """The kind a dataset gets when it does not say `kind`."""
    return next(s.kind for s in JOB_KINDS.values() if s.infer(panel, methodology, curriculum))
