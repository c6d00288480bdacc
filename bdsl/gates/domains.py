"""What a spec's compliance rules guard, beyond their own trigger words.

A `disclaimer ... when /\\b(invest\\w*|stocks?|funds?|crypto)\\b/` guards investing; an
assistant that recommends "an ETF" or "a Roth IRA" is investing talk the regex never
listed. A domain here is a lexicon with seed words: a spec rule guards the domain when its
trigger regex matches one of the seeds. Matches found only through a domain lexicon are
an inference beyond the spec, so the gates that use them report soft results (review).

Words with an everyday sense ("bonds" between people, a creative "portfolio", she
"shares" her feelings) count only next to another word of the domain in the sentence.
"""

from __future__ import annotations

import re

import attrs

from bdsl import ir
from bdsl.gates import saferegex

MEDICATIONS = """sertraline zoloft fluoxetine prozac escitalopram lexapro citalopram celexa
paroxetine paxil venlafaxine effexor duloxetine cymbalta bupropion wellbutrin mirtazapine
remeron trazodone amitriptyline nortriptyline quetiapine seroquel olanzapine zyprexa
risperidone aripiprazole abilify lithium lamotrigine lamictal valproate depakote diazepam
valium alprazolam xanax lorazepam ativan clonazepam klonopin temazepam zolpidem ambien
zopiclone eszopiclone lunesta melatonin diphenhydramine benadryl promethazine hydroxyzine
propranolol gabapentin pregabalin lyrica methylphenidate ritalin adderall ibuprofen advil
paracetamol acetaminophen tylenol aspirin naproxen codeine tramadol oxycodone hydrocodone
morphine fentanyl buprenorphine methadone insulin""".split()

DOSE = re.compile(
    r"\b\d+(?:\.\d+)? ?(?:mg|mcg|µg|milligrams?|micrograms?|ml)\b"
    r"|\b(?:\d+|one|two|three|four|five|a couple(?: of)?|a few|an extra|another|extra|half(?: a| of)?"
    r"|double)(?: more)? (?:of )?(?:your |the |my )?(?:pills?|tablets?|capsules?|doses?|meds)\b"
    r"|\b(?:double|halve|half|up|increase|raise|lower|reduce|cut back on|cut down on|skip"
    r"|stop taking|come off)(?: on)? (?:your|the) (?:dose|dosage|medication|meds|pills|tablets)\b")
MEDICATION = re.compile(r"\b(?:" + "|".join(MEDICATIONS) + r")\b")


@attrs.frozen
class Domain:
    name: str
    seeds: tuple[str, ...]  # words a spec trigger for this domain would match
    terms: re.Pattern  # talk in the domain (counts alone)
    ambiguous: re.Pattern  # counts only with another domain word in the sentence
    advice_terms: re.Pattern  # extra words that make a suggestion domain advice


def _rx(words: str) -> re.Pattern:
    return re.compile(r"\b(?:" + words + r")\b")


DOMAINS: dict[str, Domain] = {d.name: d for d in (
    Domain("finance", ("invest", "investing", "stocks", "stock", "funds", "crypto", "shares",
                       "retirement account", "portfolio", "should I invest", "should I buy"),
           _rx(r"invest\w*|stocks?|stock market|etfs?|index funds?|mutual funds?|hedge funds?"
               r"|bitcoin|ethereum|dogecoin|crypto\w*|nfts?|401 ?\(?k\)?|(?:roth )?iras?"
               r"|annuit(?:y|ies)|dividends?|brokerage|day trading|forex|reits?"
               r"|retirement accounts?|equit(?:y|ies)"),
           _rx(r"bonds?|shares|portfolios?|securities|pensions?|funds?|diversif\w*|index"
               r"|markets?|returns?"),
           _rx(r"loans?|lenders?|mortgages?|refinanc\w*|consolidat\w*|credit cards?|the card"
               r"|debts?|savings|interest rates?|apr|overdraft|bank account")),
    Domain("medical", ("medication", "dose", "dosage", "pills", "prescription", "symptoms",
                       "diagnosis"),
           re.compile(MEDICATION.pattern + "|" + DOSE.pattern + r"|\b(?:dosage|prescriptions?"
                      r"|side effects?|antidepressants?|painkillers?|sleeping pills|pills"
                      r"|tablets|meds|medications?)\b"),
           _rx(r"doses?"),
           _rx(r"medications?|meds|pills|tablets|capsules")),
)}


def guarded(rules, kinds=("disclaimer", "qualify")) -> list[Domain]:
    """The domains whose seed words a compliance rule of these kinds is triggered by."""
    out = []
    for d in DOMAINS.values():
        for r in rules:
            if r.kind in kinds and r.when is not None and _hits_seed(r.when, d):
                out.append(d)
                break
    return out


def _hits_seed(when: ir.Pattern, d: Domain) -> bool:
    return any(saferegex.search(when, seed) for seed in d.seeds)


def mentions(domain: Domain, sentence: str, advice: bool = False) -> str | None:
    """The domain word in a normalized sentence, if it talks in the domain. In advice
    (a sentence already known to suggest something: "put everything into bonds") the
    everyday-sense words count on their own."""
    m = domain.terms.search(sentence) or (domain.advice_terms.search(sentence) if advice
                                          else None)
    if m:
        return m.group(0)
    found = domain.ambiguous.findall(sentence)
    if len(set(found)) >= (1 if advice else 2):
        return found[0]
    return None
