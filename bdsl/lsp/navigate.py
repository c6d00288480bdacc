"""From the thing under the cursor to what it names: a declaration (Symbol) or a module.

Refs resolve with the compiler's own scopes (`Symbols.lookup`), so "go to definition"
lands where `bdsc check` would resolve the name: own declarations, selective and whole
imports, aliases, `std.<module>.<name>`, the prelude. When the schema does not say which
kind a name must be (a call argument, a modifier), the visible declaration of that name
is used, whatever its kind.
"""

from __future__ import annotations

import attrs

from bdsl import ast
from bdsl.compiler.resolve import GATE, Symbol
from bdsl.lsp.analysis import Analysis
from bdsl.lsp.locate import At, Target


@attrs.frozen
class ModuleRef:
    key: str  # "std.arcs" or an absolute path


Resolved = Symbol | ModuleRef | None


def resolve(an: Analysis, target: Target) -> Resolved:
    if an.symbols is None:
        return None
    root = an.graph.root
    if target.at == At.DECL_NAME:
        kind = GATE if isinstance(target.decl, ast.GateDecl) else target.decl.kind.text
        return an.symbols.scopes[root].own.get((kind, target.name))
    if target.at == At.IMPORT_TARGET:
        key = _import_key(an, target.imp)
        return ModuleRef(key) if key else None
    if target.at == At.IMPORT_NAME:
        key = _import_key(an, target.imp)
        if key is None or key not in an.symbols.scopes:
            return None
        return _first_named(an.symbols.scopes[key].own.values(), target.name)
    if target.at == At.REF:
        return _resolve_ref(an, target.ref, target.part, target.kind)
    return None


def _import_key(an: Analysis, imp: ast.Import) -> str | None:
    for stmt, key in an.root.imports:
        if stmt is imp:
            return key
    return None


def _resolve_ref(an: Analysis, ref: ast.Ref, part: int, kind: str | None) -> Resolved:
    symbols, root = an.symbols, an.graph.root
    parts = [p.text for p in ref.parts]
    scope = symbols.scopes[root]
    if part < len(parts) - 1:  # on a module part: `std`, `personas` or an alias
        if parts[0] == "std" and part == 1:
            key = f"std.{parts[1]}"
        elif part == 0 and parts[0] in scope.aliases:
            key = scope.aliases[parts[0]]
        else:
            return None
        return ModuleRef(key) if key in an.graph.modules else None
    if kind is not None:
        found = symbols.lookup(root, ref, kind)
        if isinstance(found, Symbol):
            return found
    name = parts[-1]
    if len(parts) == 1:
        return _first_named(symbols.visible(root), name, kind)
    head = parts[:-1]
    if head[0] == "std" and len(head) == 2:
        key = ".".join(head)
    elif len(head) == 1 and head[0] in scope.aliases:
        key = scope.aliases[head[0]]
    else:
        return None
    if key not in symbols.scopes:
        return None
    return _first_named(symbols.scopes[key].own.values(), name, kind)


def _first_named(candidates, name: str, kind: str | None = None) -> Symbol | None:
    named = [s for s in candidates if s.name == name]
    preferred = [s for s in named if s.kind == kind]
    return (preferred or named or [None])[0]
