"""The openai format and the cookbook's checks."""

import pytest

from bdsl.export import openai_checks
from bdsl.export.openai_checks import check_openai_dataset, record_errors
from tests.export import builder as b
from tests.export.conftest import export_records, read_jsonl

GOOD = {"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "u"},
                     {"role": "assistant", "content": "a", "weight": 1}]}


@pytest.mark.parametrize("example, error", [
    (["not a dict"], "data_type"),
    ({}, "missing_messages_list"),
    ({"messages": []}, "missing_messages_list"),
    ({"messages": [{"role": "assistant"}]}, "message_missing_key"),
    ({"messages": [{"role": "assistant", "content": "a", "mood": "x"}]},
     "message_unrecognized_key"),
    ({"messages": [{"role": "narrator", "content": "n"}, {"role": "assistant", "content": "a"}]},
     "unrecognized_role"),
    ({"messages": [{"role": "assistant", "content": ""}]}, "missing_content"),
    ({"messages": [{"role": "assistant", "content": ["a"]}]}, "missing_content"),
    ({"messages": [{"role": "user", "content": "u"}]}, "example_missing_assistant_message"),
    ({"messages": [{"role": "user", "content": "u", "weight": 0},
                   {"role": "assistant", "content": "a"}]}, "invalid_weight"),
    ({"messages": [{"role": "assistant", "content": "a", "weight": 0.5}]}, "invalid_weight"),
])
def test_validator_reports_each_cookbook_error(example, error):
    assert error in record_errors(example)


def test_validator_accepts_a_valid_example():
    assert record_errors(GOOD) == []
    report = check_openai_dataset([GOOD, GOOD])
    assert report.errors == {} and report.examples == 2
    assert report.trained_assistant_messages == 2 and report.untrained_assistant_messages == 0


def test_token_counts_and_long_example_warning(monkeypatch):
    report = check_openai_dataset([GOOD])
    if report.tokens_per_example is None:  # no tokenizer offline: said so, not guessed
        assert report.warnings and "not measured" in report.warnings[0]
        pytest.skip("tiktoken cl100k_base not available offline")
    # 3 per message + 1 token per value ("system", "s", ...) + 3 priming = 3*3 + 6 + 3
    assert report.tokens_per_example == (18,)
    assert report.assistant_tokens_per_example == (1,)
    assert report.warnings == ()
    monkeypatch.setattr(openai_checks, "MAX_TOKENS_PER_EXAMPLE", 10)
    assert "1 example(s) over 10 tokens" in check_openai_dataset([GOOD]).warnings[0]


def test_export_passes_the_checks_with_weights_from_the_spec(run_dir, tmp_path):
    out, recs = export_records(run_dir, tmp_path, "openai", "--split", "1")
    lines = recs["train"]
    assert len(lines) == 3 and "validation" not in recs
    assert check_openai_dataset(lines).errors == {}
    for rec in lines:
        assert set(rec) == {"messages"}  # the API rejects unknown keys
        assert rec["messages"][0]["role"] == "system"
    by_key = dict(zip((m["job_key"] for m in read_jsonl(out / "train.meta.jsonl")), lines,
                      strict=True))
    money = by_key[b.UNSAMPLED]["messages"]
    # train_on skip_first: the opening assistant turn is kept but not trained on
    assert [m.get("weight") for m in money if m["role"] == "assistant"] == [0, 1]
    assert all("weight" not in m for m in money if m["role"] != "assistant")
    board = by_key[b.BOARD]["messages"]  # train_on all, every turn trained: no weights
    assert [m["role"] for m in board] == ["system", "user", "assistant"]
    assert all("weight" not in m for m in board)


def test_bad_synthesis_and_hidden_deliberation_never_reach_a_training_file(run_dir, tmp_path):
    out, _ = export_records(run_dir, tmp_path, "openai", "--split", "0.5",
                            "--include-unreviewed")
    text = "".join(p.read_text() for p in out.glob("*.jsonl"))
    assert "Pay rent first" in text
    assert "Either is fine" not in text and "planner: rent first" not in text


def test_meta_sidecar_is_line_for_line_with_provenance_and_edits(run_dir, tmp_path):
    out, recs = export_records(run_dir, tmp_path, "openai", "--split", "1")
    meta = read_jsonl(out / "train.meta.jsonl")
    assert len(meta) == len(recs["train"])
    for m, rec in zip(meta, recs["train"], strict=True):
        assert m["spec"] == "export-test" and m["spec_version"] == "3.1.0"
        assert m["regulations"] == {"FINRA-2210": "2024-09"}
        for i in m["edited_messages"]:
            assert rec["messages"][i]["content"] == b.EDITED_TEXT
    assert [m["edited_messages"] for m in meta if m["job_key"] == b.APPROVED] == [[4]]
