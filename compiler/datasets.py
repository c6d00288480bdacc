"""Dataset checks and matrix expansion: which cells exist, which are excluded and why.

A dataset's axes (users x arcs x topics x cultures) multiply into cells; `exclude`
blocks and cultures' taboo topics remove cells; `sample N` keeps a seeded subset.
Incompatible combinations are errors here, before any job exists, and so is a dataset
asking for more than `max_jobs` jobs: counted from the axis sizes (compiler/job_count.py)
before the matrix is walked.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import re

import attrs

from bdsl import ast, ir
from bdsl.compiler.elaborate import DatasetDecl, Elaborator
from bdsl.compiler.job_count import DEFAULT_MAX_JOBS, MAX_MATRIX_CELLS, JobCount, count_jobs
from bdsl.compiler.resolve import Symbol
from bdsl.compiler.schema import AXES
from bdsl.compiler.values import INVALID
from bdsl.diagnostics import Diagnostic, error, warning
from bdsl.kinds import JOB_KINDS, JobKind, Protocol, RuleKind, infer_job_kind
from bdsl.outcomes import unmet_policy

KNOWN_LOCAL_MODELS = ("smollm2",)


@attrs.frozen
class DatasetSetup:
    name: str
    kind: str
    model: ir.ModelConfig
    judge_model: str
    assistant: ir.Persona
    axes: tuple[tuple[str, tuple], ...]  # axis -> entities
    cells: tuple[tuple, ...]  # each cell: tuple of entities, one per axis
    total_cells: int
    excluded: int  # by `exclude` blocks and taboo topics
    unsampled: int  # left out by `sample N`
    per_cell: int
    seed: int
    panel: ir.Panel | None
    methodology: ir.Methodology | None
    curriculum: ir.Curriculum | None
    compliance: tuple[ir.Compliance, ...]
    strategies: tuple[ir.Strategy, ...]  # picked by the user's intensity
    bound_strategies: tuple[ir.Strategy, ...]  # bound by arc stages (`assistant: name`)
    gates: tuple[ir.Gate, ...]
    thresholds: tuple[tuple[str, float], ...]
    gate_ops: tuple[tuple[str, str], ...]  # judged gates whose override changed the operator
    review: ir.ReviewPolicy
    exports: tuple[str, ...]
    budget: ir.Budget
    train_on: str
    edit_pairs: bool
    annotate: str = "both"
    annotate_model: str = ""
    annotate_mode: str = "per_message"
    seeds: tuple[ir.SeedExample, ...] = ()
    endpoint: ir.Endpoint | None = None
    few_shot: int = 2
    variations: int = 0


def setup_dataset(d: DatasetDecl, el: Elaborator, all_strategies: list[Symbol],
                  diags: list[Diagnostic]) -> DatasetSetup | None:
    v, sym, fields = d.values, d.symbol, d.fields
    n_before = sum(1 for x in diags if x.is_error)

    def span(key):
        return fields[key][-1].value.span if key in fields else sym.node.name.span

    def ent(s):
        e = el.get(s)
        return None if e is INVALID else e

    assistant = ent(v["assistant"])
    if assistant is not None and assistant.side != "assistant":
        diags.append(error("E240", f"`{assistant.name}` is a user persona; `assistant` needs an "
                           "assistant persona", span("assistant"),
                           hint=f"declare it as `persona {assistant.name} : assistant`"))
    users = [ent(s) for s in v.get("users") or ()]
    for s, p in zip(v.get("users") or (), users, strict=True):
        if p is not None and p.side != "user":
            diags.append(error("E241", f"`{p.name}` is an assistant persona, not a user",
                               _item_span(fields, "users", s)))
    panel = ent(v["panel"]) if v.get("panel") else None
    methodology = ent(v["methodology"]) if v.get("methodology") else None
    curriculum = ent(v["curriculum"]) if v.get("curriculum") else None
    kind = JobKind(v.get("kind") or infer_job_kind(panel, methodology, curriculum))
    _check_kind(kind, panel, methodology, curriculum, v, span, diags)
    if not users:
        diags.append(error("E212", f"dataset `{sym.name}` has no `users`", sym.node.name.span,
                           hint="add `users [persona, ...]` (user-side personas)"))
    arcs = [ent(s) for s in v.get("arcs") or ()]
    if kind == JobKind.CONVERSATION and not arcs:
        diags.append(error("E243", "a conversation dataset needs `arcs`", sym.node.name.span,
                           hint="add `arcs [std.arcs.confusion_to_clarity]` or your own arc"))
    compliance = tuple(c for c in (ent(s) for s in v.get("compliance") or ()) if c)
    strategy_syms = v.get("strategies") or all_strategies
    strategies = tuple(s for s in (ent(x) for x in strategy_syms) if s)
    bound = tuple({st.assistant: el.named[("strategy", st.assistant)] for arc in arcs if arc
                   for st in arc.stages if st.assistant}.values())
    _check_crisis(arcs, bound, compliance, span("arcs"), diags)
    _check_strategy_coverage(strategies, span("strategies"), diags)
    exports = tuple(v.get("export") or ("openai",))
    gates, thresholds, ops = [], [], []
    for gsym, override, gspan in v.get("gates") or ():
        gate = ent(gsym)
        if gate is None:
            continue
        if override is not None:
            op, threshold = override
            if gate.kind != "judge":
                diags.append(error("E248", f"`{gate.name}` is not a judged gate; only judged gates "
                                   "take a threshold", gspan))
            elif not 0 <= threshold <= 1:
                diags.append(error("E221", "gate thresholds are in [0, 1]", gspan))
            else:
                thresholds.append((gate.name, threshold))
                if op != gate.op:
                    ops.append((gate.name, op))
        gates.append(gate)
    review = _review_policy(v.get("review") or {}, fields, span, diags)
    model = _model(v, span, diags)
    budget_v = v.get("budget") or {}
    budget = ir.Budget(budget_v.get("usd"), budget_v.get("tokens"))
    per_cell = v.get("per_cell") or 1
    if per_cell < 1 or per_cell > 100_000:
        diags.append(error("E221", "`per_cell` must be between 1 and 100000", span("per_cell")))
    seed = v.get("seed") or 0

    axes = [(axis, tuple(x for x in [ent(s) for s in v.get(axis) or ()]))
            for axis in AXES if v.get(axis)]
    seeds = tuple(ex for s in v.get("seeds") or () for ex in (ent(s) or ()))
    few_shot = 2 if v.get("few_shot") is None else v["few_shot"]
    variations = v.get("variations") or 0
    if not 0 <= few_shot <= 10 or not 0 <= variations <= 1000:
        diags.append(error("E221", "`few_shot` is 0..10 and `variations` 0..1000",
                           span("few_shot" if not 0 <= few_shot <= 10 else "variations")))
    if variations and not seeds:
        diags.append(error("E243", "`variations` needs `seeds` to vary", span("variations"),
                           hint="add `seeds [name]` (e.g. the file `bdsc seeds` writes)"))
    _check_seed_axes(seeds, axes, span("seeds"), diags)
    if sum(1 for x in diags if x.is_error) > n_before or assistant is None or any(
            None in ents for _, ents in axes):
        return None
    if not _within_bounds(d, el, axes, methodology, seeds, variations, per_cell, span, diags):
        return None
    cells, total, excluded, unsampled = _cells(axes, d, el, seed, span, diags)
    if cells is None:
        return None
    if not _sampled_within_bounds(d, el, axes, cells, methodology, seeds, variations,
                                  per_cell, span, diags):
        return None
    return DatasetSetup(
        name=el.name(sym), kind=kind, model=model, judge_model=v.get("judge_model") or model.name,
        assistant=assistant, axes=tuple(axes), cells=tuple(cells), total_cells=total,
        excluded=excluded, unsampled=unsampled, per_cell=per_cell, seed=seed, panel=panel, methodology=methodology,
        curriculum=curriculum, compliance=compliance, strategies=strategies,
        bound_strategies=bound, gates=tuple(gates),
        thresholds=tuple(thresholds), gate_ops=tuple(ops), review=review, exports=exports, budget=budget,
        train_on=v.get("train_on") or "all", edit_pairs=bool(v.get("edit_pairs")),
        seeds=seeds, few_shot=few_shot, variations=variations,
        annotate=v.get("annotate") or "both", annotate_model=v.get("annotate_model") or "",
        annotate_mode=v.get("annotate_mode") or "per_message",
        endpoint=_endpoint(v.get("endpoint"), span, diags))


def _review_policy(review_v: dict, fields, span, diags) -> ir.ReviewPolicy:
    reviewers = tuple(sorted((who, tuple(dict.fromkeys(roles)))
                             for who, roles in (review_v.get("reviewers") or {}).items()))
    approvals = review_v.get("min_approvals")
    review = ir.ReviewPolicy(review_v.get("sample") or 0.0, tuple(review_v.get("roles") or ()),
                             review_v.get("require") or "all",
                             1 if approvals is None else approvals, reviewers)
    if review.sample > 0 and not review.roles:
        diags.append(error("E247", "review samples conversations but names no reviewer `roles`",
                           span("review"), hint="e.g. review { sample 20%, roles [clinical] }"))
    block = fields["review"][-1].value if "review" in fields else None
    listed = block.get("reviewers") if isinstance(block, ast.Block) else None
    for who, roles in reviewers:
        for role in roles:
            if role not in review.roles:
                diags.append(error(
                    "E254", f"reviewer `{who}` is given the role `{role}`, which the review "
                    "policy's `roles` does not name", _reviewer_span(listed, who, span),
                    hint="roles: " + (", ".join(review.roles) or "none; add `roles [...]`")))
    if review.min_approvals < 1:
        diags.append(error("E221", "`min_approvals` must be at least 1", span("review")))
    elif not any(d.code == "E254" for d in diags):
        why = unmet_policy(review)
        if why:
            diags.append(error("E255", f"the review policy can never be met: {why}",
                               _reviewer_span(listed, None, span),
                               hint="one person counts once, whatever roles they hold; list "
                                    "more reviewers or ask for fewer approvals"))
    return review


def _reviewer_span(listed, who, span):
    if listed is None:
        return span("review")
    if who is not None and isinstance(listed.value, ast.Block):
        field = listed.value.get(who)
        if field is not None:
            return field.value.span
    return listed.key.span


def _item_span(fields, key, sym):
    return fields[key][-1].value.span


def is_taboo(topic: ir.Topic, culture: ir.Culture) -> bool:
    """A taboo subject matches a topic's name or one of its tags exactly, or appears in
    its title (case-insensitive)."""
    for subject in (t.lower() for t in culture.taboo_topics):
        if subject == topic.name.lower() or subject in (t.lower() for t in topic.tags) \
                or subject in topic.title.lower():
            return True
    return False


def _check_kind(kind, panel, methodology, curriculum, v, span, diags) -> None:
    spec = JOB_KINDS[JobKind(kind)]
    present = {"panel": panel, "curriculum": curriculum, "methodology": methodology}
    if spec.needs and present[spec.needs] is None and v.get(spec.needs) is None:
        diags.append(error("E243", f"a {kind} dataset needs `{spec.needs}`", span("kind")))
    if spec.panel_mode is not None and panel is not None and panel.mode != spec.panel_mode:
        diags.append(error("E243", f"kind `{kind}` needs a panel in `{spec.panel_mode}` mode; "
                           f"`{panel.name}` is `{panel.mode}`", span("panel")))


def _check_crisis(arcs, bound, compliance, arcs_span, diags) -> None:
    """An arc that refers (a stage binding a referral strategy, or a `referred` stage) needs
    somewhere to refer to: an escalate rule in the dataset's compliance (with the label the
    referral strategy names, if it names one)."""
    labels = {r.text for c in compliance for r in c.rules if r.kind == RuleKind.ESCALATE}
    referral = {s.name: s for s in bound if s.protocol == Protocol.REFERRAL}
    for arc in arcs:
        if arc is None:
            continue
        needs = [referral[st.assistant] for st in arc.stages if st.assistant in referral]
        if not labels and (needs or any(st.emotion == "referred" for st in arc.stages)):
            diags.append(error(
                "E244", f"arc `{arc.name}` refers the person to help, but no compliance rule in "
                "this dataset says where to refer", arcs_span,
                hint="add `compliance [std.compliance.crisis_988]` or an `escalate ... to ...` rule"))
        for s in needs:
            if labels and s.escalation and s.escalation not in labels:
                diags.append(error(
                    "E244", f"arc `{arc.name}` binds `{s.name}`, which refers to `escalate "
                    f"\"{s.escalation}\"` rules, and this dataset has none", arcs_span,
                    hint="its escalate rules are labelled: " + ", ".join(sorted(labels))))


def _check_seed_axes(seeds, axes, span, diags) -> None:
    """A seed example naming an axis value the dataset does not use guides no job."""
    used = {axis: {e.name for e in ents if e is not None} for axis, ents in axes}
    for ex in seeds:
        for axis, value in (("arcs", ex.arc), ("users", ex.user), ("topics", ex.topic),
                            ("cultures", ex.culture)):
            if value and value not in used.get(axis, ()):
                diags.append(warning("W253", f"seed example `{ex.name}` is for {axis[:-1]} "
                                     f"`{value}`, which this dataset does not use; it guides no "
                                     "job", span, hint="its " + axis + ": "
                                     + (", ".join(sorted(used.get(axis, ()))) or "none")))
                break


def _check_strategy_coverage(strategies, span, diags) -> None:
    if not strategies:
        return
    banded = [s for s in strategies if s.banded]
    if not banded:
        return
    points = [i / 20 for i in range(21)]
    gaps = [p for p in points if not any(s.min_intensity <= p <= s.max_intensity
                                         for s in banded)]
    if gaps:
        diags.append(warning("W252", f"no response strategy covers intensity {gaps[0]:.2f}",
                             span, hint="assistant turns after such user turns get no strategy"))


def _endpoint(block, span, diags) -> ir.Endpoint | None:
    if not block:
        return None
    bases = [block.get("api_base") or ""] + list(block.get("deployments") or ())
    for url in (b for b in bases if b):
        if not url.startswith(("http://", "https://")):
            diags.append(error("E221", f"`{url}` is not an http(s) URL", span("endpoint")))
    key_env = block.get("api_key_env") or ""
    if key_env and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key_env):
        diags.append(error("E221", "`api_key_env` names an environment variable, not a key",
                           span("endpoint"), hint='e.g. api_key_env "VLLM_API_KEY"'))
    return ir.Endpoint(block.get("api_base") or "", key_env,
                       tuple(block.get("deployments") or ()))


def _model(v, span, diags) -> ir.ModelConfig:
    name = v["model"]
    params = v.get("params") or {}
    if not name.strip():
        diags.append(error("E221", "`model` is empty", span("model")))
    if name.startswith("local/"):
        tail = name[len("local/"):]
        if tail not in KNOWN_LOCAL_MODELS and not tail.endswith(".gguf"):
            diags.append(warning("W251", f"unknown local model `{tail}`", span("model"),
                                 hint="local models: " + ", ".join(KNOWN_LOCAL_MODELS)
                                 + ", or local/<path>.gguf"))
    mt = params.get("max_tokens")
    if mt is not None and mt < 1:
        diags.append(error("E221", "`max_tokens` must be positive", span("params")))
    return ir.ModelConfig(name, params.get("temperature"), mt, params.get("top_p"))


def _excludes(d: DatasetDecl, el: Elaborator) -> list[dict[str, set[str]]]:
    return [{axis: {el.get(s).name for s in syms} for axis, syms in block.items()}
            for block, _mods, _field in d.values.get("exclude") or ()]


def _max_jobs(d: DatasetDecl) -> int:
    limit = d.values.get("max_jobs")
    return DEFAULT_MAX_JOBS if limit is None else limit


def _within_bounds(d, el, axes, methodology, seeds, variations, per_cell, span, diags) -> bool:
    """The job count from the axis sizes against `max_jobs`, before the matrix is walked;
    and a matrix small enough to walk (exclusions and sampling visit every cell)."""
    limit = _max_jobs(d)
    if limit < 1:
        diags.append(error("E221", "`max_jobs` must be at least 1", span("max_jobs")))
        return False
    count = count_jobs(axes, _excludes(d, el), is_taboo, d.values.get("sample"), per_cell,
                       bool(methodology and methodology.novel_scenarios), len(seeds),
                       variations)
    if count.jobs > limit:
        diags.append(_too_many_jobs(d, el, count, limit, span))
        return False
    walkable = max(MAX_MATRIX_CELLS, limit)
    if count.total_cells > walkable:
        diags.append(error(
            "E242", f"dataset `{el.name(d.symbol)}` has a matrix of {count.total_cells:,} cells "
            f"({count.matrix()}); exclusions and "
            f"sampling visit every cell, and the limit is {walkable:,}",
            span("sample") if "sample" in d.fields else d.symbol.node.name.span,
            hint="split the dataset or list fewer values on its axes; `max_jobs N` also "
                 "raises this limit to N"))
        return False
    return True


def _sampled_within_bounds(d, el, axes, cells, methodology, seeds, variations, per_cell,
                           span, diags) -> bool:
    """The exact count once the sample is drawn (`sample N%` was an expectation before)."""
    sample = d.values.get("sample")
    if sample is None or sample[0] != "share":
        return True
    limit = _max_jobs(d)
    names = [axis for axis, _ in axes]
    rests = {tuple(e.name for a, e in zip(names, cell, strict=True) if a != "topics")
             for cell in cells}
    novel = len(rests) * per_cell if methodology and methodology.novel_scenarios else 0
    jobs = len(cells) * per_cell + novel + (len(seeds) * variations if variations else 0)
    if jobs <= limit:
        return True
    sizes = tuple((axis, len(ents)) for axis, ents in axes)
    total = math.prod(n for _, n in sizes)
    count = JobCount(sizes, total, total, len(cells), per_cell, novel,
                     len(seeds) * variations if variations else 0, False)
    diags.append(_too_many_jobs(d, el, count, limit, span))
    return False


def _too_many_jobs(d, el, count: JobCount, limit: int, span):
    name = el.name(d.symbol)
    return error("E249", f"dataset `{name}` would have {count.jobs:,} jobs ({count.explain()}); "
                 f"the limit is {limit:,}",
                 span("max_jobs") if "max_jobs" in d.fields else d.symbol.node.name.span,
                 hint="shrink the matrix (`sample`, `exclude`, a smaller `per_cell`), or raise "
                      "the limit with `max_jobs N` in the dataset")


def _cells(axes, d: DatasetDecl, el: Elaborator, seed: int, span, diags):
    # Walked lazily (_within_bounds has bounded its size), with the per-cell tests reduced
    # to tuple lookups: a million-cell matrix is walked in about a second.
    product = itertools.product(*[ents for _, ents in axes]) if axes else [()]
    total = math.prod(len(ents) for _, ents in axes)
    at = {axis: i for i, (axis, _) in enumerate(axes)}
    rules = [[(at[axis], allowed) for axis, allowed in rule.items()]
             for rule in _excludes(d, el) if rule and all(axis in at for axis in rule)]
    taboo: set[tuple[int, int]] = set()
    if "topics" in at and "cultures" in at:
        topics, cultures = axes[at["topics"]][1], axes[at["cultures"]][1]
        taboo = {(id(t), id(c)) for t in topics for c in cultures if is_taboo(t, c)}
    t_at, c_at = at.get("topics"), at.get("cultures")
    kept, taboo_hits = [], 0
    for cell in product:
        if rules and any(all(cell[i].name in allowed for i, allowed in rule) for rule in rules):
            continue
        if taboo and (id(cell[t_at]), id(cell[c_at])) in taboo:
            taboo_hits += 1
            continue
        kept.append(cell)
    if taboo_hits:
        diags.append(warning("W250", f"{taboo_hits} cell(s) skipped: topic is taboo in the culture",
                             span("cultures")))
    if not kept:
        diags.append(error("E246", "every cell of the matrix is excluded; nothing to generate",
                           span("exclude") if "exclude" in d.fields else d.symbol.node.name.span))
        return None, total, total, 0
    sample = d.values.get("sample")
    excluded = total - len(kept)
    if sample is None:
        return kept, total, excluded, 0
    how, amount = sample
    if how == "count" and not 1 <= amount <= len(kept):
        diags.append(error("E221", f"`sample` must be between 1 and {len(kept)} (the cells left)",
                           span("sample"), hint="or sample a share of the cells, e.g. 30%"))
        return None, total, excluded, 0
    ranker = sample_ranker(seed, el.name(d.symbol))
    rank = {id(cell): ranker([e.name for e in cell]) for cell in kept}
    if how == "share":
        chosen = [c for c in kept if rank[id(c)] < amount]
    else:
        cut = sorted(rank.values())[amount - 1]
        chosen = [c for c in kept if rank[id(c)] <= cut]
    if not chosen:
        diags.append(error("E246", f"`sample {amount:.0%}` keeps none of the {len(kept)} cells",
                           span("sample"), hint="raise the share"))
        return None, total, excluded, 0
    return chosen, total, excluded, len(kept) - len(chosen)


def sample_rank(seed: int, dataset: str, cell: list[str]) -> float:
    """A cell's place in [0, 1) for `sample`: a hash of the seed, the dataset and the cell
    alone, so adding or removing other cells never changes whether this one is drawn
    (a share keeps every sampled cell as the matrix grows)."""
    return sample_ranker(seed, dataset)(cell)


def sample_ranker(seed: int, dataset: str):
    """`sample_rank` for one dataset, hashing the shared prefix once."""
    prefix = hashlib.sha256(f"sample|{seed}|{dataset}|".encode())

    def rank(cell: list[str]) -> float:
        h = prefix.copy()
        h.update("/".join(cell).encode())
        return int.from_bytes(h.digest()[:8], "big") / 2**64
    return rank
