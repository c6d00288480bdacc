"""`bdsc gate` on conversations made elsewhere."""

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from bdsl.cli import main

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "gate"


def test_gate_scores_external_jsonl(tmp_path, monkeypatch, snapshot):
    for f in FIXTURE.iterdir():
        shutil.copy(f, tmp_path / f.name)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["gate", "spec.bds", "--input", "conversations.jsonl",
                                       "-o", "scored.jsonl"])
    assert result.exit_code == 1, result.output  # some conversations fail
    scored = [json.loads(x)["bdsl_gates"] for x in Path("scored.jsonl").read_text().splitlines()]
    assert [s["outcome"] for s in scored] == ["pass", "fail", "fail"]
    assert scored[1]["failing"] == ["forbidden_claims", "required_disclaimers"]
    assert scored[2]["failing"] == ["crisis_referral"]
    assert scored == snapshot


def test_malformed_jsonl_names_the_line(tmp_path, monkeypatch):
    for f in FIXTURE.iterdir():
        shutil.copy(f, tmp_path / f.name)
    monkeypatch.chdir(tmp_path)
    Path("bad.jsonl").write_text('{"messages": [{"role": "user", "content": "hi"}]}\n'
                                 '{not json\n')
    result = CliRunner().invoke(main, ["gate", "spec.bds", "--input", "bad.jsonl"])
    assert result.exit_code == 2 and "bad.jsonl:2:" in result.output


def test_bright_run_files_are_gated_too(tmp_path, monkeypatch):
    """A Bright Run user's existing v4 file goes through the same gates."""
    import json

    for f in FIXTURE.iterdir():
        shutil.copy(f, tmp_path / f.name)
    monkeypatch.chdir(tmp_path)
    pair = {"id": "c1_turn1", "conversation_id": "c1", "turn_number": 1,
            "system_prompt": "You are a coach.", "conversation_history": [],
            "current_user_input": "I want to end it all.",
            "target_response": "Have you tried making a budget?"}
    Path("v4.jsonl").write_text(json.dumps({"_meta": {"file_name": "v4.jsonl", "total_pairs": 1,
                                                      "version": "4.0.0"}}) + "\n"
                                + json.dumps(pair) + "\n")
    result = CliRunner().invoke(main, ["gate", "spec.bds", "--input", "v4.jsonl"])
    assert result.exit_code == 1, result.output
    [scored] = [json.loads(x) for x in Path("v4.scored.jsonl").read_text().splitlines()]
    assert "crisis_referral" in scored["bdsl_gates"]["failing"]


# --- issue 8: everything `bdsc run` applies, applied to external data -------------------

SPEC = """spec "ext" version "1.0.0"
import std.gates {{ alternating_roles, not_truncated, no_near_duplicates, turn_count,
                   arc_conformance, sentiment_trend }}
import std.compliance {{ crisis_988 }}
persona coach : assistant {{ summary "A coach." }}
persona user1 : user {{ summary "Someone." }}
topic money "Money"
dataset ext {{
  model "fake/echo"
  assistant coach
  users [user1]
  arcs [{arcs}]
  topics [money]
  compliance [crisis_988]
  gates [alternating_roles, not_truncated, no_near_duplicates, turn_count, arc_conformance,
         sentiment_trend]
}}
"""
ONE_ARC = "std.arcs.confusion_to_clarity"
TWO_ARCS = "std.arcs.confusion_to_clarity, std.arcs.guilt_to_permission"
TALK = [("user", "I'm so confused about my loans."),
        ("assistant", "Let's untangle it together. Which loan worries you most?"),
        ("user", "The car loan, I think."),
        ("assistant", "Okay. What is the monthly payment on it?"),
        ("user", "Oh, that's clearer now, thanks!"),
        ("assistant", "Glad it helps. One step at a time.")]


def record(pairs=TALK, **extra):
    return json.dumps({"messages": [{"role": r, "content": c} for r, c in pairs], **extra})


def run_gate(tmp_path, lines, *args, arcs=ONE_ARC):
    (tmp_path / "spec.bds").write_text(SPEC.format(arcs=arcs))
    (tmp_path / "in.jsonl").write_text("\n".join(lines) + "\n")
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(main, ["gate", str(tmp_path / "spec.bds"), "--input",
                                       str(tmp_path / "in.jsonl"), "-o", str(out), *args])
    rows = [json.loads(x) for x in out.read_text().splitlines()] if out.exists() else []
    return result, rows


def gate_row(rec, name):
    return next(r for r in rec["bdsl_gates"]["results"] if r["gate"] == name)


def test_exact_and_near_copies_within_one_file_fail(tmp_path):
    near = [(r, c.replace("'", "\u2019").upper()) for r, c in TALK]
    result, rows = run_gate(tmp_path, [record(), record(), record(near)])
    assert result.exit_code == 1
    assert gate_row(rows[0], "no_near_duplicates")["passed"]
    second, third = (gate_row(r, "no_near_duplicates") for r in rows[1:])
    assert not second["passed"] and second["reason"] == "exact copy of line 1"
    assert not third["passed"] and "line 1" in third["reason"]


