"""Anthropic's Message Batches API, driven directly over HTTP (litellm cannot create
Anthropic batches): the second backend behind `BatchClient`, same interface.

    POST {base}/v1/messages/batches              {"requests": [{custom_id, params}]}
    GET  {base}/v1/messages/batches/{id}         processing_status in_progress|canceling|ended
    GET  results_url                             JSONL: {custom_id, result: {type, ...}}
    POST {base}/v1/messages/batches/{id}/cancel

Requests are bdsl's OpenAI-shaped `ChatRequest`s: system messages become `system`,
consecutive messages of one role are merged into one (as litellm does), `max_tokens`
(required by Anthropic) is the request's or the model's maximum output from
litellm's model info (what litellm sends on an interactive call), else 4096; `seed` is
dropped (Anthropic has none). Structured output (`json_schema`) becomes one forced tool
whose input schema is the schema; the tool call's input is the answer's text. States map
to the engine's: in_progress -> in_progress, canceling -> cancelling, ended -> completed
(lines that errored, were canceled or expired are failed lines, sent again).

Base URL: the dataset's endpoint `api_base`, else ANTHROPIC_API_BASE, ANTHROPIC_BASE_URL,
else https://api.anthropic.com (a trailing /v1 or /v1/messages is dropped; litellm keeps a
/v1 and asks /v1/v1/messages, so give the root);
key: the endpoint's key, else ANTHROPIC_API_KEY.
"""

from __future__ import annotations

import json
import os
import re

from bdsl.llm.types import ChatRequest, ChatResult

VERSION = "2023-06-01"
DEFAULT_BASE = "https://api.anthropic.com"
DEFAULT_MAX_TOKENS = 4096
RETRIES = 3  # for reading a batch's state or results
STATES = {"in_progress": "in_progress", "canceling": "cancelling", "ended": "completed"}
FINISH = {"max_tokens": "length", "end_turn": "stop", "stop_sequence": "stop",
          "tool_use": "stop"}


class AnthropicError(Exception):
    pass


def base_url(api_base: str | None = None) -> str:
    base = (api_base or os.environ.get("ANTHROPIC_API_BASE")
            or os.environ.get("ANTHROPIC_BASE_URL") or DEFAULT_BASE).rstrip("/")
    for tail in ("/v1/messages", "/v1"):
        base = base.removesuffix(tail)
    return base


def tool_name(schema_name: str) -> str:
    """A tool name Anthropic accepts (^[a-zA-Z0-9_-]{1,64}$)."""
    return re.sub(r"[^a-zA-Z0-9_-]", "_", schema_name or "output")[:64] or "output"


def params(req: ChatRequest, name: str, default_max_tokens: int = DEFAULT_MAX_TOKENS) -> dict:
    """One Message Batches `params` object for an OpenAI-shaped chat request."""
    system, messages = [], []
    for m in req.messages:
        if m.get("role") == "system":
            system.append(m.get("content") or "")
        elif messages and messages[-1]["role"] == m.get("role"):  # Anthropic alternates
            messages[-1]["content"] = _blocks(messages[-1]["content"]) + _blocks(m.get("content"))
        else:
            messages.append({"role": m.get("role"), "content": m.get("content") or ""})
    out = {"model": name, "max_tokens": req.max_tokens or default_max_tokens,
           "messages": messages}
    if system:
        out["system"] = "\n\n".join(system)
    for key in ("temperature", "top_p"):
        if getattr(req, key) is not None:
            out[key] = getattr(req, key)
    if req.json_schema is not None:
        tool = tool_name(req.schema_name)
        out["tools"] = [{"name": tool, "description": "Give the answer in this structure.",
                         "input_schema": req.json_schema}]
        out["tool_choice"] = {"type": "tool", "name": tool}
    return out


def _blocks(content) -> list:
    return content if isinstance(content, list) else [{"type": "text", "text": content or ""}]


