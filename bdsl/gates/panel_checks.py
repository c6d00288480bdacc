"""Multi-perspective gates: the synthesis keeps the minority view the deliberation found.

A deterministic layer: the dissent's content words (stemmed to five letters) must reappear
in the synthesis. It catches a synthesis that drops the dissent; whether it weighs it well
is the judged synthesis_quality gate's job (its prompt carries the same minority view)."""

from __future__ import annotations

import json

from bdsl.gates.checks import _row
from bdsl.gates.stems import content_stems
from bdsl.kinds import Role

MINORITY_VIEW = "minority_view"


def keeps(synthesis: str, point: str) -> tuple[bool, list[str], list[str]]:
    """(kept?, stems found, stems missing): kept when at least 30% of the point's content
    stems (and at least two, or its only one) appear in the synthesis."""
    wanted = content_stems(point)
    have = set(content_stems(synthesis))
    found = [s for s in wanted if s in have]
    need = min(len(wanted), max(2, round(0.3 * len(wanted))))
    return len(found) >= need and bool(wanted), found, [s for s in wanted if s not in have]


def minority_kept(gate, turns, ctx):
    views = {idx: json.loads(content) for idx, label, content in ctx.notes
             if label == MINORITY_VIEW}
    if not views:
        return _row(gate, True, "not applicable: no minority view was recorded",
                    applicable=False)
    dropped, checked = [], 0
    by_index = {t.target.index: t for t in turns if t.role == Role.ASSISTANT and t.target}
    for idx, view in sorted(views.items()):
        reply = by_index.get(idx)
        if reply is None:
            continue
        checked += 1
        ok, found, missing = keeps(reply.content, view["point"])
        if not ok:
            dropped.append({"turn": reply.index, "perspective": view["perspective"],
                            "point": view["point"], "found": found, "missing": missing})
    return _row(gate, not dropped, f"{len(dropped)} of {checked} syntheses drop the minority view"
                if dropped else f"all {checked} syntheses keep the minority view",
                score=round(1 - len(dropped) / checked, 4) if checked else None,
                dropped=dropped)
