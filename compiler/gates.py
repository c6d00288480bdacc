"""Gate declarations -> ir.Gate: judged metrics, turn rules and built-in checks."""

from __future__ import annotations

from bdsl import ast, ir
from bdsl.compiler.values import INVALID, compile_pattern
from bdsl.diagnostics import Diagnostic, did_you_mean, error
from bdsl.gates.catalog import CHECKS, JUDGE_METRICS
from bdsl.kinds import GateKind


def gate_entity(name: str, decl: ast.GateDecl, diags: list[Diagnostic]):
    """A `gate NAME: rule` declaration -> ir.Gate (or INVALID after a diagnostic)."""
    rule = decl.rule
    if isinstance(rule, ast.JudgeRule):
        if rule.metric.text not in JUDGE_METRICS:
            near = did_you_mean(rule.metric.text, JUDGE_METRICS)
            diags.append(error("E230", f"unknown judged metric `{rule.metric.text}`",
                                    rule.metric.span, hint=f"did you mean `{near}`?" if near
                                    else "metrics: " + ", ".join(JUDGE_METRICS)))
            return INVALID
        if not 0 <= rule.threshold.value <= 1 or rule.op not in (">=", ">"):
            diags.append(error("E221", "a judged gate is `judge \"metric\" >= t` (or `> t`, "
                                    "strict) with t in [0, 1]", rule.threshold.span))
            return INVALID
        rubric = ""
        for opt in rule.options:
            if opt.key.text == "rubric" and isinstance(opt.value, ast.Str):
                rubric = opt.value.value
            else:
                diags.append(error("E210", f"unknown judge option `{opt.key.text}`",
                                        opt.key.span, hint='judge options: rubric "..."'))
                return INVALID
        return ir.Gate(name, GateKind.JUDGE, metric=rule.metric.text, op=rule.op,
                       threshold=rule.threshold.value, rubric=rubric)
    if isinstance(rule, ast.TurnRule):
        return _turn_rule(name, rule, diags)
    return _check(name, rule, diags)

def _turn_rule(name: str, rule: ast.TurnRule, diags: list[Diagnostic]):
    if rule.role.text not in ("user", "assistant", "any"):
        near = did_you_mean(rule.role.text, ["user", "assistant", "any"])
        diags.append(error("E221", f"`{rule.role.text}` is not a role", rule.role.span,
                                hint=f"did you mean `{near}`?" if near else
                                "roles: user, assistant, any"))
        return INVALID
    mentioning = None
    if rule.mentioning is not None:
        if isinstance(rule.mentioning, ast.Regex):
            mentioning = compile_pattern(rule.mentioning, diags)
        elif isinstance(rule.mentioning, ast.Str):
            import re

            mentioning = ir.Pattern(re.escape(rule.mentioning.value), "i")
        else:
            diags.append(error("E220", "`mentioning` expects a string or a /regex/",
                                    rule.mentioning.span))
            return INVALID
    if mentioning is INVALID:
        return INVALID
    text, pattern, unit, threshold = "", None, "", None
    op = ">="
    if rule.predicate == "length":
        threshold, op = rule.operand.value, rule.op
        unit = rule.unit.text if rule.unit else "words"
        if unit not in ("words", "chars"):
            diags.append(error("E221", "length is counted in `words` or `chars`",
                                    rule.unit.span))
            return INVALID
    elif isinstance(rule.operand, ast.Regex):
        pattern = compile_pattern(rule.operand, diags)
        if pattern is INVALID:
            return INVALID
    else:
        text = rule.operand.value
    return ir.Gate(name, GateKind.TURN_RULE, quantifier=rule.quantifier, role=rule.role.text,
                   mentioning=mentioning, predicate=rule.predicate, text=text, pattern=pattern,
                   unit=unit, threshold=threshold, op=op)

def _check(name: str, rule: ast.CheckRule, diags: list[Diagnostic]):
    check = rule.check.text
    if check not in CHECKS:
        near = did_you_mean(check, CHECKS)
        diags.append(error("E231", f"unknown check `{check}`", rule.check.span,
                                hint=f"did you mean `{near}`?" if near else
                                "checks: " + ", ".join(CHECKS)))
        return INVALID
    options = []
    for opt in rule.options:
        if opt.key.text not in CHECKS[check].options:
            diags.append(error("E210", f"`{check}` has no option `{opt.key.text}`",
                                    opt.key.span, hint=("options: " + ", ".join(CHECKS[check].options))
                                    if CHECKS[check].options else "it takes no options"))
            return INVALID
        val = opt.value
        if isinstance(val, ast.Num):
            options.append((opt.key.text, val.text))
        elif isinstance(val, ast.Str):
            options.append((opt.key.text, val.value))
        else:
            diags.append(error("E220", "check options are numbers or strings", val.span))
            return INVALID
        allowed = CHECKS[check].allowed(opt.key.text)
        if allowed and options[-1][1] not in allowed:
            diags.append(error("E221", f"`{opt.key.text}` is one of "
                               + ", ".join(f'"{a}"' for a in allowed), val.span))
            return INVALID
    return ir.Gate(name, GateKind.CHECK, metric=check, options=tuple(options))
