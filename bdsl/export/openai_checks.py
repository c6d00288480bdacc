"""The OpenAI cookbook's checks for chat fine-tuning data ("Data preparation and analysis
for chat model fine-tuning"): format errors by kind, then token counts with a warning for
examples over the context limit.

Token counts use tiktoken's cl100k_base, as the cookbook does. Its vocabulary file is
read from tiktoken's cache (litellm ships one); when it cannot be loaded offline the
counts are reported as not measured (None) with a warning, never estimated.
"""

from __future__ import annotations

import functools
import os
import statistics
from collections import Counter

import attrs

ROLES = ("system", "user", "assistant", "function", "tool")
MESSAGE_KEYS = ("role", "content", "name", "function_call", "weight", "tool_calls",
                "tool_call_id")
MAX_TOKENS_PER_EXAMPLE = 16385  # the cookbook's limit: longer examples are truncated


def record_errors(example) -> list[str]:
    """The cookbook's format error kinds for one example ([] when it is valid), plus the
    API's rule that `weight` is 0 or 1 and only on assistant messages."""
    if not isinstance(example, dict):
        return ["data_type"]
    messages = example.get("messages")
    if not messages or not isinstance(messages, list):
        return ["missing_messages_list"]
    errors = []
    for m in messages:
        if not isinstance(m, dict):
            errors.append("data_type")
            continue
        if "role" not in m or "content" not in m:
            errors.append("message_missing_key")
        if any(k not in MESSAGE_KEYS for k in m):
            errors.append("message_unrecognized_key")
        if m.get("role") not in ROLES:
            errors.append("unrecognized_role")
        content, call = m.get("content"), m.get("function_call")
        if (not content and not call) or (content is not None and not isinstance(content, str)):
            errors.append("missing_content")
        if "weight" in m and (m.get("role") != "assistant" or m["weight"] not in (0, 1)
                              or isinstance(m["weight"], bool)):
            errors.append("invalid_weight")
    if not any(isinstance(m, dict) and m.get("role") == "assistant" for m in messages):
        errors.append("example_missing_assistant_message")
    return errors


@attrs.frozen
class OpenAIReport:
    examples: int
    errors: dict  # error kind -> count (empty: the data passes)
    warnings: tuple[str, ...]
    missing_system: int
    missing_user: int
    messages_per_example: tuple[int, ...]
    tokens_per_example: tuple[int, ...] | None  # None: not measured (no tokenizer offline)
    assistant_tokens_per_example: tuple[int, ...] | None
    trained_assistant_messages: int  # weight 1 or no weight
    untrained_assistant_messages: int  # weight 0

    def summary(self) -> dict:
        def dist(values):
            if values is None:
                return None
            if not values:
                return {}
            return {"min": min(values), "max": max(values),
                    "mean": round(statistics.mean(values), 2),
                    "median": statistics.median(values)}

        return {"examples": self.examples, "errors": self.errors,
                "warnings": list(self.warnings), "missing_system": self.missing_system,
                "missing_user": self.missing_user,
                "messages_per_example": dist(self.messages_per_example),
                "tokens_per_example": dist(self.tokens_per_example),
                "assistant_tokens_per_example": dist(self.assistant_tokens_per_example),
                "total_tokens": (None if self.tokens_per_example is None
                                 else sum(self.tokens_per_example)),
                "tokenizer": None if self.tokens_per_example is None else "cl100k_base",
                "trained_assistant_messages": self.trained_assistant_messages,
                "untrained_assistant_messages": self.untrained_assistant_messages}


def check_openai_dataset(examples: list) -> OpenAIReport:
    errors: Counter = Counter()
    for ex in examples:
        errors.update(record_errors(ex))
    valid = [ex for ex in examples if not record_errors(ex)]
    messages = [ex["messages"] for ex in valid]
    warnings = []
    encoding = _encoding()
    tokens = assistant = None
    if encoding is None:
        warnings.append("token counts not measured: tiktoken's cl100k_base is not "
                        "available offline")
    else:
        tokens = tuple(_message_tokens(encoding, ms) for ms in messages)
        assistant = tuple(sum(len(encoding.encode(m["content"])) for m in ms
                              if m["role"] == "assistant") for ms in messages)
        over = sum(1 for n in tokens if n > MAX_TOKENS_PER_EXAMPLE)
        if over:
            warnings.append(f"{over} example(s) over {MAX_TOKENS_PER_EXAMPLE} tokens "
                            "will be truncated during fine-tuning")
    weights = [m.get("weight", 1) for ms in messages for m in ms if m["role"] == "assistant"]
    return OpenAIReport(
        examples=len(examples), errors=dict(sorted(errors.items())), warnings=tuple(warnings),
        missing_system=sum(1 for ms in messages if not any(m["role"] == "system" for m in ms)),
        missing_user=sum(1 for ms in messages if not any(m["role"] == "user" for m in ms)),
        messages_per_example=tuple(len(ms) for ms in messages),
        tokens_per_example=tokens, assistant_tokens_per_example=assistant,
        trained_assistant_messages=sum(1 for w in weights if w == 1),
        untrained_assistant_messages=sum(1 for w in weights if w == 0))


def _message_tokens(encoding, messages, tokens_per_message=3, tokens_per_name=1) -> int:
    """The cookbook's num_tokens_from_messages."""
    n = 0
    for m in messages:
        n += tokens_per_message
        for key, value in m.items():
            if isinstance(value, str):
                n += len(encoding.encode(value))
            if key == "name":
                n += tokens_per_name
    return n + 3


@functools.cache
def _encoding():
    try:
        import tiktoken
    except ImportError:
        return None
    saved = os.environ.get("TIKTOKEN_CACHE_DIR")
    if saved is None and (bundled := _litellm_tokenizer_dir()):
        os.environ["TIKTOKEN_CACHE_DIR"] = bundled
    try:
        return tiktoken.get_encoding("cl100k_base")
    except Exception:  # no network and no cached vocabulary
        return None
    finally:
        if saved is None:
            os.environ.pop("TIKTOKEN_CACHE_DIR", None)


def _litellm_tokenizer_dir() -> str | None:
    """litellm ships tiktoken's cache files; find them without importing litellm (slow)."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("litellm")
    if spec is None or not spec.origin:
        return None
    path = Path(spec.origin).parent / "litellm_core_utils" / "tokenizers"
    return str(path) if path.is_dir() else None
