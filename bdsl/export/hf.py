"""A Hugging Face dataset folder: `train.jsonl` / `validation.jsonl` in TRL's
conversational format (`{"messages": [{"role", "content"}]}`) plus flat metadata columns,
the same as parquet when pyarrow is installed, a dataset card (README.md) with a YAML
header `datasets.load_dataset(folder)` reads, an axolotl `chat_template` snippet and a
LLaMA-Factory `dataset_info.json`.

What the spec decides is kept: when any turn is not to be trained on (`train_on
skip_first`), every message carries `train` (axolotl's per-message training field), and
LLaMA-Factory, which cannot mask single turns, gets `<split>.llamafactory.jsonl`: one
record per trained reply, ending with it, to train with `mask_history: true`. A
curriculum gives one row per session (`curriculum_id`, `session`, `session_state`). With
`--reasoning field` a deliberation reply carries its hidden perspectives as
`reasoning_content`, with `think` as a `<think>` block; meta-commentary is the
`explanations` column.
"""

from __future__ import annotations

import json

from bdsl.export import hf_card, hf_folder, trl_checks
from bdsl.export.provenance import record_provenance, regulation_list
from bdsl.export.quality import judged_scores
from bdsl.export.signals import assistant_turn, signals


def weighted_export(items, ctx) -> bool:
    """Does any record have a turn the spec says not to train on?"""
    return any(ctx.train_on(i) != "all" or any(not m.train for m in i.messages
                                                if m.role == "assistant") for i in items)


def trl_record(item, segment, index, mode: str = "none", weighted: bool = False,
               sig=None) -> dict:
    ctx = item.job.context
    p = record_provenance(item)
    sig = sig or signals(item)
    messages = [{"role": "system", "content": segment.system}]
    for m in segment.messages:
        messages.append(assistant_turn(m.role, m.content, sig.reasoning.get(m.idx), mode))
    if weighted:
        for m, out in zip((None, *segment.messages), messages, strict=True):
            out["train"] = bool(m is not None and m.role == "assistant" and m.train)
    curriculum = segment.session is not None
    return {
        "messages": messages,
        "job_key": item.job.key, "dataset": item.job.dataset, "kind": item.job.kind,
        "persona": ctx.user, "assistant": ctx.assistant, "arc": ctx.arc, "topic": ctx.topic,
        "culture": ctx.culture, "panel": ctx.panel,
        "curriculum_id": item.job.key if curriculum else None,
        "session": segment.session,
        # JSON text: its keys grow as curricula adapt, a column type must not
        "session_state": json.dumps(segment.state, sort_keys=True) if curriculum else None,
        "gate_outcome": item.gates.outcome, "review_state": item.review.state,
        "human_reviewed": item.review.human_reviewed,
        "judge_scores": [{"metric": s.metric, "score": s.score}
                         for s in judged_scores(item, index).values()],
        # indexes into messages (0 is the system message)
        "untrained_turns": [i + 1 for i, m in enumerate(segment.messages)
                            if m.role == "assistant" and not m.train],
        "edited_turns": [i + 1 for i, m in enumerate(segment.messages) if m.edited],
        "explanations": [{"message_index": i + 1, "text": sig.explanations[m.idx]}
                         for i, m in enumerate(segment.messages)
                         if m.role == "assistant" and m.idx in sig.explanations],
        "spec": p["spec"], "spec_version": p["spec_version"], "spec_hash": p["spec_hash"],
        "regulations": regulation_list(item), "content_hash": p["content_hash"],
        "model": p["model"], "seed": p["seed"],
    }


def llama_factory_records(record: dict):
    """One record per trained reply, ending with it (LLaMA-Factory trains the last turn
    of each under `mask_history: true`)."""
    messages = record["messages"]
    for end, m in enumerate(messages):
        if m["role"] == "assistant" and m.get("train", True):
            yield {"messages": [{"role": x["role"], "content": x["content"]}
                                for x in messages[:end + 1]], "job_key": record["job_key"]}


def write(items, ctx, out) -> list[str]:
    index = ctx.plan.index()
    weighted = weighted_export(items, ctx)
    by_split = {}
    for split, part in ctx.splits(items):
        records = []
        for item in part:
            sig = signals(item)
            records += [trl_record(item, seg, index, ctx.reasoning, weighted, sig)
                        for seg in item.segments]
        bad = {r["job_key"]: e for r in records if (e := trl_checks.conversational_errors(r))}
        if bad:
            raise ctx.error(f"the hf export failed TRL's conversational format check: {bad}")
        by_split[split] = records
    files, split_counts, columns = hf_folder.write_splits(ctx, out, by_split)
    if weighted:
        files += [ctx.write_jsonl(out / f"{split}.llamafactory.jsonl",
                                  (r for rec in records for r in llama_factory_records(rec)))
                  for split, records in by_split.items()]
    ctx.checks["trl_conversational"] = {"examples": sum(split_counts.values()), "errors": {}}
    (out / "README.md").write_text(hf_card.card(items, ctx, split_counts,
                                                hf_folder.has_parquet(), weighted, columns),
                                   encoding="utf-8")
    (out / "axolotl.yaml").write_text(hf_card.axolotl_snippet(split_counts, weighted),
                                      encoding="utf-8")
    (out / "dataset_info.json").write_text(
        hf_card.llama_factory_snippet(ctx.plan.spec.name, split_counts, weighted),
        encoding="utf-8")
    files += ["README.md", "axolotl.yaml", "dataset_info.json"]
    if weighted:
        (out / "llamafactory.yaml").write_text(
            hf_card.llama_factory_args(ctx.plan.spec.name, split_counts), encoding="utf-8")
        files.append("llamafactory.yaml")
    return files
