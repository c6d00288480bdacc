"""The one conversation record every reader produces."""

from __future__ import annotations

import attrs

from bdsl.kinds import Role


class IngestError(Exception):
    """Bad input, said in one line with where it is (path:line[:col] or a JSON path)."""


@attrs.frozen
class IngestedMessage:
    role: Role = attrs.field(converter=Role)
    content: str
    train: bool = True  # OpenAI weight 0, or a Bright Run reply that is no pair's target
    finish_reason: str | None = None  # when the file records it ("length": cut off)
    emotional_state: dict | None = None  # {"primary", "secondary"?, "intensity"} as recorded
    valence: str | None = None  # positive | negative | mixed, when the file records it


@attrs.frozen
class IngestedConversation:
    source_id: str  # the file's id for it (Bright Run conversation_id, OpenAI `id`, or line)
    source_format: str  # openai | brightrun-v4 | brightrun-v4-jsonl
    line: int  # where it starts in the file (1 for a whole-file JSON)
    system: str  # "" when the file has no system prompt
    messages: tuple[IngestedMessage, ...]
    # persona_key, persona_name, emotional_arc_key, emotional_arc, training_topic_key,
    # training_topic: whichever the file names
    scaffolding: dict = attrs.field(factory=dict)
    metadata: dict = attrs.field(factory=dict)  # other per-conversation facts the file records

    def openai_messages(self) -> list[dict]:
        """As OpenAI chat messages (what `bdsc gate --input` scores)."""
        out = [{"role": "system", "content": self.system}] if self.system else []
        return out + [{"role": m.role.value, "content": m.content} for m in self.messages]
