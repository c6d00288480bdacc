"""The plain asyncio + litellm script the provider bench compares `bdsc run` with.

It makes the very calls bdsc made (the request bodies the mock server recorded) with the
same dependencies: a call starts as soon as every call whose reply its prompt contains
has answered, and at most `concurrency` conversations are in flight. One warm-up call
comes first, outside every scenario. So message k's
generation waits for message k-1's text, and a message's annotation runs beside the
next generation. No store, no templates: the floor bdsc is measured against.

    python bench/provider_baseline.py SCENARIOS.json RESULTS.json
    (OPENAI_BASE_URL / OPENAI_API_KEY point litellm at the server)

SCENARIOS.json: {"scenarios": [{"name", "concurrency", "requests": [
    {"id": 0, "conversation": 0, "after": [ids], "body": {...}}, ...]}]}
RESULTS.json gets the import time, per scenario its start (time.monotonic()), wall and
process CPU seconds, and when the script finished (the bench times the exit after it).
"""

from __future__ import annotations

import json
import os
import random
import sys
import time

T0 = time.monotonic()
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import asyncio  # noqa: E402

import litellm  # noqa: E402

IMPORT_S = time.monotonic() - T0
PASSED = ("temperature", "max_tokens", "top_p", "seed", "response_format")
RETRIED = (litellm.RateLimitError, litellm.InternalServerError, litellm.ServiceUnavailableError,
           litellm.APIConnectionError, litellm.Timeout)


async def call(body: dict) -> None:
    kwargs = {k: body[k] for k in PASSED if k in body}
    for attempt in range(8):
        try:
            await litellm.acompletion(model="openai/" + body["model"],
                                      messages=body["messages"], **kwargs)
            return
        except RETRIED:
            if attempt == 7:
                raise
            await asyncio.sleep(random.random() * min(30.0, 0.5 * 2 ** attempt))


async def conversation(requests: list[dict], limit: asyncio.Semaphore) -> None:
    answered = {r["id"]: asyncio.Event() for r in requests}

    async def one(r: dict) -> None:
        for dep in r["after"]:
            await answered[dep].wait()
        await call(r["body"])
        answered[r["id"]].set()

    async with limit:
        await asyncio.gather(*(one(r) for r in requests))


async def scenario(spec: dict) -> dict:
    by_conversation: dict[int, list[dict]] = {}
    for r in spec["requests"]:
        by_conversation.setdefault(r["conversation"], []).append(r)
    limit = asyncio.Semaphore(spec["concurrency"])
    cpu0, t0 = time.process_time(), time.monotonic()
    await asyncio.gather(*(conversation(rs, limit) for rs in by_conversation.values()))
    return {"name": spec["name"], "wall_s": time.monotonic() - t0,
            "cpu_s": time.process_time() - cpu0, "calls": len(spec["requests"]),
            "started": t0}


async def run_all(scenarios: list[dict]) -> list[dict]:
    """Every scenario on one loop (litellm caches its clients per loop), after one
    warm-up call so no scenario pays litellm's first-call setup."""
    model = scenarios[0]["requests"][0]["body"]["model"]
    await call({"model": model, "messages": [{"role": "user", "content": "warm-up"}],
                "max_tokens": 5})
    return [await scenario(s) for s in scenarios]


def main() -> None:
    source, target = sys.argv[1], sys.argv[2]
    with open(source, encoding="utf-8") as f:
        scenarios = json.load(f)["scenarios"]
    litellm.suppress_debug_info = True
    results = asyncio.run(run_all(scenarios))
    with open(target, "w", encoding="utf-8") as f:
        json.dump({"import_s": IMPORT_S, "scenarios": results, "finished": time.monotonic()}, f)


if __name__ == "__main__":
    main()
