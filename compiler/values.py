"""Typed reading of AST values against the schema's type strings (see schema.py).

Every reader returns the Python value or INVALID after recording a diagnostic,
so one bad value never hides the next.
"""

from __future__ import annotations

import datetime
import re
import textwrap

from bdsl import ast, ir
from bdsl.compiler.resolve import Symbol, Symbols
from bdsl.compiler.schema import BLOCKS
from bdsl.diagnostics import Diagnostic, did_you_mean, error, warning


class _Invalid:
    def __repr__(self) -> str:
        return "INVALID"


INVALID = _Invalid()

_DESCRIBE = {
    ast.Str: "a string", ast.Num: "a number", ast.Percent: "a percentage", ast.Date: "a date",
    ast.Regex: "a regex", ast.Range: "a range", ast.Bool: "true/false", ast.Ref: "a name",
    ast.Call: "a call like shame(0.8)", ast.ListV: "a list", ast.Chain: "an arrow chain",
    ast.Comparison: "a comparison", ast.Block: "a block",
}

_TYPE_WORDS = {
    "str": "a string", "text": "a string", "int": "a whole number", "num": "a number",
    "unit": "a number in [0, 1]", "signed": "a number in [-1, 1]", "bool": "true or false",
    "percent": "a percentage like 20%", "range": "a range like 6..8", "date": "a date like 2024-06-30",
    "regex": "a /regex/", "emotion_point": "an emotion with intensity, like shame(0.8)",
    "stages": "stages like shame(0.8) -> hopeful(0.5)", "ramp": "a ramp like 0.2 -> 0.8",
    "word": "a name", "sample": "a share like 30% or a count like 12", "gate_use": "a gate name, optionally with a threshold (empathy >= 0.8)",
}

_FLAGS = {"i": re.I, "m": re.M, "s": re.S, "x": re.X}


def describe_type(t: str) -> str:
    if t.startswith("list:"):
        return "a list [...]"
    if t.startswith("map:") or t.startswith("block:"):
        return "a block { ... }"
    if t.startswith("ref:"):
        return f"the name of a {t[4:]}"
    if t.startswith("choice:"):
        return "one of " + ", ".join(f"`{c}`" for c in t[7:].split("|"))
    return _TYPE_WORDS.get(t, t)


def compile_pattern(rx: ast.Regex, diags: list[Diagnostic]) -> ir.Pattern | _Invalid:
    flags = 0
    for ch in rx.flags:
        flags |= _FLAGS.get(ch, 0)
    try:
        re.compile(rx.pattern, flags)
    except re.error as exc:
        diags.append(error("E222", f"invalid regex: {exc.msg}", rx.span,
                           hint="regexes use Python syntax"))
        return INVALID
    nested = nested_quantifier(rx.pattern, flags)
    if nested:
        diags.append(warning("W229", f"regex repeats a group that has its own quantifier "
                             f"(`{nested}`): on some text it backtracks for minutes", rx.span,
                             hint="gates stop a search after 0.5 s and send the conversation "
                             "to review; write it without a quantifier inside a repeated "
                             "group, e.g. /^[\\w\\s]+$/ for /^(\\w+\\s?)+$/"))
    return ir.Pattern(rx.pattern, "".join(sorted(set(rx.flags))))


def nested_quantifier(pattern: str, flags: int = 0) -> str:
    """The first repeated group containing another variable quantifier (`(\\w+\\s?)+`,
    `(a*)*`): the shape that makes backtracking engines take exponential time. "" if none.
    Atomic groups and possessive quantifiers do not backtrack and are not flagged."""
    from re import _constants as c
    from re import _parser

    def has_variable_repeat(items) -> bool:
        return any(_walk(items, lambda op, av: op in (c.MAX_REPEAT, c.MIN_REPEAT)
                         and av[1] > av[0]))

    def _walk(items, pred):
        for op, av in items:
            if pred(op, av):
                yield True
            for sub in _children(op, av):
                yield from _walk(sub, pred)

    def _children(op, av):
        if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
            return [av[2]] if op != c.POSSESSIVE_REPEAT else []
        if op is c.SUBPATTERN:
            return [av[3]]
        if op is c.BRANCH:
            return list(av[1])
        if op in (c.ASSERT, c.ASSERT_NOT):
            return [av[1]]
        if op is c.GROUPREF_EXISTS:
            return [x for x in av[1:] if x is not None]
        return []  # ATOMIC_GROUP and leaves

    def find(items) -> bool:
        for op, av in items:
            if op in (c.MAX_REPEAT, c.MIN_REPEAT) and av[1] > 1 and has_variable_repeat(av[2]):
                return True
            if any(find(sub) for sub in _children(op, av)):
                return True
        return False

    try:
        tree = _parser.parse(pattern, flags)
    except Exception:  # re.compile accepted it; never fail the check here
        return ""
    if not find(tree):
        return ""
    return pattern if len(pattern) <= 40 else pattern[:37] + "..."


