"""The compiler pipeline: load -> resolve -> elaborate/check -> lower -> Plan.

    compile_path("spec.bds") -> CompileResult(plan | None, diagnostics, sources)

`check_path` runs every check but builds no jobs. Neither imports litellm,
textual or xllamacpp (tests/compiler/test_imports.py keeps it that way).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import attrs

from bdsl import ast, ir
from bdsl.compiler.datasets import setup_dataset
from bdsl.compiler.elaborate import DatasetDecl, Elaborator
from bdsl.compiler.loader import load_graph
from bdsl.compiler.lower import Lowerer, with_hash
from bdsl.compiler.resolve import Symbols
from bdsl.compiler.spec_info import read_spec_info, read_templates
from bdsl.compiler.trial_render import trial_render
from bdsl.compiler.values import INVALID
from bdsl.diagnostics import Diagnostic, error, sort_key
from bdsl.serialize import canonical_hash, to_data
from bdsl.source import SourceFile


@attrs.frozen
class CompileResult:
    plan: ir.Plan | None
    diagnostics: tuple[Diagnostic, ...]
    sources: dict[str, SourceFile]
    unreadable: bool = False  # the spec itself could not be read (missing, a directory...)

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)


def check_path(path: str | Path, text: str | None = None, *, allow_outside: bool = False,
               project: str | Path | None = None) -> CompileResult:
    return _run(path, text, False, allow_outside, project)


def compile_path(path: str | Path, text: str | None = None, *, allow_outside: bool = False,
                 project: str | Path | None = None) -> CompileResult:
    return _run(path, text, True, allow_outside, project)


def _run(path, text, lower: bool, allow_outside: bool, project) -> CompileResult:
    graph = load_graph(path, text, allow_outside=allow_outside, project=project)
    diags: list[Diagnostic] = list(graph.diagnostics)
    if not graph.modules:
        return CompileResult(None, tuple(diags), graph.sources, graph.root_unreadable)
    symbols = Symbols(graph)
    diags.extend(symbols.diagnostics)
    el = Elaborator(symbols, diags)
    el.elaborate_all()
    spec = read_spec_info(graph, symbols, diags)
    overrides = []
    for sym in symbols.all_symbols():  # any of the user's files may override a template
        if sym.kind == "template" and not graph.modules[sym.module].is_std:
            v = el.get(sym)
            if v is not INVALID:
                overrides.append((sym.name, v["source"], sym.node))
    templates = read_templates(overrides, diags)
    override_spans = {name: _source_span(decl) for name, _source, decl in overrides}
    regulation_ids = {r.id for r in spec.regulations}
    _check_regulation_refs(el, regulation_ids, diags)

    # Default strategies: the spec's own if it declares any, else std.strategies.
    strategies = [s for s in symbols.all_symbols() if s.kind == "strategy" and s.module == graph.root]
    strategies = strategies or [s for s in symbols.all_symbols()
                                if s.kind == "strategy" and s.module == "std.strategies"]
    setups = []
    for sym in symbols.all_symbols():
        if sym.kind != "dataset" or symbols.graph.modules[sym.module].is_std:
            continue
        decl = el.get(sym)
        if isinstance(decl, DatasetDecl):
            setup = setup_dataset(decl, el, strategies, diags)
            if setup is not None:
                setups.append(setup)
    root = graph.modules.get(graph.root)
    has_dataset = any(s.kind == "dataset" and s.module == graph.root
                      for s in symbols.all_symbols())
    if root is not None and root.tree is not None and not has_dataset and lower:
        diags.append(error("E290", "the spec declares no `dataset`; there is nothing to compile",
                           root.tree.span if not root.tree.items else root.tree.items[-1].span,
                           hint="add `dataset name { model \"local/smollm2\" ... }`"))
    diags = sorted(_dedupe(diags), key=sort_key)
    if any(d.is_error for d in diags) or not lower:
        return CompileResult(None, tuple(diags), graph.sources)

    emotions = sorted((e for s, e in el.done.items() if s.kind == "emotion" and e is not INVALID),
                      key=lambda e: e.name)
    lowerer = Lowerer(templates, tuple(emotions))
    infos, jobs = [], []
    for setup in sorted(setups, key=lambda s: s.name):
        info, ds_jobs = lowerer.dataset_jobs(setup)
        infos.append(info)
        jobs.extend(ds_jobs)
    for emotion in emotions:
        lowerer.use("emotions", emotion)
    for p in {lowerer.entities[k] for k in list(lowerer.entities) if k[0] == "panels"}:
        for member in p.members:
            lowerer.use("perspectives", _perspective(el, member))
    tables = {}
    for (table, _), entity in lowerer.entities.items():
        tables.setdefault(table, []).append(entity)
    tables = {t: tuple(sorted(v, key=lambda e: e.name)) for t, v in tables.items()}
    spec_hash = _sources_hash(graph)
    plan = ir.Plan(format=ir.PLAN_FORMAT, spec=spec, datasets=tuple(infos), jobs=tuple(jobs),
                   templates=templates, spec_hash=spec_hash, **tables)
    plan = attrs.evolve(plan, plan_hash=canonical_hash(
        [spec_hash, [j.content_hash for j in jobs], [j.gates_hash for j in jobs],
         to_data(plan.datasets)]))
    trial = trial_render(plan, override_spans)
    if trial:
        return CompileResult(None, tuple(sorted(diags + trial, key=sort_key)), graph.sources)
    return CompileResult(plan, tuple(diags), graph.sources)


def _source_span(decl: ast.Decl):
    """Where a `template` declaration's source text is written."""
    if decl.positional:
        return decl.positional[0].span
    field = decl.body.get("source") if decl.body else None
    return field.value.span if field is not None else decl.name.span


def _perspective(el: Elaborator, name: str) -> ir.Perspective:
    for sym, value in el.done.items():
        if sym.kind == "perspective" and isinstance(value, ir.Perspective) and value.name == name:
            return value
    raise KeyError(name)


def _check_regulation_refs(el: Elaborator, known: set[str], diags) -> None:
    from bdsl.diagnostics import did_you_mean

    for sym, value in el.done.items():
        if sym.kind != "compliance" or not isinstance(value, ir.Compliance):
            continue
        for rid in value.regulations:
            if rid not in known:
                near = did_you_mean(rid, known)
                field = sym.node.body.get("regulation") if sym.node.body else None
                diags.append(error("E270", f"compliance `{value.name}` cites regulation `{rid}`, "
                                   "which no `regulation` header declares",
                                   field.value.span if field else sym.node.name.span,
                                   hint=f"did you mean `{near}`?" if near else
                                   f'add `regulation "{rid}" version "..." effective YYYY-MM-DD`'))


def _sources_hash(graph) -> str:
    h = hashlib.sha256()
    for key in sorted(graph.modules):
        m = graph.modules[key]
        label = key if m.is_std else Path(key).name
        h.update(label.encode() + b"\0" + m.source.text.encode() + b"\0")
    return h.hexdigest()


def _dedupe(diags):
    seen, out = set(), []
    for d in diags:
        k = (d.code, d.message, d.span)
        if k not in seen:
            seen.add(k)
            out.append(d)
    return out


__all__ = ["CompileResult", "check_path", "compile_path", "with_hash", "ast"]
