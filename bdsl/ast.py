"""The .bds abstract syntax tree: frozen attrs nodes, each with the Span it came from.

The tree mirrors the grammar's one regular shape: declarations with positional
header values and a body of fields. Meaning (which kinds and fields exist) is
given by compiler/schema.py, not here.
"""

from __future__ import annotations

import attrs

from bdsl.source import Span


@attrs.frozen
class Name:
    text: str
    span: Span


# --- values -----------------------------------------------------------------

@attrs.frozen
class Str:
    value: str
    span: Span
    long: bool = False


@attrs.frozen
class Num:
    value: float
    text: str
    span: Span

    @property
    def is_int(self) -> bool:
        return "." not in self.text


@attrs.frozen
class Percent:
    value: float  # 20% -> 0.2
    text: str
    span: Span


@attrs.frozen
class Date:
    value: str  # ISO yyyy-mm-dd, validated by the checker
    span: Span


@attrs.frozen
class Regex:
    pattern: str
    flags: str
    span: Span


@attrs.frozen
class Range:
    lo: Num
    hi: Num
    span: Span


@attrs.frozen
class Bool:
    value: bool
    span: Span


@attrs.frozen
class Ref:
    parts: tuple[Name, ...]
    span: Span

    @property
    def dotted(self) -> str:
        return ".".join(p.text for p in self.parts)


@attrs.frozen
class KwArg:
    name: Name
    value: Value
    span: Span


@attrs.frozen
class Call:
    callee: Ref
    args: tuple[Value, ...]
    kwargs: tuple[KwArg, ...]
    span: Span


@attrs.frozen
class ListV:
    items: tuple[Value, ...]
    span: Span


@attrs.frozen
class Chain:
    """`a -> b -> c`: arc stages, difficulty ramps."""

    items: tuple[Value, ...]
    span: Span


@attrs.frozen
class Comparison:
    left: Value
    op: str
    right: Value
    span: Span


@attrs.frozen
class Modifier:
    keyword: str  # when | to | because
    value: Value
    span: Span


@attrs.frozen
class Field:
    key: Name
    value: Value
    modifiers: tuple[Modifier, ...]
    span: Span
    colon: bool = False  # written `key: value` (kept by `bdsc fmt`)


@attrs.frozen
class Block:
    fields: tuple[Field, ...]
    span: Span

    def get(self, key: str) -> Field | None:
        for f in self.fields:
            if f.key.text == key:
                return f
        return None


Value = (Str | Num | Percent | Date | Regex | Range | Bool | Ref | Call | ListV | Chain | Comparison
         | Block)


# --- statements -----------------------------------------------------------------

@attrs.frozen
class Header:
    """`spec "x" version "1"` or `regulation "FINRA-2111" version "2024-06" ...`."""

    keyword: str
    title: Str
    pairs: tuple[Field, ...]
    span: Span


@attrs.frozen
class Import:
    target: str  # "std.arcs" or "./voice.bds"
    is_file: bool
    names: tuple[Name, ...]
    alias: Name | None
    target_span: Span
    span: Span


@attrs.frozen
class Decl:
    kind: Name
    name: Name
    qualifier: Name | None
    extends: Ref | None
    positional: tuple[Value, ...]
    body: Block | None
    span: Span


@attrs.frozen
class JudgeRule:
    metric: Name
    op: str
    threshold: Num
    options: tuple[Field, ...]
    span: Span


@attrs.frozen
class TurnRule:
    quantifier: str  # every | no | some
    role: Name
    mentioning: Value | None
    predicate: str  # contains | matches | length
    operand: Value
    op: str | None
    unit: Name | None
    span: Span


@attrs.frozen
class CheckRule:
    check: Name
    options: tuple[Field, ...]
    span: Span


GateRule = JudgeRule | TurnRule | CheckRule


@attrs.frozen
class GateDecl:
    name: Name
    rule: GateRule
    span: Span


Item = Header | Import | Decl | GateDecl


@attrs.frozen
class Module:
    path: str
    items: tuple[Item, ...]
    span: Span
