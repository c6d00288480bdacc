"""Text -> AST. Parses with the LALR grammar, reports every syntax error in a file.

Recovery: after an error, the top-level item that holds it is blanked out and
the file is parsed again, so one bad declaration does not hide the next.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

import lark
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from bdsl import ast
from bdsl.diagnostics import Diagnostic, error
from bdsl.source import SourceFile
from bdsl.to_ast import TreeToAst

MAX_ERRORS = 50
MAX_NESTING = 64

# What the user sees instead of terminal names.
TOKEN_NAMES = {
    "IDENT": "a name", "STRING": "a string", "LONG_STRING": "a string", "NUMBER": "a number",
    "PERCENT": "a percentage", "DATE": "a date", "REGEX": "a /regex/", "_NL": "a new line",
    "LBRACE": "`{`", "RBRACE": "`}`", "LSQB": "`[`", "RSQB": "`]`", "LPAR": "`(`",
    "RPAR": "`)`", "COMMA": "`,`", "COLON": "`:`", "DOT": "`.`", "CMP_OP": "a comparison",
    "__ANON_0": "`->`", "$END": "the end of the file", "MODIFIER_KW": "a modifier",
    "SPEC": "`spec`", "REGULATION": "`regulation`", "_IMPORT": "`import`", "_GATE": "`gate`",
}


TOP_LEVEL_KEYWORDS = {"spec": "SPEC", "regulation": "REGULATION", "import": "_IMPORT",
                      "gate": "_GATE"}


class TopLevelKeywords(lark.lark.PostLex):
    """Turns `spec`, `regulation`, `import` and `gate` into keywords only where a
    top-level item starts, so they stay usable as field names inside blocks."""

    always_accept = ()

    def process(self, stream):
        depth, at_item_start = 0, True
        for tok in stream:
            if tok.type == "IDENT" and depth == 0 and at_item_start and tok in TOP_LEVEL_KEYWORDS:
                tok = lark.Token.new_borrow_pos(TOP_LEVEL_KEYWORDS[tok], tok, tok)
            if tok.type in ("LBRACE", "LSQB", "LPAR"):
                depth += 1
            elif tok.type in ("RBRACE", "RSQB", "RPAR"):
                depth = max(0, depth - 1)
            at_item_start = tok.type == "_NL" or (tok.type == "COMMA" and depth == 0)
            yield tok


@lru_cache(maxsize=1)
def _lark() -> lark.Lark:
    grammar = resources.files("bdsl").joinpath("grammar.lark").read_text(encoding="utf-8")
    # Building the LALR tables takes ~0.3 s; lark caches them keyed by the grammar's hash.
    return lark.Lark(grammar, parser="lalr", lexer="contextual", propagate_positions=True,
                     maybe_placeholders=True, postlex=TopLevelKeywords(), cache=_cache_path())


def _cache_path() -> str | bool:
    import os
    import tempfile

    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = os.path.join(base, "bdsl")
    try:
        os.makedirs(folder, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=folder, delete=True)
        probe.close()
    except OSError:
        return False  # read-only home: build the tables every time
    from bdsl import __version__

    return os.path.join(folder, f"grammar-{__version__}-lark{lark.__version__}.cache")


def parse_module(src: SourceFile) -> tuple[ast.Module | None, list[Diagnostic]]:
    """Parse one file. Returns the AST (None if any syntax error) and all diagnostics."""
    depth_error = _check_nesting(src)
    if depth_error:
        return None, [depth_error]
    diags: list[Diagnostic] = []
    text = src.text
    while True:
        try:
            tree = _lark().parse(text)
        except UnexpectedInput as exc:
            diag, offset = _describe(exc, src, text)
            diags.append(diag)
            blanked = _blank_item(text, offset)
            if blanked is None or len(diags) >= MAX_ERRORS:
                return None, diags
            text = blanked
            continue
        if diags:
            return None, diags
        try:
            return TreeToAst(src).transform(tree), []
        except RecursionError:
            return None, [error("E105", "the spec is nested too deeply", src.span(0, 0))]


def _check_nesting(src: SourceFile) -> Diagnostic | None:
    depth = 0
    for m in re.finditer(r'"""(?:.|\n)*?"""|"(?:[^"\\\n]|\\.)*"|#[^\n]*|[\[\]{}()]', src.text):
        tok = m.group()
        if tok in "[{(":
            depth += 1
            if depth > MAX_NESTING:
                return error("E105", f"brackets are nested more than {MAX_NESTING} deep",
                             src.span(m.start(), m.end()),
                             hint="specs are flat; split deeply nested values into declarations")
        elif tok in "]})":
            depth = max(0, depth - 1)
    return None


def _describe(exc: UnexpectedInput, src: SourceFile, text: str) -> tuple[Diagnostic, int]:
    if isinstance(exc, UnexpectedCharacters):
        pos = exc.pos_in_stream
        ch = text[pos]
        if ch == '"':
            end = text.find("\n", pos)
            end = len(text) if end == -1 else end
            return error("E102", "unterminated string", src.span(pos, max(pos + 1, end)),
                         hint='close the string with `"` on the same line, or use """...""" '
                              "for text that spans lines"), pos
        if ch == "/":
            return error("E103", "unterminated or empty regex", src.span(pos, pos + 1),
                         hint="write a regex as /pattern/flags on one line"), pos
        shown = repr(ch)[1:-1] if not ch.isprintable() else ch
        hint = (_expected_hint(exc.allowed) if ch in "{}[](),:.-<>=!%"
                else f"`{shown}` has no meaning in .bds; remove it (comments start with #)")
        return error("E101", f"unexpected character `{shown}`", src.span(pos, pos + 1),
                     hint=hint), pos
    if isinstance(exc, UnexpectedEOF):
        pos = len(text)
        return error("E104", "the file ends in the middle of a declaration",
                     src.span(max(0, pos - 1), pos),
                     hint=_unclosed_hint(text, src) or _expected_hint(exc.expected)), pos
    assert isinstance(exc, UnexpectedToken)
    tok = exc.token
    if tok.type == "$END":
        pos = len(text)
        return error("E104", "the file ends in the middle of a declaration",
                     src.span(max(0, pos - 1), pos),
                     hint=_unclosed_hint(text, src) or _expected_hint(exc.expected)), pos
    start = tok.start_pos or 0
    end = tok.end_pos or start + 1
    shown = str(tok).strip() or TOKEN_NAMES.get(tok.type, tok.type)
    if tok.type == "_NL":
        shown, end = "end of line", start + 1
    hint = _expected_hint(exc.expected)
    if tok.type in ("IDENT", "PERCENT", "NUMBER", "STRING") and "_NL" in exc.expected:
        hint = ("a field takes one value; put further settings on their own line or group "
                "them in a block, e.g. `review { sample 20%, roles [clinical] }`")
    return error("E100", f"unexpected {shown if tok.type == '_NL' else f'`{shown}`'}",
                 src.span(start, max(end, start + 1)), hint=hint), start


def _expected_hint(expected) -> str | None:
    names = sorted({TOKEN_NAMES.get(t, f"`{t.strip(chr(34))}`" if t.startswith('"') else None)
                    or _anon_name(t) for t in expected})
    names = [n for n in names if n]
    if not names:
        return None
    if len(names) > 6:
        names = names[:6] + ["..."]
    return "expected " + ", ".join(names)


def _anon_name(t: str) -> str | None:
    pattern = _lark().get_terminal(t).pattern if t in {x.name for x in _lark().terminals} else None
    if pattern is not None and pattern.type == "str":
        return f"`{pattern.value}`"
    return None


def _unclosed_hint(text: str, src: SourceFile) -> str | None:
    stack: list[int] = []
    for m in re.finditer(r'"""(?:.|\n)*?"""|"(?:[^"\\\n]|\\.)*"|#[^\n]*|[\[\]{}()]', text):
        tok = m.group()
        if tok in "[{(":
            stack.append(m.start())
        elif tok in "]})" and stack:
            stack.pop()
    if stack:
        line, col = src.position(stack[-1])
        return f"`{text[stack[-1]]}` opened at {line}:{col} is never closed"
    return None


_ITEM_START = re.compile(r"^[A-Za-z_]", re.M)


def _blank_item(text: str, offset: int) -> str | None:
    """Replace the top-level item around `offset` with spaces; None if nothing is left."""
    starts = [m.start() for m in _ITEM_START.finditer(text)]
    before = [s for s in starts if s <= offset]
    after = [s for s in starts if s > offset]
    begin = before[-1] if before else 0
    end = after[0] if after else len(text)
    if begin == end:
        return None
    chunk = re.sub(r"[^\n]", " ", text[begin:end])
    new = text[:begin] + chunk + text[end:]
    return new if new != text else None
