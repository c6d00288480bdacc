"""The mock's Anthropic Messages and Message Batches endpoints, through bdsl's own client
(anthropic_batch.AnthropicBatches) and litellm's interactive anthropic/ calls."""

import asyncio

import httpx
import pytest

from bdsl.llm.anthropic_batch import AnthropicBatches, AnthropicError
from bdsl.testing import Outcome
from tests.testing.conftest import litellm_quiet

KEY = "sk-ant-test"
MODEL = "claude-haiku-4-5"
SCHEMA = {"type": "object", "properties": {"n": {"type": "integer", "minimum": 1,
                                                 "maximum": 5}}, "required": ["n"]}


def root(server) -> str:
    return f"http://{server.host}:{server.port}"


def requests(n, model=lambda i: MODEL, **params):
    return [{"custom_id": f"req-{i}", "params": {
        "model": model(i), "max_tokens": 100, "system": "Be brief.",
        "messages": [{"role": "user", "content": f"q {i}"}], **params}} for i in range(n)]


async def wait(api, batch, timeout=10.0):
    """The ended batch, and the processing statuses seen from its creation on."""
    statuses = [batch["processing_status"]]
    for _ in range(int(timeout / 0.05)):
        batch = await api.retrieve(batch["id"])
        if statuses[-1] != batch["processing_status"]:
            statuses.append(batch["processing_status"])
        if batch["processing_status"] == "ended":
            return batch, statuses
        await asyncio.sleep(0.05)
    raise AssertionError(f"batch still {statuses[-1]} after {timeout} s")


def test_a_batch_ends_with_one_result_per_request(mock_server):
    server = mock_server(api_key=KEY, models=(MODEL,), batch_validating=0.2,
                         batch_in_progress=0.3)
    api = AnthropicBatches(root(server), KEY)

    async def go():
        batch = await api.create(requests(4, model=lambda i: "nope" if i == 2 else MODEL))
        assert batch["processing_status"] == "in_progress" and batch["results_url"] is None
        done, statuses = await wait(api, batch)
        return done, statuses, await api.results(done["results_url"])

    done, statuses, results = asyncio.run(go())
    assert statuses == ["in_progress", "ended"] and done["ended_at"]
    assert done["request_counts"] == {"processing": 0, "succeeded": 3, "errored": 1,
                                      "canceled": 0, "expired": 0}
    by_id = {r["custom_id"]: r["result"] for r in results}
    assert sorted(by_id) == ["req-0", "req-1", "req-2", "req-3"]
    assert by_id["req-2"]["type"] == "errored"
    assert by_id["req-2"]["error"]["error"]["type"] == "not_found_error"
    message = by_id["req-0"]["message"]
    assert message["type"] == "message" and message["stop_reason"] == "end_turn"
    assert message["content"][0]["type"] == "text" and message["content"][0]["text"]
    assert message["usage"]["input_tokens"] == 4  # "Be brief." + "q 0"
    lines = [e for e in server.log.entries() if e.batch_id == done["id"]]
    assert len(lines) == 4 and sum(e.billed for e in lines) == 3
    assert {e.path for e in lines} == {"batch:/v1/messages"}
    assert max(server.log.billed_counts().values()) == 1


def test_same_replies_as_live_messages_and_chat_completions(mock_server):
    server = mock_server(api_key=KEY, models=(MODEL,), batch_validating=0,
                         batch_in_progress=0, context_length=100_000)
    api = AnthropicBatches(root(server), KEY)
    litellm = litellm_quiet()
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "q 0"}]

    async def go():
        done, _ = await wait(api, await api.create(requests(1)))
        live = await litellm.acompletion(model=f"anthropic/{MODEL}", api_key=KEY,
                                         api_base=root(server), messages=messages,
                                         max_tokens=100, max_retries=0)
        chat = await litellm.acompletion(model=f"openai/{MODEL}", api_key=KEY,
                                         api_base=server.url, messages=messages,
                                         max_tokens=100, max_retries=0)
        return await api.results(done["results_url"]), live, chat

    (line,), live, chat = asyncio.run(go())
    text = line["result"]["message"]["content"][0]["text"]
    assert text == live.choices[0].message.content == chat.choices[0].message.content
    assert [e.path for e in server.log.entries() if e.billed] == \
        ["batch:/v1/messages", "/v1/messages", "/v1/chat/completions"]


