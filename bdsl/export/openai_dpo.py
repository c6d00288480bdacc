"""`openai-dpo`: OpenAI preference fine-tuning JSONL.

One line per pair: `{"input": {"messages": [...]}, "preferred_output": [assistant
message], "non_preferred_output": [assistant message]}`; the input is the system prompt
and the conversation before the reply. Nothing else goes on the line: the pair's source,
job key, explanation and provenance go to `<split>.meta.jsonl`, line for line. Pairs are
built in bdsl/export/pairs.py.
"""

from __future__ import annotations

from collections import Counter

from bdsl.export import dpo_card
from bdsl.export.pairs import all_pairs, no_pairs_message, pair_metadata

FORMAT = "openai-dpo"
INPUT_ROLES = ("system", "user", "assistant")


def openai_dpo_record(pair) -> dict:
    return {"input": {"messages": [dict(m) for m in pair.prompt]},
            "preferred_output": [{"role": "assistant", "content": pair.chosen}],
            "non_preferred_output": [{"role": "assistant", "content": pair.rejected}]}


def record_errors(example) -> list[str]:
    """The documented structure of one preference example ([] when valid)."""
    if not isinstance(example, dict):
        return ["data_type"]
    errors = []
    messages = (example.get("input") or {}).get("messages") \
        if isinstance(example.get("input"), dict) else None
    if not isinstance(messages, list) or not messages:
        errors.append("missing_input_messages")
    else:
        for m in messages:
            if not isinstance(m, dict) or set(m) != {"role", "content"}:
                errors.append("message_keys")
            elif m["role"] not in INPUT_ROLES:
                errors.append("unrecognized_role")
            elif not isinstance(m["content"], str) or not m["content"]:
                errors.append("missing_content")
    for key in ("preferred_output", "non_preferred_output"):
        out = example.get(key)
        if not (isinstance(out, list) and len(out) == 1 and isinstance(out[0], dict)
                and out[0].get("role") == "assistant" and isinstance(out[0].get("content"), str)
                and out[0]["content"]):
            errors.append(f"invalid_{key}")
    if set(example) - {"input", "preferred_output", "non_preferred_output"}:
        errors.append("unrecognized_key")
    return errors


def write(items, ctx, out) -> list[str]:
    pairs, report = all_pairs(items, ctx)
    if not pairs:
        raise ctx.nothing(no_pairs_message(FORMAT, report))
    with_pairs = {p.item.job.key for p in pairs}
    ctx.items_written = [i for i in items if i.job.key in with_pairs]
    files = []
    errors: Counter = Counter()
    not_after_user = 0
    for split, part in ctx.splits(items):
        keys = {i.job.key for i in part}
        chosen = [p for p in pairs if p.item.job.key in keys]
        if not chosen:
            continue
        records = [openai_dpo_record(p) for p in chosen]
        for r in records:
            errors.update(record_errors(r))
            not_after_user += r["input"]["messages"][-1]["role"] != "user"
        files.append(ctx.write_jsonl(out / f"{split}.jsonl", records))
        files.append(ctx.write_jsonl(out / f"{split}.meta.jsonl", map(pair_metadata, chosen)))
    if errors:
        raise ctx.error(f"the openai-dpo export failed its own format checks: {dict(errors)}")
    warnings = dpo_card.warnings(report)
    if not_after_user:
        warnings.append(f"{not_after_user} pair(s) answer no user message (the assistant "
                        "speaks first)")
    ctx.checks["preference_pairs"] = {**report, "errors": {}, "warnings": warnings}
    return files
