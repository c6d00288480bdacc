"""The mock server through litellm, as bdsl reaches it: `openai/<model>` with
OPENAI_BASE_URL / OPENAI_API_KEY in the environment (the fixture sets them)."""

import asyncio
import json
import time
import urllib.error
import urllib.request

import jsonschema
import openai
import pytest

from bdsl.testing import MockServer, Outcome
from bdsl.testing.mock_replies import body_hash, reply_text
from tests.testing.conftest import litellm_quiet
from tests.testing.test_replies import ANNOTATION

USER = [{"role": "user", "content": "I keep avoiding my bank statements."}]


def complete(**kwargs):
    litellm = litellm_quiet()
    kwargs.setdefault("model", "openai/mock-chat")
    kwargs.setdefault("messages", USER)
    kwargs.setdefault("max_retries", 0)  # one HTTP request per call: the log shows each
    return asyncio.run(litellm.acompletion(**kwargs))


def error_of(**kwargs):
    with pytest.raises(Exception) as info:
        complete(**kwargs)
    return info.value


def get(url, key=None):
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"} if key else {})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, dict(r.headers), json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), json.loads(e.read())


def test_chat_completion_reply_usage_and_log(mock_server):
    server = mock_server()
    r = complete(seed=4)
    text = r.choices[0].message.content
    assert text == complete(seed=4).choices[0].message.content  # deterministic
    assert text != complete(seed=5).choices[0].message.content  # seed honoured
    assert r.choices[0].finish_reason == "stop"
    assert r.usage.prompt_tokens == 6 and r.usage.completion_tokens == len(text.split())
    entries = server.log.entries()
    assert [e.outcome for e in entries] == [Outcome.OK] * 3
    assert entries[0].body_hash == entries[1].body_hash != entries[2].body_hash
    assert all(e.billed and e.status == 200 and e.model == "mock-chat" for e in entries)
    assert text == reply_text({"model": "mock-chat", "messages": USER, "seed": 4})


def test_finish_reason_length_below_max_tokens(mock_server):
    server = mock_server()
    r = complete(max_tokens=2)
    assert r.choices[0].finish_reason == "length"
    assert len(r.choices[0].message.content.split()) == 2
    assert server.log.entries()[0].outcome == Outcome.TRUNCATED


def test_json_schema_response_format_gives_a_valid_instance(mock_server):
    mock_server()
    fmt = {"type": "json_schema", "json_schema": {"name": "turn", "schema": ANNOTATION,
                                                  "strict": True}}
    for seed in range(5):
        r = complete(response_format=fmt, seed=seed)
        jsonschema.validate(json.loads(r.choices[0].message.content), ANNOTATION)


def test_models_listing_and_unknown_model(mock_server):
    litellm = litellm_quiet()
    server = mock_server(models=("mock-chat", "mock-judge"))
    status, _, data = get(server.url + "/models")
    assert status == 200 and [m["id"] for m in data["data"]] == ["mock-chat", "mock-judge"]
    # litellm has no listing that honours the base URL; the openai SDK under it does
    sdk = openai.OpenAI(base_url=server.url, api_key="sk-any")
    assert [m.id for m in sdk.models.list()] == ["mock-chat", "mock-judge"]
    assert get(server.url + "/models/mock-judge")[0] == 200
    err = error_of(model="openai/gpt-nothing")
    assert isinstance(err, litellm.NotFoundError)
    assert "gpt-nothing` does not exist" in str(err)
    status, _, data = get(server.url + "/models/gpt-nothing")
    assert status == 404 and data["error"]["code"] == "model_not_found"
    assert server.log.entries()[-2].outcome == Outcome.MODEL_NOT_FOUND
    server.configure(models=())  # any name
    assert complete(model="openai/anything").choices[0].message.content


def test_api_key_required(mock_server, monkeypatch):
    litellm = litellm_quiet()
    server = mock_server(api_key="sk-test-right-key")
    assert complete().choices[0].message.content  # env carries the right key
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-wrong-key")
    err = error_of()
    assert isinstance(err, litellm.AuthenticationError)
    assert "Incorrect API key" in str(err) and "wrong-key" not in str(err)
    status, _, data = get(server.url + "/models")
    assert status == 401 and data["error"]["code"] == "invalid_api_key"
    assert data["error"]["type"] == "invalid_request_error"
    assert server.log.entries()[-1].outcome == Outcome.UNAUTHORIZED


