"""kind = deliberation: hidden expert debate -> one synthesized reply (+ a deliberately
bad synthesis as a train=False alternate on the last assistant turn).
kind = explicit_panel: the reply shows 2-3 perspectives, then asks what matters."""

from __future__ import annotations

import random

from bdsl import ir
from bdsl.engine.kinds.turns import Extra, run_turns
from bdsl.engine.steps import JobRun, Speaker, chat
from bdsl.kinds import Role, TurnKind


def _panel(run: JobRun) -> tuple[dict | None, list[dict]]:
    base = run.vars.base
    return base["panel"], base["perspectives"]


async def run_deliberation(run: JobRun) -> None:
    panel, members = _panel(run)
    if not members:
        raise ValueError(f"job {run.job.key}: deliberation needs a panel with perspectives")
    last_assistant = max((t.index for t in run.job.turns if t.role == "assistant"), default=-1)

    async def deliberate(run: JobRun, target: ir.TurnTarget, history, step):
        notes = []
        for p in members:
            prompt = run.render("deliberation_perspective", turn=target, history=history,
                                perspective=p, notes=notes, **step)
            rec = await run.text(f"perspective:{p['name']}", target.index,
                                 [("user", prompt)])
            text = rec.response_text.strip()
            run.add(target, target.index, Role.ASSISTANT, TurnKind.HIDDEN, text, train=False,
                    label=p["name"], call_id=rec.id)
            notes.append({"perspective": p, "text": text})
        guidance = run.render("deliberation_synthesis", turn=target, history=history,
                              notes=notes, **step)
        rec = await Speaker(run).assistant(target, history, guidance, "synthesis", **step)
        extras = []
        if target.index == last_assistant and (panel is None or panel["bad_synthesis"]):
            bad = run.render("deliberation_bad_synthesis", turn=target, history=history,
                             notes=notes, **step)
            system = run.render("assistant_system", turn=target, **step) + "\n\n" + bad
            bad_rec = await run.text("bad_synthesis", target.index, chat(system, history))
            extras.append(Extra(TurnKind.ALTERNATE, "bad_synthesis", bad_rec.response_text.strip(),
                                bad_rec.id))
        return rec, extras

    await run_turns(run, run.job.turns, [], deliberate)


async def run_explicit_panel(run: JobRun) -> None:
    panel, members = _panel(run)
    if not members:
        raise ValueError(f"job {run.job.key}: explicit_panel needs a panel with perspectives")
    show = max(1, min(panel["show"] if panel else 3, len(members)))
    # which perspectives a job shows is part of its seed, so reruns agree
    shown = random.Random(run.job.seed).sample(members, show)

    async def explain(run: JobRun, target: ir.TurnTarget, history, step):
        guidance = run.render("panel_explicit", turn=target, history=history, shown=shown,
                              **step)
        return await Speaker(run).assistant(target, history, guidance, "panel", **step), []

    await run_turns(run, run.job.turns, [], explain)