def test_against_an_earlier_export(tmp_path):
    other = [(r, f"{c} (a different conversation about {r}s and {i})") for i, (r, c)
             in enumerate(TALK)]
    (tmp_path / "old.jsonl").write_text(record(other) + "\n" + record() + "\n")
    result, rows = run_gate(tmp_path, [record()], "--against", str(tmp_path / "old.jsonl"))
    row = gate_row(rows[0], "no_near_duplicates")
    assert not row["passed"] and row["reason"] == f"exact copy of against {tmp_path}/old.jsonl:2"


def test_against_a_run_directory(tmp_path, monkeypatch):
    import bdsl.engine.llm_adapter as adapter
    from bdsl.serialize import to_json
    from bdsl.store import Store
    from bdsl.store.reader import conversations
    from tests.engine.plans import ScriptedCompleter, job, plan

    monkeypatch.setattr(adapter, "LLMCompleter", lambda *a, **k: ScriptedCompleter())
    (tmp_path / "plan.json").write_text(to_json(plan(job("ds:0"))))
    run = CliRunner().invoke(main, ["run", str(tmp_path / "plan.json"), "--out",
                                    str(tmp_path / "run")])
    assert run.exit_code in (0, 1), run.output
    store = Store.open_readonly(tmp_path / "run")
    [conv] = list(conversations(store))
    store.close()
    pairs = [(m["role"], m["content"]) for m in conv.messages()]
    result, rows = run_gate(tmp_path, [record(pairs)], "--against", str(tmp_path / "run"))
    row = gate_row(rows[0], "no_near_duplicates")
    assert not row["passed"] and row["details"]["duplicate_of"].startswith("against ")


def test_a_conversation_ending_on_the_user_fails(tmp_path):
    result, rows = run_gate(tmp_path, [record(TALK[:-1])])
    row = gate_row(rows[0], "alternating_roles")
    assert not row["passed"] and row["reason"] == "closes with user, arc says assistant"


def test_several_arcs_give_an_envelope_and_annotate_needs_one(tmp_path):
    result, rows = run_gate(tmp_path, [record(TALK[1:])], arcs=TWO_ARCS)
    row = gate_row(rows[0], "alternating_roles")
    assert not row["passed"] and row["reason"] == "opens with assistant, spec's arcs says user"
    assert "the spec's arcs allow 6..10" in gate_row(rows[0], "turn_count")["reason"]
    result, _ = run_gate(tmp_path, [record()], "--annotate", arcs=TWO_ARCS)
    assert result.exit_code == 2 and "pick the one to check against with --arc" in result.output
    result, _ = run_gate(tmp_path, [record()], "--arc", "guilt_to_permision", arcs=TWO_ARCS)
    assert result.exit_code == 2 and "did you mean `guilt_to_permission`" in result.output


def test_finish_reason_in_the_input(tmp_path):
    result, rows = run_gate(tmp_path, [record(finish_reason="length"), record(TALK[:2] + [
        ("user", "ok"), ("assistant", "Here is what I would do first, if I were")])])
    hard, soft = (gate_row(r, "not_truncated") for r in rows)
    assert not hard["passed"] and not hard["details"]["soft"] and hard["details"]["turns"] == [5]
    assert not soft["passed"] and soft["details"]["soft"]
    result, _ = run_gate(tmp_path, [record(finish_reason=3)])
    assert result.exit_code == 2 and "in.jsonl:1: `finish_reason` must be a string" in result.output


def test_without_annotations_arc_conformance_is_not_silently_passed(tmp_path):
    result, rows = run_gate(tmp_path, [record()])
    row = gate_row(rows[0], "arc_conformance")
    assert not row["passed"] and row["details"]["soft"]
    assert "--annotate" in row["reason"] and "--annotate" in result.output
    assert rows[0]["bdsl_gates"]["annotation_source"] == "none"
    assert gate_row(rows[0], "sentiment_trend")["score"] is not None  # VADER needs only the arc


def test_annotate_scores_arc_conformance_with_tool_annotations(tmp_path):
    result, rows = run_gate(tmp_path, [record()], "--annotate", "--judge-model", "fake/echo")
    rec = rows[0]
    assert rec["bdsl_gates"]["annotation_source"] == "tool:fake/echo"
    assert len(rec["bdsl_annotations"]) == 6 and all(rec["bdsl_annotations"])
    row = gate_row(rec, "arc_conformance")
    # fake/echo answers the first emotion of the schema for every turn: a real score of 0
    assert row["score"] == 0.0 and row["details"]["annotation_source"] == "tool:fake/echo"
