"""Content-addressed text: every distinct line stored once, texts kept as lists of ids.

The journal keeps each call's request and reply. Stored whole, a conversation of T
messages costs O(T^2): every call repeats the system prompt and the history so far, and an
annotation prompt quotes the history again as text. Stored as references to lines, the
repeated part is a list of small integers, and the words themselves are stored once: the
same message line in the next call's history, in an annotation prompt or a judge's
transcript is the same row. So a conversation's storage grows with its text, not with the
square of its length. A text is its lines joined by "\\n", so it round-trips exactly.
"""

from __future__ import annotations

import hashlib
import json

MAX_TEXT_BYTES = 4 * 1024 * 1024  # one message or prompt; more is refused with a clear error


class TextTooLarge(ValueError):
    pass


def digest(line: str) -> bytes:
    return hashlib.sha256(line.encode("utf-8")).digest()[:16]


class Interner:
    """line -> id in the `texts` table, inserting what is new (call inside a transaction)."""

    def __init__(self, db, cache_size: int = 50_000):
        self.db = db
        self.cache: dict[bytes, int] = {}
        self.cache_size = cache_size

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


def ref_of(interner: Interner, text: str) -> str:
    """A text as the JSON list of its line ids."""
    if len(text.encode("utf-8")) > MAX_TEXT_BYTES:
        raise TextTooLarge(f"a text of {len(text.encode('utf-8')) / 2**20:.1f} MiB is over the "
                           f"store's {MAX_TEXT_BYTES // 2**20} MiB limit for one message")
    return json.dumps(interner.ids(text.split("\n")), separators=(",", ":"))


def request_ref(interner: Interner, request_json: str) -> str:
    """The canonical request JSON with each message's content replaced by line ids, and a
    structured-output schema (the same for every annotation) by the id of its text."""
    data = json.loads(request_json) if request_json else {}
    for m in data.get("messages") or ():
        # messages are [role, content] pairs (bdsl.engine.port.CallRequest)
        m[1] = interner.ids(m[1].split("\n"))
    if data.get("json_schema"):
        schema = json.dumps(data["json_schema"], sort_keys=True, separators=(",", ":"))
        data["json_schema"] = {"$text": interner.ids([schema])[0]}
    return json.dumps(data, separators=(",", ":"), sort_keys=True)


def load(db, refs: list[list[int]]) -> list[str]:
    """Texts from their line-id lists, with one query for all of them."""
    wanted = sorted({i for ref in refs for i in ref})
    lines: dict[int, str] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        marks = ",".join("?" * len(chunk))
        lines.update(db.execute(f"SELECT id, text FROM texts WHERE id IN ({marks})", chunk))
    return ["\n".join(lines[i] for i in ref) for ref in refs]


def text_of(db, ref: str) -> str:
    return load(db, [json.loads(ref)])[0] if ref else ""


def request_of(db, ref: str) -> dict:
    """A journaled request back as the canonical request data (messages with text)."""
    data = json.loads(ref) if ref else {}
    messages = data.get("messages") or []
    schema = data.get("json_schema")
    refs = [m[1] for m in messages] + ([[schema["$text"]]] if schema else [])
    texts = load(db, refs)
    for m, text in zip(messages, texts, strict=False):
        m[1] = text
    if schema:
        data["json_schema"] = json.loads(texts[-1])
    return data
