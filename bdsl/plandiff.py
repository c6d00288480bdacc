"""Semantic diff of two plans: what a spec change does to the dataset.

Jobs are matched by their stable key (dataset + cell + replicate). A job whose
content hash moved is regenerated; the reasons name the inputs that moved (the
persona, the arc, the model, a template...). A job whose gates alone moved is only
re-scored. Entities are compared field by field so a reviewer sees *what* changed.
"""

from __future__ import annotations

import attrs

from bdsl import ir
from bdsl.serialize import to_data

TABLES = ("personas", "arcs", "topics", "cultures", "strategies", "compliance", "perspectives",
          "panels", "methodologies", "curricula", "gates", "emotions", "templates", "seeds")

# JobContext attribute -> entity table it names
CONTEXT_TABLES = {"assistant": "personas", "user": "personas", "arc": "arcs", "topic": "topics",
                  "culture": "cultures", "panel": "panels", "methodology": "methodologies",
                  "curriculum": "curricula"}


@attrs.frozen
class EntityChange:
    table: str
    name: str
    change: str  # added | removed | changed
    fields: tuple[str, ...] = ()  # changed field names (for `changed`)


@attrs.frozen
class JobChange:
    key: str
    change: str  # added | removed | regenerate | rescore
    reasons: tuple[str, ...] = ()
    turns: int = 0  # messages the new plan generates for this job


@attrs.frozen
class PlanDiff:
    old_spec: ir.SpecInfo
    new_spec: ir.SpecInfo
    regulations: tuple[str, ...]  # human lines: "FINRA-2111: 2024-06 -> 2025-01"
    datasets: tuple[str, ...]
    entities: tuple[EntityChange, ...]
    jobs: tuple[JobChange, ...]
    unchanged_jobs: int

    def count(self, change: str) -> int:
        return sum(1 for j in self.jobs if j.change == change)


def diff_plans(old: ir.Plan, new: ir.Plan) -> PlanDiff:
    entities = tuple(_entity_changes(old, new))
    changed_names = {(e.table, e.name) for e in entities if e.change != "added"}
    old_jobs = {j.key: j for j in old.jobs}
    new_jobs = {j.key: j for j in new.jobs}
    old_ds = {d.name: d for d in old.datasets}
    jobs, unchanged = [], 0
    for key, nj in new_jobs.items():
        oj = old_jobs.get(key)
        turns = _turn_count(nj)
        if oj is None:
            jobs.append(JobChange(key, "added", ("new cell in the matrix",), turns))
        elif oj.content_hash != nj.content_hash:
            reasons = _reasons(oj, nj, changed_names, old_ds.get(nj.dataset))
            jobs.append(JobChange(key, "regenerate", reasons, turns))
        elif oj.gates_hash != nj.gates_hash:
            jobs.append(JobChange(key, "rescore", _gate_reasons(oj, nj, changed_names), 0))
        else:
            unchanged += 1
    for key in old_jobs.keys() - new_jobs.keys():
        jobs.append(JobChange(key, "removed", ("cell no longer in the matrix",)))
    jobs.sort(key=lambda j: (j.change, j.key))
    return PlanDiff(old.spec, new.spec, tuple(_regulation_lines(old, new)),
                    tuple(_dataset_lines(old, new)), entities, tuple(jobs), unchanged)


def _turn_count(job: ir.Job) -> int:
    return len(job.turns) + sum(len(s.turns) for s in job.sessions)


def _entity_changes(old: ir.Plan, new: ir.Plan):
    for table in TABLES:
        a = {e.name: e for e in getattr(old, table)}
        b = {e.name: e for e in getattr(new, table)}
        for name in sorted(a.keys() | b.keys()):
            if name not in a:
                yield EntityChange(table, name, "added")
            elif name not in b:
                yield EntityChange(table, name, "removed")
            elif _content(a[name]) != _content(b[name]):
                da, db = _content(a[name]), _content(b[name])
                fields = tuple(k for k in sorted(da.keys() | db.keys()) if da.get(k) != db.get(k))
                yield EntityChange(table, name, "changed", fields)


def _content(entity) -> dict:
    data = to_data(entity)
    data.pop("hash", None)
    return data


