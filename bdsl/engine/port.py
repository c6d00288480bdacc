"""What the engine needs from an LLM: one async call, as plain records.

`Completer` is the seam: `llm_completer()` adapts bdsl.llm's LLMClient (the only
module that talks to models); tests may pass any object with the same method.
"""

from __future__ import annotations

from typing import Protocol

import attrs


@attrs.frozen
class CallRequest:
    model: str
    messages: tuple[tuple[str, str], ...]  # (role, content)
    temperature: float | None = None
    max_tokens: int | None = None
    top_p: float | None = None
    seed: int | None = None
    json_schema: dict | None = None  # structured output: a JSON schema the reply must follow
    schema_name: str = ""

    def params(self) -> dict:
        return {"temperature": self.temperature, "max_tokens": self.max_tokens,
                "top_p": self.top_p, "seed": self.seed}


@attrs.frozen
class CallResult:
    text: str
    finish_reason: str
    prompt_tokens: int | None
    completion_tokens: int | None
    cost: float | None  # None when the model's price is unknown
    latency_s: float


class CallTruncated(Exception):
    """The model stopped at max_tokens. Carries the paid result so it can be journaled."""

    def __init__(self, result: CallResult):
        super().__init__(f"truncated after {result.completion_tokens} tokens")
        self.result = result


class CallFailed(Exception):
    """The call failed after the client's own retries; nothing was paid for. `kind` is the
    provider error's class when known (auth, not_found, bad_request, context_window)."""

    def __init__(self, message: str, kind: str | None = None):
        super().__init__(message)
        self.kind = kind


class Completer(Protocol):
    async def complete(self, request: CallRequest) -> CallResult: ...
