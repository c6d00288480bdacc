"""Reply-length models and token counting per provider."""

import json

import pytest

from bdsl.engine.annotate import annotation_schema
from bdsl.engine.kinds.curriculum import review_schema
from bdsl.engine.kinds.panels import dissent_schema
from bdsl.engine.novel import SCHEMA as SCENARIO
from bdsl.estimate import replies
from bdsl.gates import judge, screen


def test_constants_follow_the_providers():
    from bdsl.llm import fake_provider, local_provider

    assert replies.ECHO_WORDS == fake_provider.ECHO_WORDS
    assert replies.LOCAL_MAX_SENTENCES == local_provider.MAX_SENTENCES


@pytest.mark.parametrize("schema", [
    annotation_schema(["shame", "hope"], ["validate"]), review_schema(["a", "b"]),
    review_schema([]), dissent_schema(["x", "y"]), SCENARIO, judge.SCHEMA, screen.SCHEMA])
def test_the_fake_reply_to_a_schema_is_the_fake_providers(schema):
    from bdsl.llm.fake_provider import instance

    assert replies.instance(schema, "echo") == instance(schema)
    reply = replies.EchoReplies().structured(schema, 128)
    assert reply.text == json.dumps(instance(schema))
    assert reply.tokens == len(reply.text.split())


def test_the_fake_text_reply_is_the_fake_providers():
    from bdsl.llm.fake_provider import reply as fake_reply

    long = " ".join(f"w{i}" for i in range(40))
    for messages in ([("system", "s"), ("user", long)], [("user", "two words"), ("assistant", "x")],
                     [("system", "only a system prompt")]):
        mine = replies.EchoReplies().text(messages, 64)
        theirs, _finish = fake_reply([{"role": r, "content": c} for r, c in messages], {})
        assert mine.text == theirs and mine.tokens == len(theirs.split())
    assert replies.EchoReplies().prompt_tokens([("system", "a b"), ("user", "c d e")]) == 5


def test_the_ask_is_read_from_the_prompt():
    assert replies.asked_sentences([("system", "Reply in 2-5 sentences.")]) == 3.5
    assert replies.asked_sentences([("user", "x 1-4 sentences"), ("user", "y 3–6 sentences")]) \
        == 4.5
    assert replies.asked_sentences([("user", "Write only the reply.")]) is None


def test_api_replies_follow_the_ask_and_stay_under_the_cap():
    api = replies.ModeledReplies("gpt-4o-mini")
    asked = api.text([("system", "in 2-5 sentences")], 256)
    assert asked.tokens == 70 and asked.text.split() == ["the"] * 70
    assert api.text([("system", "in 2-5 sentences")], 50).tokens == 50
    assert api.text([("user", "no length stated")], 256).tokens == 128  # half the cap
    ceiling = replies.ModeledReplies("gpt-4o-mini", ceiling=True)
    assert ceiling.text([("system", "in 2-5 sentences")], 256).tokens == 256
    assert ceiling.structured(judge.SCHEMA, 128).tokens == 128


def test_local_replies_fill_the_sentence_grammar():
    local = replies.ModeledReplies("local/smollm2")
    assert local.text([("user", "Keep it to 1-4 sentences.")], 256).tokens == 144
    assert local.text([("user", "x")], 100).tokens == 100


def test_api_structured_calls_pay_for_their_schema_as_prompt():
    api, local = replies.ModeledReplies("gpt-4o-mini"), replies.ModeledReplies("local/smollm2")
    messages = [("user", "Annotate this.")]
    schema = annotation_schema(["shame", "hope"], ["validate"])
    assert api.prompt_tokens(messages, schema) == api.prompt_tokens(messages) + api.count(
        json.dumps(schema))
    assert local.prompt_tokens(messages, schema) == local.prompt_tokens(messages)


def test_models_whose_tokenizer_is_a_download_are_counted_with_tiktoken():
    assert replies.tokenizer_model("gpt-4o-mini") == "gpt-4o-mini"
    assert replies.tokenizer_model("groq/llama-3.1-8b-instant") == ""
    assert "tiktoken" in replies.ModeledReplies("groq/llama-3.1-8b-instant").describe()


@pytest.mark.parametrize("model", ["gpt-4o-mini", "claude-sonnet-4-5", "local/smollm2"])
def test_prompt_tokens_are_litellms_count_of_the_chat(model):
    import litellm

    messages = [("system", "You are Maya, a calm coach.\n\nReply in 2-5 sentences."),
                ("user", "I sent thirty applications and heard nothing back."),
                ("assistant", "That is a lot of silence to sit with."), ("user", "ok")]
    counted = replies.ModeledReplies(model).prompt_tokens(messages)
    assert counted == litellm.token_counter(model=model, messages=[
        {"role": r, "content": c} for r, c in messages])
