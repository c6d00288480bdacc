"""YAML tables as modules: a top-level mapping of declaration kind -> list of records.

    topic:
      - name: emergency_fund
        title: Building an emergency fund

Each record becomes a declaration with the same meaning (and the same checks) as
if it were written in .bds; spans point at the YAML so errors land on the right line.
"""

from __future__ import annotations

import yaml

from bdsl import ast
from bdsl.compiler.schema import BLOCKS, KINDS
from bdsl.diagnostics import Diagnostic, error
from bdsl.source import SourceFile


def yaml_to_module(src: SourceFile) -> tuple[ast.Module | None, list[Diagnostic]]:
    try:
        root = yaml.compose(src.text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        offset = mark.index if mark is not None else 0
        problem = getattr(exc, "problem", None) or str(exc)
        return None, [error("E110", f"invalid YAML: {problem}", src.span(offset, offset + 1))]
    whole = src.span(0, len(src.text))
    if root is None:
        return ast.Module(src.path, (), whole), []
    conv = _Converter(src)
    if not isinstance(root, yaml.MappingNode):
        return None, [error("E111", "a YAML table must map declaration kinds to lists",
                            conv.span(root), hint="e.g. `topic:` followed by `- name: ...` items")]
    items: list[ast.Item] = []
    for key_node, value_node in root.value:
        kind = str(key_node.value)
        if not isinstance(value_node, yaml.SequenceNode):
            conv.diags.append(error("E111", f"`{kind}` must be a list of records",
                                    conv.span(value_node)))
            continue
        for record in value_node.value:
            decl = conv.record(kind, key_node, record)
            if decl is not None:
                items.append(decl)
    return ast.Module(src.path, tuple(items), whole), conv.diags


class _Converter:
    def __init__(self, src: SourceFile):
        self.src = src
        self.diags: list[Diagnostic] = []

    def span(self, node):
        return self.src.span(node.start_mark.index, max(node.end_mark.index,
                                                        node.start_mark.index + 1))

    def record(self, kind: str, kind_node, node) -> ast.Decl | None:
        if not isinstance(node, yaml.MappingNode):
            self.diags.append(error("E111", f"each `{kind}` item must be a mapping with a `name`",
                                    self.span(node)))
            return None
        pairs = {str(k.value): (k, v) for k, v in node.value}
        if "name" not in pairs or not isinstance(pairs["name"][1], yaml.ScalarNode):
            self.diags.append(error("E112", f"a `{kind}` record needs a `name`", self.span(node)))
            return None
        name_node = pairs.pop("name")[1]
        spec = KINDS.get(kind)
        fields = []
        for key, (k, v) in pairs.items():
            ftype = spec.field(key).type if spec and spec.field(key) else ""
            if key == "qualifier":
                continue
            fields.append(ast.Field(ast.Name(key, self.span(k)), self.value(v, ftype), (),
                                    self.src.span(k.start_mark.index, v.end_mark.index)))
        qualifier = None
        if "qualifier" in pairs:
            q = pairs["qualifier"][1]
            qualifier = ast.Name(str(q.value), self.span(q))
        body = ast.Block(tuple(fields), self.span(node))
        return ast.Decl(ast.Name(kind, self.span(kind_node)),
                        ast.Name(str(name_node.value), self.span(name_node)),
                        qualifier, None, (), body, self.span(node))

    def value(self, node, ftype: str):
        span = self.span(node)
        if isinstance(node, yaml.SequenceNode):
            inner = ftype[5:] if ftype.startswith("list:") else ""
            return ast.ListV(tuple(self.value(n, inner) for n in node.value), span)
        if isinstance(node, yaml.MappingNode):
            sub = BLOCKS.get(ftype[6:], ()) if ftype.startswith("block:") else ()
            types = {f.name: f.type for f in sub}
            inner = ftype[4:] if ftype.startswith("map:") else ""
            return ast.Block(tuple(
                ast.Field(ast.Name(str(k.value), self.span(k)),
                          self.value(v, types.get(str(k.value), inner)), (),
                          self.src.span(k.start_mark.index, v.end_mark.index))
                for k, v in node.value), span)
        text = str(node.value)
        tag = node.tag
        if ftype.startswith(("ref:", "choice:")) and tag.endswith(":str"):
            parts = tuple(ast.Name(p, span) for p in text.split("."))
            return ast.Ref(parts, span)
        if tag.endswith(":int") or tag.endswith(":float"):
            try:
                return ast.Num(float(text), text, span)
            except ValueError:
                pass
        if tag.endswith(":bool"):
            return ast.Bool(text.lower() in ("true", "yes", "on"), span)
        return ast.Str(text, span)
