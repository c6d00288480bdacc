"""What the mock OpenAI server does: one frozen config, swapped whole while it runs.

Every random choice the server makes is a function of the request (reply text, schema
instances) or of this config's `seed` and the request (latency, injected faults), never
of arrival order, so two runs that send the same requests see the same behaviour.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

import attrs


class Fault(StrEnum):
    """An injected failure, drawn per request with the rate the config gives it."""

    RATE_LIMIT = "429"  # 429 rate_limit_exceeded with retry-after
    SERVER_ERROR = "500"
    UNAVAILABLE = "503"
    RESET = "reset"  # the TCP connection is reset, no HTTP answer
    TIMEOUT = "timeout"  # a normal answer after `timeout_delay` seconds
    HANG = "hang"  # no answer until the client gives up (or the server stops)


class Latency(StrEnum):
    """How the delay before a successful answer is drawn; `latency` is its centre."""

    FIXED = "fixed"  # exactly `latency`
    UNIFORM = "uniform"  # latency +- spread seconds
    EXPONENTIAL = "exponential"  # mean `latency`
    LOGNORMAL = "lognormal"  # median `latency`, sigma `spread`


# Served when the config names no models: a neutral name, and one that litellm's cost
# map prices, so budget code can be exercised against the mock.
DEFAULT_MODELS = ("mock-chat", "gpt-4o-mini")


def _faults(value: Mapping | tuple) -> tuple[tuple[Fault, float], ...]:
    items = value.items() if isinstance(value, Mapping) else value
    rates = {Fault(str(k)): float(v) for k, v in items}
    return tuple((f, rates[f]) for f in Fault if rates.get(f))


def _check_faults(instance, attribute, value) -> None:
    for fault, rate in value:
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"fault rate for {fault.value} must be within 0..1, got {rate}")
    total = sum(rate for _, rate in value)
    if total > 1.0 + 1e-9:
        raise ValueError(f"fault rates add up to {total:.3g}; at most 1 is possible")


def _rate(instance, attribute, value) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{attribute.name} must be within 0..1, got {value}")


def _non_negative(instance, attribute, value) -> None:
    if value is not None and value < 0:
        raise ValueError(f"{attribute.name} must be >= 0, got {value}")


def _positive_or_none(instance, attribute, value) -> None:
    if value is not None and value <= 0:
        raise ValueError(f"{attribute.name} must be > 0 (or unset for no limit), got {value}")


@attrs.frozen(kw_only=True)
class MockConfig:
    # delay before a successful answer
    latency: float = attrs.field(default=0.0, validator=_non_negative)
    distribution: Latency = attrs.field(default=Latency.FIXED, converter=Latency)
    spread: float = attrs.field(default=0.0, validator=_non_negative)
    seed: int = 0
    # a limit shared by every client; None = unlimited
    requests_per_second: float | None = attrs.field(default=None, validator=_positive_or_none)
    tokens_per_minute: int | None = attrs.field(default=None, validator=_positive_or_none)
    # injected failures: {Fault or its text: rate}; drawn per request, seeded
    faults: tuple[tuple[Fault, float], ...] = attrs.field(default=(), converter=_faults,
                                                          validator=_check_faults)
    timeout_delay: float = attrs.field(default=60.0, validator=_non_negative)
    # access
    api_key: str | None = None  # required as `Authorization: Bearer <key>` when set
    models: tuple[str, ...] = attrs.field(default=DEFAULT_MODELS, converter=tuple)  # () = any
    context_length: int = attrs.field(default=16384, validator=_positive_or_none)
    # batch API: seconds spent validating, then in progress, before completion
    batch_validating: float = attrs.field(default=0.1, validator=_non_negative)
    batch_in_progress: float = attrs.field(default=0.5, validator=_non_negative)
    batch_error_rate: float = attrs.field(default=0.0, validator=_rate)
    # keep every request body in the log (the provider bench replays them)
    record_bodies: bool = False

    @property
    def fault_rates(self) -> dict[Fault, float]:
        return dict(self.faults)

    def knows_model(self, name: str) -> bool:
        return not self.models or name in self.models


def parse_fault(text: str) -> tuple[Fault, float]:
    """`429=0.1` -> (Fault.RATE_LIMIT, 0.1); a clear ValueError otherwise."""
    name, sep, rate = text.partition("=")
    try:
        fault = Fault(name.strip())
    except ValueError:
        choices = ", ".join(f.value for f in Fault)
        raise ValueError(f"unknown fault `{name}`; choose from {choices}") from None
    try:
        return fault, float(rate)
    except ValueError:
        raise ValueError(f"fault `{text}` needs a rate, e.g. {fault.value}=0.1") from None
