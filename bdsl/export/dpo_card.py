"""The dataset card (README.md) of a `dpo` export: where every pair came from."""

from __future__ import annotations

from collections import Counter

import yaml

from bdsl.export import features, stats
from bdsl.export.hf_card import _size_category

SOURCES = {
    "contrastive": "the methodology's reply (chosen) against the conventional reply "
                   "(rejected), generated for the same conversation so far",
    "bad_synthesis": "the deliberation's synthesis (chosen) against a deliberately bad "
                     "synthesis (rejected) of the same hidden debate",
    "reviewer_edit": "a reviewer's edit (chosen) against the generated original (rejected)",
}


def warnings(report: dict) -> list[str]:
    out = []
    if report["identical_texts"]:
        out.append(f"{report['identical_texts']} pair(s) have the same chosen and rejected "
                   "text: they carry no preference signal")
    return out


def card(items, pairs, ctx, split_counts: dict[str, int], report: dict,
         has_parquet: bool, columns: dict | None = None) -> str:
    plan = ctx.plan
    header = {
        "pretty_name": f"{plan.spec.name} {plan.spec.version} preference pairs",
        "tags": ["dpo", "preference", "conversational", "synthetic", "bdsl"],
        "task_categories": ["text-generation"],
        "size_categories": [_size_category(len(pairs))],
        "configs": [{"config_name": "default", "data_files": [
            {"split": s, "path": f"{s}.jsonl"} for s in split_counts]}],
    }
    if columns:  # one schema for every split (bdsl/export/features.py)
        header["dataset_info"] = {"features": features.card_features(columns)}
    lines = ["---", yaml.safe_dump(header, sort_keys=False).rstrip(), "---", "",
             f"# {plan.spec.name} {plan.spec.version}: preference pairs", "",
             f"Preference pairs from bdsl's spec `{plan.spec.name}`, exported with "
             "`bdsc export --format dpo`, in TRL's conversational preference format: "
             "`prompt` (the system prompt and the conversation before the reply, as "
             "generated), `chosen` and `rejected` (one assistant message each).", "",
             "## Where the pairs come from", "", "| source | pairs | what is compared |",
             "|---|---|---|"]
    by_source = report["by_source"]
    lines += [f"| {s} | {by_source.get(s, 0)} | {what} |" for s, what in SOURCES.items()]
    skipped = report["left_out_untrained"]
    lines += ["", "| split | pairs |", "|---|---|"]
    lines += [f"| {s} | {c} |" for s, c in split_counts.items()]
    lines += ["", f"- from {len({p.item.job.key for p in pairs})} of {len(items)} exported "
              "conversations; each pair names its `source`, `pair_id` and `job_key`",
              "- left out (turns the spec does not train on): "
              + (", ".join(f"{n} {s}" for s, n in skipped.items()) or "none"),
              f"- pairs whose two texts are identical (no signal): {report['identical_texts']}",
              f"- pairs whose chosen reply is a reviewer's edit: "
              f"{sum(1 for p in pairs if p.chosen_edited)}",
              f"- pairs with an `explanation` (meta-commentary): "
              f"{sum(1 for p in pairs if p.explanation)}", ""]
    kinds = Counter(p.item.job.kind for p in pairs)
    lines += ["## Pairs by job kind", "", "| kind | pairs |", "|---|---|"]
    lines += [f"| {k} | {n} |" for k, n in sorted(kinds.items())] + [""]
    regs = stats.regulation_versions(items)
    lines += ["## Provenance", "",
              f"- spec: `{plan.spec.name}` version(s) {', '.join(stats.spec_versions(items))}",
              f"- spec hash: `{plan.spec_hash}`", f"- plan hash: `{plan.plan_hash}`",
              "- regulations: " + (", ".join(f"{r} {'/'.join(v)}" for r, v in regs.items())
                                   or "none"),
              "- models: " + ", ".join(f"`{m}`" for m in stats.models(items)), "",
              "## Files", "",
              "- `train.jsonl`, `validation.jsonl`: the pairs"
              + (" (also as `.parquet`)" if has_parquet else ""),
              "- `manifest.json`: counts, filters and sha256 of every file", "",
              "Columns besides `prompt`, `chosen`, `rejected`: pair_id, source, job_key, "
              "dataset, kind, turn_index, message_index (where the reply sits in the "
              "conversation's record), curriculum_id and session, chosen_edited, explanation, "
              "gate_outcome, review_state, human_reviewed, spec, spec_version, regulations, "
              "spec_hash, job_hash, content_hash, model, seed.", ""]
    return "\n".join(lines)
