"""`dpo`: TRL's conversational preference format, a Hugging Face dataset folder.

Each row: `prompt` (the system prompt and the conversation before the reply, as
messages), `chosen` and `rejected` (one assistant message each), then metadata columns
(`source`, `pair_id`, `job_key`, `explanation`, `curriculum_id`/`session`, provenance).
`datasets.load_dataset(folder)` reads it (tested), TRL's DPOTrainer takes it as is. The
dataset card says where the pairs came from. Pairs are built in bdsl/export/pairs.py.
"""

from __future__ import annotations

from bdsl.export import dpo_card, hf_folder, trl_checks
from bdsl.export.pairs import all_pairs, no_pairs_message, pair_metadata
from bdsl.export.provenance import regulation_list

FORMAT = "dpo"


def dpo_record(pair) -> dict:
    return {"prompt": [dict(m) for m in pair.prompt],
            "chosen": [{"role": "assistant", "content": pair.chosen}],
            "rejected": [{"role": "assistant", "content": pair.rejected}],
            **pair_metadata(pair),
            # a stable column shape for parquet: [{"id", "version"}]
            "regulations": regulation_list(pair.item)}


def write(items, ctx, out) -> list[str]:
    pairs, report = all_pairs(items, ctx)
    if not pairs:
        raise ctx.nothing(no_pairs_message(FORMAT, report))
    with_pairs = {p.item.job.key for p in pairs}
    ctx.items_written = [i for i in items if i.job.key in with_pairs]
    by_split = {}
    for split, part in ctx.splits(items):
        keys = {i.job.key for i in part}
        records = [dpo_record(p) for p in pairs if p.item.job.key in keys]
        bad = {r["pair_id"]: e for r in records if (e := trl_checks.preference_errors(r))}
        if bad:
            raise ctx.error(f"the dpo export failed TRL's preference format check: {bad}")
        by_split[split] = records
    files, split_counts, columns = hf_folder.write_splits(ctx, out, by_split)
    ctx.checks["preference_pairs"] = {**report, "warnings": dpo_card.warnings(report)}
    (out / "README.md").write_text(dpo_card.card(items, pairs, ctx, split_counts, report,
                                                 hf_folder.has_parquet(), columns),
                                   encoding="utf-8")
    return files + ["README.md"]