def _reasons(oj: ir.Job, nj: ir.Job, changed: set, old_ds) -> tuple[str, ...]:
    reasons = []
    for attr, table in CONTEXT_TABLES.items():
        name = getattr(nj.context, attr)
        if name and getattr(oj.context, attr) != name:
            reasons.append(f"{attr} {getattr(oj.context, attr) or '-'} -> {name}")
        elif name and (table, name) in changed:
            reasons.append(f"{attr} `{name}` changed")
    for table, names in (("compliance", nj.context.compliance),
                         ("strategies", nj.context.strategies)):
        moved = [n for n in names if (table, n) in changed]
        if moved or set(names) != set(getattr(oj.context, table)):
            reasons.append(f"{table} changed" + (f" ({', '.join(moved)})" if moved else ""))
    added = [e for e in nj.context.examples if e not in oj.context.examples]
    dropped = [e for e in oj.context.examples if e not in nj.context.examples]
    if added or dropped:
        reasons.append("seed examples " + " ".join([f"+{e}" for e in added]
                                                    + [f"-{e}" for e in dropped]))
    moved = [e for e in nj.context.examples if ("seeds", e) in changed and e not in added]
    if moved:
        reasons.append("seed examples changed: " + ", ".join(moved))
    if nj.model != oj.model:
        reasons.append(f"model {_model(oj.model)} -> {_model(nj.model)}")
    if nj.seed != oj.seed:
        reasons.append("seed changed")
    templates = [t for t in nj.templates if ("templates", t) in changed]
    if templates:
        reasons.append("templates changed: " + ", ".join(templates))
    if any(("emotions", t.emotion) in changed for t in nj.turns if t.emotion):
        reasons.append("emotion definitions changed")
    if not reasons and nj.turns != oj.turns:
        reasons.append("turn targets changed")
    return tuple(reasons) or ("dataset settings changed",)


def _gate_reasons(oj: ir.Job, nj: ir.Job, changed: set) -> tuple[str, ...]:
    added = set(nj.gates) - set(oj.gates)
    removed = set(oj.gates) - set(nj.gates)
    moved = [g for g in nj.gates if ("gates", g) in changed]
    out = [f"gate added: {g}" for g in sorted(added)] + [f"gate removed: {g}" for g in
                                                          sorted(removed)]
    out += [f"gate `{g}` changed" for g in moved]
    if nj.gate_thresholds != oj.gate_thresholds:
        out.append("gate thresholds changed")
    return tuple(out) or ("gates changed",)


def _model(m: ir.ModelConfig) -> str:
    extra = ", ".join(f"{k}={v}" for k, v in (("temperature", m.temperature),
                                               ("max_tokens", m.max_tokens), ("top_p", m.top_p))
                      if v is not None)
    return m.name + (f" ({extra})" if extra else "")


def _regulation_lines(old: ir.Plan, new: ir.Plan):
    a = {r.id: r for r in old.spec.regulations}
    b = {r.id: r for r in new.spec.regulations}
    for rid in sorted(a.keys() | b.keys()):
        if rid not in a:
            yield f"{rid}: added (version {b[rid].version}, effective {b[rid].effective or '-'})"
        elif rid not in b:
            yield f"{rid}: removed"
        elif a[rid] != b[rid]:
            yield (f"{rid}: version {a[rid].version} -> {b[rid].version}, effective "
                   f"{a[rid].effective or '-'} -> {b[rid].effective or '-'}")


def _dataset_lines(old: ir.Plan, new: ir.Plan):
    a = {d.name: d for d in old.datasets}
    b = {d.name: d for d in new.datasets}
    for name in sorted(a.keys() | b.keys()):
        if name not in a:
            yield f"{name}: added ({b[name].jobs} jobs)"
        elif name not in b:
            yield f"{name}: removed"
        elif a[name] != b[name]:
            da, db = to_data(a[name]), to_data(b[name])
            parts = []
            for k in sorted(da):
                if da[k] == db.get(k):
                    continue
                if k == "axes":
                    parts += list(_axis_changes(a[name].axes, b[name].axes))
                else:
                    parts.append(f"{k} {_short(da[k])} -> {_short(db[k])}")
            yield f"{name}: " + ", ".join(parts)


def _axis_changes(old_axes, new_axes):
    old, new = dict(old_axes), dict(new_axes)
    for axis in sorted(old.keys() | new.keys()):
        before, after = old.get(axis, ()), new.get(axis, ())
        plus = [f"+{n}" for n in after if n not in before]
        minus = [f"-{n}" for n in before if n not in after]
        if plus or minus:
            yield f"{axis} {' '.join(plus + minus)}"


def _short(value) -> str:
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."
