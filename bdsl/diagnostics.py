"""Diagnostics are data: code, severity, message, span, related spans, hint.

Rendered Rust/Elm style for people and as JSON for editors and CI. Every
code is catalogued in docs/diagnostics.md (a test keeps the two in sync).
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import attrs

from bdsl.source import SourceFile, Span


@attrs.frozen
class Related:
    span: Span
    message: str


@attrs.frozen
class Diagnostic:
    code: str
    message: str
    span: Span | None = None
    hint: str | None = None
    severity: str = "error"  # "error" | "warning"
    related: tuple[Related, ...] = ()

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


def error(code: str, message: str, span: Span | None = None, hint: str | None = None,
          related: Iterable[Related] = ()) -> Diagnostic:
    return Diagnostic(code, message, span, hint, "error", tuple(related))


def warning(code: str, message: str, span: Span | None = None, hint: str | None = None,
            related: Iterable[Related] = ()) -> Diagnostic:
    return Diagnostic(code, message, span, hint, "warning", tuple(related))


def sort_key(d: Diagnostic) -> tuple:
    s = d.span
    return (s.path, s.start) if s else ("", -1)


def render_text(diags: Iterable[Diagnostic], sources: dict[str, SourceFile],
                color: bool = False) -> str:
    return "\n".join(render_one(d, sources, color) for d in diags)


def _paint(text: str, code: str, color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color else text


def render_one(d: Diagnostic, sources: dict[str, SourceFile], color: bool = False) -> str:
    sev_color = "1;31" if d.is_error else "1;33"
    out = [_paint(f"{d.severity}[{d.code}]", sev_color, color) + f" {d.message}"]
    if d.span is not None:
        out.extend(_excerpt(d.span, sources.get(d.span.path), color, sev_color))
    for rel in d.related:
        out.append(f"   = note: {rel.message} at {rel.span}")
    if d.hint:
        out.append(f"   = hint: {d.hint}")
    return "\n".join(out) + "\n"


def _excerpt(span: Span, src: SourceFile | None, color: bool, sev_color: str) -> list[str]:
    lines = [f"  --> {span}"]
    if src is None or src.private:
        return lines
    text = src.line_text(span.line)
    gutter = " " * len(str(span.line))
    # A tab would shift the caret; render tabs as single spaces.
    shown = text.replace("\t", " ")
    width = span.end_col - span.col if span.end_line == span.line else len(text) - span.col + 1
    width = max(1, width)
    caret = " " * (span.col - 1) + "^" * width
    if color:  # syntax colours from the whole file, so the line keeps its context
        from bdsl.highlight import ansi_lines

        coloured = ansi_lines(src.text)
        if len(coloured) == len(src.line_starts):  # Pygments reads a lone \r as a line break
            shown = coloured[span.line - 1].replace("\t", " ")
    lines.append(f"{gutter} |")
    lines.append(f"{span.line} | {shown}")
    lines.append(f"{gutter} | " + _paint(caret, sev_color, color))
    return lines


def to_json(diags: Iterable[Diagnostic]) -> str:
    items = []
    for d in diags:
        item = {"code": d.code, "severity": d.severity, "message": d.message, "hint": d.hint}
        if d.span:
            s = d.span
            item["location"] = {"path": s.path, "line": s.line, "col": s.col,
                                "end_line": s.end_line, "end_col": s.end_col}
        item["related"] = [{"message": r.message, "path": r.span.path, "line": r.span.line,
                            "col": r.span.col} for r in d.related]
        items.append(item)
    return json.dumps(items, indent=2)


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    import difflib

    match = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return match[0] if match else None
