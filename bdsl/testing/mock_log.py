"""What the mock saw: one entry per request, and the numbers tests and benches need
("every call paid once", calls in flight, effective throughput).

Times are `time.monotonic()` readings, comparable across processes on one machine.
A request is *billed* when a 200 chat completion was written back (batch lines are
billed when their batch completes).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from enum import StrEnum

import attrs


class Outcome(StrEnum):
    OK = "ok"  # 200, finish_reason stop
    TRUNCATED = "truncated"  # 200, finish_reason length
    RATE_LIMITED = "rate_limited"  # 429 from the configured shared limit
    FAULT_429 = "fault_429"  # injected
    FAULT_500 = "fault_500"
    FAULT_503 = "fault_503"
    RESET = "reset"  # connection reset, no answer
    TIMEOUT = "timeout"  # answered late (or the client left first: client_gone)
    HANG = "hang"  # never answered
    CLIENT_GONE = "client_gone"  # the client disconnected before its answer
    UNAUTHORIZED = "unauthorized"  # 401
    MODEL_NOT_FOUND = "model_not_found"  # 404
    CONTEXT_EXCEEDED = "context_length_exceeded"  # 400
    BAD_REQUEST = "bad_request"  # 400 for anything else
    NOT_FOUND = "not_found"  # an unknown file or batch
    SERVED = "served"  # any other endpoint answered (models, files, batches)


@attrs.frozen
class Entry:
    seq: int
    method: str
    path: str
    started: float
    finished: float
    outcome: Outcome
    status: int  # 0 when no HTTP answer was sent
    billed: bool = False
    model: str = ""
    body_hash: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    client_gone: bool = False  # the client disconnected before the answer
    batch_id: str = ""
    body: dict | None = None  # only with MockConfig.record_bodies

    @property
    def duration(self) -> float:
        return self.finished - self.started


@attrs.frozen
class Stats:
    requests: int
    billed: int
    outcomes: dict[str, int]
    in_flight: int
    max_in_flight: int
    first_start: float | None
    last_finish: float | None
    prompt_tokens: int
    completion_tokens: int

    @property
    def span(self) -> float:
        """Seconds from the first request's arrival to the last answer."""
        if self.first_start is None or self.last_finish is None:
            return 0.0
        return self.last_finish - self.first_start

    @property
    def throughput(self) -> float:
        """Billed calls per second over the span."""
        return self.billed / self.span if self.span > 0 else 0.0


class RequestLog:
    """Thread-safe: the server's loop writes, a test's thread reads."""

    def __init__(self):
        self._lock = threading.Lock()
        self._entries: list[Entry] = []
        self._seq = 0
        self.in_flight = 0
        self.max_in_flight = 0

    def begin(self, counted: bool) -> tuple[int, float]:
        """A request arrived; `counted` ones take part in the in-flight figures."""
        with self._lock:
            self._seq += 1
            if counted:
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
            return self._seq, time.monotonic()

    def end(self, counted: bool, entry: Entry) -> None:
        with self._lock:
            if counted:
                self.in_flight -= 1
            self._entries.append(entry)

    def add(self, entry: Entry) -> None:
        with self._lock:
            self._entries.append(entry)

    def next_seq(self) -> int:
        with self._lock:
            self._seq += 1
            return self._seq

    def entries(self) -> list[Entry]:
        with self._lock:
            return sorted(self._entries, key=lambda e: e.seq)

    def reset(self) -> None:
        with self._lock:
            self._entries.clear()
            self.max_in_flight = self.in_flight

    def stats(self) -> Stats:
        entries = self.entries()
        calls = [e for e in entries if e.body_hash]
        return Stats(
            requests=len(calls), billed=sum(e.billed for e in calls),
            outcomes=dict(Counter(e.outcome.value for e in entries)),
            in_flight=self.in_flight, max_in_flight=self.max_in_flight,
            first_start=min((e.started for e in calls), default=None),
            last_finish=max((e.finished for e in calls), default=None),
            prompt_tokens=sum(e.prompt_tokens for e in calls if e.billed),
            completion_tokens=sum(e.completion_tokens for e in calls if e.billed))

    def billed_counts(self) -> Counter:
        """How many times each distinct request body was billed."""
        return Counter(e.body_hash for e in self.entries() if e.billed)