def test_context_length(mock_server):
    litellm = litellm_quiet()
    server = mock_server(context_length=50)
    long = [{"role": "user", "content": "word " * 45}]
    assert complete(messages=long, max_tokens=5).choices[0].message.content
    err = error_of(messages=long, max_tokens=6)
    assert isinstance(err, litellm.ContextWindowExceededError)
    assert "maximum context length is 50 tokens" in str(err)
    assert server.log.entries()[-1].outcome == Outcome.CONTEXT_EXCEEDED


def test_bad_requests(mock_server):
    litellm = litellm_quiet()
    server = mock_server()
    err = error_of(stream=True)
    assert isinstance(err, litellm.BadRequestError) and "stream=true is not supported" in str(err)
    req = urllib.request.Request(server.url + "/chat/completions", data=b"{not json",
                                 headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req)
    assert e.value.code == 400
    bad_schema = {"type": "json_schema", "json_schema": {"name": "x", "schema": {
        "type": "integer", "minimum": 3, "maximum": 1}}}
    err = error_of(response_format=bad_schema)
    assert isinstance(err, litellm.BadRequestError) and "Invalid schema" in str(err)


def test_latency_fixed_and_changed_while_running(mock_server):
    server = mock_server(latency=0.3)
    t0 = time.monotonic()
    complete()
    assert time.monotonic() - t0 >= 0.3
    server.configure(latency=0.0)
    t0 = time.monotonic()
    complete(seed=1)
    assert time.monotonic() - t0 < 0.3
    first, second = server.log.entries()
    assert first.duration >= 0.3 > second.duration


def test_concurrency_and_throughput_are_measured(mock_server):
    litellm = litellm_quiet()
    server = mock_server(latency=0.5)

    async def many():
        await asyncio.gather(*(litellm.acompletion(
            model="openai/mock-chat", messages=USER, seed=i, max_retries=0) for i in range(8)))

    asyncio.run(many())
    stats = server.stats()
    assert stats.max_in_flight == 8 and stats.in_flight == 0
    assert stats.billed == 8 and 0.5 <= stats.span < 1.5
    assert stats.throughput == pytest.approx(8 / stats.span)
    assert max(server.log.billed_counts().values()) == 1


def test_shared_rate_limit_requests_per_second(mock_server):
    litellm = litellm_quiet()
    server = mock_server(requests_per_second=2)

    async def burst():
        return await asyncio.gather(*(litellm.acompletion(
            model="openai/mock-chat", messages=USER, seed=i, max_retries=0) for i in range(5)),
            return_exceptions=True)

    results = asyncio.run(burst())
    limited = [r for r in results if isinstance(r, Exception)]
    assert len(limited) == 3 and all(isinstance(r, litellm.RateLimitError) for r in limited)
    assert server.stats().outcomes == {"ok": 2, "rate_limited": 3}
    status, headers, data = get_chat(server)
    assert status == 429 and data["error"]["code"] == "rate_limit_exceeded"
    assert 0 < float(headers["retry-after-ms"]) <= 1000 and headers["retry-after"] == "1"
    time.sleep(0.6)
    assert complete(seed=99).choices[0].message.content  # refilled


def test_shared_rate_limit_tokens_per_minute(mock_server):
    litellm = litellm_quiet()
    server = mock_server(tokens_per_minute=60)  # one token per second, a burst of 60
    complete()  # ~6 prompt + ~40 reply tokens
    err = error_of(seed=1)
    assert isinstance(err, litellm.RateLimitError) and "tokens" in str(err)
    assert server.log.entries()[-1].outcome == Outcome.RATE_LIMITED


def get_chat(server):
    req = urllib.request.Request(server.url + "/chat/completions", method="POST",
                                 data=json.dumps({"model": "mock-chat", "messages": USER}).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, dict(r.headers), json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), json.loads(e.read())


@pytest.mark.parametrize("fault,error,outcome", [
    ("429", "RateLimitError", Outcome.FAULT_429),
    ("500", "InternalServerError", Outcome.FAULT_500),
    ("503", "ServiceUnavailableError", Outcome.FAULT_503),
    ("reset", "InternalServerError", Outcome.RESET),  # litellm maps connection errors so
])
def test_injected_errors_reach_litellm_as_their_kind(mock_server, fault, error, outcome):
    litellm = litellm_quiet()
    server = mock_server(faults={fault: 1.0})
    err = error_of()
    assert isinstance(err, getattr(litellm, error)), repr(err)
    if fault == "reset":
        assert "Connection error" in str(err)
    (entry,) = server.log.entries()
    assert entry.outcome == outcome and not entry.billed


