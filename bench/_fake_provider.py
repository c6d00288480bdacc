"""Shared by the engine benches: a plan of small conversation jobs, and the completer
to measure. With bdsl.llm present the engine path is the product path (LLMClient with
the `fake/echo` provider); otherwise a bench-local litellm provider stands in, so the
raw baseline and the engine path always go through the same litellm provider."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ANNOTATION = json.dumps({"primary_emotion": "shame", "secondary_emotion": "", "intensity": 0.6,
                         "valence": -0.4, "strategy": "validate"})


def bench_plan(n_jobs: int, model: str, turns: int = 2):
    import attrs

    from bdsl import ir
    from bdsl.serialize import canonical_hash, to_data
    from tests.engine.plans import FOUR, TWO, job, plan

    targets = TWO if turns == 2 else FOUR
    cfg = ir.ModelConfig(model, temperature=0.0, max_tokens=64)
    jobs = []
    for i in range(n_jobs):
        j = attrs.evolve(job(f"bench:{i}", turns=targets, seed=i), model=cfg, content_hash="")
        jobs.append(attrs.evolve(j, content_hash=canonical_hash(to_data(j))))
    return plan(*jobs, name="bench")


def install_bench_provider(latency: float) -> str:
    """Register `benchfake/echo` in litellm; returns the model name."""
    import litellm
    from litellm import CustomLLM

    class Echo(CustomLLM):
        async def acompletion(self, model, messages, *args, **kwargs):
            if latency:
                await asyncio.sleep(latency)
            structured = bool((kwargs.get("optional_params") or {}).get("response_format"))
            text = ANNOTATION if structured else "echo: " + messages[-1]["content"][-40:]
            return litellm.ModelResponse(
                choices=[{"message": {"role": "assistant", "content": text},
                          "finish_reason": "stop"}],
                usage={"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15})

    litellm.custom_provider_map = [{"provider": "benchfake", "custom_handler": Echo()}]
    litellm.suppress_debug_info = True
    return "benchfake/echo"


class LitellmCompleter:
    """The engine's seam implemented directly over litellm.acompletion (bench only)."""

    async def complete(self, request):
        import litellm

        from bdsl.engine.port import CallResult

        kwargs = {}
        if request.json_schema:
            kwargs["response_format"] = {"type": "json_schema", "json_schema": {
                "name": request.schema_name or "out", "schema": request.json_schema}}
        t0 = time.perf_counter()
        r = await litellm.acompletion(model=request.model, messages=[
            {"role": role, "content": c} for role, c in request.messages],
            max_tokens=request.max_tokens, **kwargs)
        choice = r.choices[0]
        return CallResult(choice.message.content or "", choice.finish_reason,
                          r.usage.prompt_tokens, r.usage.completion_tokens, None,
                          time.perf_counter() - t0)


def engine_setup(latency: float, concurrency: int = 64):
    """(model name, completer, which path) for the engine side of a bench."""
    try:
        from bdsl.engine.llm_adapter import LLMCompleter
        from bdsl.llm import LLMClient  # noqa: F401

        os.environ["BDSL_FAKE_LATENCY"] = str(latency)
        return ("fake/echo", LLMCompleter(max_concurrency=concurrency),
                "bdsl.llm LLMClient + fake/echo")
    except ImportError:
        return (install_bench_provider(latency), LitellmCompleter(),
                "bench-local litellm provider (bdsl.llm not present)")


def journaled_requests(store) -> list[dict]:
    """The exact requests the engine sent, read back from the call journal."""
    from bdsl.store.reader import journaled_requests as stored

    return [r for _id, _step, r in stored(store)]


async def raw_litellm(requests: list[dict], concurrency: int) -> float:
    """Seconds for the same requests as bare litellm.acompletion calls."""
    import litellm

    sem = asyncio.Semaphore(concurrency)

    async def one(req):
        kwargs = {}
        if req["json_schema"]:
            kwargs["response_format"] = {"type": "json_schema", "json_schema": {
                "name": req["schema_name"] or "out", "schema": req["json_schema"]}}
        async with sem:
            await litellm.acompletion(model=req["model"], messages=[
                {"role": role, "content": c} for role, c in req["messages"]],
                max_tokens=req["max_tokens"], **kwargs)

    t0 = time.perf_counter()
    await asyncio.gather(*(one(r) for r in requests))
    return time.perf_counter() - t0
