"""What a trainer actually trains on: an exported record through a real chat template.

The hf export of a `train_on skip_first` conversation is rendered with the embedded
SmolLM2 model's own chat template and tokenizer (read from its GGUF, offline) and masked
the way the exported trainer configs say:
  axolotl (axolotl.yaml)        a message is trained when its `message_field_training`
                                field says so, else when its role is in roles_to_train;
                                its content and end-of-turn token (train_on_eos: turn)
  LLaMA-Factory (llamafactory)  mask_history: only each record's last reply
The unmasked tokens must be exactly the replies the store says to train on.
"""

import pytest
import yaml

from bdsl.store import Store, conversations
from tests.export import signals_builder as s
from tests.export.conftest import bdsc, read_jsonl
from tests.export.gguf_tokenizer import smollm2_tokenizer

IGNORE = -100


@pytest.fixture(scope="module")
def tokenizer():
    tok = smollm2_tokenizer()
    if tok is None:
        pytest.skip("needs the embedded model (bdsc models pull smollm2) and the test extras "
                    "(gguf, transformers)")
    return tok


def turn_spans(tok, messages):
    """(start, end) character span of each message's content in the rendered text,
    found by rendering the conversation one message at a time."""
    full = tok.apply_chat_template(messages, tokenize=False)
    spans, done = [], 0
    for k in range(len(messages)):
        upto = tok.apply_chat_template(messages[:k + 1], tokenize=False)
        assert full.startswith(upto)  # the template renders turn by turn
        start = upto.index(messages[k]["content"], done)
        spans.append((start, start + len(messages[k]["content"])))
        done = len(upto)
    return full, spans


def labels(tok, messages, trained):
    """Token ids and labels: a trained message's content tokens and the end-of-turn token
    after it keep their ids, everything else is IGNORE."""
    full, spans = turn_spans(tok, messages)
    enc = tok(full, return_offsets_mapping=True, add_special_tokens=False)
    ids, offsets = enc["input_ids"], enc["offset_mapping"]
    out = [IGNORE] * len(ids)
    for (start, end), train in zip(spans, trained, strict=True):
        if not train:
            continue
        inside = [i for i, (a, b) in enumerate(offsets) if a >= start and b <= end and b > a]
        for i in inside:
            out[i] = ids[i]
        after = inside[-1] + 1
        assert ids[after] == tok.eos_token_id  # <|im_end|> closes the turn
        out[after] = ids[after]
    return ids, out


def trained_texts(tok, ids, labels_):
    """The decoded runs of unmasked tokens."""
    runs, run = [], []
    for i, label in zip(ids, labels_, strict=True):
        if label == IGNORE:
            if run:
                runs.append(tok.decode(run))
            run = []
        else:
            run.append(i)
    if run:
        runs.append(tok.decode(run))
    return runs


def axolotl_trained(config, message):
    field = config.get("message_field_training")
    if field and field in message:
        return bool(message[field])
    return message["role"] in (config.get("roles_to_train") or [])


@pytest.fixture
def exported(signals_run, tmp_path):
    out = tmp_path / "hf"
    bdsc("export", signals_run, "--format", "hf", "-o", out, "--split", "1",
         "--dataset", "method")
    store = Store.open_readonly(signals_run)
    [conv] = [c for c in conversations(store) if c.job_key == s.METHOD]
    store.close()
    return out, conv


def store_weighted_replies(conv):
    """The texts the spec trains on: replies stored with train=true (the exported text:
    here the reviewer's edit replaces the last reply)."""
    trained = [t for t in conv.turns if t.kind == "message" and t.role == "assistant"
               and t.train]
    return [s.EDITED if t.content == s.METHOD_REPLIES[1] else t.content for t in trained]


def test_axolotl_masks_exactly_the_untrained_turns(tokenizer, exported):
    out, conv = exported
    config = yaml.safe_load((out / "axolotl.yaml").read_text())["datasets"][0]
    [record] = read_jsonl(out / "train.jsonl")
    messages = record["messages"]
    ids, labels_ = labels(tokenizer, messages, [axolotl_trained(config, m) for m in messages])
    eot = tokenizer.eos_token
    assert trained_texts(tokenizer, ids, labels_) == [
        text + eot for text in store_weighted_replies(conv)]
    # the opening reply (skip_first) is in the input, masked
    assert s.METHOD_REPLIES[0] in tokenizer.decode(ids)
    assert sum(label != IGNORE for label in labels_) < len(ids)


def test_the_default_axolotl_config_would_train_the_skipped_turn(tokenizer, exported):
    """Why the export writes the per-message field: roles_to_train alone trains every
    assistant reply, including the one the spec skips."""
    out, conv = exported
    [record] = read_jsonl(out / "train.jsonl")
    messages = record["messages"]
    naive = {"roles_to_train": ["assistant"]}
    ids, labels_ = labels(tokenizer, messages, [axolotl_trained(naive, m) for m in messages])
    assert len(trained_texts(tokenizer, ids, labels_)) == len(store_weighted_replies(conv)) + 1


def test_llama_factory_records_train_exactly_the_weighted_turns(tokenizer, exported):
    out, conv = exported
    assert yaml.safe_load((out / "llamafactory.yaml").read_text())["mask_history"] is True
    trained = []
    for record in read_jsonl(out / "train.llamafactory.jsonl"):
        messages = record["messages"]
        last = [k == len(messages) - 1 for k in range(len(messages))]  # mask_history
        ids, labels_ = labels(tokenizer, messages, last)
        trained += trained_texts(tokenizer, ids, labels_)
    assert trained == [text + tokenizer.eos_token for text in store_weighted_replies(conv)]


def test_openai_weights_agree_with_the_hf_train_fields(signals_run, tmp_path, exported):
    out, _ = exported
    bdsc("export", signals_run, "--format", "openai", "-o", tmp_path / "o", "--split", "1",
         "--dataset", "method")
    [line] = read_jsonl(tmp_path / "o" / "train.jsonl")
    [record] = read_jsonl(out / "train.jsonl")
    assert [m.get("weight") for m in line["messages"] if m["role"] == "assistant"] == \
        [int(m["train"]) for m in record["messages"] if m["role"] == "assistant"]


@pytest.mark.slow
def test_the_tokenizer_counts_tokens_as_llama_cpp_does(tokenizer):
    """The tokenizer built from the GGUF agrees with llama.cpp loading the same file."""
    import xllamacpp

    from bdsl.llm.models import model_path

    params = xllamacpp.CommonParams()
    params.model.path = model_path("smollm2")
    params.n_ctx = 256
    params.verbosity = -1
    server = xllamacpp.Server(params)
    texts = ["I owe $12,345.67 on 3 cards!", "naïve café — résumé 😀",
             "<|im_start|>user\nIt's fine, we'll see.<|im_end|>\n", "  two  spaces\n\ttab"]
    for text in texts:
        reply = server.handle_completions({"prompt": text, "max_tokens": 1})
        assert reply["usage"]["prompt_tokens"] == len(tokenizer(text, add_special_tokens=False)
                                                      ["input_ids"]), text
