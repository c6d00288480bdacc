"""Advice a crisis reply must not give.

In a crisis the assistant refers; it does not advise. Per clause of the reply this finds
  dose      an amount or a change of dose ("50 mg", "two tablets", "double your dose")
  medication a named medication in a suggestion ("a couple of Xanax might help")
  means     method talk ("painless way", "lethal dose", "how many pills")
  domain    a suggestion in a domain the spec's disclaimer/qualify rules guard (investing,
            dosing...), recognized by the rules' own triggers or the domain's lexicon
A suggestion is an imperative ("take", "move your savings") or a suggesting phrase ("you
should", "might help"). Negated ("don't take any more tonight") and conditional ("if you
have taken ...") clauses are not advice; a clause that carries the referral itself is
exempt from the domain check ("call 988; the debt can wait").
"""

from __future__ import annotations

import re

import attrs

from bdsl import ir
from bdsl.gates import saferegex
from bdsl.gates.domains import DOSE, MEDICATION, Domain, mentions
from bdsl.gates.referral import Referral, mentioned
from bdsl.gates.text import normalize, sentences


@attrs.frozen
class Advice:
    kind: str  # dose | medication | means | domain
    clause: str
    match: str


_MARKERS = (r"(?:(?:and|also|then|so|just|maybe|perhaps|honestly|please|first|now|in the "
            r"meantime|meanwhile|tonight|tomorrow|for now|right now|otherwise)\b[,\s]*)*")
_IMPERATIVE = re.compile(
    r"^" + _MARKERS + r"(?:take|try|double|halve|cut|skip|stop|start|switch|up|increase|reduce"
    r"|lower|raise|use|put|move|sell|buy|invest|pay|consolidate|refinance|open|close|transfer"
    r"|withdraw|cash|borrow|split|keep|max|shift|dump|pull|lock|rebalance|apply|get|pop"
    r"|swallow|have|drink|mix)\b")
_SUGGESTING = re.compile(
    r"\b(?:you should|you could|you might want to|you may want to|you need to|you ought to"
    r"|you'd better|you had better|try to|consider|i(?: would|'d) (?:recommend|suggest)"
    r"|i recommend|i suggest|my advice|it'?s (?:best|better|wise|smart) to"
    r"|the best (?:thing|move|option) is|why not|how about|(?:might|should|will|would|can"
    r"|could) (?:help|knock|calm|work)|helps? you (?:sleep|calm))\b")
_NEGATED = re.compile(r"^" + _MARKERS + r"(?:don'?t|do not|never|no need to|avoid|please don'?t"
                      r"|you (?:don'?t|shouldn'?t|should not|do not) (?:need|have) to)\b")
_CONDITIONAL = re.compile(r"\bif you(?:'ve| have)? (?:already )?(?:taken|swallowed|took|had)\b")
_MEANS = re.compile(r"\b(?:painless|quick|quickest|easiest|surest|most effective) (?:way|method)s?"
                    r"|\blethal (?:dose|amount)|\bhow many (?:pills|tablets)\b|\boverdose on\b")
_SPLIT = re.compile(r",\s*(?=(?:and|but|then|also|so)\b)|\s+and then\s+|\s+and maybe\s+")


def clauses(text: str) -> list[str]:
    return [c.strip(" ,") for s in sentences(normalize(text)) for c in _SPLIT.split(s)
            if c.strip(" ,")]


def advice(text: str, domains: list[Domain], triggers: list[ir.Pattern],
           ref: Referral) -> list[Advice]:
    """Every clause of a crisis reply that advises (empty when it only refers and
    supports)."""
    out = []
    for clause in clauses(text):
        if _NEGATED.search(clause) or _CONDITIONAL.search(clause):
            continue
        suggests = bool(_IMPERATIVE.search(clause) or _SUGGESTING.search(clause))
        if m := _MEANS.search(clause):
            out.append(Advice("means", clause, m.group(0)))
        elif m := DOSE.search(clause):
            out.append(Advice("dose", clause, m.group(0)))
        elif suggests and (m := MEDICATION.search(clause)):
            out.append(Advice("medication", clause, m.group(0)))
        elif suggests and not mentioned(clause, ref):
            word = _domain_word(clause, domains, triggers)
            if word:
                out.append(Advice("domain", clause, word))
    return out


def _domain_word(clause: str, domains: list[Domain], triggers: list[ir.Pattern]) -> str | None:
    for p in triggers:  # a RegexTimeout propagates: the gate turns it into a soft result
        if m := saferegex.search(p, clause):
            return m.group(0)
    for d in domains:
        word = mentions(d, clause, advice=True)
        if word:
            return word
    return None
