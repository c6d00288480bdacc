"""Judged gates: validated verdicts, the operator as written, the spec context each metric
needs in its prompt, windows for transcripts longer than the judge's context, and no judge
failure that crashes scoring."""

import asyncio
import json

import attrs
import pytest

from bdsl import ir
from bdsl.engine.context import JobVariables
from bdsl.engine.port import CallFailed
from bdsl.engine.prompts import PromptRenderer
from bdsl.gates import judge
from bdsl.gates.view import Turn
from bdsl.store.records import CallRecord
from tests.engine import plans

PLAN = plans.plan(plans.job("ds:a", culture="es_mx", panel="knee"))
INPUT = judge.JudgeInput(JobVariables(PLAN, PLAN.index(), PLAN.jobs[0]).for_step(),
                         PromptRenderer(PLAN.templates))
GOOD = [Turn(0, "user", "I feel ashamed of my debt."),
        Turn(1, "assistant", "That sounds heavy; you are not alone in this.")]


class ScriptedJournal:
    def __init__(self, replies):
        self.replies = list(replies)
        self.prompts = []

    async def call(self, job_key, content_hash, step, turn_index, attempt, request):
        self.prompts.append(request.messages[0][1])
        text = self.replies.pop(0) if self.replies else '{"score": 0.9, "reason": "ok"}'
        if isinstance(text, Exception):
            raise text
        return CallRecord("h", step, turn_index, attempt, request.model, "{}", text, "stop",
                          "ok", 1, 1, 0.0, 0.0, id=attempt), False


def gate(metric="empathy", op=">=", threshold=0.7):
    return ir.Gate(metric, "judge", metric=metric, op=op, threshold=threshold)


def run(g, turns=GOOD, inp=INPUT, journal=None, threshold=0.7):
    journal = journal or ScriptedJournal([])
    return asyncio.run(judge.judge(g, threshold, turns, inp, "m", journal, "k", "h")), journal


@pytest.mark.parametrize("replies,passed,soft", [
    (['{"score": 0.9, "reason": "warm"}'], True, False),
    (['{"score": 0.65, "reason": "close"}'], False, True),
    (['{"score": 0.2, "reason": "cold"}'], False, False),
    (['{"score": 7, "reason": "x"}', "not json", '{"score": 0.8, "reason": "ok"}'], True, False),
    (["nope", "nope", "nope"], False, True),
])
def test_judge_validates_and_retries(replies, passed, soft):
    row, _ = run(gate(), journal=ScriptedJournal(replies))
    assert (row.passed, row.soft) == (passed, soft)


def test_the_operator_is_the_one_written():
    strict, _ = run(gate(op=">"), journal=ScriptedJournal(['{"score": 0.7, "reason": "x"}']))
    at_least, _ = run(gate(op=">="), journal=ScriptedJournal(['{"score": 0.7, "reason": "x"}']))
    assert not strict.passed and at_least.passed


def test_a_failing_judge_call_is_a_soft_result_not_a_crash():
    row, _ = run(gate(), journal=ScriptedJournal([CallFailed("ContextWindowExceededError")]))
    assert not row.passed and row.soft and "ContextWindowExceededError" in row.reason


@pytest.mark.parametrize("metric,must_see", [
    ("compliance", "Never promise guaranteed returns."),
    ("cultural_fit", "Spanish (es-MX)"),
    ("synthesis_quality", "Orthopedic surgeon"),
    ("brand_voice_alignment", "one step at a time"),
])
def test_each_judge_sees_what_it_judges(metric, must_see):
    _, journal = run(gate(metric))
    assert must_see in journal.prompts[0]


def test_synthesis_judge_sees_the_recorded_dissent():
    view = {"perspective": "physio", "title": "Physiotherapist", "point": "Rehab first.",
            "source": "model"}
    inp = attrs.evolve(INPUT, notes=((1, "minority_view", json.dumps(view)),))
    turns = [GOOD[0], attrs.evolve(GOOD[1], target=ir.TurnTarget(1, "assistant", 0))]
    _, journal = run(gate("synthesis_quality"), turns, inp)
    assert "must keep (Physiotherapist): Rehab first." in journal.prompts[0]


def test_a_long_curriculum_is_judged_session_by_session_within_4096_tokens():
    long = " ".join(["The learner reworded the thesis about school uniforms again."] * 30)
    turns = [Turn(i, "user" if i % 2 == 0 else "assistant", long, session=i // 6)
             for i in range(30)]  # 5 sessions, ~55,000 characters: far over 4,096 tokens
    sessions = tuple((i * 6, "session_state", json.dumps(
        {"session": {"index": i, "number": i + 1, "difficulty": 0.2 + i / 10,
                     "learner_state": "flow", "skill": ""}, "previous_summary": ""}))
        for i in range(5))
    inp = attrs.evolve(INPUT, notes=sessions, context_tokens=4096)
    row, journal = run(gate("difficulty_fit"), turns, inp)
    assert row.passed and len(journal.prompts) >= 5
    assert all(len(p) / judge.CHARS_PER_TOKEN <= 4096 - 512 for p in journal.prompts)
    # a session alone is still too long here, so each is judged in two parts, never mixed
    assert [w["session"] for w in row.details["windows"]] == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    assert "session 1: difficulty 0.2" in journal.prompts[0]
