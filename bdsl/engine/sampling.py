"""A representative preview: `bdsc run --sample N` picks N jobs spread over the matrix.

`--limit N` takes the first N jobs in plan order: one persona, one arc. `spread` instead
takes, at each step, the job that brings the most axis values not yet in the sample (every
dataset, kind, persona, arc, topic and culture appears before any repeats), then the one
whose values have been used least; ties go to plan order, so the sample is deterministic
and a larger N only adds jobs to a smaller one's.
"""

from __future__ import annotations

from collections import Counter

from bdsl import ir


def features(job: ir.Job) -> list[tuple[str, str]]:
    return [("dataset", job.dataset), ("kind", str(job.kind))] + [
        (axis, name) for axis, name in job.cell]


def spread(jobs, n: int) -> list[ir.Job]:
    jobs = list(jobs)
    if n >= len(jobs):
        return jobs
    feats = [features(j) for j in jobs]
    used: Counter = Counter()
    chosen: list[int] = []
    left = set(range(len(jobs)))
    for _ in range(max(0, n)):
        best = min(left, key=lambda i: (-sum(1 for f in feats[i] if used[f] == 0),
                                        sum(used[f] for f in feats[i]), i))
        chosen.append(best)
        left.discard(best)
        used.update(feats[best])
    return [jobs[i] for i in sorted(chosen)]
