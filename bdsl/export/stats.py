"""Counts for dataset cards and file metadata: every number is counted from the store."""

from __future__ import annotations

from collections import Counter

AXES = {"personas": "user", "assistants": "assistant", "arcs": "arc", "topics": "topic",
        "cultures": "culture", "panels": "panel"}


def distributions(items) -> dict[str, dict[str, int]]:
    """How many exported conversations use each persona, arc, topic, culture, panel and
    kind; an axis the jobs do not use is left out."""
    out = {}
    for title, attr in AXES.items():
        counts = Counter(getattr(i.job.context, attr) for i in items)
        counts.pop("", None)
        if counts:
            out[title] = dict(sorted(counts.items()))
    out["kinds"] = dict(sorted(Counter(i.job.kind for i in items).items()))
    return out


def gate_pass_rates(selection) -> dict[str, dict]:
    """Per gate, over every current conversation considered (exported or not)."""
    return {gate: {"passed": passed, "scored": scored,
                   "pass_rate": round(passed / scored, 4) if scored else None}
            for gate, (passed, scored) in selection.gate_counts.items()}


def review_stats(items, selection) -> dict:
    return {
        "considered": selection.considered,
        "review_states": dict(sorted(selection.review_counts.items())),
        "left_out": dict(sorted(selection.left_out.items())),
        "exported": len(items),
        "exported_human_reviewed": sum(1 for i in items if i.review.human_reviewed),
        "exported_unreviewed": sum(1 for i in items if not i.review.human_reviewed),
        "exported_with_reviewer_edits": sum(1 for i in items if i.edited),
        "seed_examples": sum(1 for i in items if i.review.seed_example),
    }


def models(items) -> list[str]:
    return sorted({i.conv.model for i in items})


def spec_versions(items) -> list[str]:
    return sorted({i.conv.provenance["spec"]["version"] for i in items})


def regulation_versions(items) -> dict[str, list[str]]:
    out: dict[str, set] = {}
    for i in items:
        for r in i.conv.provenance.get("regulations", []):
            out.setdefault(r["id"], set()).add(r["version"])
    return {k: sorted(v) for k, v in sorted(out.items())}
