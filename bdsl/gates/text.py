"""Text normalization before matching.

`normalize` gives one form for the things that vary without changing meaning: Unicode
compatibility forms, curly quotes and apostrophes, dashes, invisible characters, case and
whitespace, so "I’m not a doctor" matches "I'm not a doctor". `loose` also drops
punctuation, for comparing a required sentence with the text that should contain it.
`digits` turns spoken and spaced numbers into digits ("nine eight eight", "9-8-8" -> 988).
"""

from __future__ import annotations

import re
import unicodedata

_MAP = str.maketrans({
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u00b4\u02bc`", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"'),
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d", "-"),
})
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
_SPACE = re.compile(r"\s+")


def normalize(text: str, fold_case: bool = True) -> str:
    """NFKC, straight quotes and apostrophes, ASCII hyphens for every dash, no invisible
    characters, whitespace runs (newlines too) collapsed to one space; casefolded unless
    fold_case is False (user regexes carry their own `i` flag)."""
    text = unicodedata.normalize("NFKC", text).translate(_MAP)
    text = _SPACE.sub(" ", _INVISIBLE.sub("", text)).strip()
    return text.casefold() if fold_case else text


_PUNCT = re.compile(r"[^\w\s]+")


def loose(text: str) -> str:
    """normalize() without punctuation: "This is general information — not financial
    advice!" and "this is general information, not financial advice" compare equal."""
    return _SPACE.sub(" ", _PUNCT.sub(" ", normalize(text).replace("&", " and "))).strip()


_DIGIT_WORDS = {"zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3", "four": "4",
                "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9"}
_WORD = "(?:" + "|".join(_DIGIT_WORDS) + ")"
_SPOKEN = re.compile(rf"\b{_WORD}(?:[\s-]+{_WORD})+\b")
_SPACED = re.compile(r"(?<!\d)\d(?:[\s.-]\d)+(?!\d)")


def digits(text: str) -> str:
    """Spoken digit sequences of two or more ("nine eight eight") and single digits
    separated by spaces, dots or hyphens ("9-8-8", "9 8 8") become digit runs."""
    text = _SPOKEN.sub(lambda m: "".join(_DIGIT_WORDS[w] for w in re.split(r"[\s-]+",
                                                                         m.group(0))), text)
    return _SPACED.sub(lambda m: re.sub(r"\D", "", m.group(0)), text)


_CLAUSE = re.compile(r"(?<=[.!?;:])\s+|\s+-\s+|\n+")


def sentences(text: str) -> list[str]:
    """Rough clause split of normalized text: sentence ends, semicolons, colons, dashes."""
    return [s for s in _CLAUSE.split(text) if s.strip()]