def result_of(model: str, row: dict, cost) -> tuple[ChatResult | None, str, int]:
    """(result or None, error, status code) of one results line; `cost(prompt,
    completion)` prices a succeeded one."""
    result = row.get("result") or {}
    kind = result.get("type")
    if kind != "succeeded":
        error = result.get("error") or {}
        inner = error.get("error") if isinstance(error.get("error"), dict) else error
        message = inner.get("message") if isinstance(inner, dict) else ""
        code = 400 if (inner or {}).get("type") == "invalid_request_error" else 500
        return None, f"{kind or 'no result'}: {message}" if message else (kind or "no result"), \
            code
    message = result.get("message") or {}
    blocks = message.get("content") or []
    tools = [b for b in blocks if b.get("type") == "tool_use"]
    if tools:
        text = json.dumps(tools[0].get("input"), ensure_ascii=False)
    else:
        text = "".join(b.get("text", "") for b in blocks if b.get("type") == "text")
    usage = message.get("usage") or {}
    prompt, completion = usage.get("input_tokens"), usage.get("output_tokens")
    finish = FINISH.get(message.get("stop_reason") or "end_turn", "stop")
    return ChatResult(text, finish, prompt, completion, cost(prompt, completion), 0.0,
                      model), "", 200


class AnthropicBatches:
    """The Message Batches endpoints for one base URL and key."""

    def __init__(self, api_base: str | None = None, api_key: str | None = None,
                 timeout_s: float = 120.0, backoff_s: float = 1.0):
        self.base, self.backoff_s = base_url(api_base), backoff_s
        self.key = api_key if api_key is not None else os.environ.get("ANTHROPIC_API_KEY")
        self.timeout_s = timeout_s

    def _headers(self) -> dict:
        if not self.key:
            raise AnthropicError("no Anthropic API key: set ANTHROPIC_API_KEY (or the "
                                 "dataset's endpoint api_key_env)")
        return {"x-api-key": self.key, "anthropic-version": VERSION,
                "content-type": "application/json"}

    async def _call(self, method: str, url: str, body: dict | None = None):
        """One request; a GET (safe to repeat) is tried again after a connection error,
        a 429 or a 5xx (529 overloaded included), up to RETRIES times. A POST is not:
        creating a batch twice would pay for its lines twice."""
        import asyncio

        import httpx

        headers = self._headers()
        tries = RETRIES + 1 if method == "GET" else 1
        for n in range(tries):
            last = n == tries - 1
            async with httpx.AsyncClient(timeout=self.timeout_s) as http:
                try:
                    r = await http.request(method, url, headers=headers, json=body)
                except httpx.HTTPError as e:
                    if last:
                        raise AnthropicError(f"{method} {url}: {type(e).__name__}: {e}") \
                            from None
                    await asyncio.sleep(self.backoff_s * 2 ** n)
                    continue
            if (r.status_code == 429 or r.status_code >= 500) and not last:
                await asyncio.sleep(self.backoff_s * 2 ** n)
                continue
            break
        if r.status_code >= 400:
            try:
                error = r.json().get("error") or {}
                message = error.get("message") or r.text
            except ValueError:
                message = r.text
            raise AnthropicError(f"Anthropic {r.status_code}: {message[:300]}")
        return r

    async def create(self, requests: list[dict]) -> dict:
        r = await self._call("POST", f"{self.base}/v1/messages/batches", {"requests": requests})
        return r.json()

    async def retrieve(self, batch_id: str) -> dict:
        return (await self._call("GET", f"{self.base}/v1/messages/batches/{batch_id}")).json()

    async def cancel(self, batch_id: str) -> dict:
        r = await self._call("POST", f"{self.base}/v1/messages/batches/{batch_id}/cancel")
        return r.json()

    async def results(self, url: str) -> list[dict]:
        text = (await self._call("GET", url)).text
        return [json.loads(line) for line in text.splitlines() if line.strip()]


def status_of(batch: dict) -> str:
    return STATES.get(batch.get("processing_status", ""), batch.get("processing_status", ""))
