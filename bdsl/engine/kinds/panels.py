"""kind = deliberation: hidden expert debate -> one synthesized reply (+ a deliberately
bad synthesis as a train=False alternate on the last assistant turn).
kind = explicit_panel: the reply shows 2-3 perspectives, then asks what matters.

With `protect_minority`, each deliberation records which member dissents and what their
point is (a `minority_view` note: the panel's `minority` member, or the one a structured
call names), and the synthesis is told to keep it; the minority_kept gate checks it did."""

from __future__ import annotations

import json
import random

from bdsl import ir
from bdsl.engine.kinds.turns import Extra, run_turns
from bdsl.engine.steps import JobRun, Speaker, chat
from bdsl.kinds import Role, TurnKind

MINORITY_VIEW = "minority_view"


def _panel(run: JobRun) -> tuple[dict | None, list[dict]]:
    base = run.vars.base
    return base["panel"], base["perspectives"]


def dissent_schema(names: list[str]) -> dict:
    return {"type": "object", "additionalProperties": False,
            "required": ["perspective", "point"],
            "properties": {"perspective": {"type": "string", "enum": names},
                           "point": {"type": "string"}}}


def parse_dissent(text: str, names: list[str]) -> dict:
    try:
        data = json.loads(text[text.find("{"):text.rfind("}") + 1])
    except json.JSONDecodeError as e:
        raise ValueError(f"not JSON: {e.msg}") from None
    if not isinstance(data, dict) or data.get("perspective") not in names:
        raise ValueError(f"perspective is not one of {', '.join(names)}")
    point = data.get("point")
    if not isinstance(point, str) or not point.strip():
        raise ValueError("point is empty")
    return {"perspective": data["perspective"], "point": point.strip()}


async def minority_view(run: JobRun, panel: dict, target: ir.TurnTarget, notes: list[dict]
                        ) -> dict | None:
    """Who dissents and their point: the spec's `minority` member (their own words), else
    the member a structured call names. None when no valid answer came back."""
    by_name = {n["perspective"]["name"]: n for n in notes}
    if panel.get("minority") in by_name:
        note = by_name[panel["minority"]]
        found, source, call_id = {"perspective": panel["minority"], "point": note["text"]}, \
            "spec", None
    else:
        names = list(by_name)
        prompt = run.render("deliberation_dissent", turn=target, notes=notes)
        found, call_id = await run.structured(
            "dissent", target.index, [("user", prompt)], dissent_schema(names), "dissent",
            lambda text: parse_dissent(text, names), "invalid_dissent")
        source = "model"
        if found is None:
            return None
    view = {**found, "title": by_name[found["perspective"]]["perspective"]["title"],
            "source": source}
    run.add(target, target.index, Role.ASSISTANT, TurnKind.NOTE, json.dumps(view, sort_keys=True),
            train=False, label=MINORITY_VIEW, call_id=call_id)
    return view


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
        minority = None
        if panel is not None and panel["protect_minority"]:
            minority = await minority_view(run, panel, target, notes)
        guidance = run.render("deliberation_synthesis", turn=target, history=history,
                              notes=notes, minority=minority, **step)
        rec = await Speaker(run).assistant(target, history, guidance, "synthesis", **step)
        extras = []
        if target.index == last_assistant and (panel is None or panel["bad_synthesis"]):
            bad = run.render("deliberation_bad_synthesis", turn=target, history=history,
                             notes=notes, **step)
            system = run.render("assistant_system", turn=target, **step) + "\n\n" + bad
            bad_rec = await run.text("bad_synthesis", target.index, chat(system, history))
            extras.append(Extra(TurnKind.ALTERNATE, "bad_synthesis",
                                bad_rec.response_text.strip(), bad_rec.id))
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
