"""The variables every prompt template receives.

Every template gets the same names (so overrides can use any of them); a name
that does not apply to the current step is None, "" or [] — never missing.
"""

from __future__ import annotations

from bdsl import ir
from bdsl.serialize import to_data

# step variables and their "does not apply" values
STEP_DEFAULTS = {
    "turn": None, "emotion": None, "strategy": None, "history": [], "session": None,
    "previous_summary": "", "message": None, "perspective": None, "notes": [], "shown": [],
    "method_reply": "", "conventional_reply": "", "minority": None, "known_topics": [],
    "examples": [], "variation": None,
}


class JobVariables:
    """Resolves a job's names against the plan once; `for_step` adds per-step values."""

    def __init__(self, plan: ir.Plan, index: ir.PlanIndex, job: ir.Job):
        ctx = job.context
        self.index = index
        panel = index.panel.get(ctx.panel) if ctx.panel else None
        self.base = {
            "spec": {"name": plan.spec.name, "version": plan.spec.version},
            "regulations": to_data(plan.spec.regulations),
            "kind": job.kind,
            "assistant": _entity(index.persona, ctx.assistant),
            "user": _entity(index.persona, ctx.user),
            "topic": _entity(index.topic, ctx.topic),
            "culture": _entity(index.culture, ctx.culture),
            "arc": _entity(index.arc, ctx.arc),
            "methodology": _entity(index.methodology, ctx.methodology),
            "panel": to_data(panel) if panel else None,
            "curriculum": _entity(index.curriculum, ctx.curriculum),
            "perspectives": [to_data(index.perspective[m]) for m in (panel.members if panel else ())
                             if m in index.perspective],
            "compliance": [to_data(r) for name in ctx.compliance
                           if name in index.compliance for r in index.compliance[name].rules],
            "strategies": [to_data(index.strategy[s]) for s in ctx.strategies
                           if s in index.strategy],
            "emotions": sorted(index.emotion),
        }

    def for_step(self, **step) -> dict:
        unknown = set(step) - set(STEP_DEFAULTS)
        if unknown:
            raise TypeError(f"unknown template variables: {sorted(unknown)}")
        out = dict(self.base)
        out.update(STEP_DEFAULTS)
        out.update(step)
        turn = step.get("turn")
        if isinstance(turn, ir.TurnTarget):
            out["turn"] = to_data(turn)
            if "emotion" not in step:
                out["emotion"] = _entity(self.index.emotion, turn.emotion)
            if "strategy" not in step:
                out["strategy"] = _entity(self.index.strategy, turn.strategy)
        return out


def _entity(table: dict, name: str):
    if not name or name not in table:
        return None
    return to_data(table[name])


def generation_variables(index: ir.PlanIndex, job: ir.Job) -> dict:
    """Variables only generation prompts get (never a training file's system prompt): the
    seed examples the job is guided by, and the example it varies, if any."""
    examples = [_example(index.seed[n]) for n in job.context.examples if n in index.seed]
    variation = index.seed.get(job.context.variation_of) if job.context.variation_of else None
    return {"examples": examples, "variation": _example(variation) if variation else None}


def _example(ex: ir.SeedExample) -> dict:
    return {"name": ex.name, "source": ex.source,
            "messages": [{"role": r, "content": c} for r, c in ex.messages]}
