"""One job's generation state and the steps every job kind is built from:
render a prompt, make a journaled call (retrying truncated or empty replies),
annotate messages, and collect the turn records to store.

Annotations are off the critical path: a message's annotation call starts as soon as the
message exists and runs beside the generation of the next one; nothing waits for it until
a step needs it (`settle()`: a curriculum session's outcome, the end of the job). So a
conversation of T messages takes about T + 1 latencies, not 2T. The dataset decides which
roles are annotated, with which model, and whether per message or in one call per
conversation (`annotate`, `annotate_model`, `annotate_mode`)."""

from __future__ import annotations

import asyncio

import attrs

from bdsl import ir
from bdsl.engine.annotate import (
    SCHEMA_NAME,
    annotation_schema,
    conversation_schema,
    parse_annotation,
    parse_annotations,
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


ANNOTATED_ROLES = {"both": {"user", "assistant"}, "user": {"user"},
                   "assistant": {"assistant"}, "off": set()}


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
        ds = variables.index.dataset.get(job.dataset)
        self.annotate_roles = ANNOTATED_ROLES[ds.annotate if ds else "both"]
        self.annotate_mode = ds.annotate_mode if ds else "per_message"
        self.annotate_model = (attrs.evolve(model, name=ds.annotate_model)
                               if ds and ds.annotate_model else model)
        self._pending: dict[int, asyncio.Task] = {}  # seq -> its annotation call
        self._waiting: list[int] = []  # per_conversation: seqs for the next batch call

    # --- prompts and calls ----------------------------------------------------------

    def render(self, template: str, **step) -> str:
        return self.renderer.render(template, **self.vars.for_step(**{**self.generation,
                                                                       **step}))

    def request(self, messages, attempt: int, json_schema: dict | None = None,
                schema_name: str = "", cap: int | None = None,
                model: ir.ModelConfig | None = None) -> CallRequest:
        m = model or self.model
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
                                     SCHEMA_NAME, parse_annotation, "invalid_annotation",
                                     model=self.annotate_model)

    def annotate_later(self, rec: TurnRecord, history: list[dict]) -> None:
        """Start (or queue) the annotation of a message just added; see settle()."""
        if rec.role not in self.annotate_roles:
            return
        if self.annotate_mode == "per_conversation":
            self._waiting.append(rec.seq)
            return
        message = {"role": str(rec.role), "content": rec.content}
        self._pending[rec.seq] = asyncio.create_task(
            self.annotation(rec.idx, message, list(history)))

    async def settle(self) -> None:
        """Wait for every annotation started so far (per_conversation: make the one call
        for the messages waiting) and put them on their turn records."""
        pending, self._pending = self._pending, {}
        for seq, task in pending.items():
            self._annotate(seq, *await task)
        waiting, self._waiting = self._waiting, []
        if waiting:
            await self._annotate_together(waiting)

    def cancel_pending(self) -> None:
        for task in self._pending.values():
            task.cancel()
        self._pending = {}

    async def _annotate_together(self, seqs: list[int]) -> None:
        records = [self.turns[s] for s in seqs]
        history = [{"role": str(r.role), "content": r.content} for r in records]
        prompt = self.render("annotate_all", history=history)
        found, call_id = await self.structured(
            "annotate_all", records[-1].idx, [("user", prompt)],
            conversation_schema(self.annotation_schema, len(records)), "turn_annotations",
            lambda text: parse_annotations(text, len(records)), "invalid_annotation",
            cap=64 * len(records) + 64, model=self.annotate_model)
        for seq, ann in zip(seqs, found or [None] * len(seqs), strict=True):
            self._annotate(seq, ann, call_id if found else None)

    def _annotate(self, seq: int, annotation: Annotation | None, call_id: int | None) -> None:
        self.turns[seq] = attrs.evolve(self.turns[seq], annotation=annotation,
                                       annotation_call_id=call_id)

    async def structured(self, step: str, turn_index: int, messages, schema: dict,
                         schema_name: str, parse, error_kind: str, cap: int | None = None,
                         model: ir.ModelConfig | None = None):
        """(parse(reply), call id) for a JSON-schema call, retried while the reply is cut off
        or `parse` raises ValueError; (None, None) with the errors journaled when every
        attempt fails."""
        for attempt in range(self.max_attempts):
            req = self.request(messages, attempt, schema, schema_name, cap, model)
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
