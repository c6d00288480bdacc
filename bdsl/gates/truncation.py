"""Was a message cut off?

When the data says how generation stopped (`finish_reason`), that decides: "length",
"max_tokens" or "content_filter" is a cut, "stop" and its kin are not. When it does not,
`looks_cut` reads the end of the text. Generated replies end their last sentence; a reply
that stops mid-sentence shows it in one of these ways:

  dangling   the last character is a comma, colon, semicolon, hyphen, slash or "&"
  unclosed   an opening bracket, quote or code fence is never closed
  function   the last word is one a sentence cannot end on ("the", "and", "your", "to"...)
  unfinished the text ends its earlier sentences with . ! or ? but not the last one

A single line with no sentence punctuation anywhere is taken as a casual style, not a cut,
and a final list item is fine when another item is also unpunctuated. The heuristic is
applied to assistant turns only (people type without full stops) and gives soft results:
review sees them, nothing is rejected on a guess.
"""

from __future__ import annotations

import re
import unicodedata

CUT = frozenset({"length", "max_tokens", "content_filter", "max_output_tokens"})
FINISHED = frozenset({"stop", "end_turn", "eos", "stop_sequence", "tool_calls",
                      "function_call", "complete", "completed"})

_TERMINAL = set(".!?\u2026)]}\"'*`~>") | {"\u3002", "\uff01", "\uff1f"}
_EMOTICON = re.compile(r"(?:[:;=8x][-']?[)(\]\[dDpP/\\|*3oO]|<3|\^_?\^|xx+|xo+)$", re.I)
_FUNCTION = frozenset("""the a an and or but nor to of in on at for with from by as that which
who whom whose if than then so because while when where whether your my our their his her
its this these those is are was were be been being am have has had do does did will would
can could should might may must not no very just also into onto about over under between
through i you he she we they me him them us it's i'm you're we're they're let's like such
some any every each more most less few many much own other another both either until
unless since though although before after""".split())
_LIST_ITEM = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)])\s+")


def is_cut(finish_reason: str) -> bool | None:
    """True/False when the finish reason tells, None when it is absent or unknown."""
    reason = (finish_reason or "").strip().lower()
    if reason in CUT:
        return True
    if reason in FINISHED:
        return False
    return None


def looks_cut(text: str) -> str | None:
    """Why the text looks cut mid-sentence, or None when it reads as finished."""
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
    if last in _TERMINAL or _is_symbol(last) or _EMOTICON.search(t):
        return None
    word = re.search(r"([A-Za-z']+)$", t)
    if word and word.group(1).lower() in _FUNCTION:
        return f"ends on {word.group(1)!r}"
    lines = [x for x in t.splitlines() if x.strip()]
    if _LIST_ITEM.match(lines[-1]) and any(
            _LIST_ITEM.match(x) and x.rstrip()[-1] not in _TERMINAL for x in lines[:-1]):
        return None
    if re.search(r"[.!?]\s", t):
        return "last sentence has no closing punctuation"
    return None


def _is_symbol(ch: str) -> bool:
    """Emoji and other pictographs end a message as a full stop would."""
    return unicodedata.category(ch) in ("So", "Sk") or 0x1F000 <= ord(ch) <= 0x1FAFF
