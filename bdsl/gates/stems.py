"""Word-level text comparison shared by the deterministic gates: content stems (to see
whether one text carries another's point) and shingle overlap (to see whether two texts
are really different)."""

from __future__ import annotations

import re

_STOP = set("""about above after again against because before being below between could
doing during every their there these those through under until while which would should
might other whose where what when with from into than then them they this that your yours
have having just only also very more most some such like will shall""".split())


def content_stems(text: str) -> list[str]:
    """Distinct content words of five letters or more, cut to five letters (a crude stem:
    "operation" and "operating" meet at "opera"), in order of appearance."""
    stems: list[str] = []
    for w in re.findall(r"[a-z][a-z'-]+", text.lower()):
        if len(w) >= 5 and w not in _STOP and w[:5] not in stems:
            stems.append(w[:5])
    return stems


def shingle_similarity(a: str, b: str, k: int = 3) -> float:
    """Jaccard similarity of word k-grams (1.0 for identical texts)."""
    def grams(text):
        w = re.findall(r"\w+", text.lower())
        return {" ".join(w[i:i + k]) for i in range(max(1, len(w) - k + 1))}

    x, y = grams(a), grams(b)
    return len(x & y) / len(x | y) if x | y else 1.0
