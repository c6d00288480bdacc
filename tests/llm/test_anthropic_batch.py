"""Anthropic Message Batches: OpenAI-shaped chat requests to batch params, results lines
back to chat results, states, base URLs and batch prices (no server needed)."""

import json

import pytest

from bdsl.llm import anthropic_batch as ab
from bdsl.llm.batch import BatchClient, BatchUnsupported, batch_cost, provider_of
from bdsl.llm.routes import Route
from bdsl.llm.types import ChatRequest

MODEL = "anthropic/claude-haiku-4-5"
SCHEMA = {"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]}


def req(**kw):
    messages = ({"role": "system", "content": "Be brief."},
                {"role": "system", "content": "Be kind."},
                {"role": "user", "content": "hi"},
                {"role": "assistant", "content": "hello"},
                {"role": "user", "content": "help"})
    return ChatRequest(model=MODEL, messages=messages, **kw)


def test_system_messages_become_system_and_seed_is_dropped():
    p = ab.params(req(temperature=0.7, top_p=0.9, seed=3, max_tokens=300), "claude-haiku-4-5")
    assert p == {"model": "claude-haiku-4-5", "max_tokens": 300, "system": "Be brief.\n\nBe kind.",
                 "temperature": 0.7, "top_p": 0.9,
                 "messages": [{"role": "user", "content": "hi"},
                              {"role": "assistant", "content": "hello"},
                              {"role": "user", "content": "help"}]}


def test_consecutive_messages_of_one_role_are_merged():
    r = ChatRequest(MODEL, ({"role": "user", "content": "a"}, {"role": "user", "content": "b"},
                            {"role": "assistant", "content": "c"}))
    assert ab.params(r, "m")["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
        {"role": "assistant", "content": "c"}]


def test_max_tokens_is_always_sent():
    assert ab.params(req(), "m")["max_tokens"] == ab.DEFAULT_MAX_TOKENS == 4096
    assert ab.params(req(), "m", default_max_tokens=64000)["max_tokens"] == 64000
    assert "system" not in ab.params(ChatRequest(MODEL, ({"role": "user", "content": "x"},)),
                                     "m")


def test_structured_output_is_one_forced_tool():
    p = ab.params(req(json_schema=SCHEMA, schema_name="turn annotation!"), "m")
    assert p["tools"] == [{"name": "turn_annotation_", "input_schema": SCHEMA,
                           "description": "Give the answer in this structure."}]
    assert p["tool_choice"] == {"type": "tool", "name": "turn_annotation_"}
    assert ab.tool_name("x" * 80) == "x" * 64 and ab.tool_name("") == "output"


def succeeded(content, stop="end_turn", usage=(10, 4)):
    return {"custom_id": "c1", "result": {"type": "succeeded", "message": {
        "id": "msg_1", "type": "message", "role": "assistant", "content": content,
        "stop_reason": stop, "usage": {"input_tokens": usage[0], "output_tokens": usage[1]}}}}


def price(prompt, completion):
    return prompt * 0.5 + completion * 2.0


@pytest.mark.parametrize("stop, finish", [("end_turn", "stop"), ("stop_sequence", "stop"),
                                          ("max_tokens", "length")])
def test_a_succeeded_line_is_a_chat_result(stop, finish):
    row = succeeded([{"type": "text", "text": "Hello "}, {"type": "text", "text": "there."}],
                    stop)
    result, error, code = ab.result_of(MODEL, row, price)
    assert (error, code) == ("", 200)
    assert (result.text, result.finish_reason, result.prompt_tokens, result.completion_tokens,
            result.cost, result.model) == ("Hello there.", finish, 10, 4, 13.0, MODEL)


def test_a_tool_call_is_the_structured_answer_text():
    row = succeeded([{"type": "tool_use", "id": "t", "name": "output", "input": {"x": 3}}],
                    "tool_use")
    result, _, _ = ab.result_of(MODEL, row, price)
    assert json.loads(result.text) == {"x": 3} and result.finish_reason == "stop"


@pytest.mark.parametrize("result, error, code", [
    ({"type": "errored", "error": {"type": "error", "error": {
        "type": "invalid_request_error", "message": "max_tokens: too large"}}},
     "errored: max_tokens: too large", 400),
    ({"type": "errored", "error": {"type": "error", "error": {
        "type": "api_error", "message": "Internal server error"}}},
     "errored: Internal server error", 500),
    ({"type": "canceled"}, "canceled", 500),
    ({"type": "expired"}, "expired", 500),
])
def test_failed_lines_carry_why(result, error, code):
    assert ab.result_of(MODEL, {"custom_id": "c", "result": result}, price) == (None, error, code)


def test_states_map_to_the_engines():
    from bdsl.llm.batch import DONE

    assert [ab.status_of({"processing_status": s}) for s in ("in_progress", "canceling",
                                                            "ended")] == \
        ["in_progress", "cancelling", "completed"]
    assert "completed" in DONE and "in_progress" not in DONE and "cancelling" not in DONE


def test_base_url_from_the_endpoint_or_environment(monkeypatch):
    for name in ("ANTHROPIC_API_BASE", "ANTHROPIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    assert ab.base_url() == "https://api.anthropic.com"
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://proxy:9/")
    assert ab.base_url() == "http://proxy:9"
    monkeypatch.setenv("ANTHROPIC_API_BASE", "http://gw:1/v1/messages")
    assert ab.base_url() == "http://gw:1"
    assert ab.base_url("http://route:2/v1") == "http://route:2"


def test_a_missing_key_is_one_clear_error(monkeypatch):
    import asyncio

    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    api = ab.AnthropicBatches("http://127.0.0.1:9")
    with pytest.raises(ab.AnthropicError, match="no Anthropic API key: set ANTHROPIC_API_KEY"):
        asyncio.run(api.retrieve("msgbatch_x"))


def test_anthropic_models_are_batchable_and_priced_at_the_batch_price():
    import litellm

    assert provider_of(MODEL) == ("anthropic", "claude-haiku-4-5")
    info = litellm.model_cost["claude-haiku-4-5"]
    assert batch_cost(MODEL, 1000, 100) == pytest.approx(
        1000 * info["input_cost_per_token_batches"] + 100 * info["output_cost_per_token_batches"])
    assert batch_cost(MODEL, 1000, 100) == pytest.approx(
        (1000 * info["input_cost_per_token"] + 100 * info["output_cost_per_token"]) / 2)
    # priced interactively but without a batch price: unknown, never guessed
    assert "input_cost_per_token_batches" not in litellm.model_cost["claude-mythos-preview"]
    assert batch_cost("anthropic/claude-mythos-preview", 1000, 100) is None
    with pytest.raises(BatchUnsupported, match="served by `ollama`"):
        provider_of("ollama/llama3")


def test_the_route_gives_the_base_and_key(monkeypatch):
    monkeypatch.setenv("MY_CLAUDE_KEY", "sk-route")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-env")
    client = BatchClient({MODEL: Route(MODEL, "http://gw:7/v1", "MY_CLAUDE_KEY")})
    api = client._anthropic(MODEL)
    assert (api.base, api.key) == ("http://gw:7", "sk-route")
    assert BatchClient()._anthropic(MODEL).key == "sk-env"
    assert BatchClient()._anthropic("openai/gpt-4o-mini") is None


def test_reads_are_tried_again_and_creates_are_not(monkeypatch):
    """A GET that meets a 529 or 500 is repeated; a POST is sent once (twice would pay twice)."""
    import asyncio

    import httpx

    seen = []

    def reply(request: httpx.Request) -> httpx.Response:
        seen.append(request.method)
        if len(seen) in (1, 2):
            return httpx.Response(529 if len(seen) == 1 else 500, json={
                "type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
        return httpx.Response(200, json={"id": "msgbatch_1", "processing_status": "ended"})

    real = httpx.AsyncClient

    def client(**kw):
        return real(transport=httpx.MockTransport(reply), **kw)

    api = ab.AnthropicBatches("http://x", "k", backoff_s=0.0)
    monkeypatch.setattr(httpx, "AsyncClient", client)
    assert asyncio.run(api.retrieve("msgbatch_1"))["processing_status"] == "ended"
    assert seen == ["GET", "GET", "GET"]
    seen.clear()
    with pytest.raises(ab.AnthropicError, match="Anthropic 529: Overloaded"):
        asyncio.run(api.create([]))
    assert seen == ["POST"]