def test_timeout_fault_answers_late(mock_server):
    litellm = litellm_quiet()
    server = mock_server(faults={"timeout": 1.0}, timeout_delay=0.6)
    t0 = time.monotonic()
    assert complete(timeout=5).choices[0].message.content
    assert time.monotonic() - t0 >= 0.6
    err = error_of(timeout=0.2, seed=1)  # the client gives up first
    assert isinstance(err, litellm.Timeout)
    time.sleep(0.2)
    late, gone = server.log.entries()
    assert (late.outcome, late.status, late.billed) == (Outcome.TIMEOUT, 200, True)
    assert (gone.outcome, gone.status, gone.billed, gone.client_gone) == (
        Outcome.TIMEOUT, 0, False, True)


def test_hang_fault_never_answers_until_the_client_leaves(mock_server):
    litellm = litellm_quiet()
    server = mock_server(faults={"hang": 1.0})
    t0 = time.monotonic()
    assert isinstance(error_of(timeout=0.5), litellm.Timeout)
    assert time.monotonic() - t0 < 3
    deadline = time.monotonic() + 2
    while server.stats().in_flight and time.monotonic() < deadline:
        time.sleep(0.02)
    (entry,) = server.log.entries()
    assert entry.outcome == Outcome.HANG and entry.client_gone and not entry.billed
    assert server.stats().in_flight == 0


def test_stop_releases_hung_requests_promptly():
    server = MockServer(faults={"hang": 1.0}).start()
    req = urllib.request.Request(server.url + "/chat/completions", method="POST",
                                 data=json.dumps({"model": "mock-chat", "messages": USER}).encode())
    import threading

    answers = []
    t = threading.Thread(target=lambda: answers.append(_status(req)))
    t.start()
    time.sleep(0.3)
    t0 = time.monotonic()
    server.stop()
    t.join(5)
    assert time.monotonic() - t0 < 5 and answers == [503]


def _status(req):
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def test_seeded_faults_are_reproducible():
    """The same requests meet the same fates on a fresh server with the same seed,
    whatever order they arrive in; another seed gives other fates."""
    def fates(seed, order):
        with MockServer(seed=seed, faults={"429": 0.2, "500": 0.2, "503": 0.1}) as server:
            for i in order:
                for _ in range(3):  # three arrivals of each body
                    _post(server, i)
            by_body = {}
            for e in server.log.entries():
                by_body.setdefault(e.body_hash, []).append(e.outcome)
            return by_body

    forward = fates(11, range(20))
    assert forward == fates(11, reversed(range(20)))
    assert forward != fates(12, range(20))
    assert {o for outs in forward.values() for o in outs} >= {Outcome.OK, Outcome.FAULT_500}


def _post(server, i):
    body = {"model": "mock-chat", "messages": [{"role": "user", "content": f"call {i}"}]}
    req = urllib.request.Request(server.url + "/chat/completions", method="POST",
                                 data=json.dumps(body).encode())
    return _status(req), body_hash(body)


def test_reset_log_restarts_fault_draws(mock_server):
    server = mock_server(seed=2, faults={"500": 0.5})
    first = [_post(server, i)[0] for i in range(10)]
    server.reset_log()
    assert [_post(server, i)[0] for i in range(10)] == first
    assert server.stats().requests == 10


@pytest.mark.parametrize("variable", ["OPENAI_BASE_URL", "OPENAI_API_BASE"])
def test_litellm_finds_the_server_through_either_variable(mock_server, monkeypatch, variable):
    """litellm 1.110 reads OPENAI_BASE_URL, then OPENAI_API_BASE: either alone works."""
    server = mock_server()
    for name in ("OPENAI_BASE_URL", "OPENAI_API_BASE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(variable, server.url)
    assert complete().choices[0].message.content
    assert server.stats().billed == 1


def test_latency_distribution_is_applied(mock_server):
    server = mock_server(latency=0.3, distribution="uniform", spread=0.2, seed=4)
    for i in range(6):
        complete(seed=i)
    durations = [e.duration for e in server.log.entries()]
    assert all(0.1 <= d < 0.5 + 0.4 for d in durations)  # 0.1..0.5, plus scheduling slack
    assert max(durations) - min(durations) > 0.05  # drawn, not fixed
