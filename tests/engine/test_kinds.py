"""Each job kind produces the right message structure, with validated annotations."""

import asyncio
import json

import attrs
import pytest

from bdsl.engine.executor import RunOptions, execute
from bdsl.store import Store, conversations
from tests.engine.plans import ScriptedCompleter, job, plan


def run_one(tmp_path, j, completer=None):
    store = Store.open(tmp_path)
    completer = completer or ScriptedCompleter()
    outcome = asyncio.run(execute(plan(j), store, completer, RunOptions()))
    convs = list(conversations(store))
    return outcome, convs, completer, store


def shape(conv):
    return [(t.idx, t.role, t.kind, t.label, t.train) for t in conv.turns]


def test_conversation_alternates_and_annotates_every_message(tmp_path):
    outcome, [conv], completer, _ = run_one(tmp_path, job("ds:a"))
    assert outcome.status == "done"
    assert shape(conv) == [(0, "user", "message", "", True), (1, "assistant", "message", "", True),
                           (2, "user", "message", "", True), (3, "assistant", "message", "", True)]
    assert all(t.annotation and t.annotation.intensity == 0.7 for t in conv.turns)
    assert [m["role"] for m in conv.messages()] == ["user", "assistant"] * 2
    assert len(completer.requests) == 8  # 4 messages + 4 annotations
    # the assistant prompt carries persona, strategy and compliance; the user prompt the emotion
    # annotations run beside generation, so find requests by what they are, not by order
    assistant_system = next(r.messages[0][1] for r in completer.requests
                            if r.messages[0][1].startswith("You are Elena"))
    assert "Elena" in assistant_system and "validate" in assistant_system
    assert "988 Suicide & Crisis Lifeline" in assistant_system
    user = next(r for r in completer.requests if "role-playing" in r.messages[0][1])
    assert "shame at intensity 0.8" in user.messages[1][1]


def test_deliberation_hides_debate_and_keeps_a_bad_synthesis_untrained(tmp_path):
    _, [conv], _, _ = run_one(tmp_path, job("ds:d", "deliberation", panel="knee"))
    hidden = [t for t in conv.turns if t.kind == "hidden"]
    assert [t.label for t in hidden] == ["surgeon", "physio", "nutritionist"] * 2
    assert not any(t.train for t in hidden)
    [bad] = [t for t in conv.turns if t.kind == "alternate"]
    assert bad.label == "bad_synthesis" and bad.train is False and bad.idx == 3
    assert [m["role"] for m in conv.messages()] == ["user", "assistant"] * 2


def test_deliberation_records_the_dissent_and_tells_the_synthesis_to_keep_it(tmp_path):
    def script(req):
        if req.schema_name == "dissent":
            return json.dumps({"perspective": "nutritionist",
                               "point": "Losing eight kilos first halves the load on the knee."})
        return None

    _, [conv], completer, _ = run_one(tmp_path, job("ds:d", "deliberation", panel="knee"),
                                      ScriptedCompleter(script))
    views = [json.loads(t.content) for t in conv.turns if t.label == "minority_view"]
    assert [(v["perspective"], v["source"]) for v in views] == [("nutritionist", "model")] * 2
    synth = [r for r in completer.requests if "private panel of experts" in r.messages[0][1]
             and "minority view" in r.messages[0][1].lower()]
    assert synth and "halves the load on the knee" in synth[0].messages[0][1]


def test_a_spec_marked_minority_needs_no_extra_call(tmp_path):
    from tests.engine import plans

    marked = attrs.evolve(plans.DELIB, minority="physio")
    j = job("ds:d", "deliberation", panel="knee")
    p = attrs.evolve(plan(j), panels=(marked, plans.EXPLICIT))
    store = Store.open(tmp_path)
    completer = ScriptedCompleter()
    asyncio.run(execute(p, store, completer, RunOptions()))
    [conv] = list(conversations(store))
    views = [json.loads(t.content) for t in conv.turns if t.label == "minority_view"]
    assert {v["source"] for v in views} == {"spec"} and views[0]["perspective"] == "physio"
    assert not any(r.schema_name == "dissent" for r in completer.requests)


