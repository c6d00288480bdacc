"""What a gate sees of a conversation: its visible messages with annotations and targets."""

from __future__ import annotations

import re

import attrs

from bdsl import ir


@attrs.frozen
class Turn:
    index: int  # position among the visible messages
    role: str
    content: str
    annotation: object | None = None  # bdsl.store.records.Annotation
    target: ir.TurnTarget | None = None
    finish_reason: str = ""  # "length" when the text was cut at max_tokens
    session: int = -1  # curriculum session, -1 outside curricula


@attrs.frozen
class GateContext:
    """The plan entities a conversation's gates need."""

    arc: ir.Arc | None = None
    compliance: tuple[ir.ComplianceRule, ...] = ()
    thresholds: dict = attrs.field(factory=dict)  # per-dataset judged overrides
    strategies: dict = attrs.field(factory=dict)  # name -> ir.Strategy the job may use
    culture: ir.Culture | None = None
    methodology: ir.Methodology | None = None
    # the conversation's non-message records: (turn index, label, content), e.g. a
    # deliberation's minority_view note; empty for conversations made elsewhere
    notes: tuple[tuple[int, str, str], ...] = ()


def turns_of(conv) -> list[Turn]:
    """The visible messages of a stored Conversation (hidden/alternate/note excluded)."""
    out = []
    for t in conv.turns:
        if t.kind == "message":
            out.append(Turn(len(out), t.role, t.content, t.annotation, t.target,
                            session=t.session))
    return out


def notes_of(conv) -> tuple[tuple[int, str, str], ...]:
    return tuple((t.idx, t.label, t.content) for t in conv.turns if t.kind != "message")


def turns_from_messages(messages: list[dict]) -> list[Turn]:
    """Turns of an OpenAI-style `messages` list (system messages skipped)."""
    return [Turn(i, m["role"], str(m.get("content", "")))
            for i, m in enumerate(x for x in messages if x.get("role") != "system")]


def pattern(p: ir.Pattern) -> re.Pattern:
    flags = 0
    for ch in p.flags:
        flags |= {"i": re.I, "m": re.M, "s": re.S, "x": re.X}[ch]
    return re.compile(p.regex, flags)


def words(text: str) -> int:
    return len(text.split())
