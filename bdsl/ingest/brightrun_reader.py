"""Bright Run `brightrun-lora-v4` files, full JSON or JSONL, back into conversations.

A training pair holds the conversation up to one reply: its history, the user input and
the target response. A conversation is rebuilt from its longest pair; every pair must
agree with it (else the file contradicts itself and is refused). Replies that are some
pair's target are trained on; replies that appear only as history are not (the file did
not train on them). Recorded emotional states are kept; upstream's confidences and
quality scores are not (BRIGHTRUN_V4.md: they are constants and noise, not measurements).
"""

from __future__ import annotations

import json
from pathlib import Path

from bdsl.ingest.records import IngestedConversation, IngestedMessage, IngestError

FORMAT_JSON = "brightrun-v4"
FORMAT_JSONL = "brightrun-v4-jsonl"
SCAFFOLDING = ("persona_key", "persona_name", "emotional_arc_key", "emotional_arc",
               "training_topic_key", "training_topic")


def read_json(path: Path, text: str) -> list[IngestedConversation]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise IngestError(f"{path}:{e.lineno}:{e.colno}: not JSON ({e.msg})") from None
    convs = data.get("conversations") if isinstance(data, dict) else None
    if not isinstance(convs, list) or not convs:
        raise IngestError(f"{path}: no `conversations` list: not a brightrun-lora-v4 file")
    out = []
    for i, conv in enumerate(convs):
        where = f"{path}: conversations[{i}]"
        meta = _object(conv, "conversation_metadata", where)
        pairs = conv.get("training_pairs")
        if not isinstance(pairs, list) or not pairs:
            raise IngestError(f"{where}: no training_pairs")
        cid = _text(meta, "conversation_id", f"{where}.conversation_metadata")
        scaffold = meta.get("scaffolding") if isinstance(meta.get("scaffolding"), dict) else {}
        facts = {k: meta[k] for k in ("source_file", "created_date", "batch_id", "quality_tier")
                 if k in meta}
        out.append(_conversation(cid, FORMAT_JSON, 1, [(f"{where}.training_pairs[{j}]", p)
                                                       for j, p in enumerate(pairs)],
                                 {k: scaffold.get(k) for k in SCAFFOLDING if scaffold.get(k)},
                                 facts))
    return out


def read_jsonl(path: Path, text: str) -> list[IngestedConversation]:
    groups: dict[str, list] = {}
    first_line: dict[str, int] = {}
    meta_seen = False
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            raise IngestError(f"{path}:{n}:{e.colno}: not JSON ({e.msg})") from None
        if isinstance(rec, dict) and "_meta" in rec:
            meta_seen = True
            continue
        cid = _text(rec, "conversation_id", f"{path}:{n}")
        groups.setdefault(cid, []).append((f"{path}:{n}", rec))
        first_line.setdefault(cid, n)
    if not meta_seen:
        raise IngestError(f"{path}:1: no `_meta` line: not a brightrun-lora-v4 JSONL file")
    out = []
    for cid, pairs in groups.items():
        meta = pairs[0][1].get("conversation_metadata") or {}
        scaffold = {"persona_key": meta.get("persona_archetype"),
                    "persona_name": meta.get("client_persona"),
                    "emotional_arc_key": meta.get("emotional_arc_key"),
                    "emotional_arc": meta.get("emotional_arc"),
                    "training_topic_key": meta.get("training_topic_key"),
                    "training_topic": meta.get("training_topic")}
        out.append(_conversation(cid, FORMAT_JSONL, first_line[cid], pairs,
                                 {k: v for k, v in scaffold.items() if v}, {}))
    return out


