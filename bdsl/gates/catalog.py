"""The one table of built-in gate checks and judged metrics.

The compiler reads names and options from here (unknown check, unknown option, did you
mean), scoring dispatches through it, and tests keep docs/gates.md in step with it. A new
check is its function plus one line in CHECKS; a new judged metric is one line in
JUDGE_METRICS plus its rubric in stdlib/rubrics.yaml.

Imports nothing heavy: `bdsc check` reads this table.
"""

from __future__ import annotations

import functools
import importlib
from enum import StrEnum

import attrs


class Scope(StrEnum):
    CONVERSATION = "conversation"  # fn(gate, turns, ctx) -> GateRow
    DATASET = "dataset"  # fn(gate, {key: (turns, ctx)}) -> {key: GateRow}


@attrs.frozen
class CheckSpec:
    name: str
    run: str  # "module:function"
    options: tuple[str, ...] = ()
    scope: Scope = Scope.CONVERSATION
    doc: str = ""
    choices: tuple[tuple[str, tuple[str, ...]], ...] = ()  # option -> allowed values

    def allowed(self, option: str) -> tuple[str, ...] | None:
        return dict(self.choices).get(option)


@attrs.frozen
class MetricSpec:
    name: str
    doc: str
    # what of the spec the judge is shown besides the transcript (see stdlib judge.j2):
    # voice, rules, culture, perspectives, method, curriculum, arc
    context: tuple[str, ...] = ()
    aggregate: str = "mean"  # how scores of a transcript judged in windows combine: mean|min


def _c(name, run, options=(), scope=Scope.CONVERSATION, doc="", choices=()):
    return CheckSpec(name, run, tuple(options), scope, doc, tuple(choices))


# the safety screen: "lexical" (default) or "judged" (bdsl.gates.screen, needs a judge model)
_SCREEN = (("screen", ("lexical", "judged")),)


_CHECKS = "bdsl.gates.checks"
_DATA = "bdsl.gates.dataset_checks"

CHECKS: dict[str, CheckSpec] = {c.name: c for c in (
    _c("not_truncated", f"{_CHECKS}:not_truncated",
       doc="no message is empty or was cut at max_tokens (finish_reason, else a "
           "mid-sentence heuristic: soft)"),
    _c("alternating_roles", f"{_CHECKS}:alternating_roles",
       doc="roles alternate; the conversation opens and closes as the arc says"),
    _c("turn_count", f"{_CHECKS}:turn_count", doc="message count within the arc's range"),
    _c("length", f"{_CHECKS}:length", ("min_words", "max_words"),
       doc="every message within a word range"),
    _c("required_disclaimers", f"{_CHECKS}:required_disclaimers",
       doc="triggered compliance disclaimers are present"),
    _c("forbidden_claims", f"{_CHECKS}:forbidden_claims", ("screen",),
       doc="no assistant turn makes a claim a compliance `forbid` rule bars", choices=_SCREEN),
    _c("required_statements", "bdsl.gates.compliance_checks:required_statements",
       doc="assistant turns a compliance `require` rule applies to contain what it requires"),
    _c("qualifying_questions", "bdsl.gates.compliance_checks:qualifying_questions",
       doc="a `qualify` trigger is answered with a qualifying question first"),
    _c("crisis_referral", f"{_CHECKS}:crisis_referral", ("line", "screen"),
       doc="crisis turns get a referral and no domain advice", choices=_SCREEN),
    _c("stage_protocols", "bdsl.gates.protocol_checks:stage_protocols",
       doc="assistant turns an arc stage binds to a protocol follow it (referral: name the "
           "resource)"),
    _c("reply_language", "bdsl.gates.language:reply_language", ("min_letters",),
       doc="every assistant reply is in the culture pack's language (lingua)"),
    _c("minority_kept", "bdsl.gates.panel_checks:minority_kept",
       doc="each synthesis keeps the dissent its deliberation recorded"),
    _c("methodology_contrast", "bdsl.gates.method_checks:methodology_contrast",
       doc="conventional replies really differ; meta-commentary names a principle"),
    _c("arc_conformance", f"{_CHECKS}:arc_conformance", ("tolerance",),
       doc="annotated user emotions follow the arc's targets"),
    _c("sentiment_trend", f"{_DATA}:sentiment_trend", ("tolerance",),
       doc="VADER sentiment moves the way the arc's valence does (weak, soft)"),
    _c("no_near_duplicates", f"{_DATA}:no_near_duplicates", ("threshold",), Scope.DATASET,
       doc="no conversation nearly duplicates an earlier one (MinHash + LSH)"),
)}

JUDGE_METRICS: dict[str, MetricSpec] = {m.name: m for m in (
    MetricSpec("empathy", "feelings named and reflected at the person's pace", ("arc",)),
    MetricSpec("appropriateness", "the reply fits the intensity and the context",
               ("arc", "rules"), "min"),
    MetricSpec("clarity", "plain words, one idea at a time, a concrete next step"),
    MetricSpec("brand_voice_alignment", "sounds like the assistant persona's voice", ("voice",)),
    MetricSpec("compliance", "the dataset's compliance rules are kept", ("rules",), "min"),
    MetricSpec("synthesis_quality", "one decisive answer that integrates the perspectives",
               ("perspectives",)),
    MetricSpec("cultural_fit", "register, directness and honorifics fit the culture pack",
               ("culture",)),
    MetricSpec("socratic_restraint", "guides with questions, never hands over the answer",
               ("method", "curriculum")),
    MetricSpec("difficulty_fit", "the challenge matches the learner's level this session",
               ("curriculum",)),
    MetricSpec("contrast_quality", "the method reply applies the principles and the "
               "conventional one shows what they change; the commentary says why", ("method",)),
)}


@functools.cache
def check_function(name: str):
    """The function that runs the check `name` (imported on first use)."""
    module, attr = CHECKS[name].run.split(":")
    return getattr(importlib.import_module(module), attr)
