"""LLMClient: litellm.acompletion with retries, adaptive concurrency and honest accounting.

- Retries timeouts, 429s, 5xx and dropped connections with exponential backoff and full
  jitter; never an authentication, permission, not-found or bad-request error (a wrong key,
  base URL or model name fails at once, with the provider's message). The provider SDK's
  own hidden retries are turned off, so every retry is one of ours and is counted by cause.
- Routes: a model can name its endpoint (api_base, the env var holding its key) or several
  deployments that share its load (litellm's Router).
- An AIMD limit on calls in flight: halved on every 429, grown by one after a run of
  successes, never above `max_concurrency`.
- finish_reason == "length" raises TruncatedError carrying the paid result: a
  truncated text is never returned as a success (the engine retries with more room).
- Cost from litellm's offline cost map; None when the model is not in it.
- API keys come from the environment through litellm; error reasons are scrubbed.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import time
from collections import Counter

from bdsl.llm.types import (
    ChatRequest,
    ChatResult,
    ProviderError,
    RateLimited,
    Timeout,
    TruncatedError,
)

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

_litellm = None
FREE_PROVIDERS = ("local/", "fake/")


def litellm_module():
    """Import litellm once, quietly, with bdsl's in-process providers registered."""
    global _litellm
    if _litellm is None:
        import litellm

        from bdsl.llm.fake_provider import FakeLLM
        from bdsl.llm.local_provider import LocalLLM

        litellm.telemetry = False
        litellm.suppress_debug_info = True
        litellm.drop_params = True  # e.g. `seed` for providers that do not take it
        litellm.custom_provider_map = [
            {"provider": "local", "custom_handler": LocalLLM()},
            {"provider": "fake", "custom_handler": FakeLLM()},
        ]
        _register_free_models(litellm)
        _litellm = litellm
    return _litellm


def _register_free_models(litellm) -> None:
    """Price bdsl's in-process models at zero in litellm's map: without an entry litellm
    searches its whole map for a price after every call (about 3 ms of CPU each)."""
    from bdsl.llm.models import KNOWN

    free = {"input_cost_per_token": 0.0, "output_cost_per_token": 0.0,
            "cache_creation_input_token_cost": 0.0, "cache_read_input_token_cost": 0.0,
            "mode": "chat"}
    models = {"fake/echo": {**free, "litellm_provider": "fake"}}
    models.update({f"local/{name}": {**free, "litellm_provider": "local"} for name in KNOWN})
    litellm.register_model(models)


