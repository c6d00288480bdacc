"""The mock's dice and its rate limiter.

Draws are hashes of (seed, label, request body hash, occurrence): the n-th arrival of
the same body always meets the same fate, whatever else is in flight, so a seeded
fault-injection run is reproducible and a retried request gets a fresh draw.
"""

from __future__ import annotations

import hashlib
import math

from bdsl.testing.mock_config import Fault, Latency, MockConfig


def draw(seed: int, label: str, key: str, occurrence: int = 0) -> float:
    """A uniform number in [0, 1) determined by its arguments."""
    digest = hashlib.sha256(f"{seed}\x1f{label}\x1f{key}\x1f{occurrence}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2 ** 64


def sample_latency(cfg: MockConfig, key: str, occurrence: int) -> float:
    u = draw(cfg.seed, "latency", key, occurrence)
    if cfg.distribution == Latency.UNIFORM:
        return max(0.0, cfg.latency + (2 * u - 1) * cfg.spread)
    if cfg.distribution == Latency.EXPONENTIAL:
        return -cfg.latency * math.log(1.0 - u)
    if cfg.distribution == Latency.LOGNORMAL:
        v = draw(cfg.seed, "latency2", key, occurrence)
        z = math.sqrt(-2.0 * math.log(1.0 - u)) * math.cos(2 * math.pi * v)  # Box-Muller
        return cfg.latency * math.exp(cfg.spread * z)
    return cfg.latency


def pick_fault(cfg: MockConfig, key: str, occurrence: int) -> Fault | None:
    if not cfg.faults:
        return None
    u = draw(cfg.seed, "fault", key, occurrence)
    edge = 0.0
    for fault, rate in cfg.faults:
        edge += rate
        if u < edge:
            return fault
    return None


class TokenBucket:
    """`rate` units per second, holding at most `capacity` (the burst allowed)."""

    def __init__(self, rate: float, capacity: float, now: float):
        self.rate, self.capacity = rate, capacity
        self.level, self.updated = capacity, now

    def wait_for(self, amount: float, now: float) -> float:
        """Seconds until `amount` is available (0 = available now); takes nothing."""
        self.level = min(self.capacity, self.level + (now - self.updated) * self.rate)
        self.updated = now
        if amount > self.capacity:
            return math.inf
        return max(0.0, (amount - self.level) / self.rate)

    def take(self, amount: float) -> None:
        self.level -= amount


class RateLimiter:
    """The server-wide limit: requests per second (a burst of one second's requests)
    and tokens per minute (a burst of one minute's tokens), shared by every client."""

    def __init__(self, cfg: MockConfig, now: float):
        rps, tpm = cfg.requests_per_second, cfg.tokens_per_minute
        self.requests = TokenBucket(rps, max(1.0, rps), now) if rps else None
        self.tokens = TokenBucket(tpm / 60.0, float(tpm), now) if tpm else None

    def admit(self, tokens: int, now: float) -> tuple[float, str]:
        """(0, "") when admitted (and charged); else (seconds to wait, which limit)."""
        waits = []
        if self.requests:
            waits.append((self.requests.wait_for(1, now), "requests"))
        if self.tokens:
            waits.append((self.tokens.wait_for(tokens, now), "tokens"))
        wait, which = max(waits, default=(0.0, ""))
        if wait > 0:
            return wait, which
        if self.requests:
            self.requests.take(1)
        if self.tokens:
            self.tokens.take(tokens)
        return 0.0, ""
