"""A dataset's threshold override keeps the operator written: `empathy > 0.85` is strict."""

from bdsl.compiler.pipeline import compile_path
from bdsl.gates.score import gate_context

SPEC = '''
spec "g" version "1"
import std.arcs { confusion_to_clarity }
persona u : user { summary "u" }
persona bot : assistant { summary "bot" }
dataset d {
  model "fake/echo"
  assistant bot
  users [u]
  arcs [confusion_to_clarity]
  gates [std.gates.empathy %s 0.85, std.gates.clarity >= 0.6]
}
'''


def test_override_keeps_its_operator(tmp_path):
    path = tmp_path / "g.bds"
    path.write_text(SPEC % ">")
    plan = compile_path(path).plan
    [job] = plan.jobs
    assert job.gate_ops == (("empathy", ">"),)
    ctx = gate_context(plan.index(), job)
    gate, threshold = ctx.judged(plan.index().gate["empathy"])
    assert (gate.op, threshold) == (">", 0.85)
    path.write_text(SPEC % ">=")
    same = compile_path(path).plan.jobs[0]
    assert same.gate_ops == () and same.gates_hash != job.gates_hash
