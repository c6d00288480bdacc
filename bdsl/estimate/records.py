"""What an estimate holds (frozen attrs, serialized by bdsl.serialize into estimate.json)."""

from __future__ import annotations

import attrs

FORMAT = 1


@attrs.frozen
class StepEstimate:
    """The calls of one step of one dataset, answered by one model."""

    dataset: str
    kind: str
    step: str  # the journal's step name; a judge's windows are folded into judge:<gate>
    model: str
    calls: int
    prompt_tokens: int
    completion_tokens: int
    ceiling_prompt_tokens: int  # every reply at its max_tokens
    ceiling_completion_tokens: int

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@attrs.frozen
class DatasetScope:
    name: str
    kind: str
    jobs: int
    messages: int
    walked_jobs: int  # jobs walked; the rest scaled by message count


@attrs.frozen
class ModelCost:
    model: str
    calls: int
    prompt_tokens: int
    completion_tokens: int
    interactive_usd: float | None  # None: no price in litellm's cost map
    batch_usd: float | None  # None: no batch price in the map
    ceiling_interactive_usd: float | None
    ceiling_batch_usd: float | None
    replies: str  # how this model's replies were modeled
    note: str = ""

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


def _total(values) -> float | None:
    values = list(values)
    return None if any(v is None for v in values) else sum(values)


@attrs.frozen
class Estimate:
    spec: str
    spec_version: str
    model_override: str  # "" when each dataset uses its own model
    limit: int | None
    datasets: tuple[DatasetScope, ...]
    steps: tuple[StepEstimate, ...]
    models: tuple[ModelCost, ...]
    format: int = FORMAT

    @property
    def jobs(self) -> int:
        return sum(d.jobs for d in self.datasets)

    @property
    def calls(self) -> int:
        return sum(s.calls for s in self.steps)

    @property
    def prompt_tokens(self) -> int:
        return sum(s.prompt_tokens for s in self.steps)

    @property
    def completion_tokens(self) -> int:
        return sum(s.completion_tokens for s in self.steps)

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def ceiling_tokens(self) -> int:
        return sum(s.ceiling_prompt_tokens + s.ceiling_completion_tokens for s in self.steps)

    def cost(self, batch: bool = False, ceiling: bool = False) -> float | None:
        """USD for the whole estimate; None when any model has no such price."""
        field = ("ceiling_" if ceiling else "") + ("batch_usd" if batch else "interactive_usd")
        return _total(getattr(m, field) for m in self.models)
