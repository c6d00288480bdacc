"""LLMClient: retries, adaptive concurrency, truncation, accounting, scrubbing."""

import asyncio
import json
import types

import pytest

from bdsl.llm import ChatRequest, LLMClient, ProviderError, RateLimited, TruncatedError
from bdsl.llm import client as client_mod
from bdsl.llm.fake_provider import instance


class Boom(Exception):
    def __init__(self, status):
        super().__init__(f"status {status}")
        self.status_code = status


def fake_litellm(script):
    """A stand-in for litellm whose acompletion plays `script` (exceptions or replies)."""
    calls = []

    async def acompletion(**kwargs):
        calls.append(kwargs)
        step = script.pop(0)
        if isinstance(step, Exception):
            raise step
        text, finish = step
        msg = types.SimpleNamespace(content=text)
        usage = types.SimpleNamespace(prompt_tokens=3, completion_tokens=len(text.split()))
        return types.SimpleNamespace(choices=[types.SimpleNamespace(message=msg,
                                                                    finish_reason=finish)],
                                     usage=usage)

    class Err(Exception):
        pass

    mod = types.SimpleNamespace(acompletion=acompletion, Timeout=type("T", (Err,), {}),
                                RateLimitError=type("R", (Err,), {}),
                                APIConnectionError=type("C", (Err,), {}),
                                ServiceUnavailableError=type("S", (Err,), {}),
                                InternalServerError=type("I", (Err,), {}),
                                AuthenticationError=type("A", (Err,), {}),
                                PermissionDeniedError=type("P", (Err,), {}),
                                NotFoundError=type("N", (Err,), {}),
                                BadRequestError=type("B", (Err,), {}),
                                ContextWindowExceededError=type("X", (Err,), {}),
                                completion_cost=lambda **kw: (_ for _ in ()).throw(KeyError()))
    return mod, calls


@pytest.fixture
def scripted(monkeypatch):
    def make(script):
        mod, calls = fake_litellm(list(script))
        monkeypatch.setattr(client_mod, "litellm_module", lambda: mod)
        sleeps = []

        async def sleep(s):
            sleeps.append(s)

        return LLMClient(max_retries=3, sleep=sleep, rand=lambda: 1.0), calls, sleeps
    return make


REQ = ChatRequest("openai/some-model", ({"role": "user", "content": "hi"},))


def test_retries_429_and_5xx_with_exponential_backoff(scripted):
    client, calls, sleeps = scripted([Boom(429), Boom(503), ("ok now", "stop")])
    result = asyncio.run(client.complete(REQ))
    assert result.text == "ok now" and result.attempts == 3
    assert sleeps == [1.0, 2.0]
    assert client.rate_limits == 1 and client.retries == 2


def test_gives_up_after_max_retries(scripted):
    client, calls, _ = scripted([Boom(429)] * 4)
    with pytest.raises(RateLimited):
        asyncio.run(client.complete(REQ))
    assert len(calls) == 4


def test_client_errors_are_not_retried(scripted):
    client, calls, _ = scripted([Boom(400)])
    with pytest.raises(ProviderError):
        asyncio.run(client.complete(REQ))
    assert len(calls) == 1


def test_rate_limits_shrink_the_limit_and_successes_grow_it(scripted):
    client, _, _ = scripted([Boom(429), ("a", "stop")] + [("b", "stop")] * 40)
    client.limit.maximum = client.limit.limit = 8
    asyncio.run(client.complete(REQ))
    assert client.limit.limit == 4
    for _ in range(40):
        asyncio.run(client.complete(REQ))
    assert client.limit.limit == 8


def test_truncation_raises_with_the_paid_result(scripted):
    client, _, _ = scripted([("cut off mid", "length")])
    with pytest.raises(TruncatedError) as err:
        asyncio.run(client.complete(REQ))
    assert err.value.result.text == "cut off mid"


def test_unknown_price_is_none_not_zero(scripted):
    client, _, _ = scripted([("x", "stop")])
    assert asyncio.run(client.complete(REQ)).cost is None


def test_structured_output_request_shape(scripted):
    client, calls, _ = scripted([("{}", "stop")])
    schema = {"type": "object", "properties": {}}
    asyncio.run(client.complete(ChatRequest("m", REQ.messages, json_schema=schema, seed=3)))
    fmt = calls[0]["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["schema"] == schema
    assert calls[0]["seed"] == 3


def test_api_keys_never_appear_in_errors(scripted, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-verysecretvalue123")
    leak = Boom(401)
    leak.args = ("bad key sk-verysecretvalue123",)
    client, _, _ = scripted([leak])
    with pytest.raises(ProviderError) as err:
        asyncio.run(client.complete(REQ))
    assert "sk-verysecretvalue123" not in str(err.value) and "[redacted]" in str(err.value)


def test_fake_provider_schema_instances_are_valid():
    schema = {"type": "object", "required": ["score", "label", "tags"], "properties": {
        "score": {"type": "number", "minimum": 0, "maximum": 1},
        "label": {"type": "string", "enum": ["calm", "shame"]},
        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1}}}
    assert instance(schema) == {"score": 0.5, "label": "calm", "tags": ["echo"]}


def test_fake_echo_through_real_litellm():
    result = asyncio.run(LLMClient().complete(ChatRequest("fake/echo", REQ.messages)))
    assert result.text == "echo: hi" and result.cost == 0.0 and result.prompt_tokens == 1
    schema = {"type": "object", "required": ["a"], "properties": {"a": {"type": "integer"}}}
    out = asyncio.run(LLMClient().complete(ChatRequest("fake/echo", REQ.messages,
                                                       json_schema=schema)))
    assert json.loads(out.text) == {"a": 0}


def test_cost_is_read_from_what_litellm_computed_while_logging(monkeypatch):
    asked = []
    mod = types.SimpleNamespace(completion_cost=lambda **kw: asked.append(kw) or 0.5)
    monkeypatch.setattr(client_mod, "litellm_module", lambda: mod)

    def response(**hidden):
        r = types.SimpleNamespace()
        r._hidden_params = hidden
        return r

    assert client_mod._cost("openai/gpt-4o-mini", response(response_cost=0.002)) == 0.002
    assert client_mod._cost("openai/unpriced", response(response_cost=None)) is None
    assert asked == []  # litellm's own figure, not a second lookup
    assert client_mod._cost("openai/gpt-4o-mini", response()) == 0.5  # older litellm
    assert client_mod._cost("local/smollm2", response(response_cost=0.3)) == 0.0
