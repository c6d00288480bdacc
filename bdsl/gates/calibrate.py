"""How far to trust each judge: judged scores against reviewers' decisions.

For every judged gate: n (conversations with both a score and a human approve/reject),
agreement and Cohen's kappa of judge-pass vs human-approve, ROC AUC of the score as a
predictor of approval, and the threshold that maximizes Youden's J on this data.
"""

from __future__ import annotations

MIN_N = 10


def cohen_kappa(a: list[bool], b: list[bool]) -> float | None:
    n = len(a)
    if n == 0:
        return None
    po = sum(x == y for x, y in zip(a, b, strict=True)) / n
    pa, pb = sum(a) / n, sum(b) / n
    pe = pa * pb + (1 - pa) * (1 - pb)
    return None if pe == 1 else (po - pe) / (1 - pe)


def roc_auc(scores: list[float], labels: list[bool]) -> float | None:
    """Probability a random approved conversation outscores a random rejected one."""
    pos = [s for s, y in zip(scores, labels, strict=True) if y]
    neg = [s for s, y in zip(scores, labels, strict=True) if not y]
    if not pos or not neg:
        return None
    wins = sum((p > q) + 0.5 * (p == q) for p in pos for q in neg)
    return wins / (len(pos) * len(neg))


def best_threshold(scores: list[float], labels: list[bool]) -> float | None:
    """The cut maximizing Youden's J = TPR - FPR (ties: the lower threshold)."""
    pos, neg = sum(labels), len(labels) - sum(labels)
    if not pos or not neg:
        return None
    best, best_j = None, -2.0
    for t in sorted(set(scores)):
        tpr = sum(1 for s, y in zip(scores, labels, strict=True) if y and s >= t) / pos
        fpr = sum(1 for s, y in zip(scores, labels, strict=True) if not y and s >= t) / neg
        if tpr - fpr > best_j:
            best, best_j = t, tpr - fpr
    return best


def calibrate(store) -> list[dict]:
    from bdsl.store.gate_results import judged_scores
    from bdsl.store.reviews import human_labels

    labels = human_labels(store)
    per_gate: dict[str, list[tuple[float, float, bool]]] = {}
    for cid, gate, score, threshold, details in judged_scores(store):
        if "judge_model" not in details or cid not in labels:
            continue
        per_gate.setdefault(gate, []).append((score, threshold, labels[cid]))
    report = []
    for gate, rows in sorted(per_gate.items()):
        scores = [s for s, _, _ in rows]
        human = [y for _, _, y in rows]
        judge_pass = [s >= t for s, t, _ in rows]
        agree = sum(j == h for j, h in zip(judge_pass, human, strict=True)) / len(rows)
        report.append({"gate": gate, "n": len(rows), "threshold": rows[0][1],
                       "agreement": round(agree, 4),
                       "kappa": _r(cohen_kappa(judge_pass, human)),
                       "roc_auc": _r(roc_auc(scores, human)),
                       "suggested_threshold": best_threshold(scores, human),
                       "enough_data": len(rows) >= MIN_N})
    return report


def _r(x):
    return None if x is None else round(x, 4)
