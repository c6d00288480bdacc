"""`bdsc fmt`: print a parsed module in canonical form, keeping every comment.

Canonical form: two-space indents, one field per line, `{ ... }` maps and `[ ... ]`
lists inline while they fit in WIDTH columns, a declaration written on one line
kept on one line while it fits, one blank line kept wherever the
author left one or more. Comments on their own line stay before the field or item
that follows them; a comment at the end of a line stays there when that line
survives as one line, and otherwise moves just above it. Idempotent by test.
"""

from __future__ import annotations

import re

from bdsl import ast
from bdsl.parser import parse_module
from bdsl.source import SourceFile

WIDTH = 100
INDENT = "  "

_SCAN = re.compile(r'"""(?:.|\n)*?"""|"(?:[^"\\\n]|\\.)*"|/(?:[^/\\\n]|\\.)+/[imsx]*|(#[^\n]*)')


def quote_string(text: str) -> str:
    """A .bds string literal for `text`."""
    escaped = (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
               .replace("\t", "\\t").replace("\r", "\\r"))
    return f'"{escaped}"'


class FormatError(Exception):
    def __init__(self, diagnostics):
        super().__init__("cannot format a file with syntax errors")
        self.diagnostics = diagnostics


def format_source(src: SourceFile) -> str:
    tree, diags = parse_module(src)
    if tree is None:
        raise FormatError(diags)
    return _Printer(src).module(tree)


