"""OpenAI chat JSONL: `{"messages": [{"role", "content", "weight"?}], "id"?}` per line.

A leading system message is the system prompt; `weight: 0` marks a reply not to train
on; a message's `finish_reason` or `emotional_state`, when a tool wrote them, are kept.
"""

from __future__ import annotations

import json
from pathlib import Path

import attrs

from bdsl.ingest.records import IngestedConversation, IngestedMessage, IngestError

FORMAT = "openai"


def read(path: Path, text: str) -> list[IngestedConversation]:
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            raise IngestError(f"{path}:{n}:{e.colno}: not JSON ({e.msg})") from None
        out.append(conversation(rec, f"{path}:{n}", n, path.stem))
    return out


def conversation(rec, where: str, line: int, stem: str) -> IngestedConversation:
    messages = rec.get("messages") if isinstance(rec, dict) else None
    if not isinstance(messages, list) or not messages:
        raise IngestError(f'{where}: expected {{"messages": [{{"role": ..., "content": ...}}, '
                          "...]}")
    system, out = "", []
    ended = rec.get("finish_reason")  # a record-level finish_reason is the last message's
    reasons = [ended] + [m.get("finish_reason") for m in messages if isinstance(m, dict)]
    if any(r is not None and not isinstance(r, str) for r in reasons):
        raise IngestError(f'{where}: `finish_reason` must be a string (e.g. "stop" or '
                          '"length")')
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or not isinstance(m.get("content"), str) or "role" not in m:
            raise IngestError(f"{where}: message {i} needs a role and string content")
        if m["role"] == "system":
            if i != 0:
                raise IngestError(f"{where}: message {i} is a system message; only the first "
                                  "message may be one")
            system = m["content"]
            continue
        if m["role"] not in ("user", "assistant"):
            raise IngestError(f"{where}: message {i} has role {m['role']!r}; conversations "
                              "hold user and assistant messages")
        weight = m.get("weight", 1)
        if weight not in (0, 1):
            raise IngestError(f"{where}: message {i} has weight {weight!r}; weights are 0 or 1")
        state = m.get("emotional_state")
        out.append(IngestedMessage(m["role"], m["content"], train=weight == 1,
                                   finish_reason=m.get("finish_reason"),
                                   emotional_state=state if isinstance(state, dict) else None))
    if not out:
        raise IngestError(f"{where}: no user or assistant messages")
    if ended and out[-1].finish_reason is None:
        out[-1] = attrs.evolve(out[-1], finish_reason=ended)
    source = rec.get("id") or rec.get("conversation_id") or f"{stem}-{line}"
    return IngestedConversation(str(source), FORMAT, line, system, tuple(out))
