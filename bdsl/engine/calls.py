"""The journaled call path: look a request up in the store, else check the budget,
call the model, commit the result, and only then hand it back.

A request's hash covers the job's effective content hash, the step, the turn,
the attempt number and the full request (messages, model, params, schema), so
a rerun of the same plan replays every finished call from the store.
"""

from __future__ import annotations

import hashlib
import json
import time

import attrs

from bdsl.engine.port import CallRequest, CallResult, CallTruncated, Completer
from bdsl.serialize import to_data
from bdsl.store import CallRecord, Store, Usage
from bdsl.store.texts import check_size


class BudgetExceeded(Exception):
    pass


@attrs.define
class Counters:
    """Live numbers for the progress display and the runs row."""

    jobs_total: int = 0
    jobs_done: int = 0
    jobs_failed: int = 0
    jobs_reused: int = 0
    turns: int = 0
    calls_made: int = 0
    cache_hits: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float | None = 0.0
    retries: dict = attrs.field(factory=dict)  # cause -> retries the LLM client made
    started: float = attrs.field(factory=time.monotonic)

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def retry_count(self) -> int:
        return sum(self.retries.values())


@attrs.define
class Budget:
    """Caps on everything paid for in the run directory (all runs, so a rerun with a
    higher cap continues where the last one stopped)."""

    max_cost: float | None = None
    max_tokens: int | None = None
    spent: Usage = Usage()
    stopped: str = ""
    in_flight: int = 0  # calls started and not yet journaled

    def check(self) -> None:
        """Before a call: stop when what is spent, plus what the calls in flight will cost
        at the average so far, reaches a cap (so concurrency cannot run far past it)."""
        if self.stopped:
            raise BudgetExceeded(self.stopped)
        s = self.spent
        n = max(s.calls, 1)
        tokens = s.tokens + self.in_flight * s.tokens / n
        cost = None if s.cost is None else s.cost + self.in_flight * s.cost / n
        if self.max_tokens is not None and tokens >= self.max_tokens:
            self.stopped = f"token budget reached ({s.tokens} spent, cap {self.max_tokens})"
        elif self.max_cost is not None and cost is not None and cost >= self.max_cost:
            self.stopped = f"cost budget reached (${s.cost:.4f} spent, cap ${self.max_cost})"
        if self.stopped:
            raise BudgetExceeded(self.stopped)


def request_json(request: CallRequest) -> str:
    return json.dumps(to_data(request), sort_keys=True, ensure_ascii=False,
                      separators=(",", ":"))


def request_hash(content_hash: str, step: str, turn_index: int, attempt: int,
                 request_text: str) -> str:
    """Hash of the job's effective content hash, the step, turn, attempt and the
    canonical request JSON (messages, model, params, schema)."""
    key = f"{content_hash}\x1f{step}\x1f{turn_index}\x1f{attempt}\x1f{request_text}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class CallJournal:
    """Every paid call of a run, generation, annotation and judge alike, goes through one
    journal: one budget (checked before each call), one set of counters, one store."""

    def __init__(self, store: Store, run_id: int, completer: Completer, budget: Budget,
                 counters: Counters):
        self.store, self.run_id, self.completer = store, run_id, completer
        self.budget, self.counters = budget, counters

    async def call(self, job_key: str, content_hash: str, step: str, turn_index: int,
                   attempt: int, request: CallRequest) -> tuple[CallRecord, bool]:
        """The call's record and whether it was replayed from the store."""
        from bdsl.store.db import write_call

        rtext = request_json(request)
        rhash = request_hash(content_hash, step, turn_index, attempt, rtext)
        cached = self.store.cached_call(rhash)
        if cached is not None:
            self.counters.cache_hits += 1
            return cached, True
        for _role, content in request.messages:  # unstorable: refused before it is paid for
            check_size(content)
        self.budget.check()
        self.budget.in_flight += 1
        try:
            try:
                if getattr(self.completer, "wants_key", False):  # a batch: lines by hash
                    result = await self.completer.complete(request, key=rhash)
                else:
                    result = await self.completer.complete(request)
                status = "ok"
            except CallTruncated as e:
                result, status = e.result, "truncated"
            # committed (by the writer thread, grouped with others) before it is used
            record = await self.store.writer().submit(
                write_call, self.run_id, job_key, content_hash,
                _record(rhash, step, turn_index, attempt, request, rtext, result, status))
        finally:
            self.budget.in_flight -= 1
        self._count(record)
        return record, False

    def _count(self, record: CallRecord) -> None:
        c = self.counters
        c.calls_made += 1
        c.prompt_tokens += record.prompt_tokens or 0
        c.completion_tokens += record.completion_tokens or 0
        c.cost = None if c.cost is None or record.cost is None else c.cost + record.cost
        self.budget.spent = self.budget.spent.add(record)


def _record(rhash: str, step: str, turn_index: int, attempt: int, request: CallRequest,
            rtext: str, result: CallResult, status: str) -> CallRecord:
    return CallRecord(
        request_hash=rhash, step=step, turn_index=turn_index, attempt=attempt,
        model=request.model, request_json=rtext,
        response_text=result.text, finish_reason=result.finish_reason, status=status,
        prompt_tokens=result.prompt_tokens, completion_tokens=result.completion_tokens,
        cost=result.cost, latency_s=result.latency_s)
