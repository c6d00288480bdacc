"""`fake/echo`: a documented test provider (never the default).

Replies "echo: <the first 24 words of the last user message>" after a configurable delay
(bounded, so a long conversation of echoes stays small); with a JSON schema it
returns the smallest instance that satisfies the schema (numbers at the middle of
their range), so structured-output code paths run end to end without a model.

Knobs (environment, so they also work through the `bdsc` CLI):
  BDSL_FAKE_LATENCY=0.5        seconds per call (default 0)
  BDSL_FAKE_RATE_LIMIT_EVERY=N every Nth call raises a 429
  BDSL_FAKE_TRUNCATE_EVERY=N   every Nth call finishes with finish_reason="length"
Tokens are counted as whitespace-separated words.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import time

from litellm.llms.custom_llm import CustomLLM
from litellm.types.utils import ModelResponse, Usage

from bdsl.schema_instance import instance

_counter = itertools.count(1)
ECHO_WORDS = 24


def reply(messages: list, optional_params: dict) -> tuple[str, str]:
    n = next(_counter)
    every = int(os.environ.get("BDSL_FAKE_RATE_LIMIT_EVERY", "0") or 0)
    if every and n % every == 0:
        import litellm

        raise litellm.RateLimitError("fake 429", llm_provider="fake", model="fake/echo")
    fmt = optional_params.get("response_format") or {}
    schema = (fmt.get("json_schema") or {}).get("schema") if isinstance(fmt, dict) else None
    if schema:
        text = json.dumps(instance(schema))
    else:
        last = next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")
        words = str(last).split()  # bounded: an echo of an echo must not grow without end
        text = "echo: " + " ".join(words[:ECHO_WORDS]) + (" ..." if len(words) > ECHO_WORDS
                                                           else "")
    truncate = int(os.environ.get("BDSL_FAKE_TRUNCATE_EVERY", "0") or 0)
    return text, "length" if truncate and n % truncate == 0 else "stop"


class FakeLLM(CustomLLM):
    def completion(self, model, messages, *args, model_response=None, optional_params=None,
                   **kwargs):
        time.sleep(float(os.environ.get("BDSL_FAKE_LATENCY", "0") or 0))
        return _fill(model_response, messages, *reply(messages, optional_params or {}))

    async def acompletion(self, model, messages, *args, model_response=None,
                          optional_params=None, **kwargs):
        delay = float(os.environ.get("BDSL_FAKE_LATENCY", "0") or 0)
        if delay:
            await asyncio.sleep(delay)
        return _fill(model_response, messages, *reply(messages, optional_params or {}))


def _fill(response, messages, text: str, finish: str) -> ModelResponse:
    response = response or ModelResponse()
    response.choices[0].message.content = text
    response.choices[0].finish_reason = finish
    prompt = sum(len(str(m.get("content", "")).split()) for m in messages)
    completion = len(text.split())
    response.usage = Usage(prompt_tokens=prompt, completion_tokens=completion,
                           total_tokens=prompt + completion)
    response.model = "fake/echo"
    return response