def _conversation(cid: str, fmt: str, line: int, pairs: list[tuple[str, dict]],
                  scaffolding: dict, facts: dict) -> IngestedConversation:
    rebuilt = [(where, _pair_messages(p, where)) for where, p in pairs]
    longest_where, longest = max(rebuilt, key=lambda r: len(r[1]))
    targets = set()
    for where, msgs in rebuilt:
        for k, (m, _) in enumerate(msgs):
            if longest[k][0].content != m.content or longest[k][0].role != m.role:
                raise IngestError(f"{where}: turn {k + 1} differs from the same turn of "
                                  f"conversation {cid} in {_place(longest_where)}")
        if msgs and msgs[-1][1]:
            targets.add(len(msgs) - 1)
    messages = []
    for k, (m, _) in enumerate(longest):
        # keep the first recorded emotional state of each turn
        state = next((ms[k][0].emotional_state for _, ms in rebuilt
                      if k < len(ms) and ms[k][0].emotional_state), None)
        valence = next((ms[k][0].valence for _, ms in rebuilt
                        if k < len(ms) and ms[k][0].valence), None)
        train = m.role == "user" or k in targets
        messages.append(IngestedMessage(m.role, m.content, train, None, state, valence))
    first = pairs[0][1]
    system = first.get("system_prompt") if isinstance(first.get("system_prompt"), str) else ""
    facts = dict(facts)
    tm = [p.get("training_metadata") or {} for _, p in pairs]
    notes = sorted({t["reviewer_notes"] for t in tm if isinstance(t.get("reviewer_notes"), str)
                    and t["reviewer_notes"]})
    if notes:
        facts["reviewer_notes"] = notes
    facts["human_reviewed"] = any(t.get("human_reviewed") is True for t in tm)
    return IngestedConversation(cid, fmt, line, system, tuple(messages), scaffolding, facts)


def _place(where: str) -> str:
    """`file:5` -> `line 5`; a JSON path stays as it is."""
    tail = where.rsplit(":", 1)[-1]
    return f"line {tail}" if tail.isdigit() else where.split(": ", 1)[-1]


def _pair_messages(pair: dict, where: str) -> list[tuple[IngestedMessage, bool]]:
    """(message, is this pair's target) for the conversation up to the pair's reply."""
    if not isinstance(pair, dict):
        raise IngestError(f"{where}: a training pair must be an object")
    history = pair.get("conversation_history")
    if not isinstance(history, list):
        raise IngestError(f"{where}: conversation_history must be a list")
    out = []
    for i, h in enumerate(history):
        hw = f"{where}.conversation_history[{i}]"
        if not isinstance(h, dict) or h.get("role") not in ("user", "assistant") \
                or not isinstance(h.get("content"), str):
            raise IngestError(f"{hw}: needs role user|assistant and string content")
        out.append((IngestedMessage(h["role"], h["content"],
                                    emotional_state=_state(h.get("emotional_state"))), False))
    user = pair.get("current_user_input")
    if isinstance(user, str):
        detected = (pair.get("emotional_context") or {}).get("detected_emotions")
        out.append((IngestedMessage("user", user, emotional_state=_state(detected),
                                    valence=(detected or {}).get("valence")
                                    if isinstance(detected, dict) else None), False))
    elif user is not None:
        raise IngestError(f"{where}: current_user_input must be a string or null")
    target = pair.get("target_response")
    if isinstance(target, str):
        out.append((IngestedMessage("assistant", target), True))
    elif target is not None:
        raise IngestError(f"{where}: target_response must be a string or null")
    return out


def _state(value) -> dict | None:
    """{"primary", "secondary"?, "intensity"} from an emotional_state or detected_emotions."""
    if not isinstance(value, dict) or not isinstance(value.get("primary"), str):
        return None
    out = {"primary": value["primary"]}
    if isinstance(value.get("secondary"), str) and value["secondary"]:
        out["secondary"] = value["secondary"]
    if isinstance(value.get("intensity"), int | float):
        out["intensity"] = value["intensity"]
    return out


def _object(obj, key: str, where: str) -> dict:
    value = obj.get(key) if isinstance(obj, dict) else None
    if not isinstance(value, dict):
        raise IngestError(f"{where}: missing object `{key}`")
    return value


def _text(obj, key: str, where: str) -> str:
    value = obj.get(key) if isinstance(obj, dict) else None
    if not isinstance(value, str) or not value:
        raise IngestError(f"{where}: missing `{key}`")
    return value
