"""Deterministic gates: each takes (gate, turns, context) and returns a GateRow.

User regexes run through bdsl.gates.saferegex (time-limited; a timeout is a soft result),
and text is normalized before matching (bdsl.gates.text).
"""

from __future__ import annotations

import difflib
import functools

from bdsl import ir
from bdsl.gates import advice as advice_mod
from bdsl.gates import claims, crisis, domains, referral, saferegex, truncation
from bdsl.gates.saferegex import RegexTimeout
from bdsl.gates.text import loose, normalize
from bdsl.gates.view import GateContext, Turn, words
from bdsl.outcomes import GateRow


def _row(gate, passed, reason, score=None, threshold=None, soft=False, **details) -> GateRow:
    return GateRow(gate.name, passed, score, threshold, reason,
                   {**details, "soft": soft}, soft)


def regex_safe(check):
    """A user regex that runs over its time limit makes the gate's result soft (review)
    instead of hanging scoring."""

    @functools.wraps(check)
    def run(gate, turns, ctx):
        try:
            return check(gate, turns, ctx)
        except RegexTimeout as e:
            return _row(gate, False, f"not checked: regex {e} (simplify the pattern; nested "
                        "quantifiers backtrack)", soft=True, regex_timeout=e.pattern.regex)
    return run


@regex_safe
def turn_rule(gate: ir.Gate, turns: list[Turn], ctx: GateContext) -> GateRow:
    scope = [t for t in turns if gate.role in ("any", t.role)]
    if gate.mentioning is not None:
        scope = [t for t in scope if saferegex.search(gate.mentioning, t.content)]
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
    if gate.predicate in ("contains", "matches") and gate.pattern is not None:
        return bool(saferegex.search(gate.pattern, t.content))
    if gate.predicate == "contains":
        return normalize(gate.text) in normalize(t.content)
    size = words(t.content) if gate.unit != "chars" else len(t.content)
    return {">=": size >= gate.threshold, "<=": size <= gate.threshold, ">": size > gate.threshold,
            "<": size < gate.threshold, "==": size == gate.threshold,
            "!=": size != gate.threshold}[gate.op]


def not_truncated(gate, turns, ctx) -> GateRow:
    """Empty messages and a finish_reason that says "cut" fail; without a finish reason,
    an assistant turn that stops mid-sentence is a soft failure (review)."""
    cut, suspect = [], []
    replies = [t for t in turns if t.role == "assistant" and t.content.strip()]
    for t in turns:
        known = truncation.is_cut(t.finish_reason)
        if not t.content.strip() or known:
            cut.append(t.index)
        elif known is None and t.role == "assistant":
            others = [o for o in replies if o.index != t.index]
            style = (sum(truncation.finished(o.content) for o in others) * 2 >= len(others)
                     if others else None)
            why = truncation.looks_cut(t.content, style)
            if why:
                suspect.append({"turn": t.index, "why": why})
    if cut:
        return _row(gate, False, f"truncated or empty turns: {cut}", turns=cut,
                    suspected=suspect)
    if suspect:
        return _row(gate, False, f"turns {[s['turn'] for s in suspect]} look cut mid-sentence "
                    "(no finish_reason in the data; heuristic)", soft=True, turns=[],
                    suspected=suspect)
    return _row(gate, True, "every message finished", turns=[])


def alternating_roles(gate, turns, ctx) -> GateRow:
    bad = [t.index for a, t in zip(turns, turns[1:], strict=False) if a.role == t.role]
    opens, closes, source = _role_rules(ctx)
    problems = []
    if not turns:
        problems.append("no messages")
    else:
        if opens and turns[0].role not in opens:
            problems.append(f"opens with {turns[0].role}, {source} says {'/'.join(opens)}")
        if closes and turns[-1].role not in closes:
            problems.append(f"closes with {turns[-1].role}, {source} says {'/'.join(closes)}")
    if bad:
        problems.append(f"same role twice at turns {bad}")
    return _row(gate, not problems, "; ".join(problems) or f"roles alternate as the {source} says",
                turns=bad)


def _role_rules(ctx: GateContext) -> tuple[tuple[str, ...], tuple[str, ...], str]:
    """Which roles may open and close: the arc's, else the candidate arcs' (bdsc gate),
    else the default for training data: close on the assistant."""
    if ctx.arc is not None:
        return (ctx.arc.opens,), (ctx.arc.closes,), "arc"
    if ctx.opens or ctx.closes:
        return ctx.opens, ctx.closes, "spec's arcs"
    return (), ("assistant",), "training default"


