"""Requests, results and errors of the LLM layer (plain frozen records)."""

from __future__ import annotations

import attrs


@attrs.frozen
class ChatRequest:
    model: str
    messages: tuple[dict, ...]  # {"role": ..., "content": ...}
    temperature: float | None = None
    max_tokens: int | None = None
    top_p: float | None = None
    seed: int | None = None
    json_schema: dict | None = None  # structured output: the reply must follow this schema
    schema_name: str = "output"
    timeout_s: float = 120.0


@attrs.frozen
class ChatResult:
    text: str
    finish_reason: str
    prompt_tokens: int | None
    completion_tokens: int | None
    cost: float | None  # None when the model's price is unknown; never guessed
    latency_s: float
    model: str = ""
    attempts: int = 1


class LLMError(Exception):
    """A call that failed for good (after retries). `reason` is safe to store and show."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class RateLimited(LLMError):
    pass


class Timeout(LLMError):
    pass


class ProviderError(LLMError):
    """A final provider error; `kind` says which (auth, not_found, bad_request,
    context_window) when known: those are never retried."""

    def __init__(self, reason: str, kind: str | None = None):
        super().__init__(reason)
        self.kind = kind


class TruncatedError(LLMError):
    """The model stopped at max_tokens. Carries the paid result so it can be journaled."""

    def __init__(self, result: ChatResult):
        super().__init__(f"truncated after {result.completion_tokens} completion tokens")
        self.result = result


class ModelNotInstalled(LLMError):
    def __init__(self, model: str, fix_command: str):
        super().__init__(f"model {model} is not installed; run: {fix_command}")
        self.model, self.fix_command = model, fix_command
