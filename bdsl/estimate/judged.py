"""The scoring calls `bdsc run` makes after generation, walked over a walked conversation:
the judged safety screen (one call when a gate says `screen "judged"`) and one call per
judged gate, or one per window when the transcript is too long for the judge's context
(bdsl.gates.judge.windows decides, with the judge model's context window). Prompts are the
gates' own (screen_prompt, judge_prompt) over the walked turns and notes."""

from __future__ import annotations

from bdsl.engine.context import JobVariables
from bdsl.estimate.walk import JobWalk
from bdsl.gates import judge, screen
from bdsl.gates.score import gate_context
from bdsl.kinds import GateKind

SCREEN_TOKENS = 256  # bdsl.gates.screen.screen's first-attempt cap


def context_tokens(model: str) -> int:
    from bdsl.llm.models import context_window

    return context_window(model)


def walk_scoring(walk: JobWalk) -> None:
    index, job = walk.index, walk.job
    gates = [index.gate[g] for g in job.gates if g in index.gate]
    model = walk.models.judge
    if screen.wants_screen(gates):
        rules = gate_context(index, job).compliance
        walk.call("screen", [("user", screen.screen_prompt(walk.turns, rules))], model,
                  screen.SCHEMA, SCREEN_TOKENS)
    judged = [g for g in gates if g.kind == GateKind.JUDGE]
    if not judged:
        return
    # scoring builds the job's variables afresh from the plan (a novel scenario's topic
    # is not in them), with the conversation's notes
    inp = judge.JudgeInput(JobVariables(walk.plan, index, job).for_step(), walk.renderer,
                           tuple(walk.notes), context_tokens(model))
    for gate in judged:
        for part, window in judge.windows(gate, walk.turns, inp):
            prompt = judge.judge_prompt(gate, part, inp, window, walk.turns)
            walk.call(f"judge:{gate.name}", [("user", prompt)], model, judge.SCHEMA,
                      judge.VERDICT_TOKENS)
