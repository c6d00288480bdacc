"""Gates that look across conversations or use a lexicon: near-duplicates and the
VADER sentiment trend (a weak, clearly labelled secondary signal).

Duplicates are found on normalized text (case, quotes, dashes, punctuation and
whitespace do not count): an exact copy by its hash, a near copy by MinHash + LSH for
candidates and the exact Jaccard of word 3-gram sets to decide."""

from __future__ import annotations

import hashlib
import random
from collections import defaultdict

from bdsl import ir
from bdsl.gates.checks import _row
from bdsl.gates.text import loose
from bdsl.gates.view import GateContext, Turn

PERMUTATIONS, BANDS = 64, 16
_PRIME = (1 << 61) - 1
_rng = random.Random(20240601)
_COEFFS = [(_rng.randrange(1, _PRIME), _rng.randrange(0, _PRIME)) for _ in range(PERMUTATIONS)]


def shingles(text: str, k: int = 3) -> set[int]:
    w = loose(text).split()
    grams = {" ".join(w[i:i + k]) for i in range(max(1, len(w) - k + 1))}
    return {int.from_bytes(hashlib.blake2b(g.encode(), digest_size=8).digest(), "big")
            for g in grams}


def minhash(sh: set[int]) -> tuple[int, ...]:
    if not sh:
        return (0,) * PERMUTATIONS
    return tuple(min((a * x + b) % _PRIME for x in sh) for a, b in _COEFFS)


def near_duplicates(texts: dict, threshold: float) -> dict:
    """key -> (the earlier key it duplicates, Jaccard similarity, exact copy?), for texts
    given in dataset order. Exact copies (same normalized text) first; then MinHash + LSH
    banding to find candidate pairs cheaply, and the exact Jaccard of the two shingle sets
    to decide (the signature estimate alone is noisy near the threshold)."""
    found: dict = {}
    first: dict[str, object] = {}
    for cid, text in texts.items():
        digest = hashlib.sha256(loose(text).encode()).hexdigest()
        if digest in first:
            found[cid] = (first[digest], 1.0, True)
        else:
            first[digest] = cid
    sets = {cid: shingles(text) for cid, text in texts.items() if cid not in found}
    sigs = {cid: minhash(sh) for cid, sh in sets.items()}
    rows = PERMUTATIONS // BANDS
    buckets: dict[tuple, list] = defaultdict(list)
    for cid in sigs:  # insertion order: "earlier" is earlier in the dataset
        for b in range(BANDS):
            buckets[(b, sigs[cid][b * rows:(b + 1) * rows])].append(cid)
    order = {cid: i for i, cid in enumerate(sigs)}
    pairs = {(e, x) for ids in buckets.values() for i, x in enumerate(ids) for e in ids[:i]}
    for earlier, later in sorted(pairs, key=lambda p: (order[p[1]], order[p[0]])):
        a, b = sets[later], sets[earlier]
        j = len(a & b) / len(a | b) if a | b else 1.0
        if j >= threshold and (later not in found or j > found[later][1]):
            found[later] = (earlier, j, False)
    return found


def no_near_duplicates(gate: ir.Gate, conversations: dict) -> dict:
    """Dataset scope: key -> (turns, ctx) in dataset order; every key gets a row."""
    threshold = float(dict(gate.options).get("threshold", 0.85))
    texts = {key: " ".join(t.content for t in turns if t.role == "assistant")
             or " ".join(t.content for t in turns)
             for key, (turns, _ctx) in conversations.items()}
    dups = near_duplicates(texts, threshold)
    rows = {}
    for key in conversations:
        if key in dups:
            other, est, exact = dups[key]
            what = "exact copy" if exact else f"near-duplicate (Jaccard ~{est:.2f})"
            rows[key] = _row(gate, False, f"{what} of {other}", score=round(est, 4),
                             threshold=threshold, duplicate_of=other)
        else:
            rows[key] = _row(gate, True, "no near-duplicate in the dataset", threshold=threshold)
    return rows


def sentiment_trend(gate: ir.Gate, turns: list[Turn], ctx: GateContext):
    """VADER compound score across user turns vs the arc's valence trend. Weak signal:
    always soft (routes to review, never rejects)."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    users = [t for t in turns if t.role == "user"]
    arc = ctx.arc
    if len(users) < 2 or arc is None or len(arc.stages) < 2:
        return _row(gate, True, "not applicable (needs an arc and two user turns)", soft=True,
                    weak_signal=True)
    sia = SentimentIntensityAnalyzer()
    scores = [sia.polarity_scores(t.content)["compound"] for t in users]
    observed = scores[-1] - scores[0]
    expected = arc.stages[-1].valence - arc.stages[0].valence
    tol = float(dict(gate.options).get("tolerance", 0.5))
    agrees = observed * expected > 0 or abs(observed - expected) <= tol
    return _row(gate, agrees, f"weak signal (VADER): user sentiment moved {observed:+.2f}, the arc "
                f"expects {expected:+.2f}", score=round(observed, 4), soft=True,
                weak_signal=True, user_compound=scores)
