"""Lower checked datasets to jobs: per-turn targets, seeds, content hashes.

Deterministic by construction: every random choice comes from a Random seeded
by (dataset seed, job key), and tables are sorted, so the same spec and seed
give a byte-identical plan.
"""

from __future__ import annotations

import hashlib
import random

import attrs

from bdsl import ir
from bdsl.compiler.datasets import DatasetSetup
from bdsl.kinds import JobKind, Role
from bdsl.serialize import canonical_hash, to_data


def with_hash(entity):
    """The entity with `hash` set to the hash of its own content."""
    data = to_data(attrs.evolve(entity, hash=""))
    return attrs.evolve(entity, hash=canonical_hash(data))


class Lowerer:
    def __init__(self, templates: tuple[ir.Template, ...], emotions: tuple[ir.Emotion, ...]):
        self.templates = templates
        self.template_hashes = {t.name: t.hash for t in templates}
        self.emotions_hash = canonical_hash(to_data(emotions))
        self.entities: dict[tuple[str, str], object] = {}  # (table, name) -> hashed entity
        # Many jobs share an arc and a length: build and hash their turn targets once.
        self._turns: dict[tuple, tuple[tuple[ir.TurnTarget, ...], str]] = {}

    def use(self, table: str, entity):
        """Register an entity for the plan's tables; returns its hashed form."""
        key = (table, entity.name)
        if key not in self.entities:
            self.entities[key] = with_hash(entity)
        return self.entities[key]

    def dataset_jobs(self, ds: DatasetSetup) -> tuple[ir.DatasetInfo, list[ir.Job]]:
        shared = self._shared(ds)
        axis_names = [axis for axis, _ in ds.axes]
        cells = [{axis: self.use(_TABLE[axis], e) for axis, e in zip(axis_names, cell,
                                                                      strict=True)}
                 for cell in ds.cells]
        jobs = [self._job(ds, shared, by_axis, rep) for by_axis in cells
                for rep in range(ds.per_cell)]
        if shared.methodology is not None and shared.methodology.novel_scenarios:
            # one set of jobs per (user, arc, culture) whose topic the engine invents: the
            # method applied to situations the listed topics never cover
            rests = {}
            for by_axis in cells:
                rest = {a: e for a, e in by_axis.items() if a != "topics"}
                rests.setdefault(tuple(e.name for e in rest.values()), rest)
            jobs += [self._job(ds, shared, rest, rep, novel=True) for rest in rests.values()
                     for rep in range(ds.per_cell)]
        for example in ds.seeds if ds.variations else ():
            by_axis = _variation_axes(example, cells[0], {a: {e.name: e for e in ents}
                                                          for a, ents in ds.axes}, self.use)
            jobs += [self._job(ds, shared, by_axis, rep, variation=example)
                     for rep in range(ds.variations)]
        axes = tuple((axis, tuple(e.name for e in ents)) for axis, ents in ds.axes)
        info = ir.DatasetInfo(
            name=ds.name, kind=ds.kind, model=ds.model, judge_model=ds.judge_model, axes=axes,
            cells=len(ds.cells), per_cell=ds.per_cell, jobs=len(jobs), seed=ds.seed,
            excluded_cells=ds.excluded, unsampled_cells=ds.unsampled, review=ds.review,
            exports=ds.exports, budget=ds.budget, train_on=ds.train_on,
            edit_pairs=ds.edit_pairs, annotate=ds.annotate, annotate_model=ds.annotate_model,
            annotate_mode=ds.annotate_mode, endpoint=ds.endpoint)
        return info, jobs

    def _shared(self, ds: DatasetSetup) -> _Shared:
        """What every job of the dataset shares, registered and hashed once."""
        strategies = [self.use("strategies", s) for s in ds.strategies]
        bound = {s.name: self.use("strategies", s) for s in ds.bound_strategies}
        context_strategies = strategies + [s for s in bound.values() if s not in strategies]
        gates = [self.use("gates", g) for g in ds.gates]
        sh = _Shared(
            assistant=self.use("personas", ds.assistant), strategies=strategies, bound=bound,
            context_strategies=context_strategies,
            compliance=[self.use("compliance", c) for c in ds.compliance],
            panel=self.use("panels", ds.panel) if ds.panel else None,
            methodology=self.use("methodologies", ds.methodology) if ds.methodology else None,
            curriculum=self.use("curricula", ds.curriculum) if ds.curriculum else None,
            gates_hash=canonical_hash([[g.hash for g in gates], list(ds.thresholds)]
                                      + ([list(ds.gate_ops)] if ds.gate_ops else [])),
            seeds=[self.use("seeds", ex) for ex in ds.seeds])
        sh.fixed_hash = canonical_hash({
            "format": ir.PLAN_FORMAT, "kind": ds.kind, "model": to_data(ds.model),
            "assistant": sh.assistant.hash,
            "strategies": [s.hash for s in context_strategies],
            "compliance": [c.hash for c in sh.compliance],
            "panel": sh.panel.hash if sh.panel else "",
            "methodology": sh.methodology.hash if sh.methodology else "",
            "curriculum": sh.curriculum.hash if sh.curriculum else "",
            "templates": self.template_hashes, "emotions": self.emotions_hash,
            "train_on": ds.train_on,
            # annotations are stored output: how they are made is part of the job
            "annotate": [ds.annotate, ds.annotate_model, ds.annotate_mode],
        })
        return sh

    def _job(self, ds, sh: _Shared, by_axis, rep, novel: bool = False,
             variation: ir.SeedExample | None = None) -> ir.Job:
        user, arc = by_axis.get("users"), by_axis.get("arcs")
        topic, culture = by_axis.get("topics"), by_axis.get("cultures")
        cell = tuple((axis, e.name) for axis, e in by_axis.items())
        if novel:
            cell += (("topics", NOVEL),)
        if variation is not None:
            cell = (("variation", variation.name),)
            examples = [self.use("seeds", variation)]
        else:
            examples = few_shot(sh.seeds, by_axis, ds.few_shot)
        key = f"{ds.name}:{'/'.join(name for _, name in cell) or '-'}:{rep}"
        seed = int(hashlib.sha256(f"{ds.seed}|{key}".encode()).hexdigest()[:8], 16)
        rng = random.Random(seed)
        skip_first = ds.train_on == "skip_first"
        turns, sessions, turns_hash = (), (), ""
        if ds.kind == JobKind.CURRICULUM and sh.curriculum is not None:
            sessions = tuple(_sessions(sh.curriculum, arc, sh.strategies, sh.bound, rng,
                                       skip_first))
            turns_hash = canonical_hash(to_data(sessions))
        else:
            n = rng.choice(valid_lengths(arc)) if arc is not None else 2
            turns, turns_hash = self._targets(arc, n, sh.strategies, sh.bound, skip_first)
        context = ir.JobContext(
            assistant=sh.assistant.name, user=user.name if user else "",
            arc=arc.name if arc else "", topic=topic.name if topic else "",
            culture=culture.name if culture else "",
            panel=sh.panel.name if sh.panel else "",
            methodology=sh.methodology.name if sh.methodology else "",
            curriculum=sh.curriculum.name if sh.curriculum else "",
            compliance=tuple(c.name for c in sh.compliance),
            strategies=tuple(s.name for s in sh.context_strategies), novel=novel,
            examples=tuple(e.name for e in examples),
            variation_of=variation.name if variation is not None else "")
        content = {
            "fixed": sh.fixed_hash, "cell": [list(c) for c in cell], "replicate": rep,
            "seed": seed, "entities": {axis: e.hash for axis, e in by_axis.items()},
            "turns": turns_hash, "examples": [e.hash for e in examples],
        }
        return ir.Job(
            key=key, dataset=ds.name, kind=ds.kind, cell=cell, replicate=rep, seed=seed,
            model=ds.model, context=context, turns=turns, sessions=sessions,
            templates=tuple(sorted(self.template_hashes)),
            gates=tuple(g.name for g in ds.gates), gate_thresholds=ds.thresholds,
            gate_ops=ds.gate_ops,
            content_hash=canonical_hash(content), gates_hash=sh.gates_hash)

    def _targets(self, arc, n: int, strategies, bound, skip_first: bool):
        key = (arc.name if arc else "", n, skip_first, tuple(s.name for s in strategies),
               tuple(bound))
        if key not in self._turns:
            if arc is None:
                turns = (ir.TurnTarget(0, Role.USER, -1), ir.TurnTarget(1, Role.ASSISTANT, -1))
            else:
                turns = tuple(turn_targets(arc, n, strategies, skip_first, bound=bound))
            self._turns[key] = (turns, canonical_hash(to_data(turns)))
        return self._turns[key]