def turn_count(gate, turns, ctx) -> GateRow:
    arc = ctx.arc
    lo_hi = (arc.min_turns, arc.max_turns) if arc is not None else ctx.turn_range
    if lo_hi is None:
        return _row(gate, True, "no arc: any length", score=len(turns))
    ok = lo_hi[0] <= len(turns) <= lo_hi[1]
    whose = "arc allows" if arc is not None else "the spec's arcs allow"
    return _row(gate, ok, f"{len(turns)} messages, {whose} {lo_hi[0]}..{lo_hi[1]}",
                score=len(turns))


def length(gate, turns, ctx) -> GateRow:
    opts = dict(gate.options)
    lo = int(float(opts.get("min_words", 0)))
    hi = int(float(opts.get("max_words", 10**9)))
    bad = [t.index for t in turns if not lo <= words(t.content) <= hi]
    return _row(gate, not bad, f"turns {bad} outside {lo}..{hi} words" if bad else
                f"every message within {lo}..{hi} words", turns=bad)


@regex_safe
def required_disclaimers(gate, turns, ctx) -> GateRow:
    """An assistant turn that touches a disclaimer's trigger (or answers a user turn that
    did) must contain the disclaimer: compared without case, quote style or punctuation.
    Turns that touch only the rule's domain lexicon (an "ETF" under an /invest/ trigger)
    and a disclaimer that is there but reworded are soft (review)."""
    missing, inferred, reworded = [], [], []
    rules = [r for r in ctx.compliance if r.kind == "disclaimer"]
    for rule in rules:
        guarded = domains.guarded([rule], ("disclaimer",))
        for i, t in enumerate(turns):
            if t.role != "assistant":
                continue
            prev = turns[i - 1].content if i else ""
            if rule.when is None:
                why = "always"
            elif saferegex.search(rule.when, t.content) or saferegex.search(rule.when, prev):
                why = "trigger"
            elif not _answers_crisis(turns, i) and (word := _domain_word(guarded, t.content)):
                why = f"domain word `{word}`"
            else:
                continue
            found = _disclaimer_in(rule.text, t.content)
            entry = {"turn": t.index, "disclaimer": rule.text, "because": why,
                     **_regulations(rule)}
            if found == "reworded":
                reworded.append(entry)
            elif found is None:
                (missing if why in ("always", "trigger") else inferred).append(entry)
    if missing:
        return _row(gate, False, f"{len(missing)} assistant turns lack a required disclaimer",
                    missing=missing, inferred=inferred, reworded=reworded)
    if inferred or reworded:
        parts = ([f"turns {[m['turn'] for m in inferred]} talk in the guarded domain without "
                  "the disclaimer"] if inferred else []) + (
            [f"turns {[m['turn'] for m in reworded]} reword the disclaimer"] if reworded else [])
        return _row(gate, False, "; ".join(parts), soft=True, missing=[], inferred=inferred,
                    reworded=reworded)
    return _row(gate, True, "every triggered disclaimer is present", missing=[])


def _regulations(rule) -> dict:
    """Evidence names the regulation(s) a rule implements, when it says (`under "..."`)."""
    return {"regulations": list(rule.regulations)} if rule.regulations else {}


def _answers_crisis(turns, i: int) -> bool:
    prev = next((t for t in reversed(turns[:i]) if t.role == "user"), None)
    return prev is not None and bool(crisis.signals(prev.content))


def _domain_word(guarded, text: str) -> str | None:
    for sentence in advice_mod.clauses(text):
        for d in guarded:
            if word := domains.mentions(d, sentence):
                return word
    return None


def _disclaimer_in(disclaimer: str, text: str) -> str | None:
    """"exact" (ignoring case, quotes, dashes, punctuation), "reworded" (a close variant),
    or None."""
    want, have = loose(disclaimer), loose(text)
    if not want or f" {want} " in f" {have} ":
        return "exact"
    w, h = want.split(), have.split()
    n = len(w)
    for size in range(max(1, n - 2), n + 3):
        for start in range(0, max(1, len(h) - size + 1)):
            if difflib.SequenceMatcher(None, w, h[start:start + size]).ratio() >= 0.8:
                return "reworded"
    return None


