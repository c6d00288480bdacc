"""How many jobs a dataset asks for, computed from its axis sizes: no matrix is built.

    jobs = cells x per_cell + novel-scenario jobs + seed variations

`cells` is the matrix (users x arcs x topics x cultures) less the cells that `exclude`
blocks and cultures' taboo topics remove, counted exactly by inclusion-exclusion over the
removal sets (each is a product of per-axis subsets, so every intersection is one too),
then cut by `sample`. The checker compares the result with the dataset's `max_jobs`
before anything walks the matrix, so a spec asking for 10^9 jobs is one diagnostic in
milliseconds instead of gigabytes of plan.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable

import attrs

DEFAULT_MAX_JOBS = 100_000
# Cells the checker may visit to apply exclusions and draw a sample (about a second);
# a dataset whose max_jobs is higher may visit that many.
MAX_MATRIX_CELLS = 250_000
# Work bound for inclusion-exclusion (subsets of exclude rules visited).
_MAX_SUBSETS = 100_000


@attrs.frozen
class JobCount:
    axes: tuple[tuple[str, int], ...]  # axis -> number of values
    total_cells: int  # the full product
    kept_cells: int  # after exclude blocks and taboo topics
    cells: int  # after `sample` (an expectation for a share)
    per_cell: int
    novel: int  # novel-scenario jobs (at most one set per user/arc/culture)
    variations: int  # seed examples x variations
    estimated: bool  # `sample N%`: the share is drawn per cell, so `cells` is expected

    @property
    def jobs(self) -> int:
        return self.cells * self.per_cell + self.novel + self.variations

    def matrix(self) -> str:
        """`10 users x 100 arcs x 1,000 topics x 1 culture`."""
        return " x ".join(f"{n:,} {axis if n != 1 else axis[:-1]}"
                          for axis, n in self.axes) or "1 cell"

    def explain(self) -> str:
        """`10 users x 100 arcs x 1,000 topics x 1 culture x 1,000 per cell` and the rest."""
        parts = self.matrix()
        if self.kept_cells != self.total_cells:
            parts += f" = {self.total_cells:,} cells, {self.total_cells - self.kept_cells:,} " \
                     "excluded"
        if self.cells != self.kept_cells:
            parts += f", {'about ' if self.estimated else ''}{self.cells:,} sampled"
        parts += f" x {self.per_cell:,} per cell"
        if self.novel:
            parts += f" + {self.novel:,} novel-scenario"
        if self.variations:
            parts += f" + {self.variations:,} seed variations"
        return parts


def count_jobs(axes: list[tuple[str, tuple]], excludes: list[dict[str, set[str]]],
               is_taboo: Callable, sample: tuple[str, float] | None, per_cell: int,
               novel_scenarios: bool, seed_examples: int, variations: int) -> JobCount:
    """Count without enumerating: `axes` are (axis, entities with `.name`) in matrix order,
    `excludes` the `exclude` blocks as {axis: names}, `is_taboo(topic, culture)`."""
    sizes = {axis: len(ents) for axis, ents in axes}
    total = math.prod(sizes.values())
    kept = total - removed_cells(axes, excludes, is_taboo)
    cells, estimated = kept, False
    if sample is not None:
        how, amount = sample
        if how == "count":
            cells = min(int(amount), kept)
        else:
            cells, estimated = round(kept * amount), True
    rests = math.prod(n for axis, n in sizes.items() if axis != "topics")
    novel = min(rests, cells) * per_cell if novel_scenarios else 0
    return JobCount(tuple(sizes.items()), total, kept, cells, per_cell, novel,
                    seed_examples * variations if variations else 0, estimated)


def removed_cells(axes: list[tuple[str, tuple]], excludes: list[dict[str, set[str]]],
                  is_taboo: Callable) -> int:
    """|union of the removal sets|: each exclude rule, and per culture its taboo topics.

    Inclusion-exclusion: sum over non-empty families of removal sets of
    (-1)^(size+1) |intersection|. Two cultures' taboo sets never meet (a cell has one
    culture), so a family holds at most one of them; families of rules are walked depth
    first and a branch stops as soon as its intersection is empty."""
    counts = {axis: Counter(e.name for e in ents) for axis, ents in axes}
    names = {axis: set(c) for axis, c in counts.items()}
    # a rule naming an axis the dataset lacks matches no cell (as in the matcher)
    rules = [{axis: allowed & names[axis] for axis, allowed in rule.items()}
             for rule in excludes if rule and all(axis in names for axis in rule)]
    taboo: list[tuple[str, set[str]]] = []
    if "topics" in names and "cultures" in names:
        topics = dict(axes)["topics"]
        for culture in {c.name: c for c in dict(axes)["cultures"]}.values():
            hit = {t.name for t in topics if is_taboo(t, culture)}
            if hit:
                taboo.append((culture.name, hit))

    def size(restrict: dict[str, set[str]]) -> int:
        n = 1
        for axis, c in counts.items():
            allowed = restrict.get(axis)
            n *= sum(c.values()) if allowed is None else sum(c[x] for x in allowed)
            if n == 0:
                return 0
        return n

    def meet(a: dict, b: dict) -> dict:
        out = dict(a)
        for axis, allowed in b.items():
            out[axis] = allowed if axis not in out else out[axis] & allowed
        return out

    total = 0
    budget = [_MAX_SUBSETS]

    def walk(start: int, inter: dict, depth: int) -> None:
        """`inter`: the intersection of a family of `depth` rules (none at the top)."""
        nonlocal total
        budget[0] -= 1
        if budget[0] < 0:
            raise _TooManyRules
        if depth:
            total += (1 if depth % 2 else -1) * size(inter)
        for culture, topics in taboo:  # the same family plus one culture's taboo set
            n = size(meet(inter, {"cultures": {culture}, "topics": topics}))
            total += (1 if (depth + 1) % 2 else -1) * n
        for i in range(start, len(rules)):
            nxt = meet(inter, rules[i])
            if size(nxt):
                walk(i + 1, nxt, depth + 1)

    try:
        walk(0, {}, 0)
    except _TooManyRules:  # dozens of overlapping rules: count by visiting (at most the cap)
        return _removed_by_visiting(axes, rules, taboo)
    return total


class _TooManyRules(Exception):
    pass


def _removed_by_visiting(axes, rules, taboo) -> int:
    import itertools

    names = [axis for axis, _ in axes]
    taboo_pairs = {(c, t) for c, topics in taboo for t in topics}
    removed = 0
    for cell in itertools.islice(itertools.product(*[ents for _, ents in axes]),
                                 MAX_MATRIX_CELLS + 1):
        by_axis = {axis: e.name for axis, e in zip(names, cell, strict=True)}
        if any(all(by_axis[a] in allowed for a, allowed in rule.items()) for rule in rules) \
                or (by_axis.get("cultures"), by_axis.get("topics")) in taboo_pairs:
            removed += 1
    return removed


