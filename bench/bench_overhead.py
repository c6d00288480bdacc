"""Orchestration overhead: engine calls/s divided by bare litellm.acompletion calls/s,
same zero-latency provider, same concurrency, measured in this run (target >= 0.8).

The baseline replays the exact requests the engine journaled (same messages, same
response_format) through bare litellm.acompletion. The engine side does everything a real run does per call: render jinja prompts, hash
the request, look it up in the SQLite journal, call, commit the result (WAL), parse
and validate annotations, and store finished conversations.

    python bench/bench_overhead.py [--jobs 100] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time

from _fake_provider import bench_plan, engine_setup, journaled_requests, raw_litellm


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=100)
    ap.add_argument("--concurrency", type=int, default=16)
    args = ap.parse_args()

    from bdsl.engine.executor import RunOptions, execute
    from bdsl.store import Store

    model, completer, path = engine_setup(0.0, args.concurrency)
    plan = bench_plan(args.jobs, model)
    with tempfile.TemporaryDirectory() as d:  # warm-up: litellm's lazy imports and caches
        asyncio.run(execute(bench_plan(8, model), Store.open(d), completer, RunOptions()))
    with tempfile.TemporaryDirectory() as d:
        store = Store.open(d)
        t0 = time.perf_counter()
        out = asyncio.run(execute(plan, store, completer,
                                  RunOptions(concurrency=args.concurrency)))
        engine_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = asyncio.run(execute(plan, store, completer,
                                    RunOptions(concurrency=args.concurrency)))
        rerun_s = time.perf_counter() - t0
        requests = journaled_requests(store)
    assert out.status == "done" and again.calls_made == 0, (out, again)
    calls = out.calls_made
    # the baseline sends the very same requests (messages, schema) through bare litellm
    raw_s = asyncio.run(raw_litellm(requests, args.concurrency))

    engine_rate, raw_rate = calls / engine_s, calls / raw_s
    print(f"engine path: {path}")
    print(f"{args.jobs} jobs, {calls} calls, concurrency {args.concurrency}")
    print(f"engine          {engine_s:7.3f} s  {engine_rate:8.1f} calls/s")
    print(f"bare litellm    {raw_s:7.3f} s  {raw_rate:8.1f} calls/s")
    print(f"ratio engine/raw = {engine_rate / raw_rate:.2f}  (target >= 0.8)")
    print(f"unchanged rerun: {rerun_s:.3f} s, 0 calls ({args.jobs} jobs reused)")


if __name__ == "__main__":
    main()