def test_explicit_panel_shows_the_configured_number_of_perspectives(tmp_path):
    _, [conv], completer, _ = run_one(tmp_path, job("ds:e", "explicit_panel",
                                                    panel="knee_explicit"))
    system = next(r.messages[0][1] for r in completer.requests
                  if r.messages[0][1].startswith("You are Elena"))
    shown = [t for t in ("Orthopedic surgeon", "Physiotherapist", "Nutritionist") if t in system]
    assert len(shown) == 2 and "which of these matters most" in system
    assert [t.kind for t in conv.turns] == ["message"] * 4


def test_contrastive_stores_conventional_alternate_and_meta_note(tmp_path):
    _, [conv], completer, _ = run_one(tmp_path, job("ds:c", "contrastive",
                                                    methodology="socratic_money"))
    kinds = [(t.kind, t.label) for t in conv.turns if t.idx == 1]
    assert kinds == [("message", ""), ("alternate", "conventional"), ("note", "meta_commentary")]
    conventional_system = [r for r in completer.requests
                           if "conventional way" in r.messages[0][1]]
    assert conventional_system and "generic list of tips" in conventional_system[0].messages[0][1]


def review(mastery, state, summary="SUMMARY: can state a thesis", skills=()):
    def script(req):
        if "tutoring session just ended" in req.messages[-1][1]:
            return json.dumps({"summary": summary, "mastery": mastery, "learner_state": state,
                               "skills_mastered": list(skills)})
        return None
    return ScriptedCompleter(script)


def sessions_of(conv, label):
    return [json.loads(t.content) for t in conv.turns if t.label == label]


def test_curriculum_carries_a_summary_into_the_next_session(tmp_path):
    _, [conv], completer, _ = run_one(tmp_path, job("ds:k", "curriculum", curriculum="essay"),
                                      review(0.5, "productive_struggle"))
    assert [t.session for t in conv.turns if t.kind == "message"] == [0, 0, 1, 1]
    [note] = [t for t in conv.turns if t.kind == "note" and t.label == "session_summary"]
    assert note.content == "SUMMARY: can state a thesis"
    states = sessions_of(conv, "session_state")
    assert [s["session"]["number"] for s in states] == [1, 2]
    assert [s["previous_summary"] for s in states] == ["", "SUMMARY: can state a thesis"]
    later = [r for r in completer.requests if "session 2 of 2" in r.messages[0][1]]
    assert later and all("SUMMARY: can state a thesis" in r.messages[0][1] for r in later)


@pytest.mark.parametrize("mastery,state,outcome,difficulty,next_state", [
    (0.9, "flow", "mastered", 0.4, "flow"),
    (0.1, "overload", "overload", 0.05, "overload"),
    (0.3, "productive_struggle", "productive_struggle", 0.2, "productive_struggle"),
])
def test_curriculum_adapts_to_the_measured_outcome(tmp_path, mastery, state, outcome,
                                                   difficulty, next_state):
    skills = ["find a claim"] if mastery >= 0.7 else []
    _, [conv], completer, _ = run_one(tmp_path, job("ds:k", "curriculum", curriculum="essay"),
                                      review(mastery, state, skills=skills))
    first, second = sessions_of(conv, "session_outcome")
    assert (first["outcome"], first["next_difficulty"], first["source"]) == \
        (outcome, difficulty, "review")
    later = sessions_of(conv, "session_state")[1]["session"]
    assert (later["difficulty"], later["learner_state"]) == (difficulty, next_state)
    # the next session's focus moves on only after mastery
    assert later["skill"] == ("narrow the claim" if skills else "find a claim")
    prompts = [r.messages[0][1] for r in completer.requests if "session 2 of 2" in
               r.messages[0][1]]
    assert prompts and all(f"Difficulty now: {difficulty}" in p for p in prompts
                           if p.startswith("You are Elena"))


def test_after_a_failed_session_the_next_is_easier_than_after_a_mastered_one(tmp_path):
    def second_difficulty(path, mastery, state):
        _, [conv], _, _ = run_one(path, job("ds:k", "curriculum", curriculum="essay"),
                                  review(mastery, state))
        return sessions_of(conv, "session_state")[1]["session"]["difficulty"]

    failed = second_difficulty(tmp_path / "a", 0.1, "overload")
    mastered = second_difficulty(tmp_path / "b", 0.95, "flow")
    assert failed < 0.2 < mastered


