"""Content-addressed text: every distinct line stored once, texts kept as lists of ids.

The journal keeps each call's request and reply. Stored whole, a conversation of T
messages costs O(T^2): every call repeats the system prompt and the history so far, and an
annotation prompt quotes the history again as text. Stored as references to lines, the
repeated part is a list of small integers, and the words themselves are stored once: the
same message line in the next call's history, in an annotation prompt or a judge's
transcript is the same row. So a conversation's storage grows with its text, not with the
square of its length. A text is its lines joined by "\\n", so it round-trips exactly.

A line that starts with a short speaker label ("user: ", "Assistant: ", "[3] user: ") is
kept as two pieces, the label and the rest, so a message quoted in a transcript shares its
row with the message itself. In a reference a piece's id is negative when the next piece
continues the same line (no "\\n" between them); ids are positive otherwise, which is all a
store written before labels were split holds, so old references read the same.

A request is its messages as one list of tokens (a role name starts each message, then
the ids of its pieces). The calls of one conversation repeat each other's history, so a
call may be stored as an earlier call of the same job and step (its base, in
llm_calls.request_base) plus how many of the base's tokens to keep and the tokens after
them: a conversation's calls cost what they add, not their whole history each time.
"""

from __future__ import annotations

import hashlib
import json
import re

MAX_TEXT_BYTES = 4 * 1024 * 1024  # one message or prompt; more is refused with a clear error


class TextTooLarge(ValueError):
    pass


# a speaker label at the start of a transcript line: "user: ", "You: ", "[12] assistant: "
_LABEL = re.compile(r"(?:\[\d{1,6}\] )?[A-Za-z][\w'-]{0,20}(?: [\w'-]{1,20})?: ")

MIN_SHARED = 8  # tokens a call must share with its base to be stored as a delta
MAX_DEPTH = 64  # a chain of deltas is this long at most; then a call is stored whole


def digest(line: str) -> bytes:
    return hashlib.sha256(line.encode("utf-8")).digest()[:16]


class Interner:
    """line -> id in the `texts` table, inserting what is new (call inside a transaction)."""

    def __init__(self, db, cache_size: int = 50_000):
        self.db = db
        self.cache: dict[bytes, int] = {}
        self.cache_size = cache_size
        # (job key, content hash, step) -> (call id, tokens, depth, request data, request
        # hash) of the last call written through this interner: the base of the next one
        self.bases: dict[tuple, tuple] = {}

    def ids(self, lines: list[str]) -> list[int]:
        keys = [digest(x) for x in lines]
        missing = {k: x for k, x in zip(keys, lines, strict=True) if k not in self.cache}
        if missing:
            if len(self.cache) + len(missing) > self.cache_size:
                self.cache.clear()
            for k, x in missing.items():
                row = self.db.execute("INSERT INTO texts (hash, text) VALUES (?, ?) "
                                      "ON CONFLICT (hash) DO NOTHING RETURNING id",
                                      (k, x)).fetchone()
                if row is None:  # already stored (by an earlier call, or another worker)
                    row = self.db.execute("SELECT id FROM texts WHERE hash = ?", (k,)).fetchone()
                self.cache[k] = row[0]
        return [self.cache[k] for k in keys]

    def reset(self) -> None:
        """Forget cached ids and bases (after a rollback: they may not be stored)."""
        self.cache.clear()
        self.bases.clear()


def pieces(text: str) -> tuple[list[str], list[bool]]:
    """A text's pieces, and for each whether the next piece continues its line."""
    out: list[str] = []
    joined: list[bool] = []
    for line in text.split("\n"):
        m = _LABEL.match(line)
        if m and m.end() < len(line):
            out += [line[:m.end()], line[m.end():]]
            joined += [True, False]
        else:
            out.append(line)
            joined.append(False)
    return out, joined


def text_ids(interner: Interner, text: str) -> list[int]:
    """A text as piece ids (negative: the next piece continues the line)."""
    parts, joined = pieces(text)
    return [-i if j else i for i, j in zip(interner.ids(parts), joined, strict=True)]


def join(ref: list[int], lines: dict[int, str]) -> str:
    parts: list[str] = []
    for n, i in enumerate(ref):
        parts.append(lines[abs(i)])
        if i > 0 and n < len(ref) - 1:
            parts.append("\n")
    return "".join(parts)


def ref_of(interner: Interner, text: str) -> str:
    """A text as the JSON list of its piece ids."""
    check_size(text)
    return json.dumps(text_ids(interner, text), separators=(",", ":"))


