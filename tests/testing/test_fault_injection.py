"""Issue 11's fault-injection run: bdsl's LLMClient, through litellm, against the mock
failing 30% of requests (429, 500, timeouts, hangs; seeded). Every call completes or
fails with its cause, nothing is paid twice, and the run is reproducible."""

import asyncio
import os
import time
from collections import Counter

import pytest

from bdsl.llm import ChatRequest, ChatResult, LLMClient, ProviderError, RateLimited, Timeout
from bdsl.testing import MockServer, Outcome
from bdsl.testing.mock_replies import reply_text

FAULTS = {"429": 0.10, "500": 0.08, "timeout": 0.06, "hang": 0.06}
CAUSE = {Outcome.FAULT_429: RateLimited, Outcome.RATE_LIMITED: RateLimited,
         Outcome.FAULT_500: ProviderError, Outcome.FAULT_503: ProviderError,
         Outcome.RESET: ProviderError, Outcome.HANG: Timeout, Outcome.TIMEOUT: Timeout}
CALLS = 30


def run(max_retries: int, seed: int = 21):
    """(per call: the ChatResult or LLMError, per call: its log entries, all entries)."""
    settings = dict(seed=seed, faults=FAULTS, latency=0.02, timeout_delay=30,
                    record_bodies=True)
    with MockServer(**settings) as server:
        saved = {k: os.environ.get(k) for k in server.env()}
        os.environ.update(server.env())
        try:
            client = LLMClient(max_retries=max_retries, max_concurrency=8, base_delay=0.05)
            requests = [ChatRequest("openai/mock-chat",
                                    ({"role": "user", "content": f"call {i}"},),
                                    seed=i, timeout_s=4.0) for i in range(CALLS)]

            async def all_calls():
                return await asyncio.gather(*(client.complete(r) for r in requests),
                                            return_exceptions=True)

            results = asyncio.run(all_calls())
        finally:
            for k, v in saved.items():
                os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
        deadline = time.monotonic() + 5  # abandoned requests are logged when seen closed
        while server.stats().in_flight and time.monotonic() < deadline:
            time.sleep(0.05)
        entries = server.log.entries()
    per_call = [[e for e in entries if e.body and e.body["messages"][0]["content"] == f"call {i}"]
                for i in range(CALLS)]
    return results, per_call, entries


def check_each_call(results, per_call):
    for i, (result, seen) in enumerate(zip(results, per_call, strict=True)):
        billed = [e for e in seen if e.billed]
        if isinstance(result, ChatResult):
            assert len(billed) == 1, f"call {i}: paid {len(billed)} times"
            assert result.text == reply_text(billed[0].body)
            assert seen[-1].billed  # the answer it returned is the last request it made
        else:
            assert isinstance(result, (RateLimited, Timeout, ProviderError)), repr(result)
            assert not billed, f"call {i} failed but was paid"
            assert isinstance(result, CAUSE[seen[-1].outcome]), (i, result, seen[-1].outcome)


@pytest.mark.slow
def test_llm_client_completes_every_call_through_30_percent_faults():
    results, per_call, entries = run(max_retries=5)
    check_each_call(results, per_call)
    assert all(isinstance(r, ChatResult) for r in results)
    outcomes = Counter(e.outcome for e in entries)
    assert {Outcome.FAULT_429, Outcome.FAULT_500, Outcome.HANG, Outcome.TIMEOUT} <= set(outcomes)
    faulty = sum(n for o, n in outcomes.items() if o not in (Outcome.OK, Outcome.TRUNCATED))
    assert 0.15 <= faulty / len(entries) <= 0.45
    assert all(e.client_gone for e in entries if e.outcome in (Outcome.HANG, Outcome.TIMEOUT))


@pytest.mark.slow
def test_without_retries_calls_fail_with_their_cause_reproducibly():
    first = run(max_retries=0)
    results, per_call, _ = first
    check_each_call(results, per_call)
    failures = [r for r in results if not isinstance(r, ChatResult)]
    assert failures and len(failures) < CALLS
    assert all(r.reason for r in failures)

    def signature(outcome):
        results, per_call, _ = outcome
        return [(type(r).__name__, [e.outcome for e in seen])
                for r, seen in zip(results, per_call, strict=True)]

    assert signature(run(max_retries=0)) == signature(first)
    assert signature(run(max_retries=0, seed=22)) != signature(first)


