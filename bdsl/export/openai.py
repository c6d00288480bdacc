"""OpenAI chat fine-tuning JSONL: one `{"messages": [...]}` per line.

The system message is the assistant persona's system prompt. A curriculum gives one line
per session, each with that session's own system prompt. Assistant messages carry
`weight` 0/1 when the spec decides which turns are trained on (`train_on` other than
`all`, or any turn stored with train=false): the opening turn under `train_on
skip_first` gets 0. Counter-examples (a bad synthesis, a conventional reply) never
appear (they are the `dpo`/`openai-dpo` formats' rejected replies). With `--reasoning
think` a deliberation reply starts with its hidden perspectives in a `<think>` block.
Nothing else goes on the line (the API rejects unknown keys): provenance, review state,
edited turns and the session go to `<split>.meta.jsonl`, line for line.
"""

from __future__ import annotations

from bdsl.export.provenance import record_provenance
from bdsl.export.signals import assistant_turn, signals


def openai_record(segment, train_on: str = "all", reasoning: dict | None = None,
                  mode: str = "none") -> dict:
    weighted = train_on != "all" or any(
        not m.train for m in segment.messages if m.role == "assistant")
    messages = [{"role": "system", "content": segment.system}]
    for m in segment.messages:
        out = assistant_turn(m.role, m.content, (reasoning or {}).get(m.idx), mode)
        if weighted and m.role == "assistant":
            out["weight"] = 1 if m.train else 0
        messages.append(out)
    return {"messages": messages}


def session_fields(item, segment) -> dict:
    """curriculum_id / session / session_state, so a trainer can group a learner's sessions."""
    if segment.session is None:
        return {}
    return {"curriculum_id": item.job.key, "session": segment.session,
            "session_state": segment.state}


def openai_meta(item, segment) -> dict:
    """The sidecar line: what the training line cannot carry."""
    return {**record_provenance(item),
            "gate_outcome": item.gates.outcome, "review_state": item.review.state,
            "human_reviewed": item.review.human_reviewed,
            **session_fields(item, segment),
            # indexes into "messages" (0 is the system message)
            "edited_messages": [i + 1 for i, m in enumerate(segment.messages) if m.edited]}


def write(items, ctx, out) -> list[str]:
    from bdsl.export.openai_checks import check_openai_dataset

    files = []
    for split, part in ctx.splits(items):
        records, metas = [], []
        for item in part:
            reasoning = signals(item).reasoning
            for seg in item.segments:
                records.append(openai_record(seg, ctx.train_on(item), reasoning, ctx.reasoning))
                metas.append(openai_meta(item, seg))
        report = check_openai_dataset(records)
        if report.errors:
            raise ctx.error(f"the openai export failed its own format checks ({split}): "
                            f"{report.errors}")
        ctx.checks[f"openai_{split}"] = report.summary()
        files.append(ctx.write_jsonl(out / f"{split}.jsonl", records))
        files.append(ctx.write_jsonl(out / f"{split}.meta.jsonl", metas))
    return files
