"""conversations.jsonl: a snapshot of every finished conversation with full provenance."""

from __future__ import annotations

import json
import os
from pathlib import Path

from bdsl.serialize import to_data
from bdsl.store import Conversation, Store, conversations

SNAPSHOT_FILE = "conversations.jsonl"


def conversation_record(conv: Conversation) -> dict:
    return {
        "id": conv.id,
        "job_key": conv.job_key,
        "job_hash": conv.content_hash,
        "dataset": conv.dataset,
        "kind": conv.kind,
        "messages": conv.messages(),
        "turns": [_turn(t) for t in conv.turns],
        "context": conv.context,
        "model": conv.model,
        "params": conv.params,
        "seed": conv.seed,
        "usage": {"calls": conv.usage.calls, "prompt_tokens": conv.usage.prompt_tokens,
                  "completion_tokens": conv.usage.completion_tokens, "cost_usd": conv.usage.cost},
        "provenance": conv.provenance,
    }


def _turn(t) -> dict:
    return {"seq": t.seq, "index": t.idx, "role": t.role, "kind": t.kind, "label": t.label,
            "content": t.content, "train": t.train, "session": t.session,
            "target": to_data(t.target) if t.target else None,
            "annotation": to_data(t.annotation) if t.annotation else None}


def write_snapshot(store: Store, run_dir: str | Path) -> tuple[Path, int]:
    """Write atomically (temp file + rename) so a reader never sees half a file."""
    path = Path(run_dir) / SNAPSHOT_FILE
    tmp = path.with_suffix(".jsonl.tmp")
    n = 0
    with tmp.open("w", encoding="utf-8") as f:
        for conv in conversations(store):
            f.write(json.dumps(conversation_record(conv), ensure_ascii=False, sort_keys=True))
            f.write("\n")
            n += 1
    os.replace(tmp, path)
    return path, n
