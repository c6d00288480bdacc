"""Anthropic's Messages and Message Batches APIs on the mock, answered by the same reply
function as its chat completions.

    POST /v1/messages                         one message (no latency, rate limit or faults)
    POST /v1/messages/batches                 {"requests": [{custom_id, params}]}
    GET  /v1/messages/batches[/{id}]          processing_status in_progress -> ended
    GET  /v1/messages/batches/{id}/results    JSONL, one line per request
    POST /v1/messages/batches/{id}/cancel     canceling -> ended, unanswered lines canceled

An Anthropic body is read as the OpenAI chat body it stands for (`system` becomes the first
message, text blocks become text, `output_format` or a forced tool becomes a json_schema
response format), so the same conversation gets the same reply on either API. A batch
stays in_progress for `batch_validating + batch_in_progress` seconds (Anthropic has no
validating state; malformed requests are refused when the batch is created), then every
line is answered, `batch_error_rate` of them errored (seeded), logged and billed then.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from aiohttp import web

from bdsl.testing.mock_batches import Answer
from bdsl.testing.mock_faults import draw
from bdsl.testing.mock_log import Entry, Outcome, RequestLog
from bdsl.testing.mock_replies import body_hash

CUSTOM_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error",
               404: "not_found_error", 429: "rate_limit_error", 500: "api_error"}


def error(status: int, message: str) -> dict:
    return {"type": "error", "error": {"type": ERROR_TYPES.get(status, "api_error"),
                                       "message": message}}


def _text(content) -> str:
    if isinstance(content, list):
        return "".join(b.get("text", "") for b in content if isinstance(b, dict))
    return content if isinstance(content, str) else ""


def _schema(params: dict) -> tuple[dict | None, str | None]:
    """(JSON schema the reply must follow, forced tool name) of an Anthropic body."""
    fmt = params.get("output_format")
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        return fmt.get("schema") or {}, None
    choice = params.get("tool_choice") or {}
    if isinstance(choice, dict) and choice.get("type") == "tool":
        for tool in params.get("tools") or []:
            if isinstance(tool, dict) and tool.get("name") == choice.get("name"):
                return tool.get("input_schema") or {}, tool["name"]
    return None, None


def openai_body(params: dict) -> dict:
    """The OpenAI chat body an Anthropic Messages body stands for."""
    messages = [{"role": m.get("role"), "content": _text(m.get("content"))}
                for m in params.get("messages") or [] if isinstance(m, dict)]
    if params.get("system"):
        messages.insert(0, {"role": "system", "content": _text(params["system"])})
    body = {"model": params.get("model"), "messages": messages}
    for key in ("max_tokens", "temperature", "top_p"):
        if key in params:
            body[key] = params[key]
    schema, _ = _schema(params)
    if schema is not None:
        body["response_format"] = {"type": "json_schema",
                                   "json_schema": {"name": "output", "schema": schema}}
    return body


def message_body(params: dict, status: int, payload: dict) -> dict:
    """The Anthropic answer (a message or an error) for the OpenAI-shaped reply."""
    if status != 200:
        err = payload.get("error") or {}
        return error(status, err.get("message", "") if isinstance(err, dict) else str(err))
    choice = payload["choices"][0]
    text, finish = choice["message"]["content"] or "", choice["finish_reason"]
    _, tool = _schema(params)
    if tool is not None and finish == "stop":
        content = [{"type": "tool_use", "id": "toolu_" + payload["id"][-20:], "name": tool,
                    "input": json.loads(text)}]
        stop = "tool_use"
    else:
        content = [{"type": "text", "text": text}]
        stop = "max_tokens" if finish == "length" else "end_turn"
    usage = payload["usage"]
    return {"id": "msg_" + payload["id"].removeprefix("chatcmpl-"), "type": "message",
            "role": "assistant", "model": params.get("model"), "content": content,
            "stop_reason": stop, "stop_sequence": None,
            "usage": {"input_tokens": usage["prompt_tokens"],
                      "output_tokens": usage["completion_tokens"]}}


def _check(params) -> str:
    """Why Anthropic would refuse these params outright, or ''."""
    if not isinstance(params, dict):
        return "params: must be an object"
    if not isinstance(params.get("max_tokens"), int):
        return "max_tokens: Field required"
    if not isinstance(params.get("messages"), list) or not params["messages"]:
        return "messages: Field required"
    return ""


def _now(after_s: float = 0.0) -> str:
    return (datetime.now(UTC) + timedelta(seconds=after_s)).isoformat().replace("+00:00", "Z")


class AnthropicService:
    def __init__(self, config: Callable, log: RequestLog, answer: Answer):
        self._config, self.log, self.answer = config, log, answer
        self.batches: dict[str, dict] = {}
        self.requests: dict[str, list[dict]] = {}
        self.results: dict[str, list[dict]] = {}
        self._tasks: dict[str, asyncio.Task] = {}
        self._counter = 0

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/v1/messages", self.message),
                web.post("/v1/messages/batches", self.create),
                web.get("/v1/messages/batches", self.list),
                web.get("/v1/messages/batches/{batch_id}", self.get),
                web.get("/v1/messages/batches/{batch_id}/results", self.get_results),
                web.post("/v1/messages/batches/{batch_id}/cancel", self.cancel)]

    def reply(self, params: dict) -> tuple[int, dict, Outcome, dict]:
        """(status, Anthropic answer, outcome, the OpenAI-shaped payload)."""
        problem = _check(params)
        if problem:
            return 400, error(400, problem), Outcome.BAD_REQUEST, {}
        status, payload, outcome = self.answer(openai_body(params))
        return status, message_body(params, status, payload), outcome, payload

    async def message(self, request: web.Request) -> web.Response:
        seq, started = self.log.begin(counted=True)
        try:
            params = await request.json()
        except ValueError:
            params = None
        status, answer, outcome, payload = self.reply(params)
        usage = payload.get("usage") or {}
        self.log.end(True, Entry(
            seq, request.method, request.path, started, time.monotonic(), outcome, status,
            status == 200, str((params or {}).get("model", "")) if isinstance(params, dict)
            else "", body_hash(params), usage.get("prompt_tokens", 0),
            usage.get("completion_tokens", 0),
            body=params if self._config().record_bodies else None))
        return web.json_response(answer, status=status)

    # --- batches ---------------------------------------------------------------------

    async def create(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            body = None
        rows = body.get("requests") if isinstance(body, dict) else None
        if not isinstance(rows, list) or not rows:
            return web.json_response(error(400, "requests: Field required"), status=400)
        seen = set()
        for n, row in enumerate(rows):
            custom_id = row.get("custom_id") if isinstance(row, dict) else None
            problem = ("custom_id must match ^[a-zA-Z0-9_-]{1,64}$"
                       if not isinstance(custom_id, str) or not CUSTOM_ID.match(custom_id)
                       else f"custom_id {custom_id!r} appears twice" if custom_id in seen
                       else _check(row.get("params")))
            if problem:
                return web.json_response(error(400, f"requests.{n}: {problem}"), status=400)
            seen.add(custom_id)
        self._counter += 1
        batch_id = f"msgbatch_mock{self._counter:08d}"
        self.requests[batch_id] = rows
        self.batches[batch_id] = {
            "id": batch_id, "type": "message_batch", "processing_status": "in_progress",
            "request_counts": {"processing": len(rows), "succeeded": 0, "errored": 0,
                               "canceled": 0, "expired": 0},
            "ended_at": None, "created_at": _now(), "expires_at": _now(86400),
            "archived_at": None, "cancel_initiated_at": None, "results_url": None}
        base = f"{request.scheme}://{request.host}"
        self._tasks[batch_id] = asyncio.get_running_loop().create_task(
            self._progress(batch_id, f"{base}/v1/messages/batches/{batch_id}/results"))
        return web.json_response(self.batches[batch_id])

    async def list(self, request: web.Request) -> web.Response:
        data = list(self.batches.values())
        return web.json_response({"data": data, "has_more": False,
                                  "first_id": data[0]["id"] if data else None,
                                  "last_id": data[-1]["id"] if data else None})

    def _batch(self, request: web.Request) -> dict | None:
        return self.batches.get(request.match_info["batch_id"])

    def _missing(self, request: web.Request) -> web.Response:
        return web.json_response(error(404, f"No batch with id {request.match_info['batch_id']}"),
                                 status=404)

    async def get(self, request: web.Request) -> web.Response:
        batch = self._batch(request)
        return web.json_response(batch) if batch else self._missing(request)

    async def get_results(self, request: web.Request) -> web.Response:
        batch = self._batch(request)
        if batch is None:
            return self._missing(request)
        if batch["processing_status"] != "ended":
            return web.json_response(error(400, "Batch has not ended; results are not "
                                                "available yet."), status=400)
        data = "".join(json.dumps(r) + "\n" for r in self.results[batch["id"]])
        return web.Response(text=data, content_type="application/binary")

    async def cancel(self, request: web.Request) -> web.Response:
        batch = self._batch(request)
        if batch is None:
            return self._missing(request)
        if batch["processing_status"] == "in_progress":
            batch.update(processing_status="canceling", cancel_initiated_at=_now())
            task = self._tasks.pop(batch["id"], None)
            if task is not None:
                task.cancel()
            shown = web.json_response(batch)  # canceling now; ended on the next loop turn
            asyncio.get_running_loop().call_soon(
                self._end, batch, [], self._results_url(request, batch["id"]))
            return shown
        return web.json_response(batch)

    @staticmethod
    def _results_url(request: web.Request, batch_id: str) -> str:
        return f"{request.scheme}://{request.host}/v1/messages/batches/{batch_id}/results"

    async def close(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    async def _progress(self, batch_id: str, results_url: str) -> None:
        cfg = self._config()
        await asyncio.sleep(cfg.batch_validating + cfg.batch_in_progress)
        self._tasks.pop(batch_id, None)
        self._end(self.batches[batch_id], self.requests[batch_id], results_url)

    def _end(self, batch: dict, answered: list[dict], results_url: str) -> None:
        """Answer `answered` (every request, or none when cancelled) and end the batch."""
        cfg = self._config()
        results, counts = [], batch["request_counts"]
        for row in answered:
            params, started = row["params"], time.monotonic()
            status, answer, outcome, payload = self.reply(params)
            if status == 200 and draw(cfg.seed, "batch", body_hash(row), 0) < cfg.batch_error_rate:
                status, outcome = 500, Outcome.FAULT_500
                answer = error(500, "Internal server error")
            usage = payload.get("usage") or {}
            self.log.add(Entry(
                seq=self.log.next_seq(), method="POST", path="batch:/v1/messages",
                started=started, finished=time.monotonic(), outcome=outcome, status=status,
                billed=status == 200, model=str(params.get("model", "")),
                # the line's hash covers its custom_id: Anthropic takes no seed, so two
                # replicates of one cell may send the very same params
                body_hash=body_hash(row), prompt_tokens=usage.get("prompt_tokens", 0),
                completion_tokens=usage.get("completion_tokens", 0), batch_id=batch["id"],
                body=params if cfg.record_bodies else None))
            result = ({"type": "succeeded", "message": answer} if status == 200 else
                      {"type": "errored", "error": answer})
            counts["succeeded" if status == 200 else "errored"] += 1
            results.append({"custom_id": row["custom_id"], "result": result})
        done = {r["custom_id"] for r in results}
        for row in self.requests[batch["id"]]:
            if row["custom_id"] not in done:
                results.append({"custom_id": row["custom_id"], "result": {"type": "canceled"}})
                counts["canceled"] += 1
        counts["processing"] = 0
        self.results[batch["id"]] = results
        batch.update(processing_status="ended", ended_at=_now(), results_url=results_url)
