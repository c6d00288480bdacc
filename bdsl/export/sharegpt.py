"""ShareGPT: `{"conversations": [{"from": "system|human|gpt", "value"}], "metadata"}`.

The format has no per-turn weight: turns stored with train=false (the opening turn under
`train_on skip_first`) are listed by index in metadata.untrained_turns, edited ones in
metadata.edited_turns (indexes into "conversations", 0 is the system turn). A curriculum
gives one record per session (metadata.curriculum_id, session, session_state); with
`--reasoning think` deliberation replies start with a `<think>` block.
"""

from __future__ import annotations

from bdsl.export.openai import session_fields
from bdsl.export.provenance import record_provenance
from bdsl.export.signals import assistant_turn, signals

SPEAKERS = {"user": "human", "assistant": "gpt"}


def sharegpt_record(item, segment, reasoning: dict | None = None, mode: str = "none") -> dict:
    turns = [{"from": "system", "value": segment.system}]
    for m in segment.messages:
        msg = assistant_turn(m.role, m.content, (reasoning or {}).get(m.idx), mode)
        turns.append({"from": SPEAKERS[m.role], "value": msg["content"]})
    return {"conversations": turns, "metadata": {
        **record_provenance(item),
        "gate_outcome": item.gates.outcome, "review_state": item.review.state,
        "human_reviewed": item.review.human_reviewed,
        **session_fields(item, segment),
        "untrained_turns": [i + 1 for i, m in enumerate(segment.messages)
                            if m.role == "assistant" and not m.train],
        "edited_turns": [i + 1 for i, m in enumerate(segment.messages) if m.edited]}}


def records(items, mode: str):
    for item in items:
        reasoning = signals(item).reasoning
        for seg in item.segments:
            yield sharegpt_record(item, seg, reasoning, mode)


def write(items, ctx, out) -> list[str]:
    return [ctx.write_jsonl(out / f"{split}.jsonl", records(part, ctx.reasoning))
            for split, part in ctx.splits(items)]
