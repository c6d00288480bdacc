"""Compliance rules in words: a model follows sentences, not regexes.

Every rule gets an `instruction`, the sentence prompts and judges see. Its parts come from
the rule's own words (`about "..."` for a trigger, `meaning "..."` for a forbid/require
pattern); where the spec gives none, the words are read off simple regexes
(`\\b(stocks?|funds?)\\b` -> "stocks or funds"). A regex too complex to read gives None
and the caller asks the author for words.
"""

from __future__ import annotations

import re

# the standard library's own regex parser (public as sre_parse before 3.11)
from re import _constants as sre_c  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]

from bdsl import ir
from bdsl.kinds import RuleKind

MAX_PHRASES = 8


def regex_phrases(regex: str) -> list[str] | None:
    """The literal phrases a simple regex matches (optional letters kept, `\\w*` stems
    cut), or None when it is not simple enough to read aloud."""
    try:
        parsed = sre_parse.parse(regex)
    except re.error:
        return None
    out = _expand(list(parsed))
    if not out:
        return None
    phrases = []
    for p in out:
        p = " ".join(p.split())
        if p and p not in phrases:
            phrases.append(p)
    return phrases[:MAX_PHRASES] or None


def _expand(items) -> list[str] | None:
    variants = [""]
    for op, av in items:
        parts = _node(op, av)
        if parts is None:
            return None
        variants = [v + p for v in variants for p in parts][: MAX_PHRASES * 4]
    return variants


def _node(op, av) -> list[str] | None:
    if op is sre_c.LITERAL:
        return [chr(av)]
    if op is sre_c.AT:
        return [""]
    if op is sre_c.SUBPATTERN:
        return _expand(list(av[-1]))
    if op is sre_c.BRANCH:
        out = []
        for alt in av[1]:
            sub = _expand(list(alt))
            if sub is None:
                return None
            out.extend(sub)
        return out
    if op is sre_c.IN:
        lits = [chr(v) for o, v in av if o is sre_c.LITERAL]
        if any(o is sre_c.CATEGORY and v is sre_c.CATEGORY_SPACE for o, v in av):
            return [" "]
        return [lits[0]] if lits and len(lits) == len(av) else None
    if op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT):
        lo, hi, sub = av
        sub = list(sub)
        if len(sub) == 1 and sub[0][0] is sre_c.IN and lo == 0:
            return [""]  # a \w* or [a-z]* tail: the stem says it
        inner = _expand(sub)
        if inner is None:
            return None
        return inner if lo >= 1 or hi == 1 else [""]
    return None


def spoken_list(phrases: list[str], quote: bool = False) -> str:
    items = [f'"{p}"' if quote else p for p in phrases]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def trigger_words(rule_about: str, when: ir.Pattern | None) -> str | None:
    """What the rule's trigger is about, in words (None: a trigger nobody can read)."""
    if rule_about:
        return rule_about
    if when is None:
        return ""
    phrases = regex_phrases(when.regex)
    return spoken_list(phrases) if phrases else None


def instruction(kind: RuleKind, text: str, about: str, meaning: str,
                pattern: ir.Pattern | None, to: str, because: str,
                regulations: tuple[str, ...]) -> str:
    """The sentence a prompt or a judge reads for one rule."""
    where = f"Whenever the conversation touches on {about}, " if about else ""
    what = meaning
    if not what and pattern is not None:
        phrases = regex_phrases(pattern.regex)
        what = ("use wording like " + spoken_list(phrases, quote=True)) if phrases else \
            "use the wording this rule forbids"
    if kind == RuleKind.DISCLAIMER:
        s = f'{where or "In every reply, "}include this disclaimer: "{text}"'
    elif kind == RuleKind.FORBID:
        s = f"{where}never {what}" if where else f"Never {what}"
    elif kind == RuleKind.REQUIRE:
        s = f"{where}always {what}" if where else f"Always {what}"
    elif kind == RuleKind.ESCALATE:
        label = f" ({text})" if text else ""
        s = (f"When the person mentions {about}, refer them to {to}{label}" if about
             else f"Refer the person to {to}{label} when they need it")
    else:  # QUALIFY
        s = (f"Before you answer anything about {about}, ask qualifying questions first"
             if about else "Ask qualifying questions before you answer")
        if text:
            s = _end(s) + " " + text
    if because:
        s += f" (because {because})"
    s = _end(s[0].upper() + s[1:])
    if regulations:
        s += f" [{', '.join(regulations)}]"
    return s


def _end(sentence: str) -> str:
    """A sentence ends in punctuation (a closing quote after it counts)."""
    bare = sentence.rstrip('"')
    return sentence if bare.endswith((".", "!", "?")) else sentence + "."
