"""The gates as they were before issue 8: the baseline bench_gates.py measures in the same
run. A frozen copy of bdsl/gates/checks.py at commit 41ce243 (only the import of the
removed `view.pattern` is inlined below); do not edit. Under the old `bdsc gate`, records
were read without `finish_reason`, with no arc (no open/close rule) and no dataset gates.
"""

from __future__ import annotations

import re

from bdsl import ir
from bdsl.gates.view import GateContext, Turn, words
from bdsl.outcomes import GateRow

# Crisis signals beyond a spec's own escalate triggers: deliberately conservative.
CRISIS = re.compile(r"\b(kill(ing)? myself|suicid\w*|end (it all|my life)|don'?t want to "
                    r"(live|be here|wake up)|self[- ]harm|hurt(ing)? myself|no reason to live)\b",
                    re.I)


def _row(gate, passed, reason, score=None, threshold=None, soft=False, **details) -> GateRow:
    return GateRow(gate.name, passed, score, threshold, reason,
                   {**details, "soft": soft}, soft)


def turn_rule(gate: ir.Gate, turns: list[Turn], ctx: GateContext) -> GateRow:
    scope = [t for t in turns if gate.role in ("any", t.role)]
    if gate.mentioning is not None:
        rx = pattern(gate.mentioning)
        scope = [t for t in scope if rx.search(t.content)]
    hits = [t for t in scope if _holds(gate, t)]
    q = gate.quantifier
    if q == "every":
        bad = [t.index for t in scope if t not in hits]
        return _row(gate, not bad, f"{len(bad)} of {len(scope)} {gate.role} turns fail "
                    f"`{gate.predicate}`" if bad else f"all {len(scope)} matching turns pass",
                    score=1 - len(bad) / len(scope) if scope else 1.0, turns=bad)
    if q == "no":
        bad = [t.index for t in hits]
        return _row(gate, not bad, f"turns {bad} match" if bad else "no turn matches",
                    score=1 - len(bad) / len(scope) if scope else 1.0, turns=bad)
    return _row(gate, bool(hits), f"{len(hits)} turns satisfy it" if hits else
                "no turn satisfies it", turns=[t.index for t in hits])


def _holds(gate: ir.Gate, t: Turn) -> bool:
    if gate.predicate == "contains":
        if gate.pattern is not None:
            return bool(pattern(gate.pattern).search(t.content))
        return gate.text.lower() in t.content.lower()
    if gate.predicate == "matches":
        return bool(pattern(gate.pattern).search(t.content))
    size = words(t.content) if gate.unit != "chars" else len(t.content)
    return {">=": size >= gate.threshold, "<=": size <= gate.threshold, ">": size > gate.threshold,
            "<": size < gate.threshold, "==": size == gate.threshold,
            "!=": size != gate.threshold}[gate.op]


def not_truncated(gate, turns, ctx) -> GateRow:
    bad = [t.index for t in turns if not t.content.strip() or t.finish_reason == "length"]
    return _row(gate, not bad, f"truncated or empty turns: {bad}" if bad else
                "every message finished", turns=bad)


def alternating_roles(gate, turns, ctx) -> GateRow:
    bad = [t.index for a, t in zip(turns, turns[1:], strict=False) if a.role == t.role]
    arc = ctx.arc
    problems = []
    if arc is not None and turns:
        if turns[0].role != arc.opens:
            problems.append(f"opens with {turns[0].role}, arc says {arc.opens}")
        if turns[-1].role != arc.closes:
            problems.append(f"closes with {turns[-1].role}, arc says {arc.closes}")
    if bad:
        problems.append(f"same role twice at turns {bad}")
    return _row(gate, not problems, "; ".join(problems) or "roles alternate as the arc says",
                turns=bad)


def turn_count(gate, turns, ctx) -> GateRow:
    arc = ctx.arc
    if arc is None:
        return _row(gate, True, "no arc: any length", score=len(turns))
    ok = arc.min_turns <= len(turns) <= arc.max_turns
    return _row(gate, ok, f"{len(turns)} messages, arc allows {arc.min_turns}..{arc.max_turns}",
                score=len(turns))


def length(gate, turns, ctx) -> GateRow:
    opts = dict(gate.options)
    lo = int(float(opts.get("min_words", 0)))
    hi = int(float(opts.get("max_words", 10**9)))
    bad = [t.index for t in turns if not lo <= words(t.content) <= hi]
    return _row(gate, not bad, f"turns {bad} outside {lo}..{hi} words" if bad else
                f"every message within {lo}..{hi} words", turns=bad)


