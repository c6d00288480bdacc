"""Each category's example spec, run on fake/echo as a user would (`bdsc run`), shows its
promise in the stored prompts and gate results. Echo replies fulfil no promise, so the
category gates must catch that: that is the point (before, every crisis conversation that
referred no one passed every crisis gate)."""

import json

import pytest
from click.testing import CliRunner

from bdsl.cli import main
from bdsl.store import Store, conversations
from bdsl.store.gate_results import read_gate_rows
from tests.conftest import ROOT


def run_spec(tmp_path, spec: str, *extra) -> Store:
    out = tmp_path / "run"
    r = CliRunner().invoke(main, ["run", str(ROOT / "specs" / spec), "--model", "fake/echo",
                                  "--out", str(out), *extra])
    assert r.exit_code in (0, 3), r.output  # 3: some gates failed their conversations
    return Store.open(out)


def prompts(store, step: str) -> list[str]:
    from bdsl.store.reader import journaled_requests

    return ["\n".join(m[1] for m in r["messages"])
            for _id, _step, r in journaled_requests(store, (step,))]


def gate_rows(store, gate: str) -> list:
    out = []
    for conv in conversations(store):
        rows = {r.gate: r for r in read_gate_rows(store, conv.id, _gates_hash(store, conv))}
        if gate in rows:
            out.append(rows[gate])
    return out


def _gates_hash(store, conv) -> str:
    return store.db.execute("SELECT gates_hash FROM jobs WHERE key=?",
                            (conv.job_key,)).fetchone()[0]


def test_crisis_referral_is_bound_and_checked(tmp_path):
    store = run_spec(tmp_path, "01_crisis_support.bds", "--limit", "2")
    bound = [p for p in prompts(store, "assistant") if "must refer the person to the 988" in p]
    assert bound  # the referral stage's turns are told to refer, with the resource
    rows = gate_rows(store, "stage_protocols")
    crisis = [r for r in rows if r.details.get("bound_turns")]
    assert crisis and not any(r.passed for r in crisis)  # echo never refers: caught


def test_compliance_rules_reach_prompts_as_sentences_with_their_regulation(tmp_path):
    store = run_spec(tmp_path, "02_finra_advisor.bds", "--limit", "2")
    system = prompts(store, "assistant")[0]
    assert "ask qualifying questions first" in system and "[FINRA-2111]" in system
    assert "\\b" not in system
    assert gate_rows(store, "qualifying_questions")


def test_methodology_contrast_and_novel_scenarios(tmp_path):
    store = run_spec(tmp_path, "03_socratic_method.bds")
    rows = gate_rows(store, "methodology_contrast")
    assert rows and not any(r.passed for r in rows)  # echo: both replies are the same
    novel = [c for c in conversations(store) if c.context["novel"]]
    assert novel and all(any(t.label == "novel_scenario" for t in c.turns) for c in novel)


def test_deliberation_keeps_a_recorded_minority_view(tmp_path):
    store = run_spec(tmp_path, "04_knee_panel.bds")
    delib = [c for c in conversations(store) if c.kind == "deliberation"]
    assert delib and all(len([t for t in c.turns if t.label == "minority_view"]) == 3
                         for c in delib)  # one per assistant turn of the three exchanges
    assert len(gate_rows(store, "minority_kept")) == len(delib)


def test_curriculum_sessions_are_decided_at_run_time(tmp_path):
    store = run_spec(tmp_path, "05_adaptive_tutor.bds", "--limit", "1")
    [conv] = list(conversations(store))
    outcomes = [json.loads(t.content) for t in conv.turns if t.label == "session_outcome"]
    assert len(outcomes) == 5
    states = [json.loads(t.content)["session"] for t in conv.turns if t.label == "session_state"]
    assert [s["difficulty"] for s in states[1:]] == [o["next_difficulty"] for o in outcomes[:-1]]


@pytest.mark.slow
def test_a_reply_in_the_wrong_language_fails(tmp_path):
    store = run_spec(tmp_path, "06_cross_cultural.bds")
    by_culture = {}
    for conv in conversations(store):
        rows = {r.gate: r for r in read_gate_rows(store, conv.id, _gates_hash(store, conv))}
        by_culture.setdefault(conv.context["culture"], []).append(rows["reply_language"])
    assert all(not r.passed for r in by_culture["ja_jp"] + by_culture["hi_in_formal"])
    system = next(p for p in prompts(store, "assistant") if "Japanese" in p)
    assert "Cultural notes:" in system and "nenkin" in system
