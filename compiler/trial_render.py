"""A trial render of the spec's template overrides while compiling (E263).

A `template` override is jinja2 code; `bdsc check` parses it (E261), and the compiler
renders it once per dataset with the first job's variables, exactly as `bdsc plan
--prompts` shows them (placeholders where only the run knows the text). An override that
fails there (an unknown variable, a type error, a size or time limit of the bounded
sandbox) is a diagnostic on the override, before any model is called. Specs without
overrides skip it: the stdlib templates render in every test run.
"""

from __future__ import annotations

import attrs

from bdsl import ir
from bdsl.diagnostics import Diagnostic, error
from bdsl.source import Span


def trial_render(plan: ir.Plan, spans: dict[str, Span]) -> list[Diagnostic]:
    """`spans`: overridden template name -> where its source is written."""
    if not spans:
        return []
    from bdsl.engine.preview import preview_prompts
    from bdsl.engine.prompts import TemplateError

    found: dict[str, Diagnostic] = {}
    firsts = {}
    for job in plan.jobs:
        firsts.setdefault(job.dataset, job)
    for _dataset, job in sorted(firsts.items()):
        trying = plan
        for _ in range(len(spans) + 1):  # each failing override is set aside, then again
            try:
                preview_prompts(trying, job)
                break
            except TemplateError as e:
                if e.name not in spans:
                    break  # a stdlib template: not the spec's to fix
                trying = _without(trying, e.name)
                found.setdefault(e.name, error(
                    "E263", f"template `{e.name}` fails a trial render with the variables of "
                    f"job {job.key}: {_reason(e)}", spans[e.name],
                    hint="`bdsc plan --prompts` shows the variables a job's templates get"
                    if not e.limit else "templates are limited to 1,000,000 characters of "
                    "output and 2 s per render; generate text with the model, not the "
                    "template"))
    return list(found.values())


def _without(plan: ir.Plan, name: str) -> ir.Plan:
    """The plan with the stdlib's template `name` in place of the override."""
    from bdsl.engine.prompts import std_templates

    stock = {t.name: t for t in std_templates()}
    return attrs.evolve(plan, templates=tuple(stock.get(t.name, t) if t.name == name else t
                                              for t in plan.templates))


def _reason(e: Exception) -> str:
    text = str(e)
    head, sep, rest = text.partition("): ")
    if sep:
        return rest
    head, sep, rest = text.partition(") stopped: ")
    return f"stopped: {rest}" if sep else text
