"""Compliance gates for `require` and `qualify` rules (disclaimers and forbidden claims
are in checks.py). Evidence names the rule's sentence and the regulation(s) it implements,
so a failed gate says which regulation version produced which requirement."""

from __future__ import annotations

import re

from bdsl.gates import saferegex
from bdsl.gates.checks import _row, regex_safe
from bdsl.kinds import Role, RuleKind

_QUESTION = re.compile(r"\?(\s|$|[\"')\]])")


def _rules(ctx, kind):
    return [r for r in ctx.compliance if r.kind == kind]


def _triggered(rule, turns, i) -> bool:
    """A rule applies to assistant turn i when its trigger is in that turn or in the user
    turn it answers (no trigger: every assistant turn)."""
    if rule.when is None:
        return True
    prev = turns[i - 1].content if i and turns[i - 1].role == Role.USER else ""
    return bool(saferegex.search(rule.when, turns[i].content)
                or saferegex.search(rule.when, prev))


@regex_safe
def required_statements(gate, turns, ctx):
    """Every assistant turn a `require` rule applies to matches the rule's pattern."""
    missing = []
    for rule in _rules(ctx, RuleKind.REQUIRE):
        for i, t in enumerate(turns):
            if t.role == Role.ASSISTANT and _triggered(rule, turns, i) \
                    and not saferegex.search(rule.pattern, t.content):
                missing.append({"turn": t.index, "rule": rule.instruction,
                                "regulations": list(rule.regulations)})
    if not any(r.kind == RuleKind.REQUIRE for r in ctx.compliance):
        return _row(gate, True, "not applicable: no `require` rules", applicable=False)
    return _row(gate, not missing, f"{len(missing)} assistant turns lack a required statement"
                if missing else "every required statement is present", missing=missing)


@regex_safe
def qualifying_questions(gate, turns, ctx):
    """After a user turn that triggers a `qualify` rule, the assistant's next reply asks a
    question before it answers (a reply with no question at all fails)."""
    rules = _rules(ctx, RuleKind.QUALIFY)
    if not rules:
        return _row(gate, True, "not applicable: no `qualify` rules", applicable=False)
    unasked, seen = [], 0
    for i, t in enumerate(turns):
        if t.role != Role.USER:
            continue
        for rule in rules:
            if rule.when is None or not saferegex.search(rule.when, t.content):
                continue
            seen += 1
            reply = next((x for x in turns[i + 1:] if x.role == Role.ASSISTANT), None)
            if reply is None or not _QUESTION.search(reply.content + " "):
                unasked.append({"user_turn": t.index,
                                "reply_turn": reply.index if reply else None,
                                "rule": rule.instruction, "regulations": list(rule.regulations)})
    if not seen:
        return _row(gate, True, "no user turn triggered a `qualify` rule", triggered=0)
    return _row(gate, not unasked, f"{len(unasked)} of {seen} triggering questions were answered "
                "without a qualifying question" if unasked else
                f"a qualifying question followed all {seen} triggering questions",
                unasked=unasked, triggered=seen)
