"""Hover text (Markdown): a declaration with its resolved fields (after `extends`), the
docs of stdlib entries, a field's type and meaning from the schema, a kind's fields,
a module's contents, a gate check's or judged metric's description."""

from __future__ import annotations

from collections import defaultdict

from bdsl import ast
from bdsl.compiler.elaborate import Elaborator
from bdsl.compiler.resolve import Symbol
from bdsl.compiler.schema import BLOCKS, KINDS, FieldSpec
from bdsl.compiler.values import describe_type
from bdsl.gates.catalog import CHECKS, JUDGE_METRICS
from bdsl.lsp.analysis import Analysis
from bdsl.lsp.locate import At, Target
from bdsl.lsp.navigate import ModuleRef, resolve
from bdsl.source import SourceFile

MAX_FIELD_LINES = 6
TOP_LEVEL_WORDS = {
    "spec": "the spec's name and version: `spec \"name\" version \"1.0.0\"`",
    "regulation": "a regulation the spec implements, with its version and effective date",
    "import": "bring in a stdlib module (`import std.arcs { a, b }`) or a file "
              "(`import \"./voice.bds\" as voice`)",
    "gate": "a quality gate: `gate name: <check> | judge \"metric\" >= 0.7 | every ... turn ...`",
}


def hover_markdown(an: Analysis, target: Target) -> str | None:
    if target.at == At.KIND:
        return kind_doc(target.name)
    if target.at == At.FIELD:
        return field_doc(target.field, target.owner) if target.field else None
    if target.at == At.QUALIFIER:
        spec = KINDS.get(target.decl.kind.text)
        if spec and spec.qualifier:
            return (f"`{target.decl.kind.text} ... : {target.name}`: one of "
                    + ", ".join(f"`{q}`" for q in spec.qualifier))
        return None
    if target.at == At.GATE_CHECK:
        check = CHECKS.get(target.name)
        if check is None:
            return None
        options = f"\n\noptions: {', '.join(f'`{o}`' for o in check.options)}" \
            if check.options else ""
        return f"**check** `{check.name}` ({check.scope} scope): {check.doc}{options}"
    if target.at == At.GATE_METRIC:
        metric = JUDGE_METRICS.get(target.name)
        return f"**judged metric** `{target.name}`: {metric.doc}" if metric else None
    found = resolve(an, target)
    if isinstance(found, Symbol):
        return symbol_doc(an, found)
    if isinstance(found, ModuleRef):
        return module_doc(an, found.key)
    return None


# -- declarations ---------------------------------------------------------------------

def symbol_doc(an: Analysis, sym: Symbol) -> str:
    node = sym.node
    src = an.source(node.span.path)
    parts = [f"```bds\n{_resolved_text(an, sym, src)}\n```"]
    where = sym.module if sym.module.startswith("std.") else node.span.path
    parts.append(f"*{sym.kind} declared in {where}, line {node.span.line}*")
    comments = _comment_above(src, node.span.line) if src else ""
    if comments:
        parts.append(comments)
    if isinstance(node, ast.GateDecl):
        rule = node.rule
        if isinstance(rule, ast.CheckRule) and rule.check.text in CHECKS:
            parts.append(f"check `{rule.check.text}`: {CHECKS[rule.check.text].doc}")
        elif isinstance(rule, ast.JudgeRule) and rule.metric.text in JUDGE_METRICS:
            parts.append(f"judged metric `{rule.metric.text}`: "
                         f"{JUDGE_METRICS[rule.metric.text].doc}")
    elif sym.kind in KINDS:
        parts.append(f"**{sym.kind}**: {KINDS[sym.kind].doc}")
    return "\n\n".join(parts)


def _resolved_text(an: Analysis, sym: Symbol, src: SourceFile | None) -> str:
    node = sym.node
    if src is None:
        return f"{sym.kind} {sym.name}"
    if isinstance(node, ast.GateDecl):
        return src.text[node.span.start:node.span.end].strip()
    spec = KINDS.get(sym.kind)
    head = f"{node.kind.text} {node.name.text}" + (
        f" : {node.qualifier.text}" if node.qualifier else "") + (
        f" extends {node.extends.dotted}" if node.extends else "")  # also for YAML tables
    if spec is None or an.symbols is None:
        return head
    chain = _extends_chain(an, sym)
    merged = Elaborator(an.symbols, []).fields_of(sym, spec)
    lines = [head]
    order = [f.name for f in spec.fields] + sorted(set(merged) - {f.name for f in spec.fields})
    for name in order:
        for f in merged.get(name, ()):
            text = _field_text(an, f, name)
            origin = next((s for s in chain if _contains(s.node, f)), sym)
            note = "" if origin is sym else f"  # from {origin.kind} {origin.name}" + (
                f" ({origin.module})" if origin.module.startswith("std.") else "")
            lines.append("  " + text + note)
    return "\n".join(lines)


