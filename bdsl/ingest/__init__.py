"""Conversations made elsewhere, read into one simple record.

    from bdsl.ingest import read_file
    for conv in read_file("data.jsonl"):            # format detected, or fmt=...
        conv.source_id, conv.system, conv.messages  # IngestedConversation
        conv.openai_messages()                      # [{"role", "content"}] with the system

Formats: OpenAI chat JSONL, Bright Run brightrun-lora-v4 full JSON and its JSONL variant.
Bad input raises IngestError with one line saying where (path:line[:col] or a JSON path).
`bdsl.ingest.run_store.import_run` turns conversations into a run store (`bdsc import`).
"""

from __future__ import annotations

import json
from pathlib import Path

from bdsl.ingest import brightrun_reader, openai_reader
from bdsl.ingest.records import IngestedConversation, IngestedMessage, IngestError

READERS = {
    openai_reader.FORMAT: openai_reader.read,
    brightrun_reader.FORMAT_JSON: brightrun_reader.read_json,
    brightrun_reader.FORMAT_JSONL: brightrun_reader.read_jsonl,
}
FORMATS = tuple(READERS)

__all__ = ["FORMATS", "IngestError", "IngestedConversation", "IngestedMessage",
           "detect_format", "read_file"]


def read_file(path, fmt: str = "auto") -> list[IngestedConversation]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise IngestError(f"{path}: cannot read ({exc})") from None
    fmt = detect_format(path, text) if fmt == "auto" else fmt
    if fmt not in READERS:
        raise IngestError(f"unknown input format {fmt!r}; formats: {', '.join(FORMATS)}")
    convs = READERS[fmt](path, text)
    seen: dict[str, int] = {}
    for c in convs:
        if c.source_id in seen:
            raise IngestError(f"{path}:{c.line}: conversation id {c.source_id!r} appears twice "
                              f"(first at line {seen[c.source_id]})")
        seen[c.source_id] = c.line
    if not convs:
        raise IngestError(f"{path}: no conversations")
    return convs


def detect_format(path: Path, text: str) -> str:
    """brightrun-v4 (one JSON object with `conversations`), brightrun-v4-jsonl (a `_meta`
    first line) or openai (lines with `messages`)."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    try:
        head = json.loads(first)
    except json.JSONDecodeError:
        head = None
    if isinstance(head, dict) and "_meta" in head:
        return brightrun_reader.FORMAT_JSONL
    if isinstance(head, dict) and "messages" in head:
        return openai_reader.FORMAT
    if isinstance(head, dict) and "conversations" in head:
        return brightrun_reader.FORMAT_JSON  # the full file on one line
    if head is None and first.lstrip().startswith("{"):
        return brightrun_reader.FORMAT_JSON  # an indented JSON file (the reader checks it)
    raise IngestError(f"{path}:1: not OpenAI chat JSONL ({{\"messages\": [...]}} lines) nor a "
                      "brightrun-lora-v4 file (JSON with `conversations`, or JSONL with a "
                      "`_meta` first line)")
