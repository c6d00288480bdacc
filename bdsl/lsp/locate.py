"""What is under the cursor: walk a parsed module to the innermost thing at an offset,
keeping the schema context (which kind, which field, which declaration kind a name
must be) that hover and definition need."""

from __future__ import annotations

from enum import StrEnum

import attrs

from bdsl import ast
from bdsl.compiler.schema import BLOCKS, KINDS, FieldSpec
from bdsl.source import Span


class At(StrEnum):
    KIND = "kind"  # the kind word of a declaration: `persona`
    DECL_NAME = "decl_name"  # a declaration's own name
    QUALIFIER = "qualifier"  # `: user`
    FIELD = "field"  # a field key inside a body or nested block
    REF = "ref"  # a (possibly dotted) name referring to a declaration or module
    IMPORT_TARGET = "import_target"  # `std.arcs` or "./voice.bds" in an import
    IMPORT_NAME = "import_name"  # a name in `import m { a, b }`
    GATE_CHECK = "gate_check"  # `not_truncated` in `gate x: not_truncated`
    GATE_METRIC = "gate_metric"  # "empathy" in `gate x: judge "empathy" >= 0.7`


@attrs.frozen
class Target:
    at: At
    span: Span
    decl: ast.Decl | ast.GateDecl | None = None
    field: FieldSpec | None = None
    owner: str = ""  # the kind or block a field belongs to
    ref: ast.Ref | None = None
    part: int = 0  # index of the dotted part under the cursor
    kind: str | None = None  # the declaration kind a ref must name, when the schema says
    imp: ast.Import | None = None
    name: str = ""


def inside(span: Span, offset: int) -> bool:
    return span.start <= offset <= span.end


def find(tree: ast.Module, offset: int) -> Target | None:
    for item in tree.items:
        if not inside(item.span, offset):
            continue
        if isinstance(item, ast.Import):
            return _in_import(item, offset)
        if isinstance(item, ast.Decl):
            return _in_decl(item, offset)
        if isinstance(item, ast.GateDecl):
            return _in_gate(item, offset)
    return None


def _in_import(imp: ast.Import, offset: int) -> Target | None:
    if inside(imp.target_span, offset):
        return Target(At.IMPORT_TARGET, imp.target_span, imp=imp, name=imp.target)
    for n in imp.names:
        if inside(n.span, offset):
            return Target(At.IMPORT_NAME, n.span, imp=imp, name=n.text)
    return None


def _in_gate(gate: ast.GateDecl, offset: int) -> Target | None:
    if inside(gate.name.span, offset):
        return Target(At.DECL_NAME, gate.name.span, decl=gate, name=gate.name.text)
    rule = gate.rule
    if isinstance(rule, ast.CheckRule) and inside(rule.check.span, offset):
        return Target(At.GATE_CHECK, rule.check.span, decl=gate, name=rule.check.text)
    if isinstance(rule, ast.JudgeRule) and inside(rule.metric.span, offset):
        return Target(At.GATE_METRIC, rule.metric.span, decl=gate, name=rule.metric.text)
    return None


def _in_decl(decl: ast.Decl, offset: int) -> Target | None:
    kind = decl.kind.text
    spec = KINDS.get(kind)
    if inside(decl.kind.span, offset):
        return Target(At.KIND, decl.kind.span, decl=decl, name=kind)
    if inside(decl.name.span, offset):
        return Target(At.DECL_NAME, decl.name.span, decl=decl, name=decl.name.text)
    if decl.qualifier is not None and inside(decl.qualifier.span, offset):
        return Target(At.QUALIFIER, decl.qualifier.span, decl=decl, name=decl.qualifier.text)
    if decl.extends is not None and inside(decl.extends.span, offset):
        return _in_ref(decl.extends, kind, offset)
    names = spec.positional if spec else ()
    for i, value in enumerate(decl.positional):
        fs = spec.field(names[i]) if spec and i < len(names) else None
        found = _in_value(value, fs.type if fs else None, offset)
        if found:
            return found
    if decl.body is not None and inside(decl.body.span, offset):
        return _in_block(decl.body, spec.fields if spec else None, kind, offset)
    return None


def _in_block(block: ast.Block, fields: tuple[FieldSpec, ...] | None, owner: str,
              offset: int) -> Target | None:
    by_name = {f.name: f for f in fields or ()}
    for f in block.fields:
        if not inside(f.span, offset):
            continue
        fs = by_name.get(f.key.text)
        written_key = f.key.span.end > f.key.span.start and f.key.span != f.value.span
        if written_key and inside(f.key.span, offset) and fields is not None:
            return Target(At.FIELD, f.key.span, field=fs, owner=owner, name=f.key.text)
        found = _in_value(f.value, fs.type if fs else None, offset)
        if found:
            return found
        for m in f.modifiers:
            found = _in_value(m.value, None, offset)
            if found:
                return found
    return None


def _element(ftype: str | None) -> str | None:
    return ftype[5:] if ftype and ftype.startswith("list:") else None


def expected_kind(ftype: str | None) -> str | None:
    """The declaration kind a bare name must be, for a schema type."""
    while ftype and ftype.startswith("list:"):
        ftype = ftype[5:]
    if not ftype:
        return None
    if ftype.startswith("ref:"):
        return ftype[4:]
    if ftype == "gate_use":
        return "gate"
    return None


def _in_value(v, ftype: str | None, offset: int) -> Target | None:
    if not inside(v.span, offset):
        return None
    if isinstance(v, ast.Ref):
        return _in_ref(v, expected_kind(ftype), offset)
    if isinstance(v, ast.Call):
        if inside(v.callee.span, offset):
            base = ftype
            while base and base.startswith("list:"):
                base = base[5:]
            emotion = base in ("emotion_point", "stages")
            return _in_ref(v.callee, "emotion" if emotion else None, offset)
        for a in v.args:
            found = _in_value(a, None, offset)
            if found:
                return found
        for kw in v.kwargs:
            found = _in_value(kw.value, None, offset)
            if found:
                return found
        return None
    if isinstance(v, ast.ListV):
        for item in v.items:
            found = _in_value(item, _element(ftype), offset)
            if found:
                return found
        return None
    if isinstance(v, ast.Chain):
        for item in v.items:
            found = _in_value(item, ftype, offset)
            if found:
                return found
        return None
    if isinstance(v, ast.Comparison):
        return _in_value(v.left, ftype, offset) or _in_value(v.right, None, offset)
    if isinstance(v, ast.Block):
        if ftype and ftype.startswith("block:"):
            name = ftype[6:]
            return _in_block(v, BLOCKS.get(name), name, offset)
        inner = ftype[4:] if ftype and ftype.startswith("map:") else None
        for f in v.fields:
            found = _in_value(f.value, inner, offset)
            if found:
                return found
    return None


def _in_ref(ref: ast.Ref, kind: str | None, offset: int) -> Target | None:
    for i, part in enumerate(ref.parts):
        if inside(part.span, offset):
            return Target(At.REF, ref.span, ref=ref, part=i, kind=kind, name=part.text)
    return None
