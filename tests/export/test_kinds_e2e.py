"""End to end on real runs (`fake/echo`): a contrastive, a deliberation and a curriculum
dataset are generated, scored and exported in every format their spec lists; each file
loads with `datasets`, and pairs and sessions are checked against the run store,
including the requests the engine journaled (the context each reply was generated for)."""

import json

import pytest
from click.testing import CliRunner

from bdsl.cli import main
from bdsl.export import brightrun_schema
from bdsl.store import Store, conversations
from tests.export import signals_builder as s
from tests.export.conftest import read_jsonl

datasets = pytest.importorskip("datasets")
FORMATS = ("openai", "sharegpt", "hf", "dpo", "openai-dpo", "brightrun-v4")


def cli(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    run, out = root / "run", root / "out"
    cli("run", s.SPEC, "--out", run)
    cli("score", run)
    edit_second_session_reply(run)
    text = cli("export", run, "-o", out, "--split", "0.5", "--reasoning", "think")
    store = Store.open_readonly(run)
    convs = {c.job_key: c for c in conversations(store)}
    from bdsl.store.reader import journaled_requests

    calls = {cid: (step, req) for cid, step, req in journaled_requests(store)}
    store.close()
    return out, convs, calls, text


EDIT = "A reviewer's better reply for the second session."


def edit_second_session_reply(run):
    """A reviewer edits the curriculum's reply in session 2 (edit_pairs true: a pair)."""
    from bdsl.store.reviews import record_review

    store = Store.open(run)
    conv = next(c for c in conversations(store) if c.job_key == s.PATH)
    messages = [{"seq": t.seq, "role": t.role, "content": t.content, "edited": False}
                for t in conv.turns if t.kind == "message"]
    target = next(m for m in messages if m["role"] == "assistant"
                  and next(t for t in conv.turns if t.seq == m["seq"]).session == 1)
    target.update(content=EDIT, edited=True)
    record_review(store, conv.id, "ana", "pedagogy", "edit", "kinder", edited=messages)
    store.close()


def load(out, fmt, tmp_path):
    """Every row of the format's files: a folder with a card as one dataset, other files
    one by one (a split is a file of its own)."""
    folder = out / fmt
    cache = str(tmp_path / "c")
    if fmt in ("hf", "dpo"):
        ds = datasets.load_dataset(str(folder), cache_dir=cache)
        return [r for split in ("train", "validation") if split in ds for r in ds[split]]
    rows = []
    for split in ("train", "validation"):
        if fmt == "brightrun-v4":
            path = folder / f"{split}.json"
            kw = {"field": "conversations"}
        else:
            path = folder / f"{split}.jsonl"
            kw = {}
        if path.exists():
            rows += list(datasets.load_dataset("json", data_files=str(path), cache_dir=cache,
                                               **kw)["train"])
    return rows


def metas(out, fmt):
    return [m for split in ("train", "validation")
            if (out / fmt / f"{split}.meta.jsonl").exists()
            for m in read_jsonl(out / fmt / f"{split}.meta.jsonl")]


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_listed_format_is_written_and_loads(exported, tmp_path, fmt, monkeypatch):
    out, convs, _, text = exported
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    rows = load(out, fmt, tmp_path)
    manifest = json.loads((out / fmt / "manifest.json").read_text())
    assert set(manifest["records"]) == {s.METHOD, s.BOARD, s.PATH}
    sessions = len({t.session for t in convs[s.PATH].turns})
    expected = {"openai": 2 + sessions, "sharegpt": 2 + sessions, "hf": 2 + sessions,
                "brightrun-v4": 2 + sessions}
    if fmt in expected:
        assert len(rows) == expected[fmt]
    assert f"as {fmt} to " in text


def _expected_pairs(convs):
    """(job key, source, reply turn, rejected text, rejected call id) from the store: every
    alternate on a trained reply, and the reviewer's edit of the curriculum."""
    out = []
    for key in (s.METHOD, s.BOARD):
        conv = convs[key]
        replies = {t.idx: t for t in conv.turns
                   if t.kind == "message" and t.role == "assistant"}
        out += [(key, {"conventional": "contrastive"}.get(t.label, t.label), replies[t.idx],
                 t.content, t.call_id) for t in conv.turns
                if t.kind == "alternate" and replies[t.idx].train]
    path = convs[s.PATH]
    edited = next(t for t in path.turns if t.kind == "message" and t.role == "assistant"
                  and t.session == 1)
    out.append((s.PATH, "reviewer_edit", edited, edited.content, edited.call_id))
    return out


@pytest.mark.parametrize("fmt", ["dpo", "openai-dpo"])
def test_pairs_match_the_store_and_the_journaled_context(exported, tmp_path, fmt, monkeypatch):
    out, convs, calls, _ = exported
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    rows = load(out, fmt, tmp_path)
    info = metas(out, fmt) if fmt == "openai-dpo" else rows
    expected = _expected_pairs(convs)
    # skip_first leaves the method's first reply out; one bad synthesis; one edit
    assert len(rows) == len(expected) == 3
    for row, meta in zip(rows, info, strict=True):
        key, source, reply, rejected, rejected_call = next(
            e for e in expected if e[0] == meta["job_key"] and e[2].idx == meta["turn_index"])
        assert meta["source"] == source
        prompt = row["prompt"] if fmt == "dpo" else row["input"]["messages"]
        chosen = row["chosen"] if fmt == "dpo" else row["preferred_output"]
        assert chosen == [{"role": "assistant",
                           "content": EDIT if source == "reviewer_edit" else reply.content}]
        assert (row["rejected"] if fmt == "dpo" else row["non_preferred_output"]) == \
            [{"role": "assistant", "content": rejected}]
        # the rejected reply was generated for exactly this history
        _, request = calls[rejected_call]
        assert [{"role": r, "content": c} for r, c in request["messages"][1:]] == prompt[1:]
        # and so was the chosen one (its system prompt adds the turn's guidance)
        _, chosen_request = calls[reply.call_id]
        assert [{"role": r, "content": c} for r, c in chosen_request["messages"][1:]] == \
            prompt[1:]
        assert chosen_request["messages"][0][1].startswith(prompt[0]["content"] + "\n\n")
        if key == s.PATH:
            assert (meta["curriculum_id"], meta["session"]) == (s.PATH, 1)


def test_sessions_carry_the_system_prompt_as_generated(exported):
    out, convs, calls, _ = exported
    conv = convs[s.PATH]
    lines = [line for split in ("train", "validation")
             if (out / "openai" / f"{split}.jsonl").exists()
             for line in read_jsonl(out / "openai" / f"{split}.jsonl")]
    meta = metas(out, "openai")
    sessions = [(line, m) for line, m in zip(lines, meta, strict=True) if m["job_key"] == s.PATH]
    assert [m["session"] for _, m in sessions] == sorted({t.session for t in conv.turns})
    for line, m in sessions:
        replies = [t for t in conv.turns if t.kind == "message" and t.role == "assistant"
                   and t.session == m["session"]]
        for reply in replies:
            _, request = calls[reply.call_id]
            assert request["messages"][0][1].startswith(line["messages"][0]["content"] + "\n\n")
        state = next(json.loads(t.content) for t in conv.turns
                     if t.label == "session_state" and t.session == m["session"])
        assert m["session_state"] == state and m["curriculum_id"] == s.PATH
        assert [x["content"] for x in line["messages"][1:]] == [
            EDIT if (t.session, t.role) == (1, "assistant") else t.content
            for t in conv.turns if t.kind == "message" and t.session == m["session"]]


def test_deliberation_reasoning_is_the_hidden_perspectives(exported):
    out, convs, _, _ = exported
    conv = convs[s.BOARD]
    lines = [line for split in ("train", "validation")
             if (out / "openai" / f"{split}.jsonl").exists()
             for line in read_jsonl(out / "openai" / f"{split}.jsonl")]
    meta = metas(out, "openai")
    [line] = [x for x, m in zip(lines, meta, strict=True) if m["job_key"] == s.BOARD]
    replies = [m for m in line["messages"] if m["role"] == "assistant"]
    for reply, message in zip(replies, [t for t in conv.turns if t.kind == "message"
                                        and t.role == "assistant"], strict=True):
        hidden = [t for t in conv.turns if t.kind == "hidden" and t.idx == message.idx]
        assert hidden and reply["content"] == (
            "<think>\n" + "\n\n".join(f"{t.label}: {t.content}" for t in hidden)
            + f"\n</think>\n\n{message.content}")


def test_brightrun_validates_and_lists_its_gaps(exported):
    out, _, _, _ = exported
    for path in (out / "brightrun-v4").glob("*.json"):
        if path.name == "manifest.json":
            continue
        data = json.loads(path.read_text())
        assert brightrun_schema.errors(brightrun_schema.bdsl_schema(), data) == []
        manifest = json.loads((out / "brightrun-v4" / "manifest.json").read_text())
        split = path.stem
        assert manifest["checks"]["brightrun_v4"]["splits"][split][
            "upstream_constraints_not_met"] == brightrun_schema.upstream_gaps(data)
