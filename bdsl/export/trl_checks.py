"""TRL's "conversational" dataset format, checked by its documented structure.

TRL's own `trl.data_utils.is_conversational` cannot be imported here: the module imports
transformers (and TRL requires accelerate and torch). This mirrors what it checks (a
`messages` list whose items are dicts with a `role`) and adds what SFTTrainer's chat
templates need: string content and known roles.
"""

from __future__ import annotations

ROLES = ("system", "user", "assistant", "tool")


def is_conversational(example: dict) -> bool:
    """trl.data_utils.is_conversational for the `messages` key."""
    messages = example.get("messages")
    return (isinstance(messages, list) and bool(messages) and isinstance(messages[0], dict)
            and "role" in messages[0])


def conversational_errors(example: dict) -> list[str]:
    if not is_conversational(example):
        return ["not conversational: no messages list of {role, content} dicts"]
    errors = []
    for i, m in enumerate(example["messages"]):
        if not isinstance(m, dict) or set(m) != {"role", "content"}:
            errors.append(f"message {i}: keys must be exactly role and content")
            continue
        if m["role"] not in ROLES:
            errors.append(f"message {i}: unknown role {m['role']!r}")
        if not isinstance(m["content"], str) or not m["content"]:
            errors.append(f"message {i}: content must be a non-empty string")
    if not any(isinstance(m, dict) and m.get("role") == "assistant"
               for m in example["messages"]):
        errors.append("no assistant message")
    return errors
