"""Was a message cut off?

When the data says how generation stopped (`finish_reason`), that decides: "length",
"max_tokens" or "content_filter" is a cut, "stop" and its kin are not. When it does not,
`looks_cut` reads the end of the text. A reply cut mid-sentence shows it in one of
these ways:

  dangling   the last character is a comma, colon, semicolon, hyphen, slash or "&"
  unclosed   an opening bracket, quotation mark or code fence is never closed
  function   the last word is one a sentence cannot end on ("the", "and", "your", "to"...)
  unfinished no closing punctuation (. ! ? … quote, bracket, emoji, emoticon) although the
             speaker closes their sentences: their other turns end with it, or (with no
             other turns to go by) earlier sentences of the same message do

A speaker whose turns mostly end without punctuation (a casual style) is held to the first
three signs only, and a final list item is fine when another item is also unpunctuated.
The heuristic is applied to assistant turns only (people type without full stops) and
gives soft results: review sees them, nothing is rejected on a guess.
"""

from __future__ import annotations

import re
import unicodedata

CUT = frozenset({"length", "max_tokens", "content_filter", "max_output_tokens"})
FINISHED = frozenset({"stop", "end_turn", "eos", "stop_sequence", "tool_calls",
                      "function_call", "complete", "completed"})

_TERMINAL = set(".!?\u2026)]}*`~>") | {"\u3002", "\uff01", "\uff1f"}
_QUOTES = set("\"'\u201d\u2019")  # close a sentence only after . ! ? ("...now.'"), else "you'" is cut
_EMOTICON = re.compile(r"(?:[:;=8x][-']?[)(\]\[dDpP/\\|*3oO]|<3|\^_?\^|xx+|xo+)$", re.I)
# words a sentence does not end on (pronouns and particles can: "thank you", "hang in there")
_FUNCTION = frozenset("""the a an and or but nor to of for with from by as which whose
if than because while whether your my our their its is are was
were be been being am have has had do does did will would can could should might may must
very just also into onto such every each until unless although
i'm you're we're they're it's let's""".split())
_LIST_ITEM = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)])\s+")


def is_cut(finish_reason: str) -> bool | None:
    """True/False when the finish reason tells, None when it is absent or unknown."""
    reason = (finish_reason or "").strip().lower()
    if reason in CUT:
        return True
    if reason in FINISHED:
        return False
    return None


def finished(text: str) -> bool:
    """Does the text end the way a closed sentence does?"""
    t = text.rstrip().rstrip("\ufe0f\u200d")
    while len(t) > 1 and t[-1] in _QUOTES and t[-2] in _QUOTES | _TERMINAL:
        t = t[:-1]  # ...now.'" -> ...now.
    if t and t[-1] in _QUOTES:
        return len(t) > 1 and t[-2] in ".!?\u2026"
    return bool(t) and (t[-1] in _TERMINAL or _is_symbol(t[-1]) or bool(_EMOTICON.search(t)))


def looks_cut(text: str, speaker_punctuates: bool | None = None) -> str | None:
    """Why the text looks cut mid-sentence, or None when it reads as finished.
    speaker_punctuates: do the speaker's other turns end with closing punctuation
    (None: no other turns to tell)."""
    t = text.rstrip().rstrip("\ufe0f\u200d")  # emoji variation selectors and joiners
    if not t:
        return "empty"
    if t.count("```") % 2:
        return "unclosed code block"
    if t.count("(") > t.count(")") or t.count("[") > t.count("]"):
        return "unclosed bracket"
    if t.count('"') % 2 or t.count("\u201c") > t.count("\u201d"):
        return "unclosed quotation"
    last = t[-1]
    if last in ",;:-\u2013\u2014/&+(":
        return f"ends with {last!r}"
    if finished(t):
        return None
    word = re.search(r"([A-Za-z']+)$", t)
    if word and word.group(1).lower() in _FUNCTION:
        return f"ends on {word.group(1)!r}"
    lines = [x for x in t.splitlines() if x.strip()]
    if _LIST_ITEM.match(lines[-1]) and any(
            _LIST_ITEM.match(x) and not finished(x) for x in lines[:-1]):
        return None
    if speaker_punctuates:
        return "no closing punctuation, unlike the speaker's other turns"
    if speaker_punctuates is None and re.search(r"[.!?]\s", t):
        return "last sentence has no closing punctuation"
    return None


def _is_symbol(ch: str) -> bool:
    """Emoji and other pictographs end a message as a full stop would."""
    return unicodedata.category(ch) in ("So", "Sk") or 0x1F000 <= ord(ch) <= 0x1FAFF
