"""The stored signal beside the visible conversation, per assistant message.

  hidden    deliberation: each perspective's private view before the reply (in order)
  note      meta_commentary: why the method reply beats the conventional one
  alternate conventional (contrastive) or bad_synthesis (deliberation): a reply to the
            same context that should lose against the message

All of them share the message's `idx` (its TurnTarget index). `reasoning(...)` renders
the hidden perspectives in the convention a trainer expects.
"""

from __future__ import annotations

from collections import defaultdict

import attrs

from bdsl.kinds import Role, TurnKind

META_COMMENTARY = "meta_commentary"
REASONING_MODES = ("none", "think", "field")
REASONING_FIELD = "reasoning_content"  # the assistant-message key chat templates read


@attrs.frozen
class Perspective:
    label: str  # the perspective's name
    text: str


@attrs.frozen
class Signals:
    reasoning: dict[int, tuple[Perspective, ...]]  # idx -> hidden perspectives, in order
    explanations: dict[int, str]  # idx -> meta-commentary
    alternates: dict[int, dict[str, str]]  # idx -> label -> text


def signals(item) -> Signals:
    reasoning, explanations, alternates = defaultdict(list), {}, defaultdict(dict)
    for t in item.conv.turns:
        if t.role != Role.ASSISTANT:
            continue
        if t.kind == TurnKind.HIDDEN:
            reasoning[t.idx].append(Perspective(t.label, t.content))
        elif t.kind == TurnKind.NOTE and t.label == META_COMMENTARY:
            explanations[t.idx] = t.content
        elif t.kind == TurnKind.ALTERNATE:
            alternates[t.idx][t.label] = t.content
    return Signals({k: tuple(v) for k, v in reasoning.items()}, explanations, dict(alternates))


def reasoning_text(perspectives) -> str:
    """The deliberation as one text: each perspective's view under its name."""
    return "\n\n".join(f"{p.label}: {p.text}" for p in perspectives)


def think_block(perspectives, reply: str) -> str:
    """`<think>` convention: the reasoning before the reply, in the content itself."""
    return f"<think>\n{reasoning_text(perspectives)}\n</think>\n\n{reply}"


def assistant_turn(role: str, content: str, perspectives, mode: str) -> dict:
    """One chat message; an assistant reply with hidden perspectives carries them as the
    mode says: `think` inside the content, `field` as reasoning_content, `none` not at all."""
    if role != Role.ASSISTANT or not perspectives or mode == "none":
        return {"role": role, "content": content}
    if mode == "think":
        return {"role": role, "content": think_block(perspectives, content)}
    return {"role": role, "content": content, REASONING_FIELD: reasoning_text(perspectives)}
