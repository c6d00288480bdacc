"""Local model throughput: bdsl's LLMClient -> litellm -> local provider vs xllamacpp direct.

Same prompts, same seeds, same output caps, one process, one model instance; prints
completion tokens/s for both paths and the ratio (target >= 0.9).

    python bench/bench_local_model.py [--calls 6]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

PROMPTS = [
    "I keep avoiding my bank statements and I feel sick about it.",
    "My manager criticised my report in front of everyone.",
    "How do I start saving when I have nothing left at the end of the month?",
]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=6)
    ap.add_argument("--max-tokens", type=int, default=96)
    args = ap.parse_args()
    from bdsl.llm import ChatRequest, LLMClient, TruncatedError
    from bdsl.llm.local_provider import chat, request_body
    from bdsl.llm.models import resolve_local_model

    path = resolve_local_model("local/smollm2")
    bodies = []
    for i in range(args.calls):
        msgs = [{"role": "user", "content": PROMPTS[i % len(PROMPTS)]}]
        bodies.append((msgs, {"max_tokens": args.max_tokens, "seed": i, "temperature": 0.7}))
    chat(path, request_body(*bodies[0]))  # load the model and warm up once

    def direct() -> tuple[int, float]:
        t0, tokens = time.perf_counter(), 0
        for msgs, params in bodies:
            tokens += chat(path, request_body(msgs, params))["usage"]["completion_tokens"]
        return tokens, time.perf_counter() - t0

    async def call(client, msgs, params) -> int:
        try:
            r = await client.complete(ChatRequest("local/smollm2", tuple(msgs), **params))
        except TruncatedError as e:  # hit the cap: the tokens were generated all the same
            r = e.result
        return r.completion_tokens or 0

    async def through_bdsl() -> tuple[int, float]:
        client = LLMClient()
        await call(client, *bodies[0])  # litellm's own first-call set-up, not measured
        t0, tokens = time.perf_counter(), 0
        for msgs, params in bodies:
            tokens += await call(client, msgs, params)
        return tokens, time.perf_counter() - t0

    d_tok, d_sec = direct()
    b_tok, b_sec = asyncio.run(through_bdsl())
    d_rate, b_rate = d_tok / d_sec, b_tok / b_sec
    print(f"xllamacpp direct : {d_tok:5d} tokens in {d_sec:6.2f}s = {d_rate:6.1f} tok/s")
    print(f"bdsl LLMClient   : {b_tok:5d} tokens in {b_sec:6.2f}s = {b_rate:6.1f} tok/s")
    print(f"ratio bdsl/direct: {b_rate / d_rate:.2f}  (target >= 0.9; same prompts and seeds)")


if __name__ == "__main__":
    main()