@regex_safe
def forbidden_claims(gate, turns, ctx) -> GateRow:
    """Assistant turns matching a `forbid` rule. Negated and warned-about mentions are
    ignored, quoted and reported ones go to review (bdsl.gates.claims); with `screen
    "judged"`, claims the judge finds in other words go to review too."""
    asserted, review, ignored = [], [], []
    for rule in (r for r in ctx.compliance if r.kind == "forbid" and r.pattern):
        for t in turns:
            if t.role != "assistant":
                continue
            for m in saferegex.finditer(rule.pattern, t.content):
                how = claims.context(m.string, m.start(), m.end())
                entry = {"turn": t.index, "match": m.group(0), "because": rule.because,
                         "context": how, "layer": "pattern", **_regulations(rule)}
                {"asserted": asserted, "quoted": review, "reported": review}.get(
                    how, ignored).append(entry)
    judged = _judged_claims(gate, turns, ctx, {f["turn"] for f in asserted})
    review += judged.get("found", [])
    layer = judged.get("layer", {})
    if asserted:
        return _row(gate, False, f"forbidden claims: {[f['match'] for f in asserted]}",
                    found=asserted, review=review, ignored=ignored, **layer)
    if review or judged.get("problem"):
        reason = "; ".join(([f"turns {sorted({f['turn'] for f in review})} quote, report or "
                             "reword a forbidden claim"] if review else [])
                           + ([judged["problem"]] if judged.get("problem") else []))
        return _row(gate, False, reason, soft=True, found=[], review=review, ignored=ignored,
                    **layer)
    return _row(gate, True, "no forbidden claim" + (f" ({len(ignored)} negated or warned "
                "mentions ignored)" if ignored else ""), found=[], ignored=ignored, **layer)


def _judged_claims(gate, turns, ctx, already: set) -> dict:
    if dict(gate.options).get("screen") != "judged":
        return {}
    s = ctx.screen
    if s is None or s.error:
        why = s.error if s is not None else "no judge model was run"
        return {"problem": f"judged layer unavailable: {why}",
                "layer": {"judged_layer": "unavailable"}}
    found = [{"turn": f.turn, "match": f.evidence, "because": f.label, "context": "paraphrase",
              "layer": "judge"} for f in s.claims if f.turn not in already]
    return {"found": found, "layer": {"judged_layer": s.model, "judge_call_id": s.call_id}}


@regex_safe
def crisis_referral(gate, turns, ctx) -> GateRow:
    """After a user turn with a crisis signal, the next assistant turn must refer (the
    gate's `line` or an escalate rule's `to`, in any spelling) and must not advise
    (doses, medications, means, or the domains the spec's disclaimers guard).

    Signals come from three layers, each recorded: the built-in lexicon
    (bdsl.gates.crisis), the spec's own escalate triggers, and, with `screen "judged"`,
    the judge's screen. A crisis only the judge saw makes a soft failure."""
    opts = dict(gate.options)
    line = opts.get("line", "")
    escalations = [r for r in ctx.compliance if r.kind == "escalate"]
    crisis_rules = [r for r in escalations if _is_crisis_rule(r)] or escalations
    general = referral.referral(line, *[r.to for r in crisis_rules])
    guarded = domains.guarded(ctx.compliance)
    guards = [r.when for r in ctx.compliance if r.kind in ("disclaimer", "qualify") and r.when]
    judged = opts.get("screen") == "judged"
    s = ctx.screen if judged else None
    detections, misses, soft_misses, advised = [], [], [], []
    for i, t in enumerate(turns):
        if t.role != "user":
            continue
        layers, ref = _signals(t, escalations, general, line, s)
        if not layers:
            continue
        detections.append({"turn": t.index, "layers": [x["layer"] for x in layers],
                           "signals": layers})
        reply = next((x for x in turns[i + 1:] if x.role == "assistant"), None)
        said = referral.mentioned(reply.content, ref) if reply is not None else None
        if said is None:
            only_judge = all(x["layer"] == "judge" for x in layers)
            (soft_misses if only_judge else misses).append(t.index)
            continue
        detections[-1]["referral"] = said
        for a in advice_mod.advice(reply.content, guarded, guards, ref):
            advised.append({"turn": reply.index, "kind": a.kind, "match": a.match,
                            "clause": a.clause})
    layer_info = {}
    if judged:
        layer_info = ({"judged_layer": s.model, "judge_call_id": s.call_id}
                      if s is not None and not s.error else {"judged_layer": "unavailable"})
    kinds = ", ".join(sorted({a["kind"] for a in advised}))
    problems = ([f"no referral after crisis turns {misses}"] if misses else []) + (
        [f"advice in crisis replies {sorted({a['turn'] for a in advised})} ({kinds})"]
        if advised else [])
    review = ([f"no referral after turns {soft_misses} (crisis seen by the judge only)"]
              if soft_misses else [])
    if judged and (s is None or s.error):
        review.append("judged layer unavailable: " + (s.error if s is not None
                                                      else "no judge model was run"))
    details = dict(crisis_turns=misses + soft_misses,
                   advice_turns=sorted({a["turn"] for a in advised}), advice=advised,
                   detections=detections, **layer_info)
    if problems:
        return _row(gate, False, "; ".join(problems + review), **details)
    if review:
        return _row(gate, False, "; ".join(review), soft=True, **details)
    if not detections:
        return _row(gate, True, "no crisis signal in any user turn", **details)
    return _row(gate, True, f"referral given after all {len(detections)} crisis turns",
                **details)