@attrs.define
class _Shared:
    """A dataset's entities and hashes every job of it shares."""

    assistant: ir.Persona
    strategies: list  # banded: picked by the user's intensity
    bound: dict  # bound by arc stages
    context_strategies: list  # both: what the job's prompts may name
    compliance: list
    panel: ir.Panel | None
    methodology: ir.Methodology | None
    curriculum: ir.Curriculum | None
    gates_hash: str
    seeds: list
    fixed_hash: str = ""


_EXAMPLE_AXES = (("arcs", "arc"), ("users", "user"), ("topics", "topic"), ("cultures", "culture"))


def few_shot(seeds, by_axis: dict, limit: int) -> list[ir.SeedExample]:
    """The seed examples a job sees: every axis an example names must be the job's, and
    the examples matching the most axes come first (ties by name)."""
    scored = []
    for ex in seeds:
        named = [(axis, getattr(ex, attr)) for axis, attr in _EXAMPLE_AXES if getattr(ex, attr)]
        if all(axis in by_axis and by_axis[axis].name == value for axis, value in named):
            scored.append((-len(named), ex.name, ex))
    return [ex for _, _, ex in sorted(scored, key=lambda x: x[:2])][:limit]


def _variation_axes(example: ir.SeedExample, first_cell: dict, entities: dict, use) -> dict:
    """A variation's scaffolding: the example's own axis values where the dataset has them,
    else the dataset's first cell."""
    out = {}
    for axis, e in first_cell.items():
        attr = dict(_EXAMPLE_AXES).get(axis, "")
        named = getattr(example, attr, "") if attr else ""
        out[axis] = use(_TABLE[axis], entities[axis][named]) if named in entities.get(axis, {}) \
            else e
    return out


