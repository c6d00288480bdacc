"""methodology_contrast: the conventional reply really differs and the meta-commentary names
the principles (under fake/echo both replies were the same text and nothing noticed)."""

from bdsl import ir
from bdsl.gates.method_checks import methodology_contrast
from bdsl.gates.view import GateContext, Turn

METHOD = ir.Methodology("clearpath", "Questions first.", (
    "ask what they already think before explaining",
    "name the misconception only after they have seen it"), meta_commentary=True,
    contrastive=True)
GATE = ir.Gate("methodology_contrast", "check", metric="methodology_contrast")
OURS = "What do you think happens to the denominators when you add 1/3 and 1/4?"


def check(conventional: str, meta: str):
    turns = [Turn(0, "user", "1/3 + 1/4 is 2/7, right?"),
             Turn(1, "assistant", OURS, target=ir.TurnTarget(1, "assistant", 0))]
    ctx = GateContext(methodology=METHOD,
                      notes=((1, "conventional", conventional), (1, "meta_commentary", meta)))
    return methodology_contrast(GATE, turns, ctx)


def test_the_same_reply_twice_fails():
    row = check(OURS, "Reply A asks what they already think before explaining anything.")
    assert not row.passed
    assert row.details["problems"][0]["problem"] == "conventional reply too similar"


def test_commentary_that_names_no_principle_fails():
    row = check("No: find a common denominator of 12, so 4/12 + 3/12 = 7/12.",
                "Reply A is nicer and more engaging for the student overall.")
    assert not row.passed
    assert row.details["problems"][0]["problem"] == "meta-commentary names no principle"


def test_a_real_contrast_passes():
    row = check("No: find a common denominator of 12, so 4/12 + 3/12 = 7/12.",
                "Reply A asks what the learner already thinks before explaining, so the "
                "misconception surfaces; reply B explains the method before the learner "
                "has seen the gap.")
    assert row.passed, row.details


def test_no_contrast_recorded_is_not_applicable():
    row = methodology_contrast(GATE, [Turn(0, "user", "hi")], GateContext())
    assert row.passed and row.details["applicable"] is False
