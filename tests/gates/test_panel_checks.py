"""A synthesis that drops the dissent fails minority_kept."""

import json

from bdsl import ir
from bdsl.gates.panel_checks import keeps, minority_kept
from bdsl.gates.view import GateContext, Turn

GATE = ir.Gate("minority_kept", "check", metric="minority_kept")
VIEW = {"perspective": "physio", "title": "Physiotherapist", "source": "model",
        "point": "Surgery before six weeks of structured rehab risks a second operation and "
                 "months of lost strength."}
CTX = GateContext(notes=((1, "surgeon", "Operate now."), (1, "minority_view", json.dumps(VIEW))))
TARGET = ir.TurnTarget(1, "assistant", 0)


def convo(reply: str):
    return [Turn(0, "user", "Should I get the knee surgery?"),
            Turn(1, "assistant", reply, target=TARGET)]


def test_a_synthesis_that_drops_the_dissent_fails():
    row = minority_kept(GATE, convo("Book the surgery this month: the imaging is clear and "
                                    "you will be running again by spring."), CTX)
    assert not row.passed
    assert row.details["dropped"][0]["perspective"] == "physio"


def test_a_synthesis_that_keeps_it_passes():
    row = minority_kept(GATE, convo(
        "I'd start with six weeks of structured rehab before deciding on surgery: operating "
        "first risks a second operation and months of lost strength. If rehab fails, "
        "surgery is the next step."), CTX)
    assert row.passed, row.details


def test_no_recorded_dissent_is_not_applicable():
    row = minority_kept(GATE, convo("anything"), GateContext())
    assert row.passed and row.details["applicable"] is False


def test_keeps_counts_stems():
    point = "Surgery risks a second operation"  # stems: surge, risks, secon, opera
    ok, found, missing = keeps("Operating again carries risks.", point)
    assert ok and found == ["risks", "opera"] and missing == ["surge", "secon"]
    assert not keeps("Operating is fine.", point)[0]  # one stem of four is not enough
