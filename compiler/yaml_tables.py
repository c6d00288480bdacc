"""YAML tables as modules: a top-level mapping of declaration kind -> list of records.

    topic:
      - name: emergency_fund
        title: Building an emergency fund

Each record becomes a declaration with the same meaning (and the same checks) as
if it were written in .bds; spans point at the YAML so errors land on the right line.

Anchors and aliases work, within a bound: the table may expand to at most
MAX_EXPANDED_VALUES values, so a kilobyte "billion laughs" alias bomb is refused at the
alias that crosses it (E113) instead of being walked for minutes and gigabytes.
"""

from __future__ import annotations

import yaml

from bdsl import ast
from bdsl.compiler.schema import BLOCKS, KINDS
from bdsl.diagnostics import Diagnostic, error
from bdsl.source import SourceFile

MAX_EXPANDED_VALUES = 100_000  # values after aliases are expanded (a real table: hundreds)


class _AliasBomb(Exception):
    def __init__(self, mark, expanded: int):
        self.mark, self.expanded = mark, expanded


class _BoundedLoader(yaml.SafeLoader):
    """Composes the node graph (aliases share nodes, so composing is cheap) while counting
    what the aliases would expand to; stops at the alias that takes it over the bound."""

    def __init__(self, stream):
        super().__init__(stream)
        self.expanded = 0
        self._sizes: dict[int, int] = {}

    def compose_node(self, parent, index):
        alias = self.check_event(yaml.AliasEvent)
        mark = self.peek_event().start_mark if alias else None
        node = super().compose_node(parent, index)
        size = self._size(node)
        self.expanded += size if alias else 1
        if self.expanded > MAX_EXPANDED_VALUES:
            raise _AliasBomb(mark or node.start_mark, self.expanded)
        return node

    def _size(self, node) -> int:
        """Values under `node` once every alias inside it is expanded (memoized per node;
        children are composed before their parent, so their sizes are known)."""
        known = self._sizes.get(id(node))
        if known is not None:
            return known
        if isinstance(node, yaml.SequenceNode):
            size = 1 + sum(self._size(n) for n in node.value)
        elif isinstance(node, yaml.MappingNode):
            size = 1 + sum(self._size(k) + self._size(v) for k, v in node.value)
        else:
            size = 1
        self._sizes[id(node)] = size
        return size


def _compose(text: str):
    loader = _BoundedLoader(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def yaml_to_module(src: SourceFile) -> tuple[ast.Module | None, list[Diagnostic]]:
    try:
        root = _compose(src.text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        offset = mark.index if mark is not None else 0
        problem = getattr(exc, "problem", None) or str(exc)
        return None, [error("E110", f"invalid YAML: {problem}", src.span(offset, offset + 1))]
    except _AliasBomb as exc:
        at = exc.mark.index
        return None, [error("E113", f"YAML aliases expand this table to more than "
                            f"{MAX_EXPANDED_VALUES:,} values", src.span(at, at + 1),
                            hint="an alias of an alias of ... multiplies (a \"billion laughs\" "
                                 "bomb); write the values out, or alias less deeply")]
    except RecursionError:
        return None, [error("E110", "invalid YAML: nested too deeply", src.span(0, 1),
                            hint="flatten the table: records of fields, lists of values")]
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
