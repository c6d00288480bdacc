"""The Files and Batch API, through litellm's own batch helpers (as the engine would use
them): upload, create, poll validating -> in_progress -> completed, read the output and
error files; cancel; validation failures; injected line errors."""

import asyncio
import json

import openai
import pytest

from bdsl.testing import Outcome
from tests.testing.conftest import litellm_quiet

KEY = "sk-test-batch-key"


def lines(n, model=lambda i: "mock-chat"):
    rows = [{"custom_id": f"req-{i}", "method": "POST", "url": "/v1/chat/completions",
             "body": {"model": model(i), "messages": [{"role": "user", "content": f"q {i}"}],
                      "max_tokens": 100}} for i in range(n)]
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


class Batches:
    """litellm's batch helpers bound to one server."""

    def __init__(self, server):
        self.litellm = litellm_quiet()
        self.kw = {"custom_llm_provider": "openai", "api_base": server.url, "api_key": KEY}

    async def submit(self, data: bytes):
        f = await self.litellm.acreate_file(file=("requests.jsonl", data), purpose="batch",
                                            **self.kw)
        return await self.litellm.acreate_batch(completion_window="24h",
                                                endpoint="/v1/chat/completions",
                                                input_file_id=f.id, **self.kw)

    async def wait(self, batch, timeout: float = 10.0):
        """The finished batch, and the statuses seen from its creation on."""
        batch_id, statuses = batch.id, [batch.status]
        for _ in range(int(timeout / 0.05)):
            b = await self.litellm.aretrieve_batch(batch_id=batch_id, **self.kw)
            if not statuses or statuses[-1] != b.status:
                statuses.append(b.status)
            if b.status in ("completed", "failed", "cancelled", "expired"):
                return b, statuses
            await asyncio.sleep(0.05)
        raise AssertionError(f"batch still {statuses[-1]} after {timeout} s")

    async def content(self, file_id: str) -> list[dict]:
        out = await self.litellm.afile_content(file_id=file_id, **self.kw)
        return [json.loads(x) for x in out.content.decode().splitlines()]


def test_batch_runs_to_completion_with_output_and_error_files(mock_server):
    server = mock_server(api_key=KEY, batch_validating=0.5, batch_in_progress=1.0)
    api = Batches(server)

    async def go():
        batch = await api.submit(lines(5, model=lambda i: "nope" if i == 3 else "mock-chat"))
        assert batch.status == "validating"
        done, statuses = await api.wait(batch)
        return done, statuses, await api.content(done.output_file_id), \
            await api.content(done.error_file_id)

    done, statuses, output, errors = asyncio.run(go())
    assert statuses == ["validating", "in_progress", "completed"]
    assert (done.request_counts.total, done.request_counts.completed,
            done.request_counts.failed) == (5, 4, 1)
    assert sorted(r["custom_id"] for r in output) == ["req-0", "req-1", "req-2", "req-4"]
    for r in output:
        body = r["response"]["body"]
        assert r["response"]["status_code"] == 200 and r["error"] is None
        assert body["choices"][0]["message"]["content"] and body["usage"]["total_tokens"] > 0
    (err,) = errors
    assert err["custom_id"] == "req-3" and err["response"]["status_code"] == 404
    assert err["error"]["code"] == "model_not_found"
    batch_lines = [e for e in server.log.entries() if e.batch_id == done.id]
    assert len(batch_lines) == 5 and sum(e.billed for e in batch_lines) == 4
    assert max(server.log.billed_counts().values()) == 1


def test_same_replies_as_live_calls(mock_server):
    server = mock_server(api_key=KEY, batch_validating=0, batch_in_progress=0)
    api = Batches(server)
    litellm = api.litellm

    async def go():
        batch = await api.submit(lines(1))
        done, _ = await api.wait(batch)
        live = await litellm.acompletion(model="openai/mock-chat", api_key=KEY,
                                         messages=[{"role": "user", "content": "q 0"}],
                                         max_tokens=100, max_retries=0)
        return await api.content(done.output_file_id), live

    (line,), live = asyncio.run(go())
    assert line["response"]["body"]["choices"][0]["message"]["content"] == \
        live.choices[0].message.content


def test_cancel_stops_a_batch_without_output(mock_server):
    server = mock_server(api_key=KEY, batch_validating=0.05, batch_in_progress=5)
    api = Batches(server)

    async def go():
        batch = await api.submit(lines(3))
        await asyncio.sleep(0.2)
        cancelled = await api.litellm.acancel_batch(batch_id=batch.id, **api.kw)
        again = await api.litellm.aretrieve_batch(batch_id=batch.id, **api.kw)
        return cancelled, again

    cancelled, again = asyncio.run(go())
    assert cancelled.status == again.status == "cancelled"
    assert again.output_file_id is None and again.cancelled_at
    assert not [e for e in server.log.entries() if e.batch_id]  # nothing answered, nothing billed


def test_invalid_lines_fail_the_batch_at_validation(mock_server):
    server = mock_server(api_key=KEY, batch_validating=0.05)
    api = Batches(server)
    other = {"custom_id": "other", "method": "POST", "url": "/v1/embeddings", "body": {}}
    data = lines(2) + b"{not json}\n" + json.dumps(other).encode() + b"\n"

    async def go():
        return await api.wait(await api.submit(data))

    done, statuses = asyncio.run(go())
    assert statuses == ["validating", "failed"]
    codes = [(e.line, e.code) for e in done.errors.data]
    assert codes == [(3, "invalid_json_line"), (4, "invalid_url")]


def test_duplicate_custom_ids_are_rejected(mock_server):
    server = mock_server(api_key=KEY, batch_validating=0.05)
    api = Batches(server)

    async def go():
        return await api.wait(await api.submit(lines(2) + lines(1)))

    done, _ = asyncio.run(go())
    assert done.status == "failed" and done.errors.data[0].code == "duplicate_custom_id"


def test_injected_line_errors_are_seeded(mock_server):
    server = mock_server(api_key=KEY, batch_validating=0, batch_in_progress=0,
                         batch_error_rate=0.3, seed=9)
    api = Batches(server)

    async def go():
        done, _ = await api.wait(await api.submit(lines(40)))
        return done, await api.content(done.error_file_id)

    done, errors = asyncio.run(go())
    assert 4 <= done.request_counts.failed <= 20
    assert {e["response"]["status_code"] for e in errors} == {500}
    failed = {e["custom_id"] for e in errors}
    done2, errors2 = asyncio.run(go())  # same lines, same seed: the same lines fail
    assert {e["custom_id"] for e in errors2} == failed
    outcomes = {e.outcome for e in server.log.entries() if e.batch_id}
    assert outcomes == {Outcome.OK, Outcome.FAULT_500}


def test_unknown_file_and_batch(mock_server):
    litellm = litellm_quiet()
    server = mock_server(api_key=KEY)
    kw = {"custom_llm_provider": "openai", "api_base": server.url, "api_key": KEY}
    with pytest.raises(openai.NotFoundError, match="No such Batch"):  # litellm passes it on
        asyncio.run(litellm.aretrieve_batch(batch_id="batch_nope", **kw))
    with pytest.raises(openai.BadRequestError, match="not an uploaded file"):
        asyncio.run(litellm.acreate_batch(completion_window="24h",
                                          endpoint="/v1/chat/completions",
                                          input_file_id="file-nope", **kw))
