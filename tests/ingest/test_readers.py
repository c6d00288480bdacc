"""bdsl.ingest: OpenAI chat JSONL and Bright Run v4 (full JSON and JSONL) read into one
conversation record; bad input named by file and line."""

import json

import pytest

from bdsl.ingest import IngestError, detect_format, read_file
from tests.export import builder as b
from tests.export.conftest import bdsc


@pytest.fixture
def brightrun_export(run_dir, tmp_path):
    out = tmp_path / "br"
    bdsc("export", run_dir, "--format", "brightrun-v4", "-o", out, "--split", "1")
    return out


def write(path, lines):
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    return path


def test_brightrun_full_file_rebuilds_each_conversation(brightrun_export):
    data = json.loads((brightrun_export / "train.json").read_text())
    convs = read_file(brightrun_export / "train.json")
    assert [c.source_format for c in convs] == ["brightrun-v4"] * 3
    assert [c.source_id for c in convs] == [
        c["conversation_metadata"]["conversation_id"] for c in data["conversations"]]
    approved = next(c for c in convs if c.scaffolding.get("training_topic_key") == "budget"
                    and c.scaffolding.get("emotional_arc_key"))
    assert [m.role for m in approved.messages] == ["user", "assistant"] * 2
    assert approved.messages[-1].content == b.EDITED_TEXT
    # the opening reply is history only (skip_first): not trained on; the target is
    assert [m.train for m in approved.messages if m.role == "assistant"] == [False, True]
    assert approved.messages[0].emotional_state == {"primary": "anxiety", "secondary": "fear",
                                                    "intensity": 0.7}
    assert approved.messages[2].valence == "mixed"
    assert approved.system.startswith("You are Robin.")
    assert approved.metadata["quality_tier"] == "seed_dataset"
    assert approved.scaffolding["persona_key"] == "saver"


def test_brightrun_jsonl_gives_the_same_conversations(brightrun_export):
    full = read_file(brightrun_export / "train.json")
    lines = read_file(brightrun_export / "train.jsonl")
    assert detect_format(brightrun_export / "train.jsonl",
                         (brightrun_export / "train.jsonl").read_text()) == "brightrun-v4-jsonl"
    assert [(c.source_id, c.messages, c.system) for c in lines] == \
        [(c.source_id, c.messages, c.system) for c in full]
    assert lines[0].scaffolding["persona_key"] == full[0].scaffolding["persona_key"]


def test_openai_jsonl_with_weights(run_dir, tmp_path):
    out = tmp_path / "o"
    bdsc("export", run_dir, "--format", "openai", "-o", out, "--split", "1")
    convs = read_file(out / "train.jsonl")
    assert [c.source_id for c in convs] == ["train-1", "train-2", "train-3"]
    weighted = [c for c in convs if any(not m.train for m in c.messages)]
    assert len(weighted) == 2  # skip_first: weight 0 on each money conversation's opener
    assert convs[0].openai_messages()[0]["role"] == "system"
    assert convs[0].openai_messages()[1:] == [
        {"role": m.role.value, "content": m.content} for m in convs[0].messages]


def test_openai_ids_finish_reasons_and_states(tmp_path):
    path = write(tmp_path / "x.jsonl", [{"id": "c-1", "messages": [
        {"role": "user", "content": "hi", "emotional_state": {"primary": "shame",
                                                              "intensity": 0.8}},
        {"role": "assistant", "content": "cut of", "finish_reason": "length"}]}])
    [conv] = read_file(path)
    assert conv.source_id == "c-1" and conv.system == ""
    assert conv.messages[0].emotional_state == {"primary": "shame", "intensity": 0.8}
    assert conv.messages[1].finish_reason == "length"


@pytest.mark.parametrize("lines, message", [
    (['{"messages": [{"role": "user", "content": "a"}]}', '{"messages": [}'],
     "x.jsonl:2:15: not JSON"),
    (['{"messages": [{"role": "user", "content": "a"}]}', '{"text": "a"}'],
     'x.jsonl:2: expected {"messages"'),
    (['{"messages": [{"role": "tool", "content": "a"}]}'],
     "x.jsonl:1: message 0 has role 'tool'"),
    (['{"messages": [{"role": "user", "content": "a"}, {"role": "system", "content": "s"}]}'],
     "x.jsonl:1: message 1 is a system message"),
    (['{"messages": [{"role": "assistant", "content": "a", "weight": 2}]}'],
     "x.jsonl:1: message 0 has weight 2"),
    (['{"id": "a", "messages": [{"role": "user", "content": "a"}]}',
      '{"id": "a", "messages": [{"role": "user", "content": "b"}]}'],
     "x.jsonl:2: conversation id 'a' appears twice (first at line 1)"),
    (['hello'], "x.jsonl:1: not OpenAI chat JSONL"),
])
def test_bad_openai_input_names_the_line(tmp_path, lines, message):
    path = tmp_path / "x.jsonl"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(IngestError) as exc:
        read_file(path)
    assert str(exc.value).startswith(f"{tmp_path}/{message}"), str(exc.value)


def test_brightrun_pairs_that_contradict_each_other_are_refused(brightrun_export, tmp_path):
    lines = [json.loads(x) for x in (brightrun_export / "train.jsonl").read_text().splitlines()]
    # a second pair for the deliberation conversation whose history says something else
    board = next(x for x in lines[1:] if x["current_user_input"].startswith("Should I"))
    other = json.loads(json.dumps(board))
    other["conversation_history"] = [{"turn": 1, "role": "user", "content": "Something else",
                                      "emotional_state": None}]
    path = write(tmp_path / "bad.jsonl", lines + [other])
    with pytest.raises(IngestError) as exc:
        read_file(path)
    assert str(exc.value).endswith(f"bad.jsonl:{lines.index(board) + 1}: turn 1 differs from "
                                   f"the same turn of conversation {board['conversation_id']} "
                                   f"in line {len(lines) + 1}")


def test_brightrun_structure_errors_name_the_place(tmp_path):
    path = tmp_path / "b.json"
    path.write_text(json.dumps({"conversations": [{"conversation_metadata": {
        "conversation_id": "x"}, "training_pairs": [{"conversation_history": "nope"}]}]},
        indent=1))
    with pytest.raises(IngestError) as exc:
        read_file(path)
    assert str(exc.value) == (f"{path}: conversations[0].training_pairs[0]: "
                              "conversation_history must be a list")
    path.write_text('{\n  "conversations": [\n    {,\n')
    with pytest.raises(IngestError) as exc:
        read_file(path)
    assert str(exc.value).startswith(f"{path}:3:6: not JSON")
