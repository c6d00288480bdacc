"""What a run report shows, read from the run store and its plan; nothing is filled in.

An unannotated user turn is a gap (None), never a zero; a cost that any call left
unknown stays unknown. Conversations are the current ones (`load_queue`: the version
matching each job's content hash, with its gate outcome and review state).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from pathlib import Path

import attrs

from bdsl import ir
from bdsl.review.queue import QueueRow, load_queue
from bdsl.serialize import from_json
from bdsl.store import Store, status
from bdsl.store.usage import StepUsage, usage_by_step

TOP_REASONS = 5


@attrs.frozen
class TurnPoint:
    turn: int  # 1-based user turn
    target_emotion: str
    target_intensity: float
    emotion: str | None  # annotated; None when the turn has no annotation
    intensity: float | None


@attrs.frozen
class Trajectory:
    conversation_id: int
    job_key: str
    label: str  # persona / topic / culture
    points: tuple[TurnPoint, ...]


@attrs.frozen
class ArcView:
    arc: str
    stages: str  # "shame(0.8) -> hopeful(0.5)"
    trajectories: tuple[Trajectory, ...]
    user_turns: int
    annotated_turns: int
    emotion_matches: int  # annotated emotion == target emotion
    mean_abs_error: float | None  # |annotated - target| intensity over annotated turns

    @property
    def targets(self) -> list[tuple[TurnPoint, ...]]:
        """The distinct per-turn target sequences (one per conversation length)."""
        seen, out = set(), []
        for t in self.trajectories:
            key = tuple((p.target_emotion, p.target_intensity) for p in t.points)
            if key not in seen:
                seen.add(key)
                out.append(t.points)
        return sorted(out, key=len)


@attrs.frozen
class GateStat:
    gate: str
    scored: int
    passed: int
    soft_failed: int  # routed to review, not rejected
    failed: int
    reasons: tuple[tuple[str, int], ...]  # most common failure reasons

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.scored if self.scored else None


@attrs.frozen
class Coverage:
    axes: tuple[tuple[str, tuple[str, ...]], ...]
    planned_cells: int
    excluded_cells: int
    unsampled_cells: int
    generated_cells: int
    planned_jobs: int
    generated_jobs: int
    failed_jobs: int
    # jobs planned / generated per (row value, column value) of the first two axes
    grid_axes: tuple[str, str]
    grid_rows: tuple[str, ...]
    grid_cols: tuple[str, ...]
    grid_planned: tuple[tuple[int, ...], ...]
    grid_generated: tuple[tuple[int, ...], ...]

    @property
    def pending_jobs(self) -> int:
        return self.planned_jobs - self.generated_jobs - self.failed_jobs


@attrs.frozen
class ReviewView:
    policy: ir.ReviewPolicy
    states: tuple[tuple[str, int], ...]
    approvals_by_role: tuple[tuple[str, int], ...]
    sampled: int


@attrs.frozen
class DatasetReport:
    name: str
    kind: str
    model: str
    conversations: int
    outcomes: tuple[tuple[str, int], ...]
    arcs: tuple[ArcView, ...]
    gates: tuple[GateStat, ...]
    coverage: Coverage
    review: ReviewView
    usage: tuple[StepUsage, ...]


@attrs.frozen
class RunReport:
    run_dir: str
    spec_name: str
    spec_version: str
    plan_hash: str
    status: dict
    datasets: tuple[DatasetReport, ...]


OUTCOMES = ("pass", "needs_review", "fail", "unscored")
STATES = ("approved", "accepted_unsampled", "awaiting_review", "needs_revision", "rejected",
          "blocked")


def build_report(run_dir: str | Path, store: Store) -> RunReport:
    plan = from_json(Path(run_dir, "plan.json").read_text(encoding="utf-8"), ir.Plan)
    index = plan.index()
    rows = load_queue(store, plan)
    st = status(store)
    failed_keys = {f["job"] for f in st["failures"]}
    usage = usage_by_step(store)
    datasets = []
    for info in plan.datasets:
        mine = [r for r in rows if r.job.dataset == info.name]
        jobs = [j for j in plan.jobs if j.dataset == info.name]
        datasets.append(DatasetReport(
            name=info.name, kind=str(info.kind), model=info.model.name, conversations=len(mine),
            outcomes=tuple((o, sum(r.gates.outcome == o for r in mine)) for o in OUTCOMES),
            arcs=_arcs(mine, index),
            gates=_gates(mine),
            coverage=_coverage(info, jobs, mine, failed_keys),
            review=_review(info, mine),
            usage=tuple(u for u in usage if u.dataset == info.name)))
    return RunReport(str(run_dir), plan.spec.name, plan.spec.version, plan.plan_hash, st,
                     tuple(datasets))


def _arcs(rows: list[QueueRow], index) -> tuple[ArcView, ...]:
    by_arc: dict[str, list[Trajectory]] = defaultdict(list)
    for r in rows:
        points = []
        users = [t for t in r.conv.turns if t.kind == "message" and t.role == "user"]
        for n, t in enumerate(users, start=1):
            target = t.target
            if target is None or not target.emotion or target.intensity is None:
                continue
            a = t.annotation
            points.append(TurnPoint(n, target.emotion, target.intensity,
                                    a.primary_emotion if a else None,
                                    a.intensity if a else None))
        if points:
            ctx = r.job.context
            label = " / ".join(x for x in (ctx.user, ctx.topic, ctx.culture) if x)
            by_arc[ctx.arc or "(no arc)"].append(
                Trajectory(r.conv.id, r.job.key, label, tuple(points)))
    views = []
    for name in sorted(by_arc):
        trajs = by_arc[name]
        points = [p for t in trajs for p in t.points]
        annotated = [p for p in points if p.intensity is not None]
        arc = index.arc.get(name)
        stages = " -> ".join(f"{s.emotion}({s.intensity:g})" for s in arc.stages) if arc else ""
        views.append(ArcView(
            name, stages, tuple(trajs), len(points), len(annotated),
            sum(p.emotion == p.target_emotion for p in annotated),
            (math.fsum(abs(p.intensity - p.target_intensity) for p in annotated) / len(annotated)
             if annotated else None)))
    return tuple(views)


def _gates(rows: list[QueueRow]) -> tuple[GateStat, ...]:
    results: dict[str, list] = defaultdict(list)
    for r in rows:
        for g in r.gates.results:
            results[g.gate].append(g)
    stats = []
    for gate in sorted(results):
        rs = results[gate]
        reasons = Counter(g.reason for g in rs if not g.passed)
        stats.append(GateStat(gate, len(rs), sum(g.passed for g in rs),
                              sum(not g.passed and g.soft for g in rs),
                              sum(not g.passed and not g.soft for g in rs),
                              tuple(reasons.most_common(TOP_REASONS))))
    return tuple(stats)


def _coverage(info: ir.DatasetInfo, jobs: list[ir.Job], rows: list[QueueRow],
              failed_keys: set[str]) -> Coverage:
    axes = tuple(info.axes)
    generated_keys = {r.job.key for r in rows}
    if len(axes) >= 2:
        (ra, rows_v), (ca, cols_v) = axes[0], axes[1]
    elif len(axes) == 1:
        (ra, rows_v), (ca, cols_v) = axes[0], ("", ("all",))
    else:
        (ra, rows_v), (ca, cols_v) = ("", ("all",)), ("", ("all",))
    planned = [[0] * len(cols_v) for _ in rows_v]
    generated = [[0] * len(cols_v) for _ in rows_v]
    for j in jobs:
        cell = dict(j.cell)
        i = rows_v.index(cell[ra]) if ra else 0
        k = cols_v.index(cell[ca]) if ca else 0
        planned[i][k] += 1
        generated[i][k] += j.key in generated_keys
    return Coverage(
        axes=axes, planned_cells=info.cells, excluded_cells=info.excluded_cells,
        unsampled_cells=info.unsampled_cells,
        generated_cells=len({r.job.cell for r in rows}),
        planned_jobs=len(jobs), generated_jobs=len(generated_keys),
        failed_jobs=len({j.key for j in jobs} & failed_keys),
        grid_axes=(ra, ca), grid_rows=tuple(rows_v), grid_cols=tuple(cols_v),
        grid_planned=tuple(map(tuple, planned)), grid_generated=tuple(map(tuple, generated)))


def _review(info: ir.DatasetInfo, rows: list[QueueRow]) -> ReviewView:
    states = Counter(r.review.state for r in rows)
    roles = Counter(role for r in rows for role in {ro for ro, _ in r.review.approvals})
    names = list(info.review.roles) + sorted(set(roles) - set(info.review.roles))
    return ReviewView(info.review, tuple((s, states.get(s, 0)) for s in STATES),
                      tuple((role, roles.get(role, 0)) for role in names),
                      sum(r.review.sampled for r in rows))
