"""OpenAI chat fine-tuning JSONL: one `{"messages": [...]}` per line.

The system message is the assistant persona's system prompt. Assistant messages carry
`weight` 0/1 when the spec decides which turns are trained on (`train_on` other than
`all`, or any turn stored with train=false): the opening turn under `train_on
skip_first` gets 0. Counter-examples (a deliberately bad synthesis) are `alternate`
turns and never appear at all. Nothing else goes on the line (the API rejects unknown
keys): provenance, review state and edited turns go to `<split>.meta.jsonl`, line for line.
"""

from __future__ import annotations

from bdsl.export.provenance import record_provenance


def openai_record(item, train_on: str = "all") -> dict:
    weighted = train_on != "all" or any(
        not m.train for m in item.messages if m.role == "assistant")
    messages = [{"role": "system", "content": item.system}]
    for m in item.messages:
        out = {"role": m.role, "content": m.content}
        if weighted and m.role == "assistant":
            out["weight"] = 1 if m.train else 0
        messages.append(out)
    return {"messages": messages}


def openai_meta(item) -> dict:
    """The sidecar line: what the training line cannot carry."""
    return {**record_provenance(item),
            "gate_outcome": item.gates.outcome, "review_state": item.review.state,
            "human_reviewed": item.review.human_reviewed,
            # indexes into "messages" (0 is the system message)
            "edited_messages": [i + 1 for i, m in enumerate(item.messages) if m.edited]}


def write(items, ctx, out) -> list[str]:
    from bdsl.export.openai_checks import check_openai_dataset

    files = []
    for split, part in ctx.splits(items):
        records = [openai_record(i, ctx.train_on(i)) for i in part]
        report = check_openai_dataset(records)
        if report.errors:
            raise ctx.error(f"the openai export failed its own format checks ({split}): "
                            f"{report.errors}")
        ctx.checks[f"openai_{split}"] = report.summary()
        files.append(ctx.write_jsonl(out / f"{split}.jsonl", records))
        files.append(ctx.write_jsonl(out / f"{split}.meta.jsonl", map(openai_meta, part)))
    return files
