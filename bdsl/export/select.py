"""Which conversations an export contains, with everything each format needs."""

from __future__ import annotations

import hashlib

import attrs

from bdsl import ir
from bdsl.outcomes import EXPORTABLE, GateSummary, ReviewState, gate_summary, review_state


@attrs.frozen
class ExportItem:
    conv: object  # bdsl.store.records.Conversation
    job: ir.Job
    gates: GateSummary
    review: ReviewState
    split: str  # train | validation
    system: str  # the assistant's system prompt
    messages: tuple[dict, ...]  # visible messages, reviewer edits applied: role, content, train


@attrs.frozen
class Selection:
    items: tuple[ExportItem, ...]
    skipped: dict  # review state -> count of conversations left out


def split_of(job_key: str, seed: int, train_fraction: float) -> str:
    digest = hashlib.sha256(f"split|{seed}|{job_key}".encode()).digest()
    return "train" if int.from_bytes(digest[:8], "big") / 2**64 < train_fraction else "validation"


def select(store, plan: ir.Plan, include_unreviewed: bool = False, train_fraction: float = 0.9,
           seed: int = 0, dataset: str | None = None) -> Selection:
    from bdsl.engine.context import JobVariables
    from bdsl.engine.prompts import PromptRenderer
    from bdsl.store.reader import conversations

    index = plan.index()
    jobs = {j.key: j for j in plan.jobs}
    renderer = PromptRenderer(plan.templates)
    items, skipped = [], {}
    for conv in conversations(store, dataset=dataset):
        job = jobs.get(conv.job_key)
        if job is None:
            continue
        gates = gate_summary(store.db, conv.id, job.gates_hash)
        if not job.gates:
            gates = attrs.evolve(gates, outcome="pass")
        state = review_state(store.db, conv.id, job.key, conv.content_hash, gates,
                             index.dataset[job.dataset].review)
        ok = state.state in EXPORTABLE or (
            include_unreviewed and state.state == "awaiting_review"
            and gates.outcome in ("pass", "needs_review"))
        if not ok:
            skipped[state.state] = skipped.get(state.state, 0) + 1
            continue
        variables = JobVariables(plan, index, job)
        system = renderer.render("assistant_system", **variables.for_step()).strip()
        messages = tuple(_messages(conv, state))
        items.append(ExportItem(conv, job, gates, state, split_of(job.key, seed, train_fraction),
                                system, messages))
    return Selection(tuple(items), skipped)


def _messages(conv, state: ReviewState):
    visible = [t for t in conv.turns if t.kind == "message"]
    edited = {m.get("seq"): m for m in (state.edited or ()) if isinstance(m, dict)}
    for t in visible:
        content = edited[t.seq]["content"] if t.seq in edited else t.content
        yield {"role": t.role, "content": content, "train": t.train,
               "edited": t.seq in edited, "seq": t.seq}
