"""The mock's aiohttp application: chat completions, models, the Files and Batch API,
Anthropic's Messages and Message Batches (mock_anthropic), the API key check, and one log
entry per request (see mock_openai for how to run it)."""

from __future__ import annotations

import asyncio
import math
import socket
import struct
import time
from collections import Counter

import attrs
from aiohttp import web

from bdsl.testing.mock_anthropic import AnthropicService
from bdsl.testing.mock_anthropic import error as anthropic_error
from bdsl.testing.mock_batches import BatchService
from bdsl.testing.mock_config import Fault, MockConfig
from bdsl.testing.mock_faults import RateLimiter, pick_fault, sample_latency
from bdsl.testing.mock_log import Entry, Outcome, RequestLog
from bdsl.testing.mock_replies import (
    SchemaError,
    body_hash,
    completion_body,
    error_body,
    max_completion,
    prompt_tokens,
    reply_key,
)

CHAT_PATHS = ("/v1/chat/completions", "/chat/completions", "/v1/messages")
MAX_UPLOAD = 512 * 1024 * 1024

_FAULT_ANSWERS = {
    Fault.RATE_LIMIT: (429, Outcome.FAULT_429, error_body(
        "Rate limit reached for requests. Please try again in 1s.", "requests",
        "rate_limit_exceeded")),
    Fault.SERVER_ERROR: (500, Outcome.FAULT_500, error_body(
        "The server had an error while processing your request. Sorry about that!",
        "server_error")),
    Fault.UNAVAILABLE: (503, Outcome.FAULT_503, error_body(
        "The engine is currently overloaded, please try again later.", "server_error")),
}


@attrs.define
class Trace:
    """What one chat request became; logged when the handler ends, however it ends."""

    outcome: Outcome = Outcome.CLIENT_GONE
    status: int = 0
    billed: bool = False
    model: str = ""
    body_hash: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    body: dict | None = None


