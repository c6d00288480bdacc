"""Concurrency efficiency: 200 calls, provider sleeps 0.5 s, concurrency 50.
ideal = calls / concurrency * latency; efficiency = ideal / measured (target >= 0.6).

Each job makes 4 sequential calls (user turn, annotation, assistant turn, annotation),
so 50 jobs = 200 calls and the ideal is 4 x 0.5 s = 2 s.

    python bench/bench_concurrency.py [--calls 200] [--latency 0.5] [--concurrency 50]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time

from _fake_provider import bench_plan, engine_setup


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--latency", type=float, default=0.5)
    ap.add_argument("--concurrency", type=int, default=50)
    args = ap.parse_args()

    from bdsl.engine.executor import RunOptions, execute
    from bdsl.store import Store

    model, completer, path = engine_setup(args.latency, args.concurrency)
    plan = bench_plan(args.calls // 4, model)
    with tempfile.TemporaryDirectory() as d:  # warm-up: litellm's lazy imports and caches
        asyncio.run(execute(bench_plan(2, model), Store.open(d), completer, RunOptions()))
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        out = asyncio.run(execute(plan, Store.open(d), completer,
                                  RunOptions(concurrency=args.concurrency)))
        measured = time.perf_counter() - t0
    assert out.status == "done", out
    ideal = out.calls_made / args.concurrency * args.latency
    print(f"engine path: {path}")
    print(f"{out.calls_made} calls, latency {args.latency} s, concurrency {args.concurrency}")
    print(f"ideal {ideal:.2f} s, measured {measured:.2f} s, "
          f"efficiency ideal/measured = {ideal / measured:.2f}  (target >= 0.6)")


if __name__ == "__main__":
    main()
