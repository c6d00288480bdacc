"""Syntax highlighting for .bds: a Pygments lexer (registered as the `bds` lexer through a
`pygments.lexers` entry point) and ANSI colouring of spec lines for terminal output.

The lexer follows the grammar's one regular shape: a name at the start of a top-level
line is a declaration kind and the next name the declaration's name; inside a `{ }` body
the first name of an entry is a field key and the rest is a value. `spec`, `regulation`,
`import` and `gate` are keywords only at the start of a top-level line, as in the parser.
Pygments is imported only when something is highlighted, so `bdsc check` piped into a
file never pays for it.
"""

from __future__ import annotations

from functools import lru_cache

from pygments.lexer import RegexLexer, bygroups, include
from pygments.token import (
    Comment,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Text,
    Whitespace,
)

IDENT = r"[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*"
DOTTED = rf"{IDENT}(?:\.{IDENT})*"
GATE_WORDS = ("judge", "every", "no", "some", "turn", "turns", "mentioning", "contains",
              "matches", "length")


class BdsLexer(RegexLexer):
    """Lexer for bdsl `.bds` dataset specs."""

    name = "bdsl"
    aliases = ["bds", "bdsl"]
    filenames = ["*.bds"]
    mimetypes = ["text/x-bdsl"]

    tokens = {
        "common": [
            (r"[ \t\f]+", Whitespace),
            (r"\\\r?\n", Text),
            (r"#[^\n]*", Comment.Single),
            (r'"""[\s\S]*?"""', String.Double),
            (r'"(?:[^"\\\n]|\\.)*"', String.Double),
            (r"/(?:[^/\\\n]|\\.)+/[imsx]*", String.Regex),
            (r"\d{4}-\d{2}-\d{2}", Number.Other),  # a date
            (r"-?\d+(?:\.\d+)?%", Number),
            (r"(-?\d+(?:\.\d+)?)(\.\.)(-?\d+(?:\.\d+)?)", bygroups(Number, Operator, Number)),
            (r"-?\d+\.\d+", Number.Float),
            (r"-?\d+", Number.Integer),
            (r"->|>=|<=|==|!=|[<>]", Operator),
            (r"\b(?:true|false)\b", Keyword.Constant),
            (r"\b(?:extends|as)\b", Keyword),
            (rf"({DOTTED})(\s*)(\()", bygroups(Name.Function, Whitespace, Punctuation), "args"),
            (DOTTED, Name),
            (r"[:,.]", Punctuation),
        ],
        "root": [
            (r"\r?\n", Whitespace),
            (r"^(spec|regulation)\b", Keyword.Namespace),
            (r"^import\b", Keyword.Namespace, "import"),
            (rf"^(gate)(\s+)({IDENT})(\s*)(:)",
             bygroups(Keyword.Declaration, Whitespace, Name.Function, Whitespace, Punctuation),
             "gate_rule"),
            (rf"^({IDENT})(\s+)({IDENT})",
             bygroups(Keyword.Declaration, Whitespace, Name.Class)),
            (rf"({IDENT})(\s+)(?=\"|\d)", bygroups(Name.Attribute, Whitespace)),  # header pairs
            (r"\{", Punctuation, "block"),
            (r"\[", Punctuation, "args"),
            include("common"),
        ],
        # expecting an entry: a field key, a keyless arrow chain, or the closing brace
        "block": [
            (r"\s+", Whitespace),
            (r"#[^\n]*", Comment.Single),
            (r",", Punctuation),
            (r"\}", Punctuation, "#pop"),
            (rf"({DOTTED})(\s*)(\()", bygroups(Name.Function, Whitespace, Punctuation),
             ("value", "args")),
            (rf"({IDENT})(\s*:)?", bygroups(Name.Attribute, Punctuation), "value"),
            include("common"),
        ],
        # a field's value, up to the end of the line, a comma, or the enclosing `}`
        "value": [
            (r"\r?\n", Whitespace, "#pop"),
            (r",", Punctuation, "#pop"),
            (r"(?=\})", Text, "#pop"),
            (r"\b(?:when|to|because)\b", Keyword),
            (r"\{", Punctuation, "block"),
            (r"\[", Punctuation, "args"),
            include("common"),
        ],
        # inside [ ] or ( ): line breaks are plain separators; `name:` is a keyword argument
        "args": [
            (r"\s+", Whitespace),
            (r"[\])]", Punctuation, "#pop"),
            (r"[\[(]", Punctuation, "#push"),
            (r"\{", Punctuation, "block"),
            (rf"({IDENT})(\s*)(:)(?!:)", bygroups(Name.Attribute, Whitespace, Punctuation)),
            include("common"),
        ],
        "import": [
            (r"\r?\n", Whitespace, "#pop"),
            (r"\{", Punctuation, "import_names"),
            (r"\bas\b", Keyword),
            (DOTTED, Name.Namespace),
            include("common"),
        ],
        "import_names": [
            (r"\s+", Whitespace),
            (r"\}", Punctuation, "#pop"),
            (IDENT, Name),
            include("common"),
        ],
        "gate_rule": [
            (r"\r?\n", Whitespace, "#pop"),
            (r"\b(?:" + "|".join(GATE_WORDS) + r")\b", Keyword),
            include("common"),
        ],
    }


@lru_cache(maxsize=32)
def ansi_lines(text: str) -> tuple[str, ...]:
    """`text` highlighted for a terminal, split into lines (colours never span a line break).

    Lexing the whole file gives every line its real context (a line inside a long
    string stays a string); callers pick the lines they show."""
    from pygments import highlight
    from pygments.formatters import TerminalFormatter

    coloured = highlight(text, BdsLexer(stripnl=False, ensurenl=False),
                         TerminalFormatter(bg="dark"))
    lines = coloured.split("\n")
    return tuple(lines[: text.replace("\r\n", "\n").replace("\r", "\n").count("\n") + 1])


def highlight_fragment(fragment: str) -> str:
    """One short piece of .bds (an arc's stages, a turn target) in ANSI colours."""
    return ansi_lines(fragment)[0]


__all__ = ["BdsLexer", "ansi_lines", "highlight_fragment"]
