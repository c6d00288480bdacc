"""ShareGPT: `{"conversations": [{"from": "system|human|gpt", "value"}], "metadata"}`.

The format has no per-turn weight: turns stored with train=false (the opening turn under
`train_on skip_first`) are listed by index in metadata.untrained_turns, edited ones in
metadata.edited_turns (indexes into "conversations", 0 is the system turn).
"""

from __future__ import annotations

from bdsl.export.provenance import record_provenance

SPEAKERS = {"user": "human", "assistant": "gpt"}


def sharegpt_record(item) -> dict:
    turns = [{"from": "system", "value": item.system}]
    turns += [{"from": SPEAKERS[m.role], "value": m.content} for m in item.messages]
    return {"conversations": turns, "metadata": {
        **record_provenance(item),
        "gate_outcome": item.gates.outcome, "review_state": item.review.state,
        "human_reviewed": item.review.human_reviewed,
        "untrained_turns": [i + 1 for i, m in enumerate(item.messages)
                            if m.role == "assistant" and not m.train],
        "edited_turns": [i + 1 for i, m in enumerate(item.messages) if m.edited]}}


def write(items, ctx, out) -> list[str]:
    return [ctx.write_jsonl(out / f"{split}.jsonl", map(sharegpt_record, part))
            for split, part in ctx.splits(items)]
