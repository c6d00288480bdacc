"""Does a reply refer the person to the resource the spec names?

A referral is recognized by its number however it is written ("988", "9-8-8", "9 8 8",
"nine eight eight", "988lifeline.org") or by the resource's name however it is
punctuated ("Suicide & Crisis Lifeline", "suicide and crisis lifeline", or its distinctive
last word, "Lifeline"). The forms come from the gate's `line` and the escalate rules' `to`.
"""

from __future__ import annotations

import re

import attrs

from bdsl.gates.text import digits, loose

# Last words too generic to stand for a resource on their own.
_GENERIC = frozenset("""line lines service services team doctor doctors someone hotline
helpline number numbers emergency support center centre help professional""".split())
_ARTICLES = re.compile(r"^(?:the|a|an|your|our|their)\s+")


@attrs.frozen
class Referral:
    numbers: tuple[str, ...] = ()  # digit strings: "988"
    names: tuple[str, ...] = ()  # loose forms: "suicide and crisis lifeline", "lifeline"

    def __bool__(self) -> bool:
        return bool(self.numbers or self.names)

    def __add__(self, other: Referral) -> Referral:
        return Referral(tuple(dict.fromkeys(self.numbers + other.numbers)),
                        tuple(dict.fromkeys(self.names + other.names)))


def referral(*texts: str) -> Referral:
    """The forms of the resources named by a gate `line` or escalate `to` texts."""
    numbers, names = [], []
    for text in texts:
        if not text:
            continue
        numbers += re.findall(r"\d{3,}", digits(loose(text)))
        name = loose(re.sub(r"\([^)]*\)", " ", text))
        name = _ARTICLES.sub("", re.sub(r"\s+", " ", re.sub(r"\d+", " ", name)).strip())
        name = re.sub(r"^(?:call|text|contact|reach)\s+", "", name)
        if name:
            names.append(name)
            last = name.split()[-1]
            if len(last) >= 6 and last not in _GENERIC and last != name:
                names.append(last)
    return Referral(tuple(dict.fromkeys(numbers)), tuple(dict.fromkeys(names)))


def mentioned(text: str, ref: Referral) -> str | None:
    """The referral form found in the text, or None."""
    flat = loose(text)
    spoken = digits(flat)
    for number in ref.numbers:
        if re.search(rf"(?<!\d){number}(?!\d)", spoken) or re.search(
                rf"(?<!\d){number}(?!\d)", digits(text.casefold())):
            return number
    for name in ref.names:
        if re.search(rf"\b{re.escape(name)}\b", flat):
            return name
    return None
