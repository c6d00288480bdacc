"""Document symbols: every top-level item, declarations with their fields as children."""

from __future__ import annotations

import attrs
from lsprotocol.types import SymbolKind

from bdsl import ast
from bdsl.source import Span

# One LSP symbol kind per declaration kind, so editors show distinct icons.
SYMBOL_KINDS = {
    "persona": SymbolKind.Class, "family": SymbolKind.Enum, "emotion": SymbolKind.EnumMember,
    "arc": SymbolKind.Event, "topic": SymbolKind.String, "strategy": SymbolKind.Method,
    "perspective": SymbolKind.Interface, "panel": SymbolKind.Struct,
    "culture": SymbolKind.Namespace, "compliance": SymbolKind.Key,
    "methodology": SymbolKind.Function, "curriculum": SymbolKind.Array,
    "template": SymbolKind.File, "dataset": SymbolKind.Object, "gate": SymbolKind.Boolean,
}


@attrs.frozen
class Outline:
    name: str
    detail: str
    kind: SymbolKind
    span: Span
    selection: Span
    children: tuple[Outline, ...] = ()


def outline(tree: ast.Module) -> list[Outline]:
    out = []
    for item in tree.items:
        if isinstance(item, ast.Header):
            out.append(Outline(f"{item.keyword} {item.title.value}", "", SymbolKind.Package,
                               item.span, item.title.span))
        elif isinstance(item, ast.Import):
            names = ", ".join(n.text for n in item.names)
            out.append(Outline(item.target, f"{{ {names} }}" if names else
                               (f"as {item.alias.text}" if item.alias else "import"),
                               SymbolKind.Module, item.span, item.target_span))
        elif isinstance(item, ast.GateDecl):
            out.append(Outline(item.name.text, "gate", SymbolKind.Boolean, item.span,
                               item.name.span))
        elif isinstance(item, ast.Decl):
            kind = item.kind.text
            detail = kind + (f" : {item.qualifier.text}" if item.qualifier else "") + (
                f" extends {item.extends.dotted}" if item.extends else "")
            fields = tuple(
                Outline(f.key.text, "", SymbolKind.Field, f.span,
                        f.key.span if f.key.span.end > f.key.span.start else f.span)
                for f in (item.body.fields if item.body else ()))
            out.append(Outline(item.name.text, detail, SYMBOL_KINDS.get(kind, SymbolKind.Object),
                               item.span, item.name.span, fields))
    return out