def test_without_a_valid_review_the_outcome_comes_from_annotations(tmp_path):
    def script(req):
        if "tutoring session just ended" in req.messages[-1][1]:
            return "not json"
        if req.json_schema:  # annotations: an overwhelmed learner
            return json.dumps({"primary_emotion": "shame", "secondary_emotion": "fear",
                               "intensity": 0.9, "valence": -0.8, "strategy": "validate"})
        return None

    _, [conv], _, store = run_one(tmp_path, job("ds:k", "curriculum", curriculum="essay"),
                                  ScriptedCompleter(script))
    first = sessions_of(conv, "session_outcome")[0]
    assert (first["source"], first["outcome"], first["mastery"]) == ("annotations", "overload",
                                                                     None)
    assert first["evidence"]["user_intensity_mean"] == 0.9
    assert not [t for t in conv.turns if t.label == "session_summary"]


@pytest.mark.parametrize("bad", ["not json at all", '{"primary_emotion": "shame"}',
                                 '{"primary_emotion": "shame", "secondary_emotion": "",'
                                 ' "intensity": 1.7, "valence": 0, "strategy": ""}'])
def test_invalid_annotation_is_retried(tmp_path, bad):
    def script(req):
        if req.json_schema and req.seed == 7:  # attempt 0 of every annotation
            return bad
        return None

    outcome, [conv], _, store = run_one(tmp_path, job("ds:a"), ScriptedCompleter(script))
    assert outcome.status == "done"
    assert all(t.annotation is not None for t in conv.turns)
    kinds = {k for (k,) in store.db.execute("SELECT kind FROM errors")}
    assert kinds == {"invalid_annotation"}


def test_damaged_json_is_repaired_without_a_retry(tmp_path):
    fenced = ('Sure!\n```json\n{"primary_emotion": "hope", "secondary_emotion": "",'
              ' "intensity": 0.4, "valence": 0.3, "strategy": "plan",}\n```')
    completer = ScriptedCompleter(lambda r: fenced if r.json_schema else None)
    _, [conv], completer, _ = run_one(tmp_path, job("ds:a"), completer)
    assert conv.turns[0].annotation.primary_emotion == "hope"
    assert len(completer.requests) == 8


def test_annotation_left_empty_when_every_attempt_is_invalid(tmp_path):
    completer = ScriptedCompleter(lambda r: "{}" if r.json_schema else None)
    outcome, [conv], _, store = run_one(tmp_path, job("ds:a"), completer)
    assert outcome.status == "done"
    assert all(t.annotation is None for t in conv.turns)
    assert store.db.execute("SELECT COUNT(*) FROM annotations").fetchone()[0] == 0


def test_a_novel_scenario_job_invents_its_topic_first(tmp_path):
    def script(req):
        if req.schema_name == "novel_scenario":
            assert "Credit card debt" in req.messages[0][1]  # the dataset's topics to avoid
            return json.dumps({"title": "Splitting a lottery win with siblings",
                               "description": "A small win; every sibling has a claim."})
        return None

    p = plan(job("ds:novel", "contrastive", methodology="socratic_money", topic="",
                 novel=True))
    p = attrs.evolve(p, datasets=(attrs.evolve(p.datasets[0], axes=(("topics", ("debt",)),)),))
    store = Store.open(tmp_path)
    completer = ScriptedCompleter(script)
    asyncio.run(execute(p, store, completer, RunOptions()))
    [conv] = list(conversations(store))
    [note] = [t for t in conv.turns if t.label == "novel_scenario"]
    assert json.loads(note.content)["title"] == "Splitting a lottery win with siblings"
    user_prompts = [r for r in completer.requests if "role-playing a person" in
                    r.messages[0][1]]
    assert user_prompts and all("lottery win" in r.messages[0][1] for r in user_prompts)


def test_compiled_novel_scenarios_add_one_job_per_user_and_arc():
    from bdsl.compiler.pipeline import compile_path
    from tests.conftest import ROOT

    plan_ = compile_path(ROOT / "specs/03_socratic_method.bds").plan
    novel = [j for j in plan_.jobs if j.context.novel]
    assert len(novel) == 4 and all(j.key.endswith("/~novel:0") and not j.context.topic
                                   for j in novel)
