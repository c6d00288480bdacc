"""A buffer's module graph and symbols: what hover, definition and completion read.

Diagnostics come from `check_path` (exactly `bdsc check`); navigation needs the graph
and scopes as well, which `load_graph` and `Symbols` give. While the user types, the
buffer often does not parse; completion then retries with the line being typed blanked
out, and the server falls back to the last analysis that parsed.
"""

from __future__ import annotations

import re
from pathlib import Path

import attrs

from bdsl import ast
from bdsl.compiler.loader import LoadedModule, ModuleGraph, load_graph
from bdsl.compiler.resolve import Symbols
from bdsl.source import SourceFile


@attrs.frozen(eq=False)
class Analysis:
    path: Path
    text: str
    graph: ModuleGraph
    symbols: Symbols | None
    # characters dropped before offset 0 of the parsed text (a UTF-8 byte-order mark)
    shift: int = 0

    @property
    def root(self) -> LoadedModule | None:
        return self.graph.modules.get(self.graph.root)

    @property
    def tree(self) -> ast.Module | None:
        root = self.root
        return root.tree if root is not None else None

    @property
    def root_source(self) -> SourceFile | None:
        root = self.root
        return root.source if root is not None else None

    @property
    def parsed(self) -> bool:
        return self.tree is not None and self.symbols is not None

    def source(self, span_path: str) -> SourceFile | None:
        return self.graph.sources.get(span_path)


def analyze(path: Path, text: str, allow_outside: bool = False) -> Analysis:
    graph = load_graph(path, text, allow_outside=allow_outside)
    symbols = Symbols(graph) if graph.modules else None
    return Analysis(path, text, graph, symbols, 1 if text.startswith("\ufeff") else 0)


def analyze_recovering(path: Path, text: str, typing_at: int | None = None,
                       allow_outside: bool = False) -> Analysis:
    """Like `analyze`; if the buffer does not parse, analyze it again with every top-level
    item that holds a syntax error blanked out (and, for completion, the item being typed
    at `typing_at`). Blanking keeps every offset, so the rest of the file still hovers,
    jumps and gives names in scope."""
    first = analyze(path, text, allow_outside)
    if first.parsed:
        return first
    root = first.root_source
    offsets = [d.span.start + first.shift for d in first.graph.diagnostics
               if d.span is not None and d.code.startswith("E10") and root is not None
               and d.span.path == root.path]
    if typing_at is not None:
        offsets.append(typing_at)
    if not offsets:
        return first
    return analyze(path, blank_items(text, offsets), allow_outside)


_ITEM_START = re.compile(r"^[A-Za-z_]", re.M)


def blank_items(text: str, offsets: list[int]) -> str:
    """Replace the top-level items around `offsets` with spaces (line breaks kept)."""
    starts = [m.start() for m in _ITEM_START.finditer(text)]
    chars = list(text)
    for offset in offsets:
        begin = max((s for s in starts if s <= offset), default=0)
        end = min((s for s in starts if s > offset), default=len(text))
        for i in range(begin, end):
            if chars[i] != "\n":
                chars[i] = " "
    return "".join(chars)