def test_max_tokens_cuts_and_a_forced_tool_answers_in_its_schema(mock_server):
    server = mock_server(models=(MODEL,), batch_validating=0, batch_in_progress=0)
    api = AnthropicBatches(root(server), "any")
    rows = requests(1) + [{"custom_id": "short", "params": {**requests(1)[0]["params"],
                                                            "max_tokens": 3}},
                          {"custom_id": "tool", "params": {
                              **requests(1)[0]["params"],
                              "tools": [{"name": "rate", "input_schema": SCHEMA}],
                              "tool_choice": {"type": "tool", "name": "rate"}}}]

    async def go():
        done, _ = await wait(api, await api.create(rows))
        return {r["custom_id"]: r["result"]["message"] for r in
                await api.results(done["results_url"])}

    out = asyncio.run(go())
    assert out["short"]["stop_reason"] == "max_tokens"
    assert len(out["short"]["content"][0]["text"].split()) == 3
    assert out["short"]["content"][0]["text"] == \
        " ".join(out["req-0"]["content"][0]["text"].split()[:3])
    (block,) = out["tool"]["content"]
    assert out["tool"]["stop_reason"] == "tool_use" and block["type"] == "tool_use"
    assert block["name"] == "rate" and 1 <= block["input"]["n"] <= 5


def test_cancel_ends_the_batch_with_every_line_canceled_and_nothing_billed(mock_server):
    server = mock_server(models=(MODEL,), batch_validating=0, batch_in_progress=5)
    api = AnthropicBatches(root(server), "any")

    async def go():
        batch = await api.create(requests(3))
        cancelled = await api.cancel(batch["id"])
        done, _ = await wait(api, cancelled)
        return cancelled, done, await api.results(done["results_url"])

    cancelled, done, results = asyncio.run(go())
    assert cancelled["processing_status"] == "canceling" and cancelled["cancel_initiated_at"]
    assert done["request_counts"]["canceled"] == 3
    assert {r["result"]["type"] for r in results} == {"canceled"}
    assert not [e for e in server.log.entries() if e.batch_id]


def test_injected_line_errors_are_seeded(mock_server):
    server = mock_server(models=(MODEL,), batch_validating=0, batch_in_progress=0,
                         batch_error_rate=0.3, seed=9)
    api = AnthropicBatches(root(server), "any")

    async def go():
        done, _ = await wait(api, await api.create(requests(40)))
        return {r["custom_id"] for r in await api.results(done["results_url"])
                if r["result"]["type"] == "errored"}

    failed = asyncio.run(go())
    assert 4 <= len(failed) <= 20
    assert asyncio.run(go()) == failed  # same requests, same seed: the same lines fail
    outcomes = {e.outcome for e in server.log.entries() if e.batch_id}
    assert outcomes == {Outcome.OK, Outcome.FAULT_500}


def test_the_api_key_is_checked_as_x_api_key(mock_server):
    server = mock_server(api_key=KEY, models=(MODEL,))
    with pytest.raises(AnthropicError, match="Anthropic 401: invalid x-api-key"):
        asyncio.run(AnthropicBatches(root(server), "wrong").create(requests(1)))
    bearer = httpx.post(f"{root(server)}/v1/messages/batches", json={"requests": requests(1)},
                        headers={"Authorization": f"Bearer {KEY}"})
    assert bearer.status_code == 401 and bearer.json()["error"]["type"] == "authentication_error"
    assert {e.outcome for e in server.log.entries()} == {Outcome.UNAUTHORIZED}


@pytest.mark.parametrize("rows, problem", [
    ([], "requests: Field required"),
    (requests(1) + requests(1), "requests.1: custom_id 'req-0' appears twice"),
    ([{"custom_id": "a/b", "params": requests(1)[0]["params"]}], "requests.0: custom_id must"),
    ([{"custom_id": "a", "params": {"model": MODEL, "messages": [{"role": "user",
                                                                   "content": "x"}]}}],
     "requests.0: max_tokens: Field required"),
])
def test_malformed_batches_are_refused_when_created(mock_server, rows, problem):
    server = mock_server(models=(MODEL,))
    with pytest.raises(AnthropicError, match=f"Anthropic 400: {problem}"):
        asyncio.run(AnthropicBatches(root(server), "any").create(rows))
    assert not server.provider.anthropic.batches


def test_unknown_batch_and_results_before_the_end(mock_server):
    server = mock_server(models=(MODEL,), batch_in_progress=5)
    api = AnthropicBatches(root(server), "any")
    with pytest.raises(AnthropicError, match="Anthropic 404: No batch with id msgbatch_nope"):
        asyncio.run(api.retrieve("msgbatch_nope"))
    batch = asyncio.run(api.create(requests(1)))
    url = f"{root(server)}/v1/messages/batches/{batch['id']}/results"
    with pytest.raises(AnthropicError, match="Anthropic 400: Batch has not ended"):
        asyncio.run(api.results(url))
    listed = httpx.get(f"{root(server)}/v1/messages/batches", headers={"x-api-key": "a"}).json()
    assert [b["id"] for b in listed["data"]] == [batch["id"]]
    assert listed["has_more"] is False
