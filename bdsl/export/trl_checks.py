"""TRL's "conversational" dataset formats, checked by their documented structure.

TRL's own `trl.data_utils.is_conversational` cannot be imported here: the module imports
transformers (and TRL requires accelerate and torch). This mirrors what it checks (a
`messages` list, or `prompt`/`chosen`/`rejected` lists, whose items are dicts with a
`role`) and adds what chat templates need: string content and known roles.
"""

from __future__ import annotations

ROLES = ("system", "user", "assistant", "tool")
# keys a message may carry besides role and content: axolotl's per-message training field,
# the reasoning field chat templates read
OPTIONAL_KEYS = {"train": bool, "reasoning_content": str}


def is_conversational(example: dict) -> bool:
    """trl.data_utils.is_conversational for the `messages` / `prompt` keys."""
    for key in ("messages", "prompt"):
        messages = example.get(key)
        if isinstance(messages, list) and messages and isinstance(messages[0], dict) \
                and "role" in messages[0]:
            return True
    return False


def message_errors(messages, where: str) -> list[str]:
    errors = []
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or not {"role", "content"} <= set(m):
            errors.append(f"{where} {i}: needs role and content")
            continue
        for key in set(m) - {"role", "content"}:
            kind = OPTIONAL_KEYS.get(key)
            if kind is None:
                errors.append(f"{where} {i}: unknown key {key!r}")
            elif not isinstance(m[key], kind):
                errors.append(f"{where} {i}: {key} must be {kind.__name__}")
        if m["role"] not in ROLES:
            errors.append(f"{where} {i}: unknown role {m['role']!r}")
        if not isinstance(m["content"], str) or not m["content"]:
            errors.append(f"{where} {i}: content must be a non-empty string")
    return errors


def conversational_errors(example: dict) -> list[str]:
    messages = example.get("messages")
    if not is_conversational(example) or not isinstance(messages, list):
        return ["not conversational: no messages list of {role, content} dicts"]
    errors = message_errors(messages, "message")
    if not any(isinstance(m, dict) and m.get("role") == "assistant" for m in messages):
        errors.append("no assistant message")
    return errors


def preference_errors(example: dict) -> list[str]:
    """TRL's conversational preference format: `prompt` messages, then `chosen` and
    `rejected`, each one assistant message."""
    prompt = example.get("prompt")
    if not isinstance(prompt, list) or not prompt:
        return ["prompt must be a non-empty list of messages"]
    errors = message_errors(prompt, "prompt message")
    for key in ("chosen", "rejected"):
        reply = example.get(key)
        if not isinstance(reply, list) or len(reply) != 1:
            errors.append(f"{key} must be a list of one message")
            continue
        errors += message_errors(reply, f"{key} message")
        if isinstance(reply[0], dict) and reply[0].get("role") != "assistant":
            errors.append(f"{key} message must be the assistant's")
    return errors
