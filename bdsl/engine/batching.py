"""`bdsc run --batch`: every turn round of all pending conversations as one provider batch.

The engine does not change: every conversation still asks for one call at a time through
the journal. This completer holds the calls instead of sending them, and once no new call
has arrived for `quiet_s` (every conversation is waiting: the round is complete), sends
what it holds as one batch per model, journals the batch id with the calls' request
hashes, polls until the provider finishes and hands each conversation its answer. The
next round starts as soon as the answers are in.

A run killed while a batch is out resumes by polling it: calls whose request hash is in an
open batch wait for that batch instead of being sent again. A failed line is sent again
in the next round (counted as a retry); a batch that failed, expired or was cancelled
sends its lines again. Models without a batch API (local, fake, other providers) are
called interactively through `fallback`.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter

from bdsl.engine.port import CallFailed, CallRequest, CallResult, CallTruncated
from bdsl.store import batches as journal

MAX_LINES = 50_000  # OpenAI's per-batch limit


class BatchCompleter:
    wants_key = True  # CallJournal passes each call's request hash (the batch custom id)

    def __init__(self, store, run_id: int, client, fallback, quiet_s: float = 0.5,
                 poll_s: float = 10.0, max_attempts: int = 3, say=None):
        from bdsl.llm.batch import BatchUnsupported, provider_of

        self.store, self.run_id, self.client, self.fallback = store, run_id, client, fallback
        self.quiet_s, self.poll_s, self.max_attempts = quiet_s, poll_s, max_attempts
        self.say = say or (lambda message: None)
        self._provider_of, self._unsupported = provider_of, BatchUnsupported
        self.batchable: dict[str, bool] = {}
        self.held: list[tuple[str, CallRequest, asyncio.Future]] = []
        self.timer: asyncio.TimerHandle | None = None
        self.polls: dict[str, asyncio.Task] = {}
        self.waiting = {h: (bid, model) for bid, model, hashes in journal.open_batches(store)
                        for h in hashes}
        self.batch_retries: Counter = Counter()
        self.submitted = self.resumed = 0

    @property
    def retry_causes(self) -> Counter:
        """Retries by cause: lines and batches sent again, and the interactive calls'."""
        return Counter(getattr(self.fallback, "retry_causes", None) or {}) + self.batch_retries

    def can_batch(self, model: str) -> bool:
        if model not in self.batchable:
            try:
                self._provider_of(model)
                self.batchable[model] = True
            except self._unsupported as e:
                self.batchable[model] = False
                self.say(f"{e}; its calls are made one by one at the interactive price")
        return self.batchable[model]

    async def complete(self, request: CallRequest, key: str = "") -> CallResult:
        if not key or not self.can_batch(request.model):
            return await self.fallback.complete(request)
        started = time.monotonic()
        answer = None
        if key in self.waiting:  # sent before a restart: wait for that batch, pay nothing
            bid, model = self.waiting.pop(key)
            if bid not in self.polls:
                self.say(f"batch {bid}: sent before the restart, polling it again")
            answer = (await self._answers(bid, model)).get(key)
            if answer is not None and answer.result is not None:
                self.resumed += 1
        attempt = 0
        while answer is None or answer.result is None:
            attempt += 1
            if answer is not None:
                self.batch_retries["batch_line"] += 1
            if attempt > self.max_attempts:
                raise CallFailed(f"batch line failed {self.max_attempts} times: "
                                 f"{answer.error if answer else 'no answer'}")
            future = asyncio.get_running_loop().create_future()
            self.held.append((key, request, future))
            self._arm()
            answer = await future
        result = answer.result
        result = CallResult(result.text, result.finish_reason, result.prompt_tokens,
                            result.completion_tokens, result.cost, time.monotonic() - started)
        if result.finish_reason == "length":
            raise CallTruncated(result)
        return result

    def _arm(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
        loop = asyncio.get_running_loop()
        if len(self.held) >= MAX_LINES:
            self.timer = None
            loop.create_task(self._send())
        else:
            self.timer = loop.call_later(self.quiet_s, lambda: loop.create_task(self._send()))

    async def _send(self) -> None:
        held, self.held, self.timer = self.held, [], None
        by_model: dict[str, list] = {}
        for item in held:
            by_model.setdefault(item[1].model, []).append(item)
        await asyncio.gather(*(self._send_one(model, items) for model, items in by_model.items()))

    async def _send_one(self, model: str, items: list) -> None:
        from bdsl.llm.batch import Answer

        try:
            state = await self.client.submit(model, [(k, _chat(r)) for k, r, _ in items])
        except Exception as e:  # the provider refused the batch: every call fails with why
            for _, _, future in items:
                if not future.done():
                    future.set_exception(CallFailed(f"batch not accepted: {e}"))
            return
        journal.record_batch(self.store, state.id, self.run_id, model, state.status,
                             [k for k, _, _ in items], state.input_file)
        self.submitted += 1
        self.say(f"batch {state.id}: {len(items)} calls to {model}")
        answers = await self._answers(state.id, model)
        for key, _, future in items:
            if not future.done():
                future.set_result(answers.get(key) or Answer(None, "no line in the output"))

    def _answers(self, batch_id: str, model: str) -> asyncio.Task:
        """One poller per batch, shared by every call waiting on it."""
        if batch_id not in self.polls:
            self.polls[batch_id] = asyncio.get_running_loop().create_task(
                self._poll(batch_id, model))
        return self.polls[batch_id]

    async def _poll(self, batch_id: str, model: str) -> dict:
        from bdsl.llm.batch import DONE

        while True:
            state = await self.client.state(batch_id, model)
            if state.status in DONE:
                break
            await asyncio.sleep(self.poll_s)
        journal.update_batch(self.store, batch_id, state.status, state.output_file)
        if state.status != "completed":
            self.say(f"batch {batch_id} {state.status}; its calls are sent again")
            self.batch_retries[f"batch_{state.status}"] += 1
            return {}
        return await self.client.answers(state, model)


def _chat(request: CallRequest):
    from bdsl.llm.types import ChatRequest

    return ChatRequest(
        model=request.model,
        messages=tuple({"role": r, "content": c} for r, c in request.messages),
        temperature=request.temperature, max_tokens=request.max_tokens, top_p=request.top_p,
        seed=request.seed, json_schema=request.json_schema,
        schema_name=request.schema_name or "output")
