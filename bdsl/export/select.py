"""Which conversations an export contains, with everything each format needs.

The rules are bdsl.outcomes': a conversation is exported when its review state is in
EXPORTABLE; `include_unreviewed` adds `awaiting_review` ones whose gates all passed
(a job that declares no gates has none to fail). Blocked, rejected, needs_revision and
soft-failed (needs_review) or unscored conversations never go out unreviewed.
"""

from __future__ import annotations

import hashlib
from collections import Counter

import attrs

from bdsl import ir
from bdsl.outcomes import EXPORTABLE, GateSummary, ReviewState, gate_summary, review_state


@attrs.frozen
class ExportMessage:
    seq: int
    role: str  # user | assistant
    content: str  # the reviewer's edit when there is one
    train: bool  # TurnRecord.train: False for e.g. the opening turn under `train_on skip_first`
    edited: bool  # content is a reviewer's edit, not the generated text


@attrs.frozen
class ExportItem:
    conv: object  # bdsl.store.records.Conversation
    job: ir.Job
    gates: GateSummary
    review: ReviewState
    split: str  # train | validation
    system: str  # the assistant persona's system prompt
    messages: tuple[ExportMessage, ...]  # the visible conversation (kind == message)

    @property
    def edited(self) -> bool:
        return any(m.edited for m in self.messages)


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
    from bdsl.engine.context import JobVariables
    from bdsl.engine.prompts import PromptRenderer
    from bdsl.store.reader import conversations

    index = plan.index()
    jobs = {j.key: j for j in plan.jobs}
    renderer = PromptRenderer(plan.templates)
    systems: dict[tuple, str] = {}
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
        system = systems.get(_system_key(job))
        if system is None:
            system = renderer.render("assistant_system",
                                     **JobVariables(plan, index, job).for_step()).strip()
            systems[_system_key(job)] = system
        items.append(ExportItem(conv, job, gates, state, split_of(job.key, seed, train_fraction),
                                system, tuple(_messages(conv, state))))
    return Selection(tuple(items), dict(left_out), considered,
                     {g: c for g, c in sorted(gate_counts.items())}, dict(review_counts))


def _system_key(job: ir.Job) -> tuple:
    # everything assistant_system reads without a step: the job's entities and its kind
    return (job.kind, attrs.astuple(job.context, recurse=True))


def _messages(conv, state: ReviewState):
    """The visible messages, a reviewer's latest edit replacing the text it changed."""
    edits = {m["seq"]: m for m in state.edited or ()
             if isinstance(m, dict) and m.get("edited") and "seq" in m}
    for t in conv.turns:
        if t.kind != "message":
            continue
        edit = edits.get(t.seq)
        yield ExportMessage(t.seq, t.role, edit["content"] if edit else t.content, t.train,
                            edit is not None)