class MockProvider:
    """The aiohttp application and its state; lives on one event loop."""

    def __init__(self, config: MockConfig | None = None):
        self.config = config or MockConfig()
        self.log = RequestLog()
        self.limiter = RateLimiter(self.config, time.monotonic())
        self.batches = BatchService(lambda: self.config, self.log, self.answer)
        self.anthropic = AnthropicService(lambda: self.config, self.log, self.answer)
        self._occurrences: Counter = Counter()
        self._closing: asyncio.Event | None = None

    def configure(self, **changes) -> MockConfig:
        """Replace settings; the rate limiter restarts when its limits change."""
        new = attrs.evolve(self.config, **changes)
        if (new.requests_per_second, new.tokens_per_minute) != (
                self.config.requests_per_second, self.config.tokens_per_minute):
            self.limiter = RateLimiter(new, time.monotonic())
        self.config = new
        return new

    def reset_log(self) -> None:
        """Forget logged requests and how often each body was seen (fault draws restart)."""
        self.log.reset()
        self._occurrences.clear()

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._access], client_max_size=MAX_UPLOAD)
        for prefix in ("/v1", ""):
            app.add_routes([web.post(f"{prefix}/chat/completions", self.chat),
                            web.get(f"{prefix}/models", self.models),
                            web.get(f"{prefix}/models/{{model}}", self.model),
                            *self.batches.routes(prefix)])
        app.add_routes(self.anthropic.routes())
        app.on_startup.append(self._start)
        app.on_shutdown.append(self._stop)
        return app

    async def _start(self, app) -> None:
        self._closing = asyncio.Event()

    async def _stop(self, app) -> None:
        self._closing.set()  # hung and delayed requests answer now
        await self.batches.close()
        await self.anthropic.close()

    # --- every request: API key, and a log entry for the non-chat endpoints -----------

    @web.middleware
    async def _access(self, request: web.Request, handler):
        chat = request.path in CHAT_PATHS
        key = self.config.api_key
        if key is not None and request.path.startswith("/v1/messages"):  # Anthropic's
            if request.headers.get("x-api-key") != key:
                seq, started = self.log.begin(counted=False)
                self.log.end(False, Entry(seq, request.method, request.path, started,
                                          time.monotonic(), Outcome.UNAUTHORIZED, 401))
                return web.json_response(anthropic_error(401, "invalid x-api-key"), status=401)
        elif key is not None and request.headers.get("Authorization", "") != f"Bearer {key}":
            given = "Authorization" in request.headers
            seq, started = self.log.begin(counted=False)
            self.log.end(False, Entry(seq, request.method, request.path, started,
                                      time.monotonic(), Outcome.UNAUTHORIZED, 401))
            message = ("Incorrect API key provided. You can find your API key in the mock's "
                       "configuration." if given else
                       "You didn't provide an API key. Send `Authorization: Bearer <key>`.")
            return web.json_response(error_body(message, code="invalid_api_key"), status=401)
        if chat:
            return await handler(request)
        seq, started = self.log.begin(counted=False)
        response = await handler(request)
        outcome = Outcome.NOT_FOUND if response.status == 404 else (
            Outcome.BAD_REQUEST if response.status >= 400 else Outcome.SERVED)
        self.log.end(False, Entry(seq, request.method, request.path, started, time.monotonic(),
                                  outcome, response.status))
        return response

    # --- models ---------------------------------------------------------------------

    async def models(self, request: web.Request) -> web.Response:
        data = [_model_object(m) for m in self.config.models]
        return web.json_response({"object": "list", "data": data})

    async def model(self, request: web.Request) -> web.Response:
        name = request.match_info["model"]
        if not self.config.knows_model(name):
            return web.json_response(_model_not_found(name), status=404)
        return web.json_response(_model_object(name))

    # --- chat completions -------------------------------------------------------------

    def answer(self, body: dict) -> tuple[int, dict, Outcome]:
        """The checks and reply every chat request gets (live or batch line)."""
        cfg = self.config
        if not isinstance(body.get("messages"), list) or not body["messages"]:
            return 400, error_body("'messages' must be a non-empty list of messages",
                                   param="messages"), Outcome.BAD_REQUEST
        model = body.get("model")
        if not isinstance(model, str) or not model:
            return 400, error_body("'model' is a required property", param="model"), \
                Outcome.BAD_REQUEST
        if body.get("stream"):
            return 400, error_body("stream=true is not supported by the bdsl mock server",
                                   param="stream"), Outcome.BAD_REQUEST
        if not cfg.knows_model(model):
            return 404, _model_not_found(model), Outcome.MODEL_NOT_FOUND
        prompt = prompt_tokens(body["messages"])
        wanted = prompt + (max_completion(body) or 0)
        if wanted > cfg.context_length:
            return 400, error_body(
                f"This model's maximum context length is {cfg.context_length} tokens. However, "
                f"you requested {wanted} tokens ({prompt} in the messages, "
                f"{wanted - prompt} in the completion). Please reduce the length of the "
                "messages or completion.", param="messages", code="context_length_exceeded"), \
                Outcome.CONTEXT_EXCEEDED
        try:
            reply = completion_body(body, reply_key(body), int(time.time()))
        except SchemaError as e:
            return 400, error_body(f"Invalid schema for response_format: {e}",
                                   param="response_format"), Outcome.BAD_REQUEST
        finish = reply["choices"][0]["finish_reason"]
        return 200, reply, Outcome.TRUNCATED if finish == "length" else Outcome.OK

    async def chat(self, request: web.Request) -> web.StreamResponse:
        seq, started = self.log.begin(counted=True)
        trace = Trace()
        try:
            return await self._chat(request, trace)
        except asyncio.CancelledError:  # the client went away (or the server is stopping)
            if trace.outcome not in (Outcome.HANG, Outcome.RESET, Outcome.TIMEOUT):
                trace.outcome = Outcome.CLIENT_GONE
            trace.status, trace.billed = 0, False
            raise
        finally:
            self.log.end(True, Entry(
                seq, request.method, request.path, started, time.monotonic(), trace.outcome,
                trace.status, trace.billed, trace.model, trace.body_hash, trace.prompt_tokens,
                trace.completion_tokens, client_gone=trace.status == 0 and
                trace.outcome != Outcome.RESET, body=trace.body))

    async def _chat(self, request: web.Request, trace: Trace) -> web.StreamResponse:
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return _finish(trace, 400, Outcome.BAD_REQUEST, error_body(
                "We could not parse the JSON body of your request: send a JSON object."))
        cfg = self.config
        trace.model, trace.body_hash = str(body.get("model", "")), body_hash(body)
        trace.body = body if cfg.record_bodies else None
        status, payload, outcome = self.answer(body)
        if status != 200:
            return _finish(trace, status, outcome, payload)
        usage = payload["usage"]
        wait, which = self.limiter.admit(usage["total_tokens"], time.monotonic())
        if wait > 0:
            return _finish(trace, 429, Outcome.RATE_LIMITED, error_body(
                f"Rate limit reached for {which} (mock limit). Please try again in "
                f"{wait:.3g}s.", which, "rate_limit_exceeded"), _retry_after(wait))
        occurrence = self._occurrences[trace.body_hash]
        self._occurrences[trace.body_hash] += 1
        fault = pick_fault(cfg, trace.body_hash, occurrence)
        if fault in _FAULT_ANSWERS:
            code, out, err = _FAULT_ANSWERS[fault]
            headers = _retry_after(1.0) if code == 429 else None
            return _finish(trace, code, out, err, headers)
        if fault == Fault.RESET:
            trace.outcome = Outcome.RESET
            _reset(request)
            await asyncio.Event().wait()  # the lost connection cancels this handler
        if fault == Fault.HANG:
            trace.outcome = Outcome.HANG
            await self._closing.wait()
            return _finish(trace, 503, Outcome.HANG, error_body("server stopping",
                                                                 "server_error"))
        if fault == Fault.TIMEOUT:
            trace.outcome = Outcome.TIMEOUT
            await self._sleep(cfg.timeout_delay)
        else:
            await self._sleep(sample_latency(cfg, trace.body_hash, occurrence))
        trace.prompt_tokens = usage["prompt_tokens"]
        trace.completion_tokens = usage["completion_tokens"]
        trace.billed = True
        return _finish(trace, 200, Outcome.TIMEOUT if fault == Fault.TIMEOUT else outcome,
                       payload)

    async def _sleep(self, seconds: float) -> None:
        """Sleep, cut short when the server stops."""
        if seconds <= 0:
            return
        try:
            await asyncio.wait_for(self._closing.wait(), timeout=seconds)
        except TimeoutError:
            pass


def _finish(trace: Trace, status: int, outcome: Outcome, payload: dict,
            headers: dict | None = None) -> web.Response:
    trace.status, trace.outcome = status, outcome
    return web.json_response(payload, status=status, headers=headers)


def _retry_after(seconds: float) -> dict:
    return {"retry-after": str(max(1, math.ceil(seconds))),
            "retry-after-ms": str(max(1, math.ceil(seconds * 1000)))}


def _reset(request: web.Request) -> None:
    """Drop the connection with a TCP reset (SO_LINGER 0), sending nothing."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


def _model_object(name: str) -> dict:
    return {"id": name, "object": "model", "created": 1700000000, "owned_by": "bdsl-mock"}


def _model_not_found(name: str) -> dict:
    return error_body(f"The model `{name}` does not exist or you do not have access to it.",
                      code="model_not_found")