@pytest.mark.parametrize("fault,error,words", [
    ("429", RateLimited, "RateLimitError"), ("500", ProviderError, "InternalServerError"),
    ("503", ProviderError, "ServiceUnavailableError"), ("reset", ProviderError, "Connection"),
    ("hang", Timeout, "Timeout"),
])
def test_each_cause_reaches_the_caller_as_its_error(mock_server, fault, error, words):
    server = mock_server(faults={fault: 1.0})
    client = LLMClient(max_retries=1, base_delay=0.01)
    # room for the openai SDK's own retries inside each attempt; hangs use all of it
    request = ChatRequest("openai/mock-chat", ({"role": "user", "content": "hi"},),
                          timeout_s=1.0 if fault == "hang" else 15.0)
    with pytest.raises(error) as info:
        asyncio.run(client.complete(request))
    assert words in info.value.reason
    assert client.retries == 1
    assert not any(e.billed for e in server.log.entries())


def test_one_attempt_is_one_request(mock_server):
    """LLMClient turns the provider SDK's hidden retries off (max_retries=0 to litellm): one
    attempt is one HTTP request, so every retry is ours and counted by cause."""
    server = mock_server(faults={"500": 1.0})
    client = LLMClient(max_retries=0)
    request = ChatRequest("openai/mock-chat", ({"role": "user", "content": "hi"},),
                          timeout_s=15.0)
    with pytest.raises(ProviderError):
        asyncio.run(client.complete(request))
    assert client.retries == 0
    assert len(server.log.entries()) == 1


def test_a_429_surfaces_as_a_rate_limit_not_a_timeout(mock_server):
    server = mock_server()
    client = LLMClient(max_retries=0)

    async def go():
        await client.complete(ChatRequest("openai/mock-chat", ({"role": "user",
                                                                "content": "warm-up"},)))
        server.configure(faults={"429": 1.0})
        await client.complete(ChatRequest("openai/mock-chat", ({"role": "user",
                                                                "content": "hi"},),
                                          timeout_s=0.5))

    with pytest.raises(RateLimited):  # no hidden SDK sleep past the timeout any more
        asyncio.run(go())
    assert server.log.entries()[-1].outcome == Outcome.FAULT_429


def test_retries_are_counted_by_cause(mock_server):
    mock_server(faults={"429": 0.5, "500": 0.3}, seed=3)
    client = LLMClient(max_retries=8, base_delay=0.01, max_delay=0.02)

    async def go():
        for i in range(12):
            await client.complete(ChatRequest("openai/mock-chat", (
                {"role": "user", "content": f"q{i}"},), timeout_s=10.0))

    asyncio.run(go())
    assert client.retries == sum(client.retry_causes.values()) > 0
    assert set(client.retry_causes) <= {"rate_limit", "server"}


def test_auth_and_unknown_models_fail_at_once_without_retries(mock_server, monkeypatch):
    mock_server(api_key="right-key", models=["mock-chat"])
    client = LLMClient(max_retries=5, base_delay=0.01)
    for model, key, kind in (("openai/mock-chat", "wrong-key", "auth"),
                             ("openai/no-such-model", "right-key", "not_found")):
        monkeypatch.setenv("OPENAI_API_KEY", key)
        with pytest.raises(ProviderError) as err:
            asyncio.run(client.complete(ChatRequest(
                model, ({"role": "user", "content": "hi"},), timeout_s=10.0)))
        assert err.value.kind == kind
    assert client.retries == 0


def test_a_priced_model_name_gives_llm_client_a_cost(mock_server):
    """`gpt-4o-mini` is served by default and is in litellm's cost map, so budget code
    sees a price; `mock-chat` is not priced (cost unknown, never guessed)."""
    mock_server()
    client = LLMClient()

    def cost(model):
        return asyncio.run(client.complete(ChatRequest(
            model, ({"role": "user", "content": "hi"},)))).cost

    assert cost("openai/gpt-4o-mini") > 0
    assert cost("openai/mock-chat") is None