class ValueReader:
    def __init__(self, symbols: Symbols, diags: list[Diagnostic]):
        self.symbols = symbols
        self.diags = diags

    def fail(self, code: str, message: str, span, hint: str | None = None) -> _Invalid:
        self.diags.append(error(code, message, span, hint))
        return INVALID

    def mismatch(self, value: ast.Value, t: str, what: str) -> _Invalid:
        got = _DESCRIBE.get(type(value), "this")
        hint = None
        if t.startswith("list:") and not isinstance(value, ast.ListV):
            hint = "wrap it in brackets: [ ... ]"
        elif t in ("str", "text") and isinstance(value, ast.Ref):
            hint = f'quote it: "{value.dotted}"'
        return self.fail("E220", f"`{what}` expects {describe_type(t)}, found {got}",
                         value.span, hint)

    def read(self, value: ast.Value, t: str, module: str, what: str):
        """Read `value` as type `t` in the scope of `module`; `what` names it in messages."""
        if t.startswith("list:"):
            if not isinstance(value, ast.ListV):
                return self.mismatch(value, t, what)
            items = [self.read(v, t[5:], module, what) for v in value.items]
            return INVALID if any(i is INVALID for i in items) else items
        if t.startswith("map:"):
            if not isinstance(value, ast.Block):
                return self.mismatch(value, t, what)
            out = {}
            for f in value.fields:
                if f.key.text in out:
                    self.fail("E211", f"`{f.key.text}` appears twice", f.key.span)
                    continue
                out[f.key.text] = self.read(f.value, t[4:], module, f"{what}.{f.key.text}")
            return INVALID if INVALID in out.values() else out
        if t.startswith("block:"):
            return self.block(value, t[6:], module, what)
        if t.startswith("ref:"):
            if not isinstance(value, ast.Ref):
                return self.mismatch(value, t, what)
            found = self.symbols.lookup(module, value, t[4:])
            if isinstance(found, Diagnostic):
                self.diags.append(found)
                return INVALID
            return found
        if t == "word":
            if isinstance(value, ast.Ref) and len(value.parts) == 1:
                return value.dotted
            if isinstance(value, ast.Str):
                return value.value
            return self.mismatch(value, t, what)
        if t.startswith("choice:"):
            options = t[7:].split("|")
            word = value.dotted if isinstance(value, ast.Ref) else (
                value.value if isinstance(value, ast.Str) else None)
            if word is None:
                return self.mismatch(value, t, what)
            if word not in options:
                near = did_you_mean(word, options)
                return self.fail("E221", f"`{what}` must be one of {', '.join(options)}; "
                                 f"found `{word}`", value.span,
                                 f"did you mean `{near}`?" if near else None)
            return word
        return getattr(self, "_" + t)(value, what, module)

    def block(self, value: ast.Value, name: str, module: str, what: str):
        if not isinstance(value, ast.Block):
            return self.mismatch(value, "block:" + name, what)
        specs = {f.name: f for f in BLOCKS[name]}
        out = {}
        for f in value.fields:
            spec = specs.get(f.key.text)
            if spec is None:
                near = did_you_mean(f.key.text, specs)
                self.fail("E210", f"unknown field `{f.key.text}` in `{what}`", f.key.span,
                          f"did you mean `{near}`?" if near else
                          "fields here: " + ", ".join(specs))
                continue
            if f.key.text in out:
                self.fail("E211", f"`{f.key.text}` appears twice in `{what}`", f.key.span)
                continue
            out[f.key.text] = self.read(f.value, spec.type, module, f"{what}.{f.key.text}")
        return INVALID if INVALID in out.values() else out

    # -- scalars -----------------------------------------------------------------
    def _str(self, v, what, module):
        if isinstance(v, ast.Str):
            return v.value
        return self.mismatch(v, "str", what)

    def _text(self, v, what, module):
        if isinstance(v, ast.Str):
            return textwrap.dedent(v.value).strip() if v.long else v.value
        return self.mismatch(v, "text", what)

    def _num(self, v, what, module):
        if isinstance(v, ast.Num):
            return v.value
        return self.mismatch(v, "num", what)

    def _int(self, v, what, module):
        if isinstance(v, ast.Num) and v.is_int:
            return int(v.value)
        return self.mismatch(v, "int", what)

    def _bounded(self, v, what, lo, hi, t):
        if not isinstance(v, ast.Num):
            return self.mismatch(v, t, what)
        if not lo <= v.value <= hi:
            return self.fail("E221", f"`{what}` must be in [{lo:g}, {hi:g}]; found {v.text}", v.span)
        return v.value

    def _unit(self, v, what, module):
        return self._bounded(v, what, 0.0, 1.0, "unit")

    def _signed(self, v, what, module):
        return self._bounded(v, what, -1.0, 1.0, "signed")

    def _bool(self, v, what, module):
        if isinstance(v, ast.Bool):
            return v.value
        return self.mismatch(v, "bool", what)

    def _sample(self, v, what, module):
        """`30%` -> ("share", 0.3); `12` -> ("count", 12)."""
        if isinstance(v, ast.Percent):
            share = self._percent(v, what, module)
            if share is not INVALID and share <= 0:
                return self.fail("E221", f"`{what}` must be more than 0%", v.span)
            return share if share is INVALID else ("share", share)
        count = self._int(v, what, module)
        return count if count is INVALID else ("count", count)

    def _percent(self, v, what, module):
        if isinstance(v, ast.Percent):
            if not 0.0 <= v.value <= 1.0:
                return self.fail("E221", f"`{what}` must be between 0% and 100%", v.span)
            return v.value
        return self.mismatch(v, "percent", what)

    def _range(self, v, what, module):
        if not isinstance(v, ast.Range):
            return self.mismatch(v, "range", what)
        if v.lo.value > v.hi.value:
            return self.fail("E221", f"`{what}`: range {v.lo.text}..{v.hi.text} is backwards", v.span,
                             f"write {v.hi.text}..{v.lo.text}")
        return (v.lo.value, v.hi.value)

    def _date(self, v, what, module):
        if not isinstance(v, ast.Date):
            return self.mismatch(v, "date", what)
        try:
            datetime.date.fromisoformat(v.value)
        except ValueError:
            return self.fail("E223", f"`{v.value}` is not a real date", v.span)
        return v.value

    def _regex(self, v, what, module):
        if not isinstance(v, ast.Regex):
            return self.mismatch(v, "regex", what)
        return compile_pattern(v, self.diags)

    # -- structured ----------------------------------------------------------------
    def _emotion_point(self, v, what, module):
        if not isinstance(v, ast.Call):
            return self.mismatch(v, "emotion_point", what)
        stage = self.stage(v, what, module, allow_turns=False)
        return stage if stage is INVALID else (stage[0], stage[1])

    def stage(self, call: ast.Call, what: str, module: str, allow_turns: bool = True):
        """`emotion(intensity[, turns: a..b][, assistant: strategy])` ->
        (Symbol, intensity, turns|None, strategy Symbol|None)."""
        found = self.symbols.lookup(module, call.callee, "emotion")
        ok = True
        if isinstance(found, Diagnostic):
            self.diags.append(found)
            ok = False
        if len(call.args) != 1:
            self.fail("E224", f"`{call.callee.dotted}(...)` takes one intensity, e.g. "
                      f"{call.callee.dotted}(0.7)", call.span)
            return INVALID
        intensity = self._bounded(call.args[0], f"intensity of {call.callee.dotted}", 0.0, 1.0,
                                  "unit")
        turns = strategy = None
        for kw in call.kwargs:
            if kw.name.text == "turns" and allow_turns:
                turns = self._range(kw.value, "stage turns", module)
                if turns is not INVALID and (turns[0] < 1 or not float(turns[0]).is_integer()
                                             or not float(turns[1]).is_integer()):
                    turns = self.fail("E221", "stage turns are whole user-turn numbers from 1",
                                      kw.value.span)
            elif kw.name.text == "assistant" and allow_turns:
                strategy = self.read(kw.value, "ref:strategy", module, "stage assistant")
            else:
                self.fail("E210", f"unknown argument `{kw.name.text}`", kw.name.span,
                          "a stage takes `turns: a..b` and `assistant: strategy`"
                          if allow_turns else None)
                ok = False
        if not ok or INVALID in (intensity, turns, strategy):
            return INVALID
        return found, intensity, (int(turns[0]), int(turns[1])) if turns else None, strategy

    def _stages(self, v, what, module):
        items = v.items if isinstance(v, ast.Chain) else (v,)
        out = []
        for item in items:
            if not isinstance(item, ast.Call):
                self.mismatch(item, "stages", what)
                out.append(INVALID)
                continue
            out.append(self.stage(item, what, module))
        return INVALID if INVALID in out else out

    def _ramp(self, v, what, module):
        if not (isinstance(v, ast.Chain) and len(v.items) == 2):
            return self.mismatch(v, "ramp", what)
        a = self._unit(v.items[0], what, module)
        b = self._unit(v.items[1], what, module)
        return INVALID if INVALID in (a, b) else (a, b)

    def _gate_use(self, v, what, module):
        threshold = None
        if isinstance(v, ast.Comparison):
            if not (isinstance(v.left, ast.Ref) and isinstance(v.right, ast.Num)
                    and v.op in (">=", ">")):
                return self.mismatch(v, "gate_use", what)
            threshold = (v.op, v.right.value)
            v = v.left
        if not isinstance(v, ast.Ref):
            return self.mismatch(v, "gate_use", what)
        found = self.symbols.lookup(module, v, "gate")
        if isinstance(found, Diagnostic):
            self.diags.append(found)
            return INVALID
        return (found, threshold, v.span)


def symbol_of(x) -> Symbol | None:
    return x if isinstance(x, Symbol) else None
