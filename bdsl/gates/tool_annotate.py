"""Per-turn emotion annotations for conversations made elsewhere (`bdsc gate --annotate`).

The same prompt, schema and parser the engine uses for its own turns (the plan's
`annotate` template rendered with the job's variables, bdsl.engine.annotate's schema with
the plan's emotion and strategy vocabulary), so arc_conformance and sentiment_trend judge
external data by the same yardstick as generated data. User turns also get the arc's
targets (bdsl.compiler.lower.turn_targets), counted by user turn. Annotations that never
parse stay None: never made up.
"""

from __future__ import annotations

import attrs

from bdsl import ir
from bdsl.engine.annotate import SCHEMA_NAME, InvalidAnnotation, annotation_schema, parse_annotation
from bdsl.engine.context import JobVariables
from bdsl.engine.port import CallRequest
from bdsl.engine.prompts import PromptRenderer
from bdsl.gates.view import Turn
from bdsl.kinds import Role

ATTEMPTS = 3
TOKENS = 128  # doubled per retry, as the engine does


class Annotator:
    def __init__(self, plan: ir.Plan, job: ir.Job, model: str, journal):
        index = plan.index()
        self.renderer = PromptRenderer(plan.templates)
        self.variables = JobVariables(plan, index, job)
        base = self.variables.base
        self.schema = annotation_schema(base["emotions"], [s["name"] for s in base["strategies"]])
        self.model, self.journal = model, journal
        self.failed = 0

    async def annotate(self, turns: list[Turn], key: str) -> list[Turn]:
        out, history = [], []
        for t in turns:
            message = {"role": t.role, "content": t.content}
            prompt = self.renderer.render("annotate", **self.variables.for_step(
                message=message, history=list(history)))
            out.append(attrs.evolve(t, annotation=await self._one(prompt, t.index, key)))
            history.append(message)
        return out

    async def _one(self, prompt: str, turn_index: int, key: str):
        for attempt in range(ATTEMPTS):
            req = CallRequest(self.model, (("user", prompt),), 0.0, TOKENS * 2 ** attempt, None,
                              attempt, self.schema, SCHEMA_NAME)
            rec, _cached = await self.journal.call(key, "", "annotate", turn_index, attempt, req)
            if rec.status == "truncated":
                continue
            try:
                return parse_annotation(rec.response_text)
            except InvalidAnnotation:
                continue
        self.failed += 1
        return None


def with_targets(turns: list[Turn], arc: ir.Arc, strategies) -> list[Turn]:
    """User turns get the arc's per-turn targets in order of user turns, as the compiler
    lays them out for a conversation with that many user turns."""
    from bdsl.compiler.lower import turn_targets

    users = sum(1 for t in turns if t.role == "user")
    if not users:
        return turns
    n = 2 * users - 1 if arc.opens == Role.USER else 2 * users
    targets = iter([x for x in turn_targets(arc, n, strategies, False) if x.role == Role.USER])
    return [attrs.evolve(t, target=next(targets)) if t.role == "user" else t for t in turns]
