"""Which conversations an export contains, with everything each format needs.

The rules are bdsl.outcomes': a conversation is exported when its review state is in
EXPORTABLE; `include_unreviewed` adds `awaiting_review` ones whose gates all passed
(a job that declares no gates has none to fail). Blocked, rejected, needs_revision and
soft-failed (needs_review) or unscored conversations never go out unreviewed.

Each item is cut into segments, one per training record: the whole conversation, or for
a curriculum one segment per session with that session's own system prompt (rendered
from the `session_state` note the engine stored: the exact variables its prompts saw).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter

import attrs

from bdsl import ir
from bdsl.kinds import JobKind, TurnKind
from bdsl.outcomes import EXPORTABLE, GateSummary, ReviewState, gate_summary, review_state

SESSION_STATE = "session_state"  # the curriculum runner's note label
SESSION_SUMMARY = "session_summary"


@attrs.frozen
class ExportMessage:
    seq: int
    role: str  # user | assistant
    content: str  # the reviewer's edit when there is one
    train: bool  # TurnRecord.train: False for e.g. the opening turn under `train_on skip_first`
    edited: bool  # content is a reviewer's edit, not the generated text
    idx: int = -1  # the TurnTarget index: alternates, notes and hidden records share it
    generated: str = ""  # the text as generated (equal to content unless edited)
    session: int = -1  # curriculum session index, -1 outside curricula


@attrs.frozen
class Segment:
    """One training record's worth of conversation: its system prompt and messages."""

    system: str
    messages: tuple[ExportMessage, ...]
    session: int | None = None  # curriculum session index
    state: dict | None = None  # the session_state note: {"session": {...}, "previous_summary"}


@attrs.frozen
class ExportItem:
    conv: object  # bdsl.store.records.Conversation
    job: ir.Job
    gates: GateSummary
    review: ReviewState
    split: str  # train | validation
    system: str  # the assistant persona's system prompt (a curriculum's first session's)
    messages: tuple[ExportMessage, ...]  # the visible conversation (kind == message)
    segments: tuple[Segment, ...] = ()  # what becomes one record each (see module doc)

    @property
    def edited(self) -> bool:
        return any(m.edited for m in self.messages)

    @property
    def imported(self) -> dict | None:
        """What `bdsc import` recorded about the file this conversation came from."""
        return self.conv.provenance.get("import")


@attrs.frozen
class Selection:
    items: tuple[ExportItem, ...]
    left_out: dict  # reason -> count (review state, or awaiting_review/<gate outcome>)
    considered: int  # current conversations looked at
    gate_counts: dict  # gate -> [passed, scored] over every considered conversation
    review_counts: dict  # review state -> count over every considered conversation


def split_of(job_key: str, seed: int, train_fraction: float) -> str:
    """train | validation from a hash of (seed, job key): stable across runs and exports."""
    digest = hashlib.sha256(f"split|{seed}|{job_key}".encode()).digest()
    return "train" if int.from_bytes(digest[:8], "big") / 2**64 < train_fraction else "validation"


def exportable(state: ReviewState, gates: GateSummary, job: ir.Job,
               include_unreviewed: bool) -> str | None:
    """None when the conversation goes out, else the reason it is left out."""
    if state.state in EXPORTABLE:
        return None
    if state.state != "awaiting_review":
        return state.state
    passed = gates.outcome == "pass" or (gates.outcome == "unscored" and not job.gates)
    if include_unreviewed and passed:
        return None
    return "awaiting_review" if passed else f"awaiting_review/{gates.outcome}"


