"""Jinja2 with limits: a spec's template override runs in a box with a size and a time cap.

jinja2's ImmutableSandboxedEnvironment already refuses private attributes and mutation
of lists and dicts. On top of it, every operation that can grow memory or time is
checked before it runs:

  size   every value a template computes, passes to a filter, method or operator, or
         prints is at most MAX_CHARS characters (containers: the characters they would
         print), measured before the operation, and estimated for the operations that
         amplify (`'A' * 10**10`, `'x'.ljust(10**9)`, `replace`, `join`, `indent`,
         `%`/`format` widths, `**`); a width or count given to a padding method or
         filter (`ljust`, `center`, `indent`, `batch`, `range`...) is at most MAX_CHARS;
         output is streamed (`generate()`) and cut at MAX_CHARS.
  time   every loop is wrapped (code generator hook) so each iteration checks the
         deadline and an iteration budget; calls, attribute reads, filters and
         operators check the deadline too, so nested loops end after MAX_SECONDS.

A limit reached is a TemplateLimit naming what was exceeded; callers add the template's
name. This module imports only jinja2 (the checker uses it through compile-time trial
renders; the engine's PromptRenderer for every prompt).
"""

from __future__ import annotations

import functools
import math
import re
import threading
import time
from collections.abc import Iterable, Iterator

import jinja2
import jinja2.runtime
from jinja2 import nodes
from jinja2.compiler import CodeGenerator
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Namespace

MAX_CHARS = 1_000_000  # a prompt is a few thousand characters; a model context ~500,000
MAX_SECONDS = 2.0  # a real prompt renders in about a millisecond
MAX_ITERATIONS = 1_000_000  # loop iterations per render, all loops together
MAX_INT_BITS = 256  # integers a template computes (10**77 is plenty for a prompt)


class TemplateLimit(Exception):
    """A template exceeded a limit (size, time, iterations) or computed something huge."""


class _Budget:
    def __init__(self, seconds: float):
        self.deadline = time.monotonic() + seconds
        self.iterations = 0
        # container id -> (container, weight): within one render nothing a template can
        # reach is mutated (immutable sandbox), and holding the container keeps its id
        self.sizes: dict[int, tuple[object, int]] = {}

    def tick(self) -> None:
        if time.monotonic() > self.deadline:
            raise TemplateLimit(f"took longer than {MAX_SECONDS:g} s")


class _CompileTimeBudget(_Budget):
    """Constant folding while a template compiles: sizes checked, nothing cached."""

    @property
    def sizes(self):
        return None

    @sizes.setter
    def sizes(self, _value):
        pass


_NO_BUDGET = _CompileTimeBudget(float("inf"))


