"""Name resolution: per-module scopes, imports, qualified names, `extends` chains.

Lookup order for an unqualified name of a given kind, in module M:
  1. M's own declarations      2. names M imports selectively (`import m { x }`)
  3. modules M imports whole (`import std.arcs`)      4. the prelude (std.emotions, std.strategies)
Qualified names: `std.<module>.<name>`, `<alias>.<name>` (`import "./f.bds" as alias`) and
`<module>.<name>` for a whole-module import (`import std.personas` -> `personas.x`).
Declarations of different kinds live in different namespaces (`family joy`, `emotion joy`).
"""

from __future__ import annotations

from collections.abc import Iterator

import attrs

from bdsl import ast
from bdsl.compiler.loader import PRELUDE, ModuleGraph
from bdsl.diagnostics import Diagnostic, Related, did_you_mean, error

GATE = "gate"


@attrs.frozen
class Symbol:
    module: str  # module key
    kind: str
    name: str
    node: ast.Decl | ast.GateDecl


@attrs.define
class Scope:
    key: str
    own: dict[tuple[str, str], Symbol] = attrs.field(factory=dict)
    selective: dict[str, str] = attrs.field(factory=dict)  # name -> module key
    whole: list[str] = attrs.field(factory=list)  # module keys imported whole
    aliases: dict[str, str] = attrs.field(factory=dict)  # alias or short name -> module key


class Symbols:
    def __init__(self, graph: ModuleGraph):
        self.graph = graph
        self.scopes: dict[str, Scope] = {}
        self.diagnostics: list[Diagnostic] = []
        for key, module in graph.modules.items():
            self.scopes[key] = self._scope(key, module)
        for key, module in graph.modules.items():
            self._bind_imports(self.scopes[key], module)

    # -- building -------------------------------------------------------------------
    def _scope(self, key: str, module) -> Scope:
        scope = Scope(key)
        if module.tree is None:
            return scope
        for item in module.tree.items:
            if isinstance(item, ast.Decl):
                sym = Symbol(key, item.kind.text, item.name.text, item)
            elif isinstance(item, ast.GateDecl):
                sym = Symbol(key, GATE, item.name.text, item)
            else:
                continue
            slot = (sym.kind, sym.name)
            if slot in scope.own:
                first = scope.own[slot].node
                self.diagnostics.append(error(
                    "E201", f"{sym.kind} `{sym.name}` is declared twice", _name_span(item),
                    related=[Related(_name_span(first), "first declared here")],
                    hint="rename one of them"))
                continue
            scope.own[slot] = sym
        return scope

    def _bind_imports(self, scope: Scope, module) -> None:
        for imp, target in module.imports:
            if target is None:
                continue
            if imp.alias is not None:
                scope.aliases[imp.alias.text] = target
            if imp.names:
                names_there = {name for (_, name) in self.scopes[target].own}
                for n in imp.names:
                    if n.text not in names_there:
                        near = did_you_mean(n.text, names_there)
                        self.diagnostics.append(error(
                            "E204", f"`{imp.target}` has no declaration named `{n.text}`",
                            n.span, hint=f"did you mean `{near}`?" if near else None))
                    else:
                        scope.selective[n.text] = target
            elif imp.alias is None:
                scope.whole.append(target)
                if not imp.is_file:
                    scope.aliases.setdefault(imp.target.split(".")[-1], target)

    # -- lookup ---------------------------------------------------------------------
    def lookup(self, module_key: str, ref: ast.Ref, kind: str) -> Symbol | Diagnostic:
        """Resolve `ref` as a declaration of `kind`; a Diagnostic explains a failure."""
        parts = [p.text for p in ref.parts]
        scope = self.scopes[module_key]
        if len(parts) == 1:
            return self._unqualified(scope, parts[0], kind, ref)
        head, name = parts[:-1], parts[-1]
        if head[0] == "std" and len(head) == 2:
            target = ".".join(head)
        elif len(head) == 1 and head[0] in scope.aliases:
            target = scope.aliases[head[0]]
        else:
            return error("E202", f"unknown module `{'.'.join(head)}` in `{ref.dotted}`", ref.span,
                         hint="import it first, or write std.<module>.<name>")
        if target not in self.scopes:
            return error("E202", f"unknown module `{'.'.join(head)}`", ref.span)
        sym = self.scopes[target].own.get((kind, name))
        if sym is None:
            return self._unknown(kind, name, ref, self.scopes[target].own.values())
        return sym

    def _unqualified(self, scope: Scope, name: str, kind: str, ref: ast.Ref) -> Symbol | Diagnostic:
        sym = scope.own.get((kind, name))
        if sym:
            return sym
        if name in scope.selective:
            sym = self.scopes[scope.selective[name]].own.get((kind, name))
            if sym:
                return sym
        found = [self.scopes[m].own[(kind, name)] for m in scope.whole
                 if (kind, name) in self.scopes[m].own]
        if len(found) > 1:
            return error("E205", f"`{name}` is ambiguous: several imported modules define it",
                         ref.span, related=[Related(_name_span(s.node), f"defined in {s.module}")
                                            for s in found],
                         hint="qualify it, e.g. `module.name`, or import it selectively")
        if found:
            return found[0]
        for prelude in PRELUDE:
            if prelude in self.scopes and (kind, name) in self.scopes[prelude].own:
                return self.scopes[prelude].own[(kind, name)]
        return self._unknown(kind, name, ref, self.visible(scope.key))

    def _unknown(self, kind: str, name: str, ref: ast.Ref, candidates) -> Diagnostic:
        pool = [s.name for s in candidates if s.kind == kind]
        near = did_you_mean(name, pool)
        hint = None
        if near:
            hint = f"did you mean `{near}`?"
        else:
            elsewhere = [s for sc in self.scopes.values() for s in sc.own.values()
                         if s.kind == kind and s.name == name]
            if elsewhere:
                where = elsewhere[0].module
                hint = (f"`{name}` is defined in {where}; import it: `import {where} {{ {name} }}`"
                        if where.startswith("std.") else f"`{name}` is defined in another file")
        other = [s.kind for sc in self.scopes.values() for s in sc.own.values()
                 if s.name == name and s.kind != kind]
        if other and not hint:
            hint = f"`{name}` is a {other[0]}, not a {kind}"
        return error("E203", f"unknown {kind} `{ref.dotted}`", ref.span, hint=hint)

    def visible(self, module_key: str) -> Iterator[Symbol]:
        scope = self.scopes[module_key]
        yield from scope.own.values()
        for name, m in scope.selective.items():
            yield from (s for s in self.scopes[m].own.values() if s.name == name)
        for m in scope.whole:
            yield from self.scopes[m].own.values()
        for p in PRELUDE:
            if p in self.scopes:
                yield from self.scopes[p].own.values()

    def all_symbols(self) -> Iterator[Symbol]:
        for scope in self.scopes.values():
            yield from scope.own.values()


def _name_span(node):
    return node.name.span
