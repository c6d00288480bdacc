"""An arc stage can bind what the assistant does (`assistant: strategy`); a referral
strategy needs an escalation to refer to."""

from bdsl.compiler.pipeline import compile_path

SPEC = '''
spec "s" version "1"
import std.compliance { crisis_988, not_medical_advice }
persona u : user { summary "u" }
persona bot : assistant { summary "bot" }
strategy refer_doctor { description "Refer to a doctor." protocol referral escalation "%s" }
arc a {
  despair(0.9, assistant: %s) -> referred(0.5)
  turns 4..4
}
dataset d {
  model "fake/echo"
  assistant bot
  users [u]
  arcs [a]
  compliance [%s]
}
'''


def compile_text(tmp_path, escalation="medical", bound="refer_doctor",
                 compliance="crisis_988, not_medical_advice"):
    path = tmp_path / "s.bds"
    path.write_text(SPEC % (escalation, bound, compliance))
    return compile_path(path)


def test_bound_turns_carry_the_strategy_and_its_protocol(tmp_path):
    result = compile_text(tmp_path)
    assert result.ok, [d.message for d in result.diagnostics]
    [job] = result.plan.jobs
    assistant = [t for t in job.turns if t.role == "assistant"]
    assert (assistant[0].strategy, assistant[0].protocol) == ("refer_doctor", "referral")
    assert assistant[1].protocol is None and assistant[1].strategy != "refer_doctor"
    assert "refer_doctor" in job.context.strategies
    assert result.plan.arcs[0].stages[0].assistant == "refer_doctor"


def test_a_referral_needs_an_escalation_with_its_label(tmp_path):
    result = compile_text(tmp_path, escalation="legal")
    assert [d.code for d in result.diagnostics if d.is_error] == ["E244"]
    assert "crisis, medical" in result.diagnostics[0].hint
    nowhere = compile_text(tmp_path, compliance="")
    assert "E244" in {d.code for d in nowhere.diagnostics}


def test_the_stdlib_crisis_arc_refers_at_its_first_stage(tmp_path):
    result = compile_text(tmp_path, bound="refer")
    assert result.ok
    from bdsl.compiler.pipeline import compile_path as cp
    from tests.conftest import ROOT

    plan = cp(ROOT / "specs/01_crisis_support.bds").plan
    crisis = next(j for j in plan.jobs if j.context.arc == "crisis_to_referral")
    first = next(t for t in crisis.turns if t.role == "assistant")
    assert (first.strategy, first.protocol) == ("refer", "referral")


def test_unknown_bound_strategy_is_an_error(tmp_path):
    result = compile_text(tmp_path, bound="refr")
    assert any(d.is_error and "refr" in d.message for d in result.diagnostics)
