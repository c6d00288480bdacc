"""reply_language: every assistant reply is in the culture pack's language, by a real
language identifier (lingua). Replies too short to identify are skipped, not guessed."""

from __future__ import annotations

import functools
import re

from bdsl.gates.checks import _row
from bdsl.kinds import Role

# Languages the detector always weighs besides the expected one: a wrong-language reply is
# most often one of these (a model falling back to English, or a neighbour language).
_COMMON = ("ENGLISH", "SPANISH", "FRENCH", "GERMAN", "PORTUGUESE", "ITALIAN", "DUTCH", "HINDI",
           "JAPANESE", "CHINESE", "KOREAN", "ARABIC", "RUSSIAN")
MIN_LETTERS = 20
UNSURE = 0.2  # the expected language's confidence below which a reply fails


def expected_language(culture):
    """lingua Language for a culture: from its locale's language subtag (hi-IN -> hi),
    else from its language name ("Hindi"). None when lingua does not know it."""
    from lingua import IsoCode639_1, Language

    code = culture.locale.split("-")[0].split("_")[0].lower()
    try:
        return Language.from_iso_code_639_1(IsoCode639_1.from_str(code))
    except (ValueError, AttributeError):
        pass
    name = culture.language.strip().upper()
    return next((lang for lang in Language.all() if lang.name == name), None)


@functools.cache
def _detector(languages: frozenset):
    from lingua import LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(*languages).build()


def detect(text: str, expected) -> tuple[str, float, float]:
    """(top language name, its confidence, the expected language's confidence)."""
    from lingua import Language

    langs = frozenset({getattr(Language, n) for n in _COMMON} | {expected})
    values = _detector(langs).compute_language_confidence_values(text)
    top = values[0]
    mine = next((v.value for v in values if v.language == expected), 0.0)
    return top.language.name.lower(), round(top.value, 4), round(mine, 4)


def reply_language(gate, turns, ctx):
    culture = ctx.culture
    if culture is None:
        return _row(gate, True, "not applicable: the job has no culture pack", applicable=False)
    expected = expected_language(culture)
    if expected is None:
        return _row(gate, True, f"not applicable: no language identifier for "
                    f"{culture.language} ({culture.locale})", soft=True, applicable=False)
    min_letters = int(float(dict(gate.options).get("min_letters", MIN_LETTERS)))
    wrong, unsure, checked, skipped = [], [], 0, []
    for t in turns:
        if t.role != Role.ASSISTANT:
            continue
        if len(re.findall(r"\w", t.content)) < min_letters:
            skipped.append(t.index)
            continue
        checked += 1
        top, conf, mine = detect(t.content, expected)
        seen = {"turn": t.index, "detected": top, "confidence": conf,
                "expected_confidence": mine}
        if top != expected.name.lower():
            (wrong if mine < UNSURE else unsure).append(seen)
    want = expected.name.lower()
    if not checked:
        return _row(gate, True, "no reply long enough to identify its language", soft=True,
                    expected=want, skipped=skipped)
    if wrong:
        return _row(gate, False, f"{len(wrong)} of {checked} replies are not in {want}: "
                    + ", ".join(f"turn {w['turn']} looks {w['detected']}" for w in wrong),
                    score=round(1 - len(wrong) / checked, 4), expected=want, wrong=wrong,
                    unsure=unsure, skipped=skipped)
    return _row(gate, True, f"all {checked} replies are in {want}"
                + (f" ({len(unsure)} mixed, sent to review)" if unsure else ""),
                score=1.0, soft=bool(unsure), expected=want, unsure=unsure, skipped=skipped)