def check_size(text: str) -> None:
    size = len(text.encode("utf-8"))
    if size > MAX_TEXT_BYTES:
        raise TextTooLarge(f"a text of {size / 2**20:.1f} MiB is over the store's "
                           f"{MAX_TEXT_BYTES // 2**20} MiB limit for one message")


def request_data(interner: Interner, request_json: str) -> dict:
    """The canonical request data with each message's content replaced by piece ids, and a
    structured-output schema (the same for every annotation) by the id of its text."""
    data = json.loads(request_json) if request_json else {}
    for m in data.get("messages") or ():
        # messages are [role, content] pairs (bdsl.engine.port.CallRequest)
        check_size(m[1])
        m[1] = text_ids(interner, m[1])
    if data.get("json_schema"):
        schema = json.dumps(data["json_schema"], sort_keys=True, separators=(",", ":"))
        check_size(schema)
        data["json_schema"] = {"$text": interner.ids([schema])[0]}
    return data


def request_ref(interner: Interner, request_json: str) -> str:
    """A request stored whole: request_data as JSON."""
    return dump(request_data(interner, request_json))


def dump(data: dict) -> str:
    return json.dumps(data, separators=(",", ":"), sort_keys=True)


def flatten(messages: list) -> list:
    """[[role, ids], ...] -> [role, id, id, role, id, ...]."""
    return [x for role, ids in messages for x in (role, *ids)]


def unflatten(tokens: list) -> list:
    messages: list = []
    for x in tokens:
        if isinstance(x, str):
            messages.append([x, []])
        else:
            messages[-1][1].append(x)
    return messages


def shared_prefix(a: list, b: list) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def as_delta(data: dict, tokens: list, base: tuple | None) -> tuple[dict, int | None, int]:
    """(request data to store, its base's call id or None, its depth): the messages as a
    delta over the base's tokens when they share enough of them, and of the other fields
    (model, params, schema) only those that differ from the base's ("$drop": the base's
    fields this request lacks)."""
    if base is not None:
        base_id, base_tokens, depth, base_data = base[:4]
        keep = shared_prefix(base_tokens, tokens)
        if keep >= MIN_SHARED and depth < MAX_DEPTH:
            out = {k: v for k, v in data.items()
                   if k != "messages" and (k not in base_data or base_data[k] != v)}
            dropped = sorted(k for k in base_data if k not in data and k != "messages")
            if dropped:
                out["$drop"] = dropped
            out["messages"] = {"keep": keep, "tail": tokens[keep:]}
            return out, base_id, depth + 1
    return data, None, 0


def load(db, refs: list[list[int]]) -> list[str]:
    """Texts from their piece-id lists, with one query for all of them."""
    wanted = sorted({abs(i) for ref in refs for i in ref})
    lines: dict[int, str] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        marks = ",".join("?" * len(chunk))
        lines.update(db.execute(f"SELECT id, text FROM texts WHERE id IN ({marks})", chunk))
    return [join(ref, lines) for ref in refs]


def text_of(db, ref: str) -> str:
    return load(db, [json.loads(ref)])[0] if ref else ""


def request_of(db, ref: str, chain: list[str] = ()) -> dict:
    """A journaled request back as the canonical request data (messages with text).
    `chain`: the request refs of its bases, nearest first, when it is stored as a delta."""
    data = json.loads(ref) if ref else {}
    if isinstance(data.get("messages"), dict):
        data = resolve(ref, chain)
        data["messages"] = unflatten(data["messages"])
    messages = data.get("messages") or []
    schema = data.get("json_schema")
    refs = [m[1] for m in messages] + ([[schema["$text"]]] if schema else [])
    texts = load(db, refs)
    for m, text in zip(messages, texts, strict=False):
        m[1] = text
    if schema:
        data["json_schema"] = json.loads(texts[-1])
    return data


def resolve(ref: str, chain: list[str]) -> dict:
    """A stored request's data with its messages as tokens, its delta applied over its
    bases' (nearest first in `chain`)."""
    refs = [ref, *chain]
    data = json.loads(refs[-1])
    if isinstance(data.get("messages"), dict):
        raise ValueError("a journaled request's chain of bases does not reach a whole request")
    data["messages"] = flatten(data.get("messages") or [])
    for r in reversed(refs[:-1]):
        delta = json.loads(r)
        moved = delta.pop("messages")
        for k in delta.pop("$drop", ()):
            data.pop(k, None)
        data.update(delta)
        data["messages"] = data["messages"][:moved["keep"]] + moved["tail"]
    return data
