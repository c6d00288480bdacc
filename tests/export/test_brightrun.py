"""brightrun-v4: upstream's brightrun-lora-v4 structure field by field, validated with
jsonschema against the schema written from the design note; measured or null."""

import json
import re

import pytest

from bdsl.export import brightrun_schema
from tests.export import builder as b
from tests.export import signals_builder as s
from tests.export.conftest import bdsc, read_jsonl

jsonschema = pytest.importorskip("jsonschema")


def export(run, tmp_path, *extra):
    out = tmp_path / "br"
    bdsc("export", run, "--format", "brightrun-v4", "-o", out, "--split", "1", *extra)
    return out, json.loads((out / "train.json").read_text())


def conversation(data, job_key, prov_lines):
    cid = next(p["conversation_id"] for p in prov_lines if p["job_key"] == job_key)
    return next(c for c in data["conversations"]
                if c["conversation_metadata"]["conversation_id"] == cid)


def test_the_schema_is_draft_2020_12_and_pins_upstream_constants():
    strict = brightrun_schema.strict_schema()
    jsonschema.Draft202012Validator.check_schema(strict)
    jsonschema.Draft202012Validator.check_schema(brightrun_schema.bdsl_schema())
    assert strict["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    meta = strict["properties"]["training_file_metadata"]["properties"]
    assert meta["format_spec"]["const"] == "brightrun-lora-v4"
    assert meta["vertical"]["const"] == "financial_planning_consultant"
    pair = strict["$defs"]["training_pair"]
    assert set(pair["required"]) == {
        "id", "conversation_id", "turn_number", "conversation_metadata", "system_prompt",
        "conversation_history", "current_user_input", "emotional_context", "target_response",
        "training_metadata"}


@pytest.mark.parametrize("which", ["test", "signals"])
def test_files_validate_against_the_schema(run_dir, signals_run, tmp_path, which):
    out, data = export(run_dir if which == "test" else signals_run, tmp_path)
    assert brightrun_schema.errors(brightrun_schema.bdsl_schema(), data) == []
    lines = read_jsonl(out / "train.jsonl")
    schema = brightrun_schema.bdsl_schema()
    jsonschema.validate(lines[0], brightrun_schema.meta_line_schema(schema))
    for line in lines[1:]:
        jsonschema.validate(line, brightrun_schema.pair_schema(schema),
                            cls=jsonschema.Draft202012Validator)


def test_a_strictly_upstream_valid_file_passes_the_strict_schema(run_dir, tmp_path):
    """The strict schema is satisfiable: fill every null the bdsl file has with a value of
    upstream's type and it validates (so the manifest's gaps are exactly the nulls and
    pinned values)."""
    _, data = export(run_dir, tmp_path)
    gaps = brightrun_schema.upstream_gaps(data)
    assert gaps  # unmeasured confidences, unjudged criteria, the vertical...
    for e in brightrun_schema.errors(brightrun_schema.strict_schema(), data):
        parent = data
        for key in list(e.absolute_path)[:-1]:
            parent = parent[key]
        last = list(e.absolute_path)[-1]
        parent[last] = _value_for(e)
    assert brightrun_schema.errors(brightrun_schema.strict_schema(), data) == []


def _value_for(e):
    if "const" in e.schema:
        return e.schema["const"]
    if "enum" in e.schema:
        return e.schema["enum"][0]
    kind = e.schema.get("type")
    if kind == "object":  # emotional states
        return {"primary": "calm", "primary_confidence": 0.5, "intensity": 0.5,
                "valence": "positive"}
    if kind == "number":
        return (e.schema["minimum"] + e.schema["maximum"]) / 2
    return {"string": "x", "integer": 0}[kind]


def test_manifest_lists_the_upstream_constraints_not_met(run_dir, tmp_path):
    out, data = export(run_dir, tmp_path)
    check = json.loads((out / "manifest.json").read_text())["checks"]["brightrun_v4"]
    gaps = check["splits"]["train"]["upstream_constraints_not_met"]
    assert gaps == brightrun_schema.upstream_gaps(data)
    fields = {g["field"]: g for g in gaps}
    conf = fields["$.conversations[*].training_pairs[*].emotional_context.detected_emotions"
                  ".primary_confidence"]
    assert conf["count"] == 2 and conf["constraint"].startswith("null (nothing measured")
    assert fields["$.training_file_metadata.vertical"]["constraint"] == \
        "'export-test' where upstream requires 'financial_planning_consultant'"
    assert sum(g["count"] for g in gaps) == len(
        brightrun_schema.errors(brightrun_schema.strict_schema(), data))


def test_pairs_are_measured_or_null(run_dir, tmp_path):
    out, data = export(run_dir, tmp_path)
    prov = read_jsonl(out / "train.provenance.jsonl")
    conv = conversation(data, b.APPROVED, prov)
    meta = conv["conversation_metadata"]
    assert meta["quality_tier"] == "seed_dataset"  # a reviewer marked it a seed example
    assert meta["scaffolding"] == {"persona_key": "saver", "persona_name": "saver",
                                   "emotional_arc_key": "worry_to_plan",
                                   "emotional_arc": "Anxiety → Hopeful",
                                   "training_topic_key": "budget",
                                   "training_topic": "Making a first budget"}
    assert meta["total_turns"] == 4 and meta["created_date"] == "2025-10-09"
    # skip_first: the opening reply is history, not a pair
    [pair] = conv["training_pairs"]
    cid = meta["conversation_id"]
    assert pair["id"] == f"{cid}_turn4" and pair["turn_number"] == 4
    assert [h["turn"] for h in pair["conversation_history"]] == [1, 2]
    assert pair["conversation_history"][0]["emotional_state"] == {
        "primary": "anxiety", "secondary": "fear", "intensity": 0.7}
    assert pair["current_user_input"] == "[1] I'm worried about budget (turn 2)."
    assert pair["target_response"] == b.EDITED_TEXT
    detected = pair["emotional_context"]["detected_emotions"]
    assert detected["primary"] == "hopeful" and detected["primary_confidence"] is None
    # hopeful (positive) with fear (negative) beside it: mixed, whatever the -0.5 measured
    assert detected["valence"] == "mixed"
    tm = pair["training_metadata"]
    # judged empathy 0.82 and clarity 0.9 on upstream's 1..5: 1 + 4*s
    assert tm["quality_criteria"] == {"empathy_score": 4.28, "clarity_score": 4.6,
                                      "appropriateness_score": None,
                                      "brand_voice_alignment": None}
    assert tm["quality_score"] == 4.44  # 1 + 4 * mean(0.82, 0.9)
    assert tm["emotional_progression_target"] == "anxiety(0.8) → hopeful(0.5)"
    assert tm["demonstrates_skills"] == ["reframe"]  # the annotator's strategy
    assert tm["key_learning_objective"].startswith("reframe: ")
    assert tm["conversation_turn"] == 2 and tm["generate_variations_count"] is None
    assert tm["reviewer_notes"] == "good pacing\nedited turn 3"
    assert pair["conversation_metadata"]["conversation_phase"] == "stage_2_hopeful"
    assert pair["conversation_metadata"]["expected_outcome"] == "hopeful(0.5)"
    p = next(x for x in prov if x["job_key"] == b.APPROVED)
    assert p["review_state"] == "approved" and p["provenance"]["spec_version"] == "3.1.0"
    fm = data["training_file_metadata"]
    assert (fm["format_spec"], fm["version"], fm["file_name"]) == \
        ("brightrun-lora-v4", "4.0.0", "train.json")
    assert fm["total_conversations"] == 3 and fm["total_training_pairs"] == 3
    qs = fm["quality_summary"]
    assert (qs["min_quality_score"], qs["max_quality_score"]) == (4.1, 4.44)
    assert qs["human_reviewed_count"] == 1 and qs["human_reviewed_percentage"] == 33.33
    profile = data["consultant_profile"]
    assert profile["name"] == "Robin" and profile["years_experience"] is None
    assert profile["communication_style"]["avoid"] == ["never promises outcomes"]


def test_unjudged_unannotated_conversation(run_dir, tmp_path):
    out, data = export(run_dir, tmp_path)
    conv = conversation(data, b.BOARD, read_jsonl(out / "train.provenance.jsonl"))
    [pair] = conv["training_pairs"]
    tm = pair["training_metadata"]
    assert tm["quality_score"] is None and set(tm["quality_criteria"].values()) == {None}
    assert pair["emotional_context"]["detected_emotions"] is None
    assert conv["conversation_metadata"]["quality_tier"] == "experimental"


def test_jsonl_variant_meta_line_and_suffixed_ids(run_dir, tmp_path):
    out, data = export(run_dir, tmp_path)
    lines = read_jsonl(out / "train.jsonl")
    pairs = [p for c in data["conversations"] for p in c["training_pairs"]]
    assert lines[0] == {"_meta": {"file_name": "train.jsonl", "total_pairs": len(pairs),
                                  "version": "4.0.0"}}
    assert [x["id"] for x in lines[1:]] == [f"{p['id']}_{p['conversation_id'][:8]}"
                                            for p in pairs]
    assert [dict(x, id=None) for x in lines[1:]] == [dict(p, id=None) for p in pairs]


def test_curriculum_sessions_are_conversations_with_their_own_prompts(signals_run, tmp_path):
    out, data = export(signals_run, tmp_path)
    prov = read_jsonl(out / "train.provenance.jsonl")
    ids = [p["conversation_id"] for p in prov if p["job_key"] == s.PATH]
    assert len(ids) == 2 and [p["session"] for p in prov if p["job_key"] == s.PATH] == [0, 1]
    convs = [c for c in data["conversations"]
             if c["conversation_metadata"]["conversation_id"] in ids]
    second = convs[1]["training_pairs"][0]
    assert "session 2 of 2" in second["system_prompt"]
    assert second["conversation_history"] == []  # no history across the session boundary
    ctx = second["conversation_metadata"]["session_context"]
    assert ctx.startswith("session 2 of 2; difficulty: 0.8; learner state: flow; "
                          'skills: ["set a limit"]; from earlier sessions: ')
    assert second["training_metadata"]["difficulty_level"] == "0.8"
    assert second["conversation_metadata"]["expected_outcome"] == \
        "the learner builds and keeps a monthly budget"


def test_deterministic_bytes(run_dir, tmp_path):
    a, _ = export(run_dir, tmp_path / "a")
    c, _ = export(run_dir, tmp_path / "c")
    for name in ("train.json", "train.jsonl", "train.provenance.jsonl"):
        assert (a / name).read_bytes() == (c / name).read_bytes()


@pytest.mark.parametrize("which", ["test", "signals"])
def test_grouped_validation_equals_validating_the_whole_file(run_dir, signals_run, tmp_path,
                                                              which):
    """The manifest's gaps come from validating one representative per shape: the same
    counts as validating every node of the file."""
    from collections import Counter

    _, data = export(run_dir if which == "test" else signals_run, tmp_path)
    full = Counter((re.sub(r"\[\d+\]", "[*]", e.json_path), brightrun_schema._constraint(e))
                   for e in brightrun_schema.errors(brightrun_schema.strict_schema(), data))
    assert dict(brightrun_schema.grouped_errors(brightrun_schema.strict_schema(), data)) == \
        dict(full)


@pytest.mark.parametrize("value, shaped", [
    (0, 0), (1, 1), (0.3, 0.5), (0.99, 0.5), (4.28, 3.25), (3.0, 3.0), (7, 50), (2, 3),
    (250, 200), (-0.2, -0.75), (100, 100), (99.5, 50.25)])
def test_number_shapes_keep_every_comparison_the_schema_makes(value, shaped):
    assert brightrun_schema._number(value) == shaped
    for bound in (0, 1, 5, 100):
        assert (value < bound) == (shaped < bound) and (value > bound) == (shaped > bound)
    assert float(value).is_integer() == float(shaped).is_integer()
    assert isinstance(value, int) == isinstance(shaped, int)