class AdaptiveLimit:
    """At most `limit` calls in flight; halves on rate limits, grows back on success."""

    def __init__(self, maximum: int):
        self.maximum = maximum
        self.limit = maximum
        self.active = 0
        self._streak = 0
        self._cond: asyncio.Condition | None = None

    async def __aenter__(self):
        if self.active < self.limit:  # fast path: no lock needed on one event loop
            self.active += 1
            return
        if self._cond is None:
            self._cond = asyncio.Condition()
        async with self._cond:
            await self._cond.wait_for(lambda: self.active < self.limit)
            self.active += 1

    async def __aexit__(self, *exc):
        self.active -= 1
        if self._cond is not None:
            async with self._cond:
                self._cond.notify()  # one slot freed: wake one waiter, not all

    def rate_limited(self) -> None:
        self.limit = max(1, self.limit // 2)
        self._streak = 0

    def succeeded(self) -> None:
        self._streak += 1
        if self._streak >= self.limit and self.limit < self.maximum:
            self.limit += 1
            self._streak = 0


class LLMClient:
    def __init__(self, max_retries: int = 5, max_concurrency: int = 16, base_delay: float = 1.0,
                 max_delay: float = 60.0, sleep=asyncio.sleep, rand=random.random,
                 routes: dict | None = None):
        self.max_retries = max_retries
        self.routes = dict(routes or {})  # model name -> Route
        self._routers: dict[str, object] = {}
        self.retry_causes: Counter = Counter()  # cause -> retries made
        self.limit = AdaptiveLimit(max_concurrency)
        self.base_delay, self.max_delay = base_delay, max_delay
        self._sleep, self._rand = sleep, rand
        self.calls = self.retries = self.rate_limits = 0
        self.prompt_tokens = self.completion_tokens = 0
        self.cost: float | None = 0.0

    async def complete(self, req: ChatRequest) -> ChatResult:
        litellm = litellm_module()
        kwargs = _kwargs(req)
        call = self._caller(litellm, req.model, kwargs)
        attempt = 0
        while True:
            attempt += 1
            t0 = time.perf_counter()
            try:
                async with self.limit:
                    response = await asyncio.wait_for(call(**kwargs), timeout=req.timeout_s)
            except Exception as exc:  # classified below; unknown errors are not retried
                kind = _classify(exc, litellm)
                if kind == "rate_limit":
                    self.rate_limits += 1
                    self.limit.rate_limited()
                if kind not in RETRIED or attempt > self.max_retries:
                    raise _final_error(kind, exc) from None
                self.retries += 1
                self.retry_causes[kind] += 1
                await self._sleep(self._backoff(attempt))
                continue
            self.limit.succeeded()
            result = self._result(req, response, time.perf_counter() - t0, attempt)
            if result.finish_reason == "length":
                raise TruncatedError(result)
            return result

    def _caller(self, litellm, model: str, kwargs: dict):
        """litellm.acompletion, with the model's route applied: its endpoint and key, or a
        Router over its deployments."""
        route = self.routes.get(model)
        if route is None:
            return litellm.acompletion
        if len(route.deployments) > 1:
            router = self._routers.get(model)
            if router is None:
                router = self._routers[model] = route.router(litellm)
            kwargs.pop("max_retries", None)
            return router.acompletion
        kwargs.update(route.params())
        return litellm.acompletion

    def _backoff(self, attempt: int) -> float:
        return self._rand() * min(self.max_delay, self.base_delay * 2 ** (attempt - 1))

    def _result(self, req: ChatRequest, response, latency: float, attempts: int) -> ChatResult:
        choice = response.choices[0]
        usage = getattr(response, "usage", None)
        prompt = getattr(usage, "prompt_tokens", None)
        completion = getattr(usage, "completion_tokens", None)
        cost = _cost(req.model, response)
        self.calls += 1
        self.prompt_tokens += prompt or 0
        self.completion_tokens += completion or 0
        self.cost = None if self.cost is None or cost is None else self.cost + cost
        return ChatResult(choice.message.content or "", choice.finish_reason or "stop", prompt,
                          completion, cost, latency, req.model, attempts)


def _kwargs(req: ChatRequest) -> dict:
    # max_retries=0: the provider SDK's own retries would hide failures inside one attempt
    kwargs = {"model": req.model, "messages": [dict(m) for m in req.messages],
              "max_retries": 0}
    if not req.model.startswith(FREE_PROVIDERS):
        kwargs["timeout"] = req.timeout_s
    for key in ("temperature", "max_tokens", "top_p", "seed"):
        value = getattr(req, key)
        if value is not None:
            kwargs[key] = value
    if req.json_schema is not None:
        kwargs["response_format"] = {"type": "json_schema", "json_schema": {
            "name": req.schema_name, "schema": req.json_schema, "strict": True}}
    return kwargs


def _cost(model: str, response) -> float | None:
    if model.startswith(FREE_PROVIDERS):
        return 0.0
    hidden = getattr(response, "_hidden_params", None) or {}
    if "response_cost" in hidden:
        # litellm priced the response already while logging it (None: not in the cost
        # map); asking again costs 1-5 ms of CPU per call, most of bdsl's overhead
        cost = hidden["response_cost"]
        return None if cost is None else float(cost)
    try:
        return float(litellm_module().completion_cost(completion_response=response))
    except Exception:  # not in the offline cost map: unknown, never guessed
        return None


RETRIED = ("timeout", "rate_limit", "server", "connection")


def _classify(exc: Exception, litellm) -> str | None:
    """The error's class: retried (timeout, rate_limit, server, connection) or final
    (auth, not_found, bad_request, context_window, or None: unknown, never retried)."""
    status = getattr(exc, "status_code", None)
    if isinstance(exc, getattr(litellm, "ContextWindowExceededError", ())):
        return "context_window"
    if isinstance(exc, (litellm.AuthenticationError, litellm.PermissionDeniedError)) or \
            status in (401, 403):
        return "auth"
    if isinstance(exc, litellm.NotFoundError) or status == 404:
        return "not_found"
    if isinstance(exc, litellm.BadRequestError) or status in (400, 422):
        return "bad_request"
    if isinstance(exc, (asyncio.TimeoutError, litellm.Timeout)):
        return "timeout"
    if isinstance(exc, litellm.RateLimitError) or status == 429:
        return "rate_limit"
    if isinstance(exc, litellm.APIConnectionError):
        return "connection"
    if isinstance(exc, (litellm.ServiceUnavailableError, litellm.InternalServerError)) or (
            isinstance(status, int) and status >= 500):
        return "server"
    return None


def _final_error(kind: str | None, exc: Exception):
    reason = scrub(f"{type(exc).__name__}: {exc}")
    if kind in ("auth", "not_found", "bad_request", "context_window"):
        return ProviderError(reason, kind)
    if kind == "rate_limit":
        return RateLimited(reason)
    if kind == "timeout":
        return Timeout(reason)
    return ProviderError(reason)


_SECRET = re.compile(r"(sk-[A-Za-z0-9_\-]{8,}|Bearer\s+\S+|key=[^&\s]+)")


def scrub(text: str) -> str:
    """Remove anything that looks like a credential, and every *_API_KEY value."""
    for name, value in os.environ.items():
        if value and len(value) >= 8 and ("KEY" in name or "TOKEN" in name or "SECRET" in name):
            text = text.replace(value, "[redacted]")
    return _SECRET.sub("[redacted]", text)[:2000]
