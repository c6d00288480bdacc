"""`bdsc run --batch` with a model whose batch API bdsc cannot drive: its calls are made
interactively, and the run says so once per model (not silently at twice the price)."""

from __future__ import annotations

import asyncio

from bdsl.engine.batching import BatchCompleter
from bdsl.engine.port import CallRequest, CallResult
from bdsl.store import Store


class Interactive:
    def __init__(self):
        self.asked = []

    async def complete(self, request):
        self.asked.append(request.model)
        return CallResult("ok", "stop", 1, 1, 0.0, 0.0)


def test_a_model_without_a_batch_api_is_called_interactively_and_said_once(tmp_path):
    said: list[str] = []
    fallback = Interactive()
    store = Store.open(tmp_path / "run")
    try:
        completer = BatchCompleter(store, 1, client=None, fallback=fallback, say=said.append)

        async def ask():
            for key in ("a", "b"):
                await completer.complete(CallRequest("gemini/gemini-1.5-flash",
                                                     (("user", key),)), key=key)

        asyncio.run(ask())
    finally:
        store.close()
    assert fallback.asked == ["gemini/gemini-1.5-flash"] * 2
    assert len(said) == 1, said
    assert "served by `gemini`" in said[0] and "interactive price" in said[0], said
