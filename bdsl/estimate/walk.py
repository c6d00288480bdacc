"""One job's LLM calls, walked in the engine's order with modeled replies, nothing called.

The walk mirrors bdsl.engine (kinds/*.py, steps.py, novel.py) step by step: the same
templates rendered with the same variables (JobVariables, generation_variables), the same
message lists (steps.chat), the same caps, and each reply (bdsl.estimate.replies) fed back
as history, so every prompt is counted at the size it will have. Annotation calls follow
the dataset's `annotate` and `annotate_mode`; the schemas and parsers of the structured
steps are the engine's own. Retries are not walked: each call succeeds at its first
attempt. tests/estimate checks the walk against real runs step by step.

A job kind's walk is one entry in KIND_WALKS (a test keeps it complete with JOB_KINDS).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable

import attrs

from bdsl import ir
from bdsl.engine.annotate import annotation_schema
from bdsl.engine.context import JobVariables, generation_variables
from bdsl.engine.kinds import curriculum as cur
from bdsl.engine.kinds import panels
from bdsl.engine.novel import NOVEL_SCENARIO, known_topics, parse_scenario
from bdsl.engine.novel import SCHEMA as SCENARIO_SCHEMA
from bdsl.engine.steps import DEFAULT_ANNOTATION_TOKENS, DEFAULT_TEXT_TOKENS, chat, visible
from bdsl.gates.view import Turn
from bdsl.kinds import JobKind

NOVEL_SCENARIO_TOKENS = 256  # bdsl.engine.novel.invent_scenario's cap


@attrs.frozen
class SimCall:
    step: str  # the journal's step name
    model: str
    prompt_tokens: int
    completion_tokens: int


@attrs.frozen
class CallModels:
    """Who answers which calls of one job (bdsl.estimate.plan_estimate decides)."""

    generation: str
    annotation: str
    judge: str


class JobWalk:
    def __init__(self, plan: ir.Plan, index: ir.PlanIndex, renderer, job: ir.Job,
                 dataset: ir.DatasetInfo, models: CallModels, replies: Callable[[str], object]):
        self.plan, self.index, self.renderer, self.job = plan, index, renderer, job
        self.dataset, self.models, self.replies = dataset, models, replies
        self.vars = JobVariables(plan, index, job)  # `vars` and `job`: what novel.known_topics reads
        self.generation = generation_variables(index, job)
        self.schema = annotation_schema(self.vars.base["emotions"],
                                        [s["name"] for s in self.vars.base["strategies"]])
        self.calls: list[SimCall] = []
        self.turns: list[Turn] = []  # the visible messages, as the gates see them
        self.notes: list[tuple[int, str, str]] = []  # (turn index, label, content)

    # --- calls ----------------------------------------------------------------------

    def render(self, template: str, **step) -> str:
        return self.renderer.render(template, **self.vars.for_step(**{**self.generation,
                                                                       **step}))

    def call(self, step: str, messages, model: str | None = None, schema: dict | None = None,
             cap: int | None = None) -> str:
        model = model or self.models.generation
        replies = self.replies(model)
        if schema is None:
            reply = replies.text(messages, cap or self.job.model.max_tokens or DEFAULT_TEXT_TOKENS)
        else:
            reply = replies.structured(schema, cap or DEFAULT_ANNOTATION_TOKENS)
        self.calls.append(SimCall(step, model, replies.prompt_tokens(messages, schema),
                                  reply.tokens))
        return reply.text.strip()

    def user(self, target: ir.TurnTarget, history: list[dict], step: dict) -> str:
        return self.call("user", [("system", self.render("user_system", **step)),
                                  ("user", self.render("user_turn", turn=target, history=history,
                                                       **step))])

    def assistant(self, target: ir.TurnTarget, history: list[dict], step: dict,
                  guidance: str = "", step_name: str = "assistant") -> str:
        if not guidance:
            guidance = self.render("assistant_turn", turn=target, history=history, **step)
        system = self.render("assistant_system", turn=target, **step) + "\n\n" + guidance
        return self.call(step_name, chat(system, history))

    # --- annotations ----------------------------------------------------------------

    def annotates(self, role: str) -> bool:
        return self.dataset.annotate in ("both", role)

    def annotate_message(self, message: dict, history: list[dict]) -> None:
        prompt = self.render("annotate", message=message, history=history)
        self.call("annotate", [("user", prompt)], self.models.annotation, self.schema)

    def annotate_conversation(self, history: list[dict]) -> None:
        """per_conversation: one call over the whole conversation (or session), answering
        an annotation per annotated message. Modeled as the `annotate` prompt with every
        earlier message as history, and a JSON list of annotations as the reply."""
        wanted = [m for m in history if self.annotates(m["role"])]
        if not wanted:
            return
        prompt = self.render("annotate", message=history[-1], history=history[:-1])
        schema = {"type": "object", "additionalProperties": False, "required": ["messages"],
                  "properties": {"messages": {"type": "array", "items": self.schema,
                                              "minItems": len(wanted)}}}
        self.call("annotate", [("user", prompt)], self.models.annotation, schema,
                  DEFAULT_ANNOTATION_TOKENS * len(wanted))

    # --- the turn loop (engine.kinds.turns.run_turns) ---------------------------------

    def turn_loop(self, targets, history: list[dict], hook=None, session: int = -1,
                  step: dict | None = None) -> list[dict]:
        step = step or {}
        hook = hook or plain_assistant
        per_message = self.dataset.annotate_mode != "per_conversation"
        for target in targets:
            extras: list[tuple[str, str]] = []
            if target.role == "user":
                content = self.user(target, history, step)
            else:
                content, extras = hook(self, target, history, step)
            message = {"role": target.role, "content": content}
            if per_message and self.annotates(target.role):
                self.annotate_message(message, history)
            self.turns.append(Turn(len(self.turns), target.role, content, target=target,
                                   finish_reason="stop", session=session))
            self.notes += [(target.index, label, text) for label, text in extras]
            history = visible(history, target.role, content)
        if not per_message:
            self.annotate_conversation(history)
        return history


def plain_assistant(walk: JobWalk, target, history, step) -> tuple[str, list]:
    return walk.assistant(target, history, step), []


# --- the kinds ------------------------------------------------------------------------

def walk_conversation(walk: JobWalk) -> None:
    walk.turn_loop(walk.job.turns, [])


def walk_contrastive(walk: JobWalk) -> None:
    methodology = walk.vars.base["methodology"]
    with_meta = methodology is None or methodology["meta_commentary"]

    def contrast(walk: JobWalk, target, history, step):
        ours = walk.assistant(target, history, step)
        system = walk.render("contrastive_conventional", turn=target, history=history, **step)
        conventional = walk.call("conventional", [("system", system)] + [
            (m["role"], m["content"]) for m in history])
        extras = [("conventional", conventional)]
        if with_meta:
            prompt = walk.render("contrastive_meta", turn=target, history=history,
                                 method_reply=ours, conventional_reply=conventional, **step)
            extras.append(("meta_commentary", walk.call("meta", [("user", prompt)])))
        return ours, extras

    walk.turn_loop(walk.job.turns, [], contrast)


def walk_deliberation(walk: JobWalk) -> None:
    panel, members = walk.vars.base["panel"], walk.vars.base["perspectives"]
    if not members:
        return  # the engine fails such a job before any call
    last_assistant = max((t.index for t in walk.job.turns if t.role == "assistant"), default=-1)

    def deliberate(walk: JobWalk, target, history, step):
        notes: list[dict] = []
        for p in members:
            prompt = walk.render("deliberation_perspective", turn=target, history=history,
                                 perspective=p, notes=notes, **step)
            notes.append({"perspective": p, "text": walk.call(f"perspective:{p['name']}",
                                                              [("user", prompt)])})
        extras = []
        minority = None
        if panel is not None and panel["protect_minority"]:
            minority = minority_view(walk, panel, target, notes)
            if minority is not None:
                extras.append((panels.MINORITY_VIEW, json.dumps(minority, sort_keys=True)))
        guidance = walk.render("deliberation_synthesis", turn=target, history=history,
                               notes=notes, minority=minority, **step)
        reply = walk.assistant(target, history, step, guidance, "synthesis")
        if target.index == last_assistant and (panel is None or panel["bad_synthesis"]):
            bad = walk.render("deliberation_bad_synthesis", turn=target, history=history,
                              notes=notes, **step)
            system = walk.render("assistant_system", turn=target, **step) + "\n\n" + bad
            extras.append(("bad_synthesis", walk.call("bad_synthesis", chat(system, history))))
        return reply, extras

    walk.turn_loop(walk.job.turns, [], deliberate)


def minority_view(walk: JobWalk, panel: dict, target, notes: list[dict]) -> dict | None:
    """panels.minority_view: the spec's `minority` member costs nothing, else one call."""
    by_name = {n["perspective"]["name"]: n for n in notes}
    if panel.get("minority") in by_name:
        found = {"perspective": panel["minority"], "point": by_name[panel["minority"]]["text"]}
        source = "spec"
    else:
        names = list(by_name)
        prompt = walk.render("deliberation_dissent", turn=target, notes=notes)
        text = walk.call("dissent", [("user", prompt)], schema=panels.dissent_schema(names))
        try:
            found, source = panels.parse_dissent(text, names), "model"
        except ValueError:
            return None
    return {**found, "title": by_name[found["perspective"]]["perspective"]["title"],
            "source": source}