NOVEL = "~novel"  # the topic of a novel-scenario job: invented at run time ("~": no name clash)
_TABLE = {"users": "personas", "arcs": "arcs", "topics": "topics", "cultures": "cultures"}


def valid_lengths(arc: ir.Arc, at_least: int = 0) -> list[int]:
    """Message counts in the arc's range that open and close with the right roles."""
    same = arc.opens == arc.closes  # same role first and last -> odd length
    lo = max(arc.min_turns, at_least)
    hi = max(arc.max_turns, lo)
    return [n for n in range(lo, hi + 1) if (n % 2 == 1) == same] or [lo + 1]


def turn_targets(arc: ir.Arc, n: int, strategies, skip_first: bool, start: int = 0,
                 bound: dict | None = None) -> list[ir.TurnTarget]:
    """n messages alternating from `arc.opens`; user turns follow the stages in order.
    An assistant turn takes the strategy its stage binds (`assistant: name`, with that
    strategy's protocol), else the band that holds the user's intensity before it."""
    bound = bound or {}
    roles = [Role.USER, Role.ASSISTANT] if arc.opens == Role.USER else [Role.ASSISTANT, Role.USER]
    user_count = sum(1 for i in range(n) if roles[i % 2] == Role.USER)
    stage_of = _stage_per_user_turn(arc.stages, user_count)
    out, u, last_user = [], 0, None
    first_assistant = True
    for i in range(n):
        role = roles[i % 2]
        if role == Role.USER:
            idx = stage_of[u]
            st = arc.stages[idx]
            last_user = (idx, st)
            out.append(ir.TurnTarget(start + i, Role.USER, idx, st.emotion, st.intensity, st.valence))
            u += 1
        else:
            idx, st = last_user if last_user else (0, arc.stages[0])
            train = not (skip_first and first_assistant)
            first_assistant = False
            chosen = bound.get(st.assistant) if st.assistant else None
            out.append(ir.TurnTarget(
                start + i, Role.ASSISTANT, idx, train=train,
                strategy=chosen.name if chosen else pick_strategy(strategies, st.intensity),
                protocol=chosen.protocol if chosen else None))
    return out


def _stage_per_user_turn(stages, user_count: int) -> list[int]:
    """Stage index for each user turn. Stages are contiguous and in order, so a stage's
    `turns: a..b` fixes how many user turns it spans (b-a+1); stages without one share
    the rest evenly, each getting at least one turn when there are enough."""
    lens = [st.turns[1] - st.turns[0] + 1 if st.turns else 0 for st in stages]
    free = [i for i, st in enumerate(stages) if not st.turns]
    while sum(lens) + len(free) > user_count and max(lens) > 1:
        lens[lens.index(max(lens))] -= 1
    rest = user_count - sum(lens)
    if free:
        for k, i in enumerate(free):
            lens[i] = rest // len(free) + (1 if k < rest % len(free) else 0)
    elif rest > 0:
        lens[-1] += rest
    out: list[int] = []
    for i, n in enumerate(lens):
        out.extend([i] * n)
    return (out + [len(stages) - 1] * user_count)[:user_count]


def pick_strategy(strategies, intensity: float) -> str:
    """The narrowest strategy whose band holds the intensity (first declared wins ties)."""
    fits = [s for s in strategies if s.banded and s.min_intensity <= intensity <= s.max_intensity]
    if not fits:
        return ""
    return min(fits, key=lambda s: s.max_intensity - s.min_intensity).name


def _sessions(cur: ir.Curriculum, arc, strategies, bound, rng: random.Random,
              skip_first: bool):
    total = cur.sessions
    index = 0
    for i in range(total):
        diff = cur.difficulty_start + (cur.difficulty_end - cur.difficulty_start) * (
            i / (total - 1) if total > 1 else 0.0)
        # only the first session's state is chosen here; later ones are measured at run time
        state = rng.choice(cur.learner_states) if cur.learner_states and i == 0 else ""
        lo, hi = cur.turns_per_session
        n = rng.randint(lo, hi)
        if arc is not None:
            turns = turn_targets(arc, valid_lengths(arc, n)[0], strategies,
                                 skip_first and i == 0, start=index, bound=bound)
        else:
            turns = [ir.TurnTarget(index + k, Role.USER if k % 2 == 0 else Role.ASSISTANT, -1)
                     for k in range(n)]
        index += len(turns)
        yield ir.SessionPlan(i, round(diff, 4), state, tuple(turns))