def _field_text(an: Analysis, f: ast.Field, name: str) -> str:
    fsrc = an.source(f.span.path)
    if fsrc is None:
        return name
    value = fsrc.text[f.value.span.start:f.value.span.end]
    if f.key.span.start == f.key.span.end:  # keyless arc stages
        text = value
    elif f.key.span == f.value.span:  # a header value (`topic x "Title"`)
        text = f"{name} {value}"
    else:
        text = fsrc.text[f.span.start:f.span.end]
    lines = text.splitlines() or [""]
    if len(lines) > MAX_FIELD_LINES:
        lines = lines[:MAX_FIELD_LINES] + ["  …"]
    return "\n".join(lines)


def _extends_chain(an: Analysis, sym: Symbol) -> list[Symbol]:
    chain, cur = [sym], sym
    while isinstance(cur.node, ast.Decl) and cur.node.extends is not None:
        nxt = an.symbols.lookup(cur.module, cur.node.extends, cur.kind)
        if not isinstance(nxt, Symbol) or nxt in chain:
            break
        chain.append(nxt)
        cur = nxt
    return chain


def _contains(node, f: ast.Field) -> bool:
    s = node.span
    return f.span.path == s.path and s.start <= f.span.start and f.span.end <= s.end


def _comment_above(src: SourceFile, line: int) -> str:
    """The comment lines directly above a declaration, as plain text."""
    out = []
    n = line - 1
    while n >= 1:
        text = src.line_text(n).strip()
        if not text.startswith("#"):
            break
        out.append(text.lstrip("#").strip())
        n -= 1
    return " ".join(reversed(out)).strip()


# -- schema -----------------------------------------------------------------------------

def field_doc(fs: FieldSpec, owner: str) -> str:
    flags = ["required" if fs.required else "optional"]
    if fs.repeat:
        flags.append("may repeat (each line is one rule)")
    where = f"field of `{owner}`" if owner in KINDS else f"field of a `{owner}` block"
    text = [f"**{fs.name}** · {where} · {', '.join(flags)}",
            f"type `{fs.type}`: {describe_type(fs.type)}"]
    if fs.doc:
        text.append(fs.doc)
    if fs.modifiers:
        text.append("modifiers: " + ", ".join(f"`{m}`" for m in fs.modifiers))
    if fs.type.startswith("block:") and fs.type[6:] in BLOCKS:
        text.append("fields: " + ", ".join(f"`{f.name}`" for f in BLOCKS[fs.type[6:]]))
    return "\n\n".join(text)


def kind_doc(kind: str) -> str | None:
    if kind in TOP_LEVEL_WORDS:
        return f"**{kind}**: {TOP_LEVEL_WORDS[kind]}"
    spec = KINDS.get(kind)
    if spec is None:
        return None
    out = [f"**{kind}**: {spec.doc}"]
    if spec.qualifier:
        need = "required" if spec.qualifier_required else "optional"
        out.append(f"qualifier ({need}): " + " | ".join(f"`{q}`" for q in spec.qualifier))
    if spec.positional:
        out.append("header values: " + ", ".join(f"`{p}`" for p in spec.positional))
    if spec.extendable:
        out.append("can `extends` another " + kind)
    rows = [f"- `{f.name}`{' (required)' if f.required else ''}: {describe_type(f.type)}"
            + (f"; {f.doc}" if f.doc else "") for f in spec.fields]
    out.append("\n".join(rows))
    return "\n\n".join(out)


# -- modules ----------------------------------------------------------------------------

def module_doc(an: Analysis, key: str) -> str:
    module = an.graph.modules.get(key)
    if module is None:
        return f"module `{key}`"
    title = key if module.is_std else module.source.path
    out = [f"**module** `{title}`"]
    header = _leading_comments(module.source)
    if header:
        out.append(header)
    by_kind: dict[str, list[str]] = defaultdict(list)
    if an.symbols is not None and key in an.symbols.scopes:
        for (kind, name) in an.symbols.scopes[key].own:
            by_kind[kind].append(name)
    for kind in sorted(by_kind):
        names = sorted(by_kind[kind])
        shown = ", ".join(f"`{n}`" for n in names[:12]) + (" …" if len(names) > 12 else "")
        out.append(f"- {len(names)} {kind}: {shown}")
    return "\n\n".join(out)


def _leading_comments(src: SourceFile) -> str:
    out = []
    for line in src.text.splitlines():
        if not line.startswith("#"):
            break
        out.append(line.lstrip("#").strip())
    return " ".join(out).strip()
