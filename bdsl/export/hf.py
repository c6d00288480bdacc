"""A Hugging Face dataset folder: `train.jsonl` / `validation.jsonl` in TRL's
conversational format (`{"messages": [{"role", "content"}]}`) plus flat metadata columns,
the same as parquet when pyarrow is installed, a dataset card (README.md) with a YAML
header `datasets.load_dataset(folder)` reads, an axolotl `chat_template` snippet and a
LLaMA-Factory `dataset_info.json`.
"""

from __future__ import annotations

from bdsl.export import hf_card, trl_checks
from bdsl.export.provenance import record_provenance, regulation_list
from bdsl.export.quality import judged_scores


def trl_record(item, index) -> dict:
    ctx = item.job.context
    p = record_provenance(item)
    messages = [{"role": "system", "content": item.system}]
    messages += [{"role": m.role, "content": m.content} for m in item.messages]
    return {
        "messages": messages,
        "job_key": item.job.key, "dataset": item.job.dataset, "kind": item.job.kind,
        "persona": ctx.user, "assistant": ctx.assistant, "arc": ctx.arc, "topic": ctx.topic,
        "culture": ctx.culture, "panel": ctx.panel,
        "gate_outcome": item.gates.outcome, "review_state": item.review.state,
        "human_reviewed": item.review.human_reviewed,
        "judge_scores": [{"metric": s.metric, "score": s.score}
                         for s in judged_scores(item, index).values()],
        # indexes into messages (0 is the system message)
        "untrained_turns": [i + 1 for i, m in enumerate(item.messages)
                            if m.role == "assistant" and not m.train],
        "edited_turns": [i + 1 for i, m in enumerate(item.messages) if m.edited],
        "spec": p["spec"], "spec_version": p["spec_version"], "spec_hash": p["spec_hash"],
        "regulations": regulation_list(item), "content_hash": p["content_hash"],
        "model": p["model"], "seed": p["seed"],
    }


def write(items, ctx, out) -> list[str]:
    index = ctx.plan.index()
    files, split_counts = [], {}
    parquet = _pyarrow()
    for split, part in ctx.splits(items):
        records = [trl_record(i, index) for i in part]
        bad = {r["job_key"]: e for r in records if (e := trl_checks.conversational_errors(r))}
        if bad:
            raise ctx.error(f"the hf export failed TRL's conversational format check: {bad}")
        split_counts[split] = len(records)
        files.append(ctx.write_jsonl(out / f"{split}.jsonl", records))
        if parquet is not None:
            parquet.write_table(_arrow_table(records), out / f"{split}.parquet")
            files.append(f"{split}.parquet")
    ctx.checks["trl_conversational"] = {"examples": sum(split_counts.values()), "errors": {}}
    (out / "README.md").write_text(hf_card.card(items, ctx, split_counts, parquet is not None),
                                   encoding="utf-8")
    (out / "axolotl.yaml").write_text(hf_card.axolotl_snippet(split_counts), encoding="utf-8")
    (out / "dataset_info.json").write_text(
        hf_card.llama_factory_snippet(ctx.plan.spec.name, split_counts), encoding="utf-8")
    return files + ["README.md", "axolotl.yaml", "dataset_info.json"]


def _pyarrow():
    try:
        import pyarrow.parquet
    except ImportError:
        return None
    return pyarrow.parquet


def _arrow_table(records):
    import pyarrow

    return pyarrow.Table.from_pylist(records)