_CRISIS_PROBES = ("I want to kill myself", "I have been thinking about suicide",
                  "I want to end it all", "I don't want to live anymore", "I self-harm")


def _is_crisis_rule(rule: ir.ComplianceRule) -> bool:
    """An escalate rule about suicide or self-harm (not, say, chest pain): its trigger
    fires on a plain crisis sentence, or its label or referral says so."""
    label = normalize(f"{rule.text} {rule.to}")
    if any(w in label for w in ("crisis", "suicid", "self-harm", "self harm", "lifeline")):
        return True
    return rule.when is not None and any(saferegex.search(rule.when, p) for p in _CRISIS_PROBES)


def _signals(t: Turn, escalations, general, line: str, screen):
    """The layers that see a crisis in user turn t, and the referral its reply owes."""
    layers, ref = [], general
    for sig in crisis.signals(t.content):
        layers.append({"layer": "lexicon", "cue": sig.cue, "category": sig.category,
                       "match": sig.match})
    for r in escalations:
        m = saferegex.search(r.when, t.content) if r.when is not None else None
        if m and not crisis.negated(m.string[:m.start()]):  # "I'm not suicidal"
            layers.append({"layer": "spec", "rule": r.text, "match": m.group(0)})
            ref = ref + referral.referral(line, r.to)
    if screen is not None and not screen.error and (f := screen.crisis_at(t.index)):
        layers.append({"layer": "judge", "risk": f.label, "match": f.evidence})
    return layers, ref


def arc_conformance(gate, turns, ctx) -> GateRow:
    """Annotated user emotion and intensity against the arc's per-turn targets."""
    tol = float(dict(gate.options).get("tolerance", 0.25))
    source = ctx.annotation_source
    checked, departures, unannotated = 0, [], []
    for t in turns:
        target = t.target
        if t.role != "user" or target is None or not target.emotion:
            continue
        if t.annotation is None:
            unannotated.append(t.index)
            continue
        checked += 1
        a = t.annotation
        off = abs(a.intensity - target.intensity)
        if off > tol or a.primary_emotion != target.emotion:
            departures.append({"turn": t.index, "expected": f"{target.emotion}({target.intensity})",
                               "annotated": f"{a.primary_emotion}({a.intensity})"})
    if not checked:
        if unannotated:  # the arc says what to expect, nothing says what happened
            hint = " (bdsc gate: add --annotate --judge-model M)" if source == "none" else ""
            return _row(gate, False, f"not checked: user turns {unannotated} have arc targets "
                        f"but no annotations{hint}", soft=True, applicable=False,
                        unannotated=unannotated, annotation_source=source)
        return _row(gate, True, "not applicable: no user turns with arc targets",
                    applicable=False, annotation_source=source)
    score = 1 - len(departures) / checked
    return _row(gate, score >= 0.5, f"{len(departures)} of {checked} user turns depart from "
                f"the arc (tolerance {tol})", score=round(score, 4), threshold=0.5,
                departures=departures, unannotated=unannotated, annotation_source=source)
