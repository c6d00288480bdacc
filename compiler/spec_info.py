"""The spec header, regulation references and prompt templates (stdlib + overrides)."""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path

from bdsl import ast, ir
from bdsl.compiler.loader import ModuleGraph
from bdsl.compiler.resolve import Symbols
from bdsl.compiler.values import ValueReader
from bdsl.diagnostics import Diagnostic, Related, did_you_mean, error, warning

SPEC_FIELDS = {"version": "str", "description": "text", "owner": "str"}
REGULATION_FIELDS = {"version": "str", "effective": "date", "title": "str", "url": "str"}


def read_spec_info(graph: ModuleGraph, symbols: Symbols, diags: list[Diagnostic]) -> ir.SpecInfo:
    root = graph.modules.get(graph.root)
    reader = ValueReader(symbols, diags)
    name, version, regulations = Path(graph.root).stem, "", []
    seen_spec = None
    seen_regs: dict[str, ast.Header] = {}
    for key, module in graph.modules.items():
        if module.tree is None or module.is_std:
            continue
        for item in module.tree.items:
            if not isinstance(item, ast.Header):
                continue
            allowed = SPEC_FIELDS if item.keyword == "spec" else REGULATION_FIELDS
            values = {}
            for pair in item.pairs:
                t = allowed.get(pair.key.text)
                if t is None:
                    near = did_you_mean(pair.key.text, allowed)
                    diags.append(error("E210", f"unknown field `{pair.key.text}` in `{item.keyword}`",
                                       pair.key.span, hint=f"did you mean `{near}`?" if near else
                                       "fields: " + ", ".join(allowed)))
                    continue
                values[pair.key.text] = reader.read(pair.value, t, key, pair.key.text)
            if item.keyword == "spec":
                if module is not root:
                    diags.append(warning("W283", "`spec` header in an imported file is ignored",
                                         item.span))
                elif seen_spec is not None:
                    diags.append(error("E282", "a spec has one `spec` header", item.span))
                else:
                    seen_spec = item
                    name, version = item.title.value, str(values.get("version") or "")
            else:
                rid = item.title.value
                if rid in seen_regs:
                    diags.append(error("E284", f"regulation `{rid}` is referenced twice",
                                       item.title.span))
                    continue
                seen_regs[rid] = item
                regulations.append(ir.Regulation(rid, str(values.get("version") or ""),
                                                 str(values.get("effective") or ""),
                                                 str(values.get("title") or "")))
    if root is not None and root.tree is not None and seen_spec is None:
        diags.append(warning("W281", f"no `spec` header; the spec is named `{name}`",
                             root.tree.span if not root.tree.items else root.tree.items[0].span,
                             hint=f'start the file with `spec "{name}" version "0.1.0"`'))
    return ir.SpecInfo(name, version, root.source.path if root else graph.root,
                       tuple(sorted(regulations, key=lambda r: r.id)))


def std_templates() -> dict[str, str]:
    base = resources.files("bdsl.stdlib").joinpath("templates")
    if not base.is_dir():
        return {}
    return {p.name[:-3]: p.read_text(encoding="utf-8") for p in base.iterdir()
            if p.name.endswith(".j2")}


def read_templates(overrides: list[tuple[str, str, ast.Decl]], diags: list[Diagnostic]
                   ) -> tuple[ir.Template, ...]:
    # stdlib templates, with a spec's `template NAME """..."""` overriding by name.
    stock = std_templates()
    chosen = {n: ir.Template(n, s, "std", _sha(s)) for n, s in stock.items()}
    seen: dict[str, ast.Decl] = {}
    for name, source, decl in overrides:
        if name in seen:
            diags.append(error("E262", f"template `{name}` is overridden in two places",
                               decl.name.span, related=[Related(seen[name].name.span,
                                                                "first override here")]))
            continue
        seen[name] = decl
        if stock and name not in stock:
            near = did_you_mean(name, stock)
            diags.append(error("E260", f"no stdlib template is named `{name}`", decl.name.span,
                               hint=f"did you mean `{near}`?" if near else
                               "templates: " + ", ".join(sorted(stock))))
            continue
        if _jinja_error(source, decl, diags):
            continue
        chosen[name] = ir.Template(name, source, decl.span.path, _sha(source))
    return tuple(chosen[n] for n in sorted(chosen))


def _jinja_error(source: str, decl: ast.Decl, diags: list[Diagnostic]) -> bool:
    import jinja2
    from jinja2.sandbox import SandboxedEnvironment

    try:
        SandboxedEnvironment(undefined=jinja2.StrictUndefined).parse(source)
    except jinja2.TemplateSyntaxError as exc:
        value = decl.positional[0] if decl.positional else decl
        diags.append(error("E261", f"template `{decl.name.text}`: {exc.message} "
                           f"(template line {exc.lineno})", value.span,
                           hint="templates are jinja2: {{ variable }}, {% if %}...{% endif %}"))
        return True
    except RecursionError:
        value = decl.positional[0] if decl.positional else decl
        diags.append(error("E261", f"template `{decl.name.text}` is nested too deeply to "
                           "parse", value.span, hint="split it into simpler expressions"))
        return True
    return False


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
