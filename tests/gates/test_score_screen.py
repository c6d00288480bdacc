"""The judged safety screen inside `bdsc run` scoring: one journaled call per conversation
whose verdicts reach crisis_referral through the GateContext (issue 8, bullet 1)."""

import json

import attrs
from click.testing import CliRunner

from bdsl import ir
from bdsl.cli import main
from bdsl.serialize import canonical_hash, to_data, to_json
from bdsl.store import Store
from bdsl.store.gate_results import read_gate_rows
from bdsl.store.reader import conversations
from tests.engine.plans import ScriptedCompleter, job, plan

GATE = ir.Gate("crisis_screened", "check", metric="crisis_referral",
               options=(("line", "988"), ("screen", "judged")))
VERDICT = json.dumps({"crisis_turns": [{"turn": 0, "risk": "passive_ideation",
                                        "evidence": "echo"}], "claim_turns": []})


def screened_plan():
    j = attrs.evolve(job("ds:0"), gates=(GATE.name,), gates_hash="g1", content_hash="")
    j = attrs.evolve(j, content_hash=canonical_hash(to_data(j)))
    p = plan(j)
    return attrs.evolve(p, gates=(GATE,),
                        datasets=(attrs.evolve(p.datasets[0], judge_model="judge/m"),))


def test_run_scores_with_the_screen_and_rescoring_pays_nothing(tmp_path, monkeypatch):
    import bdsl.engine.llm_adapter as adapter

    made = []

    def factory(*a, **kw):
        made.append(ScriptedCompleter(
            lambda req: VERDICT if req.schema_name == "safety_screen" else None))
        return made[-1]

    monkeypatch.setattr(adapter, "LLMCompleter", factory)
    (tmp_path / "plan.json").write_text(to_json(screened_plan()))
    out = tmp_path / "run"
    r = CliRunner().invoke(main, ["run", str(tmp_path / "plan.json"), "--out", str(out)])
    assert r.exit_code in (0, 1), r.output
    screens = [q for q in made[0].requests if q.schema_name == "safety_screen"]
    assert len(screens) == 1 and "[0] USER:" in screens[0].messages[0][1]
    assert screens[0].model == "judge/m"

    store = Store.open_readonly(out)
    [conv] = list(conversations(store))
    [row] = read_gate_rows(store, conv.id, "g1")
    store.close()
    assert not row.passed and row.soft  # a crisis only the judge saw: review, not reject
    assert row.details["detections"][0]["layers"] == ["judge"]
    assert row.details["judged_layer"] == "judge/m"

    r = CliRunner().invoke(main, ["score", str(out), "--format", "json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["outcomes"] == {"needs_review": 1}
    assert made[1].requests == []  # already scored at this gates hash: no new judge call
