"""What a gate sees of a conversation: its visible messages with annotations and targets,
and the context it is judged in (arc, compliance rules, the job's entities, the
conversation's own notes, judged-layer verdicts)."""

from __future__ import annotations

import attrs

from bdsl import ir


@attrs.frozen
class Turn:
    index: int  # position among the visible messages
    role: str
    content: str
    annotation: object | None = None  # bdsl.store.records.Annotation
    target: ir.TurnTarget | None = None
    # how generation stopped, when known: "length" = cut at max_tokens, "stop" = finished,
    # "" = unknown (data from elsewhere without the field): not_truncated reads the text
    finish_reason: str = ""
    session: int = -1  # curriculum session, -1 outside curricula


@attrs.frozen
class GateContext:
    """The plan entities a conversation's gates need."""

    arc: ir.Arc | None = None
    compliance: tuple[ir.ComplianceRule, ...] = ()
    thresholds: dict = attrs.field(factory=dict)  # per-dataset judged overrides
    ops: dict = attrs.field(factory=dict)  # per-dataset operator overrides (`empathy > 0.8`)
    # Without one arc (data from elsewhere, a dataset with several arcs): the roles every
    # candidate arc allows to open and close, and the message-count envelope.
    opens: tuple[str, ...] = ()
    closes: tuple[str, ...] = ()
    turn_range: tuple[int, int] | None = None
    screen: object | None = None  # bdsl.gates.screen.Screen: the judged layer's verdicts
    annotation_source: str = "run"  # "run": the engine annotated; "tool:<model>": bdsc gate
    strategies: dict = attrs.field(factory=dict)  # name -> ir.Strategy the job may use
    culture: ir.Culture | None = None
    methodology: ir.Methodology | None = None
    # the conversation's non-message records: (turn index, label, content), e.g. a
    # deliberation's minority_view note; empty for conversations made elsewhere
    notes: tuple[tuple[int, str, str], ...] = ()

    def judged(self, gate: ir.Gate) -> tuple[ir.Gate, float]:
        """A judged gate with this dataset's operator and threshold."""
        op = self.ops.get(gate.name, gate.op)
        return (attrs.evolve(gate, op=op) if op != gate.op else gate,
                self.thresholds.get(gate.name, gate.threshold))


def turns_of(conv) -> list[Turn]:
    """The visible messages of a stored Conversation (hidden/alternate/note excluded).
    A turn with a call id came from a journaled call the engine accepted, which it does
    only when the model finished (truncated replies are retried, never stored); an
    imported turn has the finish_reason its file recorded, if any."""
    imported = ((conv.provenance or {}).get("import") or {}).get("messages") or []
    out = []
    for t in conv.turns:
        if t.kind == "message":
            reason = "stop" if t.call_id is not None else ""
            if t.call_id is None and t.seq < len(imported):  # `bdsc import`: as the file said
                reason = imported[t.seq].get("finish_reason") or ""
            out.append(Turn(len(out), t.role, t.content, t.annotation, t.target, reason,
                            t.session))
    return out


def notes_of(conv) -> tuple[tuple[int, str, str], ...]:
    return tuple((t.idx, t.label, t.content) for t in conv.turns if t.kind != "message")


def turns_from_messages(messages: list[dict], finish_reason: str = "") -> list[Turn]:
    """Turns of an OpenAI-style `messages` list (system messages skipped). A message's own
    `finish_reason` wins; a record-level one describes the last message (the completion)."""
    visible = [m for m in messages if m.get("role") != "system"]
    out = []
    for i, m in enumerate(visible):
        reason = str(m.get("finish_reason") or "")
        if not reason and i == len(visible) - 1:
            reason = finish_reason
        out.append(Turn(i, m["role"], str(m.get("content") or ""), finish_reason=reason))
    return out


def words(text: str) -> int:
    return len(text.split())
