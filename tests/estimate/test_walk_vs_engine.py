"""The walk makes the calls the engine makes. Each job kind (and the scoring calls) runs
for real through the engine with the fake/echo provider, then the estimate of the same plan
is compared step by step. fake/echo's replies follow a known rule, so for it the estimate
must match exactly: any difference is the walk drifting from the engine."""

import asyncio
import re

import attrs
import pytest

from bdsl import ir
from bdsl.engine.calls import Budget, CallJournal, Counters
from bdsl.engine.executor import RunOptions, execute
from bdsl.engine.llm_adapter import LLMCompleter
from bdsl.estimate.plan_estimate import estimate_plan
from bdsl.gates.score import score_run
from bdsl.store import Store
from bdsl.store.usage import usage_by_step
from tests.engine import plans

WARM = ir.Gate("warm", "judge", metric="empathy", threshold=0.7)
SCREENED = ir.Gate("crisis", "check", metric="crisis_referral", options=(("screen", "judged"),))
GATES = ("warm", "crisis")


def with_gates(j: ir.Job) -> ir.Job:
    return attrs.evolve(j, gates=GATES)


def kind_plan(name: str) -> ir.Plan:
    job = plans.job
    jobs = {
        "conversation": [job("ds:c", seed=3)],
        "contrastive": [job("ds:m", "contrastive", methodology="socratic_money")],
        "novel_contrastive": [job("ds:n", "contrastive", methodology="socratic_money",
                                  novel=True)],
        "deliberation": [job("ds:d", "deliberation", panel="knee")],
        "explicit_panel": [job("ds:e", "explicit_panel", panel="knee_explicit", seed=11)],
        "curriculum": [job("ds:k", "curriculum", curriculum="essay")],
    }[name]
    p = plans.plan(*[with_gates(j) for j in jobs])
    judged_by_echo = attrs.evolve(p.datasets[0], judge_model="fake/echo")
    return attrs.evolve(p, gates=(WARM, SCREENED), datasets=(judged_by_echo,))


def run_and_score(p: ir.Plan, tmp_path) -> dict:
    store = Store.open(tmp_path)
    completer = LLMCompleter()
    outcome = asyncio.run(execute(p, store, completer, RunOptions()))
    assert outcome.status == "done"
    journal = CallJournal(store, outcome.run_id, completer, Budget(), Counters())
    asyncio.run(score_run(store, p, journal))
    rows = {}
    for u in usage_by_step(store):
        step = re.sub(r"^(judge:[^:]+):\d+$", r"\1", u.step)
        a = rows.setdefault(step, [0, 0, 0])
        a[0] += u.calls
        a[1] += u.prompt_tokens
        a[2] += u.completion_tokens
    store.close()
    return rows


def estimated(p: ir.Plan) -> dict:
    rows = {}
    for s in estimate_plan(p).steps:
        a = rows.setdefault(s.step, [0, 0, 0])
        a[0] += s.calls
        a[1] += s.prompt_tokens
        a[2] += s.completion_tokens
    return rows


@pytest.mark.parametrize("name", ["conversation", "contrastive", "novel_contrastive",
                                  "deliberation", "explicit_panel", "curriculum"])
def test_the_walk_matches_the_engine_for_every_kind(name, tmp_path):
    p = kind_plan(name)
    assert estimated(p) == run_and_score(p, tmp_path)


def test_panel_options_change_the_calls_as_in_the_engine(tmp_path):
    marked = attrs.evolve(plans.DELIB, minority="physio", bad_synthesis=False)
    p = attrs.evolve(kind_plan("deliberation"), panels=(marked, plans.EXPLICIT))
    est = estimated(p)
    assert "dissent" not in est and "bad_synthesis" not in est
    assert est == run_and_score(p, tmp_path)


def test_contrastive_without_meta_commentary(tmp_path):
    quiet = attrs.evolve(plans.METHOD, meta_commentary=False)
    p = attrs.evolve(kind_plan("contrastive"), methodologies=(quiet,))
    est = estimated(p)
    assert "meta" not in est and est["conventional"][0] == 2
    assert est == run_and_score(p, tmp_path)


def test_a_long_transcript_is_judged_in_windows_as_the_judge_does(tmp_path, monkeypatch):
    import bdsl.llm.models as models

    monkeypatch.setattr(models, "context_window", lambda model: 900)
    p = kind_plan("curriculum")
    est = estimated(p)
    assert est["judge:warm"][0] > 1  # one call per window
    assert est == run_and_score(p, tmp_path)