def walk_explicit_panel(walk: JobWalk) -> None:
    panel, members = walk.vars.base["panel"], walk.vars.base["perspectives"]
    if not members:
        return
    show = max(1, min(panel["show"] if panel else 3, len(members)))
    shown = random.Random(walk.job.seed).sample(members, show)  # as the engine picks them

    def explain(walk: JobWalk, target, history, step):
        guidance = walk.render("panel_explicit", turn=target, history=history, shown=shown,
                               **step)
        return walk.assistant(target, history, step, guidance, "panel"), []

    walk.turn_loop(walk.job.turns, [], explain)


def walk_curriculum(walk: JobWalk) -> None:
    plans = walk.job.sessions
    path = cur.CurriculumPath.start(walk.vars.base["curriculum"] or {}, plans)
    skills = path.skills
    for s in plans:
        step = path.step(s)
        first = s.turns[0].index if s.turns else 0
        walk.notes.append((first, cur.SESSION_STATE, json.dumps(step, sort_keys=True)))
        history = walk.turn_loop(s.turns, [], session=s.index, step=step)
        prompt = walk.render("curriculum_review", history=history, **step)
        text = walk.call("session_review", [("user", prompt)],
                         schema=cur.review_schema(skills), cap=cur.REVIEW_TOKENS)
        try:
            review = cur.parse_review(text, skills)
        except ValueError:  # the engine falls back to the annotations: no further call
            review = None
        if review is not None:
            outcome = path.reviewed(review)
        else:
            outcome = path.state = str(cur.LearnerState.PRODUCTIVE_STRUGGLE)
        path.difficulty = cur.next_difficulty(path.difficulty, outcome, path.adapt)


KIND_WALKS: dict[JobKind, Callable[[JobWalk], None]] = {
    JobKind.CONVERSATION: walk_conversation,
    JobKind.CONTRASTIVE: walk_contrastive,
    JobKind.DELIBERATION: walk_deliberation,
    JobKind.EXPLICIT_PANEL: walk_explicit_panel,
    JobKind.CURRICULUM: walk_curriculum,
}


def invent_scenario(walk: JobWalk) -> None:
    """A novel-scenario job's first call; its scenario is the topic of every later prompt."""
    prompt = walk.render("novel_scenario", known_topics=known_topics(walk))
    text = walk.call(NOVEL_SCENARIO, [("user", prompt)], schema=SCENARIO_SCHEMA,
                     cap=NOVEL_SCENARIO_TOKENS)
    scenario = parse_scenario(text)
    walk.vars.base["topic"] = {"name": "~novel", "title": scenario["title"],
                               "description": scenario["description"], "domain": "",
                               "tags": [], "hash": ""}


def walk_generation(walk: JobWalk) -> None:
    if walk.job.context.novel:
        invent_scenario(walk)
    KIND_WALKS[JobKind(walk.job.kind)](walk)
