"""The prompts a job's generation will render, before anything runs (`bdsc plan --prompts`).

Rendered from the plan's own templates with the variables the engine passes, with
placeholders where a prompt needs text only the run produces (the history, the experts'
views, a reply to judge). Kind by kind: the simulated user and the assistant, then what the
job's kind adds (contrastive, deliberation, panel, curriculum session lines and review, a
novel scenario), then one judge prompt per judged gate. Jinja2 only: no LLM library.
"""

from __future__ import annotations

from bdsl import ir
from bdsl.engine.context import JobVariables, generation_variables
from bdsl.engine.prompts import PromptRenderer
from bdsl.kinds import JobKind

USER_SAYS = "(the person's message)"
REPLY = "(the assistant's reply)"


def preview_prompts(plan: ir.Plan, job: ir.Job) -> list[tuple[str, str]]:
    index = plan.index()
    variables = JobVariables(plan, index, job)
    renderer = PromptRenderer(plan.templates)
    generation = generation_variables(index, job)
    turns = job.turns or (job.sessions[0].turns if job.sessions else ())
    user = next((t for t in turns if t.role == "user"), None)
    helper = next((t for t in turns if t.role == "assistant"), None)
    history = [{"role": "user", "content": USER_SAYS}]
    step: dict = {}
    if job.sessions:
        s = job.sessions[0]
        step = {"session": {"index": 0, "number": 1, "total": len(job.sessions),
                            "difficulty": s.difficulty, "planned_difficulty": s.difficulty,
                            "learner_state": s.learner_state, "skill": _first_skill(index, job),
                            "skills_mastered": []},
                "previous_summary": ""}
    shown: list[tuple[str, dict]] = []
    if job.context.novel:
        shown.append(("novel_scenario", {"known_topics": _topics(index, job)}))
    if user is not None:
        shown += [("user_system", step), ("user_turn", {**step, "turn": user, "history": []})]
    if helper is not None:
        at = {**step, "turn": helper, "history": history}
        shown += [("assistant_system", {**step, "turn": helper}), ("assistant_turn", at)]
        shown += _kind_prompts(index, job, at)
    out = [(name, renderer.render(name, **variables.for_step(**{**generation, **v})))
           for name, v in shown]
    out += _judge_prompts(plan, index, job, renderer, variables)
    return out


def _kind_prompts(index, job: ir.Job, at: dict) -> list[tuple[str, dict]]:
    if job.kind == JobKind.CONTRASTIVE:
        return [("contrastive_conventional", at),
                ("contrastive_meta", {**at, "method_reply": REPLY,
                                      "conventional_reply": "(the conventional reply)"})]
    panel = index.panel.get(job.context.panel)
    members = [index.perspective[m] for m in panel.members] if panel else []
    notes = [{"perspective": _data(p), "text": f"({p.title}'s view)"} for p in members]
    if job.kind == JobKind.DELIBERATION and members:
        out = [("deliberation_perspective", {**at, "perspective": _data(members[0]),
                                             "notes": []})]
        minority = None
        if panel.protect_minority:
            if not panel.minority:
                out.append(("deliberation_dissent", {**at, "notes": notes}))
            who = index.perspective[panel.minority] if panel.minority else members[-1]
            minority = {"perspective": who.name, "title": who.title,
                        "point": f"({who.title}'s dissent)"}
        out += [("deliberation_synthesis", {**at, "notes": notes, "minority": minority}),
                ("deliberation_bad_synthesis", {**at, "notes": notes})]
        return out
    if job.kind == JobKind.EXPLICIT_PANEL and members:
        return [("panel_explicit", {**at, "shown": [_data(p) for p in members[:panel.show]]})]
    if job.kind == JobKind.CURRICULUM:
        return [("curriculum_review", at)]
    return []


def _judge_prompts(plan, index, job, renderer, variables) -> list[tuple[str, str]]:
    from bdsl.gates import judge
    from bdsl.gates.view import Turn

    turns = [Turn(0, "user", USER_SAYS), Turn(1, "assistant", REPLY)]
    inp = judge.JudgeInput(variables.for_step(), renderer)
    out = []
    for name in job.gates:
        gate = index.gate.get(name)
        if gate is not None and gate.kind == "judge":
            out.append((f"judge {name}", judge.judge_prompt(gate, turns, inp)))
    return out


def _data(entity) -> dict:
    from bdsl.serialize import to_data

    return to_data(entity)


def _first_skill(index, job) -> str:
    cur = index.curriculum.get(job.context.curriculum)
    return cur.skills[0] if cur and cur.skills else ""


def _topics(index, job) -> list[str]:
    ds = index.dataset.get(job.dataset)
    return [index.topic[n].title for n in dict(ds.axes).get("topics", ()) if n in index.topic]
