"""kind = contrastive: each assistant turn in the methodology's way (the message),
the conventional way (a train=False alternate) and, when the methodology asks for
it, meta-commentary on why the first is better (a note)."""

from __future__ import annotations

from bdsl import ir
from bdsl.engine.kinds.turns import Extra, run_turns
from bdsl.engine.steps import JobRun, Speaker
from bdsl.kinds import TurnKind


async def run_contrastive(run: JobRun) -> None:
    methodology = run.vars.base["methodology"]
    with_meta = methodology is None or methodology["meta_commentary"]

    async def contrast(run: JobRun, target: ir.TurnTarget, history, step):
        ours = await Speaker(run).assistant(target, history, **step)
        system = run.render("contrastive_conventional", turn=target, history=history, **step)
        conventional = await run.text("conventional", target.index,
                                      [("system", system)] + [(m["role"], m["content"])
                                                              for m in history])
        extras = [Extra(TurnKind.ALTERNATE, "conventional", conventional.response_text.strip(),
                        conventional.id)]
        if with_meta:
            prompt = run.render("contrastive_meta", turn=target, history=history,
                                method_reply=ours.response_text.strip(),
                                conventional_reply=conventional.response_text.strip(), **step)
            meta = await run.text("meta", target.index, [("user", prompt)])
            extras.append(Extra(TurnKind.NOTE, "meta_commentary", meta.response_text.strip(), meta.id))
        return ours, extras

    await run_turns(run, run.job.turns, [], contrast)