def weight(value, limit: int = MAX_CHARS, cache: dict | None = None) -> int:
    """About how many characters `value` prints as; the walk stops past `limit`, so a
    list holding one huge string a million times costs nothing to measure."""
    if isinstance(value, (str, bytes)):
        return len(value)
    if isinstance(value, range):
        return len(value) * 8
    if isinstance(value, (list, tuple, set, frozenset, dict)):
        if cache is not None and id(value) in cache:
            return cache[id(value)][1]
        total = 2
        items = value.items() if isinstance(value, dict) else value
        for item in items:
            total += 2 + weight(item, limit - total, cache)
            if total > limit:
                break
        if cache is not None and total <= limit:
            cache[id(value)] = (value, total)
        return total
    if isinstance(value, int) and not isinstance(value, bool):
        return max(1, value.bit_length() // 3)
    return 1


def _check_size(value, what: str, cache: dict | None = None):
    if weight(value, MAX_CHARS, cache) > MAX_CHARS:
        raise TemplateLimit(f"{what} would exceed {MAX_CHARS:,} characters")
    return value


def _check_int(value, what: str) -> None:
    if isinstance(value, int) and not isinstance(value, bool) \
            and value.bit_length() > MAX_INT_BITS:
        raise TemplateLimit(f"{what} computes a number with more than {MAX_INT_BITS} bits")


def _check_args(args: Iterable, kwargs: dict, what: str, numbers: bool = True,
                cache: dict | None = None) -> None:
    """Every argument's size; with `numbers`, also that no number argument (a width, a
    count) exceeds MAX_CHARS."""
    for value in [*args, *kwargs.values()]:
        if numbers and isinstance(value, (int, float)) and not isinstance(value, bool) \
                and abs(value) > MAX_CHARS:
            raise TemplateLimit(f"{what}: a number argument is larger than {MAX_CHARS:,}")
        _check_size(value, f"{what}: an argument", cache)


# Where widths are written: `%-10.3s` / `%*d` (printf) and `{:>10}` / `{:{w}}` (format).
_PRINTF_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[a-zA-Z%]")
_BRACE_SPEC = re.compile(r"\{[^{}]*?:((?:[^{}]|\{[^{}]*\})*)\}")
_DIGITS = re.compile(r"\d+")

# Callables and filters whose number arguments are widths or counts (what they build grows
# with them); everywhere else a number is data (a seed, an amount) and may be any size.
_SIZED_METHODS = frozenset({"ljust", "rjust", "center", "zfill", "safe_range", "range"})
_SIZED_FILTERS = frozenset({"center", "indent", "truncate", "wordwrap", "batch", "slice"})


def _format_estimate(fmt: str, args: Iterable, kwargs: dict, printf: bool) -> int:
    """Upper estimate of a `%` (printf) or `str.format` result: its text, every argument,
    every width its format specs write, and (when a width can come from the arguments:
    `%*d`, `{:{w}}`) every positive integer argument."""
    values = list(args) + list(kwargs.values())
    if printf:
        specs = [g for m in _PRINTF_SPEC.finditer(fmt) for g in m.groups() if g]
    else:
        specs = [m.group(1) for m in _BRACE_SPEC.finditer(fmt)]
    numbers = [d for spec in specs for d in _DIGITS.findall(spec)]
    if any(len(d) >= 12 for d in numbers):
        return MAX_CHARS + 1
    widths = sum(int(d) for d in numbers)
    if any("*" in spec or "{" in spec for spec in specs):
        widths += sum(v for v in values if isinstance(v, int) and not isinstance(v, bool)
                      and v > 0)
    return len(fmt) + widths + sum(weight(v) for v in values)


def _amplified(obj, args: tuple, kwargs: dict) -> int | None:
    """The output size of calls that can multiply their input, before running them."""
    target = getattr(obj, "__wrapped__", obj)  # jinja wraps str.format at attribute access
    owner = getattr(target, "__self__", None)
    name = getattr(target, "__name__", "")
    if not isinstance(owner, str):
        return None
    if name in ("format", "format_map"):
        mapping = args[0] if name == "format_map" and args else {}
        return _format_estimate(owner, args, {**kwargs, **dict(mapping)}, printf=False)
    if name == "replace" and len(args) >= 2:
        old, new = str(args[0]), str(args[1])
        hits = owner.count(old) if old else len(owner) + 1
        if len(args) > 2 and isinstance(args[2], int) and args[2] >= 0:
            hits = min(hits, args[2])
        return len(owner) + hits * max(0, len(new) - len(old))
    if name == "join" and args:
        return weight(args[0]) + len(owner) * max(0, _length(args[0]) - 1)
    if name == "expandtabs":
        size = args[0] if args else kwargs.get("tabsize", 8)
        return len(owner) + owner.count("\t") * max(0, int(size))
    if name == "translate" and args and isinstance(args[0], dict):
        longest = max((weight(v) for v in args[0].values()), default=1)
        return len(owner) * max(1, longest)
    return None


class _BoundedCodeGenerator(CodeGenerator):
    """Routes every loop's iterable through `environment.bounded_iter` and every `~`
    concatenation through `environment.join_values`, where the budget is checked."""

    def visit_For(self, node: nodes.For, frame) -> None:
        if not (isinstance(node.iter, nodes.Call) and isinstance(
                node.iter.node, nodes.EnvironmentAttribute)
                and node.iter.node.name == "bounded_iter"):
            node.iter = nodes.Call(nodes.EnvironmentAttribute("bounded_iter"), [node.iter], [],
                                   None, None, lineno=node.lineno)
        super().visit_For(node, frame)

    def visit_Concat(self, node: nodes.Concat, frame) -> None:
        self.write("environment.join_values((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class BoundedEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox with limits. `render(template, **variables)` is the way to run one."""

    code_generator_class = _BoundedCodeGenerator
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, **options):
        super().__init__(finalize=self._finalize, **options)
        self._local = threading.local()
        self.globals.pop("lipsum", None)  # paragraphs of filler: never a prompt's business
        self.filters = {name: self._guard_filter(name, fn) for name, fn in self.filters.items()}

    # -- the budget of the render in progress (per thread) -----------------------------
    @property
    def budget(self) -> _Budget:
        return getattr(self._local, "budget", None) or _NO_BUDGET

    def render(self, template: jinja2.Template, variables: dict) -> str:
        """Stream the template's output, stopping at MAX_CHARS or the deadline."""
        self._local.budget = _Budget(MAX_SECONDS)
        try:
            parts, size = [], 0
            for part in template.generate(**variables):
                size += len(part)
                if size > MAX_CHARS:
                    raise TemplateLimit(f"output would exceed {MAX_CHARS:,} characters")
                self.budget.tick()
                parts.append(part)
            return "".join(parts)
        except RecursionError:
            raise TemplateLimit("recursion too deep") from None
        except MemoryError:
            raise TemplateLimit("ran out of memory") from None
        finally:
            self._local.budget = None

    # -- hooks the compiled template calls ---------------------------------------------
    def bounded_iter(self, iterable) -> Iterator:
        budget = self.budget
        for item in iterable:
            budget.iterations += 1
            if budget.iterations > MAX_ITERATIONS:
                raise TemplateLimit(f"ran more than {MAX_ITERATIONS:,} loop iterations")
            budget.tick()
            yield item

    def join_values(self, values: tuple) -> str:
        self.budget.tick()
        if sum(weight(v) for v in values) > MAX_CHARS:
            raise TemplateLimit(f"`~` would build more than {MAX_CHARS:,} characters")
        return "".join(str(v) for v in values)

    def concat(self, parts) -> str:  # buffered blocks: macros, {% set %}..., {% filter %}
        out, size = [], 0
        for part in parts:
            size += len(part)
            if size > MAX_CHARS:
                raise TemplateLimit(f"a block would exceed {MAX_CHARS:,} characters")
            out.append(part)
        return "".join(out)

    def _finalize(self, value):
        self.budget.tick()
        return _check_size(value, "an output value")

    def call_binop(self, context, operator: str, left, right):
        self.budget.tick()
        what = f"`{operator}`"
        _check_size(left, what)
        _check_size(right, what)
        if operator == "**":
            if isinstance(left, (int, float)) and isinstance(right, (int, float)) \
                    and abs(left) > 1 and right > 0 \
                    and right * math.log2(abs(left)) > MAX_INT_BITS:
                raise TemplateLimit(f"`**` computes a number with more than {MAX_INT_BITS} bits")
        elif operator == "*":
            for seq, n in ((left, right), (right, left)):
                if isinstance(n, int) and not isinstance(seq, (int, float)) \
                        and weight(seq) * max(n, 0) > MAX_CHARS:
                    raise TemplateLimit(f"`*` would build more than {MAX_CHARS:,} characters")
        elif operator == "%" and isinstance(left, str):
            args = right if isinstance(right, tuple) else (right,)
            if _format_estimate(left, args, right if isinstance(right, dict) else {},
                                printf=True) > MAX_CHARS:
                raise TemplateLimit(f"`%` would build more than {MAX_CHARS:,} characters")
        elif operator == "+" and not isinstance(left, (int, float)) \
                and weight(left) + weight(right) > MAX_CHARS:
            raise TemplateLimit(f"`+` would build more than {MAX_CHARS:,} characters")
        result = super().call_binop(context, operator, left, right)
        _check_int(result, what)
        return _check_size(result, what)

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 (jinja's convention)
        __self.budget.tick()
        what = f"calling {getattr(__obj, '__name__', 'a function')}"
        if args and isinstance(args[0], Iterator):  # measured below: consume it only once
            args = (list(__self.bounded_iter(args[0])), *args[1:])
        # numbers are data (a seed may be 3,000,000,000) except the widths of padding methods
        _check_args(args, kwargs, what, getattr(__obj, "__name__", "") in _SIZED_METHODS,
                    __self.budget.sizes)
        estimate = _amplified(__obj, args, kwargs)
        if estimate is not None and estimate > MAX_CHARS:
            raise TemplateLimit(f"{what} would build more than {MAX_CHARS:,} characters")
        result = super().call(__context, __obj, *args, **kwargs)
        _check_int(result, what)
        return _check_size(result, what)

    # Reads: a namespace is the one object a template can assign to (`{% set ns.s = ... %}`
    # doubling a string in a loop), so what it holds is measured; the variables a template
    # is given are the caller's data, and everything computed from them is measured where
    # it is computed.
    def getattr(self, obj, attribute):
        self.budget.tick()
        value = super().getattr(obj, attribute)
        return _check_size(value, f"`.{attribute}`") if isinstance(obj, Namespace) else value

    def getitem(self, obj, argument):
        self.budget.tick()
        value = super().getitem(obj, argument)
        return _check_size(value, "`[...]`") if isinstance(obj, Namespace) else value

    def _guard_filter(self, name: str, fn):
        estimate = _FILTER_ESTIMATES.get(name)

        @functools.wraps(fn)  # keeps jinja_pass_arg: context/environment still passed first
        def guarded(*args, **kwargs):
            self.budget.tick()
            what = f"filter `{name}`"
            first = next((i for i, a in enumerate(args) if not isinstance(a, _PASSED)), None)
            if estimate is not None and first is not None and isinstance(args[first], Iterator):
                # `xs|map(...)|join`: measured before it runs, so consume the generator once
                args = (*args[:first], list(self.bounded_iter(args[first])), *args[first + 1:])
            data = args[first:] if first is not None else ()
            sizes = self.budget.sizes
            _check_size(data[0] if data else None, what, sizes)  # the value filtered is data
            _check_args(data[1:], kwargs, what, name in _SIZED_FILTERS, sizes)
            if estimate is not None and data and estimate(*data, **kwargs) > MAX_CHARS:
                raise TemplateLimit(f"{what} would build more than {MAX_CHARS:,} characters")
            result = fn(*args, **kwargs)
            _check_int(result, what)
            return _check_size(result, what)
        return guarded


_PASSED = (jinja2.runtime.Context, jinja2.Environment, nodes.EvalContext)


def _indent_estimate(s, width=4, first=False, blank=False, **_):
    pad = len(width) if isinstance(width, str) else max(0, int(width))
    return weight(s) + (str(s).count("\n") + 1) * pad


def _join_estimate(items, d="", attribute=None, **_):
    return weight(items) + len(str(d)) * max(0, _length(items) - 1)


def _length(items) -> int:
    try:
        return len(items)
    except TypeError:  # not sized (e.g. a mapping view): count without keeping
        return sum(1 for _ in items)


def _replace_estimate(s, old, new, count=None, **_):
    s, old, new = str(s), str(old), str(new)
    hits = s.count(old) if old else len(s) + 1
    if count is not None and count >= 0:
        hits = min(hits, count)
    return len(s) + hits * max(0, len(new) - len(old))


def _tojson_estimate(value, indent=None, **_):
    return weight(value) * (1 + max(0, int(indent or 0)))


def _format_filter_estimate(value, *args, **kwargs):
    return _format_estimate(str(value), args, kwargs, printf=True)


# Filters whose output can be much larger than their input: estimated before they run.
_FILTER_ESTIMATES = {
    "indent": _indent_estimate, "join": _join_estimate, "replace": _replace_estimate,
    "tojson": _tojson_estimate, "format": _format_filter_estimate,
}


__all__ = ["BoundedEnvironment", "TemplateLimit", "MAX_CHARS", "MAX_SECONDS",
           "MAX_ITERATIONS", "weight"]
