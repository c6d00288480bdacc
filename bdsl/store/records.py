"""Frozen records that go into and come out of the run store."""

from __future__ import annotations

import attrs

from bdsl import ir
from bdsl.kinds import Role, TurnKind


@attrs.frozen
class CallRecord:
    """One paid LLM call, exactly as journaled (also what a cache hit returns)."""

    request_hash: str
    step: str
    turn_index: int
    attempt: int
    model: str
    request_json: str
    response_text: str
    finish_reason: str
    status: str  # ok | truncated
    prompt_tokens: int | None
    completion_tokens: int | None
    cost: float | None
    latency_s: float
    id: int | None = None


@attrs.frozen
class Annotation:
    primary_emotion: str
    secondary_emotion: str
    intensity: float  # 0..1
    valence: float  # -1..1
    strategy: str


@attrs.frozen
class TurnRecord:
    """One stored text of a conversation.

    kind: message (part of the conversation) | hidden (deliberation scratch) |
    alternate (a counter-example for the message at `idx`, e.g. a bad synthesis) |
    note (meta-commentary about the message at `idx`).
    """

    seq: int
    idx: int
    role: Role = attrs.field(converter=Role)
    kind: TurnKind = attrs.field(converter=TurnKind)
    content: str
    train: bool
    label: str = ""
    session: int = -1
    target: ir.TurnTarget | None = None
    call_id: int | None = None
    annotation: Annotation | None = None
    annotation_call_id: int | None = None


@attrs.frozen
class Usage:
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float | None = 0.0  # None once any call's cost is unknown

    def add(self, call: CallRecord) -> Usage:
        cost = None if self.cost is None or call.cost is None else self.cost + call.cost
        return Usage(self.calls + 1, self.prompt_tokens + (call.prompt_tokens or 0),
                     self.completion_tokens + (call.completion_tokens or 0), cost)

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@attrs.frozen
class Conversation:
    """A finished job version as stored: what gates, review and export read."""

    id: int
    job_key: str
    content_hash: str
    run_id: int
    dataset: str
    kind: str
    model: str
    params: dict
    seed: int
    context: dict
    usage: Usage
    started_at: float
    finished_at: float
    provenance: dict
    turns: tuple[TurnRecord, ...] = ()

    def messages(self) -> list[dict]:
        """The conversation as chat messages (kind == message only), with train weights."""
        return [{"role": t.role, "content": t.content, "train": t.train}
                for t in self.turns if t.kind == "message"]


@attrs.frozen
class SyncSummary:
    """How the plan's jobs relate to what the store already holds."""

    added: int
    changed: int
    unchanged: int
    removed: int
    reusable: int  # jobs already done at their current content hash
