"""One job's generation state and the steps every job kind is built from:
render a prompt, make a journaled call (retrying truncated or empty replies),
annotate a message, and collect the turn records to store."""

from __future__ import annotations

import attrs

from bdsl import ir
from bdsl.engine.annotate import (
    SCHEMA_NAME,
    annotation_schema,
    parse_annotation,
)
from bdsl.engine.calls import CallJournal
from bdsl.engine.context import JobVariables, generation_variables
from bdsl.engine.port import CallRequest
from bdsl.engine.prompts import PromptRenderer
from bdsl.kinds import TurnKind
from bdsl.store import Annotation, CallRecord, TurnRecord, Usage

# Output caps when the spec sets no max_tokens: a chat turn is a few sentences and an
# annotation a small JSON object. A reply cut at the cap is retried with twice the room.
DEFAULT_TEXT_TOKENS = 256
DEFAULT_ANNOTATION_TOKENS = 128


class JobFailed(Exception):
    pass


class JobRun:
    def __init__(self, job: ir.Job, content_hash: str, model: ir.ModelConfig,
                 variables: JobVariables, renderer: PromptRenderer, journal: CallJournal,
                 max_attempts: int = 3):
        self.job, self.content_hash, self.model = job, content_hash, model
        self.vars, self.renderer, self.journal = variables, renderer, journal
        self.max_attempts = max_attempts
        self.turns: list[TurnRecord] = []
        self.generation = generation_variables(variables.index, job)
        self.usage = Usage()
        v = variables.base
        self.annotation_schema = annotation_schema(
            v["emotions"], [s["name"] for s in v["strategies"]])

    # --- prompts and calls ----------------------------------------------------------

    def render(self, template: str, **step) -> str:
        return self.renderer.render(template, **self.vars.for_step(**{**self.generation,
                                                                       **step}))

    def request(self, messages, attempt: int, json_schema: dict | None = None,
                schema_name: str = "", cap: int | None = None) -> CallRequest:
        m = self.model
        cap = cap or (DEFAULT_ANNOTATION_TOKENS if json_schema
                      else (m.max_tokens or DEFAULT_TEXT_TOKENS))
        max_tokens = cap * 2 ** attempt  # truncated: more room
        seed = (self.job.seed + 1_000_003 * attempt) % 2 ** 31
        return CallRequest(m.name, tuple(messages), m.temperature, max_tokens, m.top_p, seed,
                           json_schema, schema_name)

    async def text(self, step: str, turn_index: int, messages) -> CallRecord:
        """A non-empty, untruncated reply, or JobFailed after max_attempts."""
        problems = []
        for attempt in range(self.max_attempts):
            rec, cached = await self.journal.call(self.job.key, self.content_hash, step,
                                                  turn_index, attempt,
                                                  self.request(messages, attempt))
            self.usage = self.usage.add(rec)
            if rec.status == "truncated":
                problem = ("truncated", f"truncated at max_tokens ({rec.completion_tokens} tokens)")
            elif not rec.response_text.strip():
                problem = ("invalid_output", "empty reply")
            else:
                return rec
            problems.append(problem[1])
            if not cached:
                self._error(step, turn_index, attempt, *problem)
        raise JobFailed(f"{step} turn {turn_index}: {self.max_attempts} attempts failed "
                        f"({'; '.join(problems)})")

    async def annotation(self, turn_index: int, message: dict, history: list[dict]
                         ) -> tuple[Annotation | None, int | None]:
        """Structured annotation of one message, retried when the JSON is unusable.
        None (with the errors journaled) when every attempt fails: never made up."""
        messages = [("user", self.render("annotate", message=message, history=history))]
        return await self.structured("annotate", turn_index, messages, self.annotation_schema,
                                     SCHEMA_NAME, parse_annotation, "invalid_annotation")

    async def structured(self, step: str, turn_index: int, messages, schema: dict,
                         schema_name: str, parse, error_kind: str, cap: int | None = None):
        """(parse(reply), call id) for a JSON-schema call, retried while the reply is cut off
        or `parse` raises ValueError; (None, None) with the errors journaled when every
        attempt fails."""
        for attempt in range(self.max_attempts):
            req = self.request(messages, attempt, schema, schema_name, cap)
            rec, cached = await self.journal.call(self.job.key, self.content_hash, step,
                                                  turn_index, attempt, req)
            self.usage = self.usage.add(rec)
            if rec.status == "truncated":
                err = ("truncated", f"{step} reply cut at max_tokens")
            else:
                try:
                    return parse(rec.response_text), rec.id
                except ValueError as e:
                    err = (error_kind, str(e))
            if not cached:
                self._error(step, turn_index, attempt, *err)
        return None, None

    def _error(self, step: str, turn_index: int, attempt: int, kind: str, message: str) -> None:
        j = self.journal
        j.store.record_error(j.run_id, self.job.key, self.content_hash, step, turn_index,
                             attempt, kind, message)

    # --- turn records ---------------------------------------------------------------

    def add(self, target: ir.TurnTarget | None, idx: int, role: str, kind: str, content: str,
            *, train: bool, label: str = "", session: int = -1, call_id: int | None = None,
            annotation: tuple[Annotation | None, int | None] = (None, None)) -> TurnRecord:
        rec = TurnRecord(len(self.turns), idx, role, kind, content, train, label, session,
                         target, call_id, annotation[0], annotation[1])
        self.turns.append(rec)
        if kind == TurnKind.MESSAGE:
            self.journal.counters.turns += 1
        return rec


def chat(system: str, history: list[dict], opener: str = "") -> list[tuple[str, str]]:
    """System prompt + visible history in real roles. Chat models need a user message
    last; `opener` stands in when the assistant speaks first."""
    out = [("system", system)] + [(m["role"], m["content"]) for m in history]
    if not history or history[-1]["role"] != "user":
        out.append(("user", opener or "(The person is waiting for you to speak.)"))
    return out


def visible(history: list[dict], role: str, content: str) -> list[dict]:
    return history + [{"role": role, "content": content}]


@attrs.frozen
class Speaker:
    """Prompt assembly for the two simulated sides of a conversation."""

    run: JobRun

    async def user(self, target: ir.TurnTarget, history: list[dict], **step) -> CallRecord:
        r = self.run
        messages = [("system", r.render("user_system", **step)),
                    ("user", r.render("user_turn", turn=target, history=history, **step))]
        return await r.text("user", target.index, messages)

    async def assistant(self, target: ir.TurnTarget, history: list[dict], guidance: str = "",
                        step_name: str = "assistant", **step) -> CallRecord:
        r = self.run
        if not guidance:
            guidance = r.render("assistant_turn", turn=target, history=history, **step)
        system = r.render("assistant_system", turn=target, **step) + "\n\n" + guidance
        return await r.text(step_name, target.index, chat(system, history))
