"""User regexes (turn rules, compliance patterns) with a time limit.

A spec's regex runs on text it has never seen; a pattern with nested quantifiers can take
minutes on one sentence with Python's `re`. Here every user pattern runs in the `regex`
package (which avoids most catastrophic backtracking outright) with `timeout=`, so the
worst case is bounded: a search that runs over REGEX_TIMEOUT_S raises RegexTimeout, and
the gate records a soft result (the conversation goes to review) instead of hanging.

Each pattern is tried on the text as written and on its normalized form (straight quotes,
ASCII dashes, one space for every whitespace run, case kept), so /don't/ matches "don’t".
"""

from __future__ import annotations

import functools
import re

import regex

from bdsl import ir
from bdsl.gates.text import normalize

REGEX_TIMEOUT_S = 0.5
_FLAGS = {"i": regex.I, "m": regex.M, "s": regex.S, "x": regex.X}


class RegexTimeout(Exception):
    def __init__(self, pattern: ir.Pattern):
        super().__init__(f"/{pattern.regex}/{pattern.flags} ran over {REGEX_TIMEOUT_S} s")
        self.pattern = pattern


@functools.lru_cache(maxsize=1024)
def compiled(p: ir.Pattern):
    flags = 0
    for ch in p.flags:
        flags |= _FLAGS[ch]
    try:
        return regex.compile(p.regex, flags | regex.V0)
    except regex.error:  # `re` accepted it at check time; keep its meaning
        return re.compile(p.regex, flags)


def search(p: ir.Pattern, text: str):
    """The first match in the text as written or, failing that, in its normalized form.
    Raises RegexTimeout when one search runs over the limit."""
    rx = compiled(p)
    for candidate in _forms(text):
        try:
            m = (rx.search(candidate, timeout=REGEX_TIMEOUT_S) if isinstance(rx, regex.Pattern)
                 else rx.search(candidate))
        except TimeoutError:
            raise RegexTimeout(p) from None
        if m:
            return m
    return None


def _forms(text: str):
    yield text
    norm = normalize(text, fold_case=False)
    if norm != text:
        yield norm


def finditer(p: ir.Pattern, text: str) -> list:
    """Every match in the normalized text (or, when there is none, in the text as
    written). Raises RegexTimeout like search()."""
    rx = compiled(p)
    for candidate in reversed(list(_forms(text))):
        try:
            found = (list(rx.finditer(candidate, timeout=REGEX_TIMEOUT_S))
                     if isinstance(rx, regex.Pattern) else list(rx.finditer(candidate)))
        except TimeoutError:
            raise RegexTimeout(p) from None
        if found:
            return found
    return []
