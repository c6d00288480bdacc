"""Methodology gates for contrastive data: the conventional reply really differs from the
method's reply to the same context, and the meta-commentary names the principles.

Deterministic: shingle similarity and principle stems. They catch a copy, a near copy, an
empty or generic commentary; whether the contrast teaches the method well is the judged
layer's job (the `contrast_quality` metric sees both replies and the commentary)."""

from __future__ import annotations

from bdsl.gates.checks import _row
from bdsl.gates.stems import content_stems, shingle_similarity
from bdsl.kinds import Role

MAX_SIMILARITY = 0.5  # word-trigram Jaccard at or above which the replies are the same reply
MIN_META_WORDS = 8


def names_a_principle(meta: str, principles) -> str | None:
    """The first principle the commentary names: it shares two of the principle's content
    stems (or the only one a short principle has)."""
    have = set(content_stems(meta))
    for p in principles:
        stems = content_stems(p)
        if stems and sum(s in have for s in stems) >= min(2, len(stems)):
            return p
    return None


def methodology_contrast(gate, turns, ctx):
    conventional = {i: c for i, label, c in ctx.notes if label == "conventional"}
    meta = {i: c for i, label, c in ctx.notes if label == "meta_commentary"}
    if not conventional:
        return _row(gate, True, "not applicable: no conventional replies were recorded",
                    applicable=False)
    method = ctx.methodology
    principles = tuple(method.principles) if method else ()
    wants_meta = bool(method and method.meta_commentary)
    problems, checked = [], 0
    for t in turns:
        if t.role != Role.ASSISTANT or t.target is None or t.target.index not in conventional:
            continue
        checked += 1
        idx = t.target.index
        sim = round(shingle_similarity(t.content, conventional[idx]), 4)
        if sim >= MAX_SIMILARITY:
            problems.append({"turn": t.index, "problem": "conventional reply too similar",
                             "similarity": sim})
        if wants_meta:
            note = meta.get(idx, "").strip()
            if len(note.split()) < MIN_META_WORDS:
                problems.append({"turn": t.index, "problem": "meta-commentary missing or empty"})
            elif principles and names_a_principle(note, principles) is None:
                problems.append({"turn": t.index,
                                 "problem": "meta-commentary names no principle"})
    bad_turns = sorted({p["turn"] for p in problems})
    return _row(gate, not problems, f"{len(bad_turns)} of {checked} contrasts fall short: "
                + "; ".join(sorted({p["problem"] for p in problems})) if problems else
                f"all {checked} contrasts differ and their commentary names a principle",
                score=round(1 - len(bad_turns) / checked, 4) if checked else None,
                problems=problems)