def required_disclaimers(gate, turns, ctx) -> GateRow:
    """An assistant turn that touches a disclaimer's trigger (or answers a user turn that
    did) must contain the disclaimer text (case-insensitive)."""
    missing = []
    for rule in (r for r in ctx.compliance if r.kind == "disclaimer"):
        rx = pattern(rule.when) if rule.when else None
        for i, t in enumerate(turns):
            if t.role != "assistant":
                continue
            prev = turns[i - 1].content if i else ""
            triggered = rx is None or rx.search(t.content) or rx.search(prev)
            if triggered and rule.text.lower() not in t.content.lower():
                missing.append({"turn": t.index, "disclaimer": rule.text})
    return _row(gate, not missing, f"{len(missing)} assistant turns lack a required disclaimer"
                if missing else "every triggered disclaimer is present", missing=missing)


def forbidden_claims(gate, turns, ctx) -> GateRow:
    found = []
    for rule in (r for r in ctx.compliance if r.kind == "forbid" and r.pattern):
        rx = pattern(rule.pattern)
        for t in turns:
            m = rx.search(t.content) if t.role == "assistant" else None
            if m:
                found.append({"turn": t.index, "match": m.group(0), "because": rule.because})
    return _row(gate, not found, f"forbidden claims: {[f['match'] for f in found]}" if found
                else "no forbidden claim", found=found)


def crisis_referral(gate, turns, ctx) -> GateRow:
    """After a user turn with crisis signals, the next assistant turn must give the
    referral (the gate's `line`, or an escalate rule's `to`)."""
    line = dict(gate.options).get("line", "")
    escalations = [r for r in ctx.compliance if r.kind == "escalate"]
    triggers = [pattern(r.when) for r in escalations if r.when]
    refs = [line] if line else []
    refs += [r.to for r in escalations if r.to]
    # Domain advice = what the spec's disclaimer/qualify rules guard (investing, dosing...):
    # a reply to a crisis turn should refer, not advise.
    domain = [pattern(r.when) for r in ctx.compliance if r.kind in ("disclaimer", "qualify")
              and r.when]
    misses, advised, seen = [], [], 0
    for i, t in enumerate(turns):
        if t.role != "user" or not (CRISIS.search(t.content) or any(x.search(t.content)
                                                                     for x in triggers)):
            continue
        seen += 1
        reply = next((x for x in turns[i + 1:] if x.role == "assistant"), None)
        if reply is None or not any(_mentions(reply.content, r) for r in refs):
            misses.append(t.index)
        elif any(d.search(reply.content) for d in domain):
            advised.append(reply.index)
    if not seen:
        return _row(gate, True, "no crisis signal in any user turn", crisis_turns=[])
    problems = ([f"no referral after crisis turns {misses}"] if misses else []) + (
        [f"domain advice in crisis replies {advised}"] if advised else [])
    return _row(gate, not problems, "; ".join(problems) or
                f"referral given after all {seen} crisis turns", crisis_turns=misses,
                advice_turns=advised)


def _mentions(text: str, referral: str) -> bool:
    if not referral:
        return False
    key = re.search(r"\b\d{3}\b", referral)  # "988 Suicide & Crisis Lifeline" -> 988
    needle = key.group(0) if key else referral
    return needle.lower() in text.lower()


def arc_conformance(gate, turns, ctx) -> GateRow:
    """Annotated user emotion and intensity against the arc's per-turn targets."""
    tol = float(dict(gate.options).get("tolerance", 0.25))
    checked, departures = 0, []
    for t in turns:
        target = t.target
        if t.role != "user" or target is None or not target.emotion or t.annotation is None:
            continue
        checked += 1
        a = t.annotation
        off = abs(a.intensity - target.intensity)
        if off > tol or a.primary_emotion != target.emotion:
            departures.append({"turn": t.index, "expected": f"{target.emotion}({target.intensity})",
                               "annotated": f"{a.primary_emotion}({a.intensity})"})
    if not checked:
        return _row(gate, True, "not applicable: no annotated user turns with targets",
                    soft=False, applicable=False)
    score = 1 - len(departures) / checked
    return _row(gate, score >= 0.5, f"{len(departures)} of {checked} user turns depart from "
                f"the arc (tolerance {tol})", score=round(score, 4), threshold=0.5,
                departures=departures)



def pattern(p: ir.Pattern) -> re.Pattern:  # bdsl/gates/view.py at 41ce243
    flags = 0
    for ch in p.flags:
        flags |= {"i": re.I, "m": re.M, "s": re.S, "x": re.X}[ch]
    return re.compile(p.regex, flags)