def select(store, plan: ir.Plan, include_unreviewed: bool = False, train_fraction: float = 0.9,
           seed: int = 0, dataset: str | None = None) -> Selection:
    from bdsl.store.reader import conversations

    index = plan.index()
    jobs = {j.key: j for j in plan.jobs}
    systems = SystemPrompts(plan, index)
    items, left_out, considered = [], Counter(), 0
    gate_counts: dict[str, list[int]] = {}
    review_counts: Counter = Counter()
    for conv in conversations(store, dataset=dataset):
        job = jobs.get(conv.job_key)
        if job is None:
            continue
        considered += 1
        gates = gate_summary(store, conv.id, job.gates_hash)
        for row in gates.results:
            counts = gate_counts.setdefault(row.gate, [0, 0])
            counts[0] += row.passed
            counts[1] += 1
        state = review_state(store, conv.id, job.key, conv.content_hash, gates,
                             index.dataset[job.dataset].review)
        review_counts[state.state] += 1
        reason = exportable(state, gates, job, include_unreviewed)
        if reason is not None:
            left_out[reason] += 1
            continue
        messages = tuple(_messages(conv, state))
        segments = _segments(conv, job, messages, systems)
        items.append(ExportItem(conv, job, gates, state, split_of(job.key, seed, train_fraction),
                                segments[0].system, messages, segments))
    return Selection(tuple(items), dict(left_out), considered,
                     {g: c for g, c in sorted(gate_counts.items())}, dict(review_counts))


class SystemPrompts:
    """The assistant system prompt as generation rendered it (plan.json's templates)."""

    def __init__(self, plan: ir.Plan, index: ir.PlanIndex):
        from bdsl.engine.prompts import PromptRenderer

        self.plan, self.index = plan, index
        self.renderer = PromptRenderer(plan.templates)
        self._cache: dict[tuple, str] = {}

    def render(self, job: ir.Job, **step) -> str:
        from bdsl.engine.context import JobVariables

        # everything assistant_system reads: the job's entities, its kind and the step
        key = (job.kind, attrs.astuple(job.context, recurse=True),
               json.dumps(step, sort_keys=True))
        if key not in self._cache:
            variables = JobVariables(self.plan, self.index, job).for_step(**step)
            self._cache[key] = self.renderer.render("assistant_system", **variables).strip()
        return self._cache[key]


def _segments(conv, job: ir.Job, messages: tuple[ExportMessage, ...],
              systems: SystemPrompts) -> tuple[Segment, ...]:
    imported = conv.provenance.get("import")
    if imported and imported.get("system_prompt"):
        return (Segment(imported["system_prompt"], messages),)
    if job.kind != JobKind.CURRICULUM:
        return (Segment(systems.render(job), messages),)
    states = session_states(conv, job)
    out = []
    for session in sorted({m.session for m in messages}):
        state = states.get(session, {})
        step = {k: state[k] for k in ("session", "previous_summary") if k in state}
        out.append(Segment(systems.render(job, **step),
                           tuple(m for m in messages if m.session == session), session, state))
    return tuple(out)


def session_states(conv, job: ir.Job) -> dict[int, dict]:
    """session index -> the variables its prompts were rendered with: the stored
    session_state note, or for conversations stored before the engine wrote that note the
    same values rebuilt from the plan's sessions and the stored summaries (exactly what that
    engine rendered)."""
    notes = {t.session: json.loads(t.content) for t in conv.turns
             if t.kind == TurnKind.NOTE and t.label == SESSION_STATE}
    if notes:
        return notes
    summaries = {t.session: t.content for t in conv.turns
                 if t.kind == TurnKind.NOTE and t.label == SESSION_SUMMARY}
    out, summary = {}, ""
    for s in job.sessions:
        out[s.index] = {"session": {"index": s.index, "number": s.index + 1,
                                    "total": len(job.sessions), "difficulty": s.difficulty,
                                    "learner_state": s.learner_state},
                        "previous_summary": summary}
        summary = summaries.get(s.index, summary)
    return out


def _messages(conv, state: ReviewState):
    """The visible messages, a reviewer's latest edit replacing the text it changed."""
    edits = {m["seq"]: m for m in state.edited or ()
             if isinstance(m, dict) and m.get("edited") and "seq" in m}
    for t in conv.turns:
        if t.kind != TurnKind.MESSAGE:
            continue
        edit = edits.get(t.seq)
        yield ExportMessage(t.seq, t.role, edit["content"] if edit else t.content, t.train,
                            edit is not None, t.idx, t.content, t.session)