class _Printer:
    def __init__(self, src: SourceFile):
        self.src = src
        self.comments = [(m.start(1), m.group(1).rstrip()) for m in _SCAN.finditer(src.text)
                         if m.group(1)]
        self.next_comment = 0
        self.out: list[str] = []

    # -- comments ----------------------------------------------------------------------
    def _own_line(self, offset: int) -> bool:
        line, _ = self.src.position(offset)
        start = self.src.line_starts[line - 1]
        return self.src.text[start:offset].strip() == ""

    def leading(self, before: int, indent: str) -> None:
        """Emit every comment not yet printed that starts before `before`, keeping one
        blank line wherever the author left one after a comment."""
        while self.next_comment < len(self.comments) and self.comments[self.next_comment][0] < before:
            offset, text = self.comments[self.next_comment]
            self.out.append(indent + text)
            self.next_comment += 1
            following = (self.comments[self.next_comment][0]
                         if self.next_comment < len(self.comments) else len(self.src.text))
            if self._blank_between(offset + len(text), min(following, before)):
                self.out.append("")

    def trailing(self, end: int) -> str:
        """A comment right after `end` on the same source line, consumed."""
        if self.next_comment >= len(self.comments):
            return ""
        offset, text = self.comments[self.next_comment]
        line_end = self.src.text.find("\n", end)
        line_end = len(self.src.text) if line_end == -1 else line_end
        if end <= offset < line_end and not self._own_line(offset):
            self.next_comment += 1
            return "  " + text
        return ""

    def _blank_between(self, prev_end: int, next_start: int) -> bool:
        inner_lines = self.src.text[prev_end:next_start].split("\n")[1:-1]
        return any(line.strip() == "" for line in inner_lines)

    # -- module -------------------------------------------------------------------------
    def module(self, tree: ast.Module) -> str:
        prev_end = None
        for item in tree.items:
            if prev_end is not None and self._blank_between(prev_end, self._next_start(item)):
                self.out.append("")
            self.item(item, "")
            prev_end = item.span.end
        self.leading(len(self.src.text) + 1, "")
        while self.out and self.out[-1] == "":
            self.out.pop()
        return "\n".join(self.out) + "\n" if self.out else ""

    def emit_line(self, node_span, text: str, indent: str) -> None:
        """A construct printed on one line: inner comments move above it."""
        self.leading(node_span.start, indent)
        self.leading(node_span.end, indent)
        self.out.append(indent + text + self.trailing(node_span.end))

    def item(self, item, indent: str) -> None:
        if isinstance(item, ast.Header):
            text = f"{item.keyword} {self.string(item.title)}" + "".join(
                f" {p.key.text} {self.value(p.value, indent)}" for p in item.pairs)
            self.emit_line(item.span, text, indent)
        elif isinstance(item, ast.Import):
            text = "import " + (self.quote(item.target) if item.is_file else item.target)
            if item.names:
                text += " { " + ", ".join(n.text for n in item.names) + " }"
            if item.alias:
                text += f" as {item.alias.text}"
            self.emit_line(item.span, text, indent)
        elif isinstance(item, ast.GateDecl):
            self.emit_line(item.span, f"gate {item.name.text}: {self.rule(item.rule)}", indent)
        else:
            self.decl(item, indent)

    def decl(self, d: ast.Decl, indent: str) -> None:
        head = f"{d.kind.text} {d.name.text}"
        if d.qualifier:
            head += f" : {d.qualifier.text}"
        if d.extends:
            head += f" extends {d.extends.dotted}"
        for v in d.positional:
            head += " " + self.value(v, indent)
        if d.body is None:
            self.emit_line(d.span, head, indent)
            return
        self.leading(d.span.start, indent)
        if not d.body.fields:
            self.out.append(indent + head + " {}" + self.trailing(d.span.end))
            return
        one_line = head + " " + self.value(d.body, indent)
        body_span = d.body.span
        if (self._line_of(body_span.start) == self._line_of(body_span.end)
                and len(indent + one_line) <= WIDTH and not self._comments_within(d.span)):
            self.out.append(indent + one_line + self.trailing(d.span.end))
            return
        first = d.body.fields[0]
        self.out.append(indent + head + " {" + self.trailing(d.body.span.start + 1)
                        if self._line_of(first.span.start) != self._line_of(d.body.span.start)
                        else indent + head + " {")
        self.fields(d.body, indent + INDENT)
        self.leading(d.body.span.end - 1, indent + INDENT)
        self.out.append(indent + "}" + self.trailing(d.body.span.end))

    def _next_start(self, node) -> int:
        """Where the next printed thing starts: its first leading comment, or itself."""
        if self.next_comment < len(self.comments):
            return min(self.comments[self.next_comment][0], node.span.start)
        return node.span.start

    def _comments_within(self, span) -> bool:
        return any(span.start <= off < span.end for off, _ in self.comments)

    def _line_of(self, offset: int) -> int:
        return self.src.position(offset)[0]

    def fields(self, block: ast.Block, indent: str) -> None:
        prev_end = None
        for f in block.fields:
            if prev_end is not None and self._blank_between(prev_end, self._next_start(f)):
                self.out.append("")
            self.field(f, indent)
            prev_end = f.span.end

    def field(self, f: ast.Field, indent: str) -> None:
        keyless = f.key.span.start == f.key.span.end
        key = "" if keyless else f.key.text + (": " if f.colon else " ")
        mods = "".join(f" {m.keyword} {self.value(m.value, indent)}" for m in f.modifiers)
        inline = key + self.value(f.value, indent) + mods
        if len(indent) + len(inline) <= WIDTH and "\n" not in inline:
            self.emit_line(f.span, inline, indent)
            return
        self.leading(f.span.start, indent)
        self.leading(f.span.end, indent)
        lines = self.multiline(f.value, indent)
        lines[0] = indent + key + lines[0].lstrip()
        lines[-1] += mods + self.trailing(f.span.end)
        self.out.extend(lines)

    def multiline(self, v, indent: str) -> list[str]:
        inner = indent + INDENT
        if isinstance(v, ast.ListV):
            return ([indent + "["] + [inner + self.value(x, inner) + "," for x in v.items]
                    + [indent + "]"])
        if isinstance(v, ast.Block):
            lines = [indent + "{"]
            for f in v.fields:
                key = f.key.text + (": " if f.colon else " ")
                lines.append(inner + key + self.value(f.value, inner))
            return lines + [indent + "}"]
        if isinstance(v, ast.Chain):
            parts = [self.value(x, inner) for x in v.items]
            return [indent + parts[0]] + [inner + "-> " + p for p in parts[1:]]
        return [indent + self.value(v, indent)]

    # -- values -------------------------------------------------------------------------
    def value(self, v, indent: str = "") -> str:
        if isinstance(v, ast.Str):
            return f'"""{v.value}"""' if v.long else self.quote(v.value)
        if isinstance(v, (ast.Num, ast.Percent)):
            return v.text
        if isinstance(v, ast.Date):
            return v.value
        if isinstance(v, ast.Regex):
            return f"/{v.pattern}/{v.flags}"
        if isinstance(v, ast.Range):
            return f"{v.lo.text}..{v.hi.text}"
        if isinstance(v, ast.Bool):
            return "true" if v.value else "false"
        if isinstance(v, ast.Ref):
            return v.dotted
        if isinstance(v, ast.Call):
            args = [self.value(a, indent) for a in v.args]
            args += [f"{k.name.text}: {self.value(k.value, indent)}" for k in v.kwargs]
            return f"{v.callee.dotted}({', '.join(args)})"
        if isinstance(v, ast.ListV):
            return "[" + ", ".join(self.value(x, indent) for x in v.items) + "]"
        if isinstance(v, ast.Chain):
            return " -> ".join(self.value(x, indent) for x in v.items)
        if isinstance(v, ast.Comparison):
            return f"{self.value(v.left, indent)} {v.op} {self.value(v.right, indent)}"
        if isinstance(v, ast.Block):
            if not v.fields:
                return "{}"
            parts = [f.key.text + (": " if f.colon else " ") + self.value(f.value, indent)
                     + "".join(f" {m.keyword} {self.value(m.value, indent)}" for m in f.modifiers)
                     for f in v.fields]
            return "{ " + ", ".join(parts) + " }"
        raise TypeError(type(v))

    def string(self, s: ast.Str) -> str:
        return self.value(s)

    quote = staticmethod(quote_string)

    def rule(self, r) -> str:
        if isinstance(r, ast.JudgeRule):
            opts = "".join(f" {o.key.text} {self.value(o.value)}" for o in r.options)
            return f"judge {self.quote(r.metric.text)} {r.op} {r.threshold.text}{opts}"
        if isinstance(r, ast.TurnRule):
            text = f"{r.quantifier} {r.role.text} turn"
            if r.mentioning is not None:
                text += f" mentioning {self.value(r.mentioning)}"
            if r.predicate == "length":
                text += f" length {r.op} {r.operand.text}" + (f" {r.unit.text}" if r.unit else "")
            else:
                text += f" {r.predicate} {self.value(r.operand)}"
            return text
        opts = "".join(f" {o.key.text} {self.value(o.value)}" for o in r.options)
        return r.check.text + opts
