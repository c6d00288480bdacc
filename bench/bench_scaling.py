"""Scaling bench: 1 -> 2 -> 4 workers (local processes and Ray) on one plan, against a
local OpenAI-compatible mock with a per-call latency and one rate limit shared by all.

    python bench/bench_scaling.py [--latency 0.3] [--jobs 48] [--concurrency 4]
                                  [--rps 60] [--workers 1 2 4] [--no-ray] [--json PATH]

Each worker runs `--concurrency` conversations at a time, so one worker's throughput is
bounded by the latency, and the provider's rate limit bounds everyone's. The baseline is
measured in the same run: one worker (`--executor local`, SQLite). For W workers,

    ideal(W) = min(W x throughput(1 worker), rate limit)
    efficiency = measured throughput / ideal

Throughput is billed calls per second at the mock, first request to last answer (the
span), so worker start-up (imports, Ray) is left out of it; `wall` is the whole `bdsc run`
process, start-up included. Process workers share a SQLite store; Ray workers a
PostgreSQL store (a throwaway server this bench starts). Ratios are the result; absolute
numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bdsl.testing import MockServer  # noqa: E402

SPEC = '''spec "scaling" version "1"
import std.arcs {{ confusion_to_clarity }}
import std.gates {{ not_truncated }}
persona u : user {{ summary "A first-time saver." }}
persona bot : assistant {{ summary "A money coach." }}
topic budget "Budgeting"
topic debt "Paying off a card"
dataset d {{
  model "openai/mock-chat"
  assistant bot
  users [u]
  arcs [confusion_to_clarity]
  topics [budget, debt]
  per_cell {per_cell}
  gates [not_truncated]
}}
'''


def run(spec: Path, out: Path, env: dict, *extra: str) -> float:
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "bdsl", "run", str(spec), "--out", str(out),
                        *extra], capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(f"bdsc run {' '.join(extra)} failed:\n{r.stdout}\n{r.stderr}")
    return wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--latency", type=float, default=0.3)
    ap.add_argument("--jobs", type=int, default=32)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--rps", type=float, default=60.0)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--no-ray", action="store_true")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bdsl-scaling-"))
    spec = tmp / "scaling.bds"
    spec.write_text(SPEC.format(per_cell=max(1, args.jobs // 2)))
    server = MockServer(latency=args.latency, requests_per_second=args.rps).start()
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", **server.env()}
    pg = None
    rows = []

    def measure(label: str, workers: int, *extra: str) -> dict:
        server.reset_log()
        out = tmp / f"{label}-{workers}"
        wall = run(spec, out, env, "--concurrency", str(args.concurrency), *extra)
        # the first request is the coordinator's preflight probe, sent before any worker
        # starts: the workers' span begins with the request after it
        entries = sorted(server.log.entries(), key=lambda e: e.started)[1:]
        billed = [e for e in entries if e.billed]
        span = max(e.finished for e in entries) - min(e.started for e in entries)
        row = {"executor": label, "workers": workers, "calls": len(billed),
               "span_s": round(span, 2), "wall_s": round(wall, 2),
               "throughput": round(len(billed) / span, 2),
               "rate_limited": sum(1 for e in entries if e.outcome == "rate_limited")}
        rows.append(row)
        print(f"  {label:<12} {workers} worker(s): {row['throughput']:6.1f} calls/s over "
              f"{row['span_s']:5.1f}s (wall {row['wall_s']:5.1f}s, {row['calls']} calls, "
              f"{row['rate_limited']} answered 429)", flush=True)
        return row

    try:
        print(f"scaling bench: {args.jobs} conversations, latency {args.latency}s, "
              f"{args.concurrency} conversations per worker, shared limit {args.rps} req/s")
        base = measure("local", 1)
        for w in [w for w in args.workers if w > 1]:
            measure("processes", w, "--executor", "processes", "--workers", str(w))
        if not args.no_ray:
            from bdsl.testing.postgres_server import PostgresServer, pg_bindir

            if pg_bindir() is None:
                print("  ray: skipped (no PostgreSQL here)")
            else:
                base_dir = Path(tempfile.mkdtemp(prefix="bdsl-pg-"))
                base_dir.chmod(0o755)
                pg = PostgresServer(base_dir).start()
                for w in args.workers:
                    measure("ray", w, "--executor", "ray", "--workers", str(w),
                            "--store", pg.new_database())
    finally:
        server.stop()
        if pg is not None:
            pg.stop()
            shutil.rmtree(pg.base, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)

    one = base["throughput"]
    print("\nefficiency = throughput / min(workers x one worker's throughput, rate limit)")
    print(f"{'executor':<10} {'workers':>7} {'calls/s':>8} {'ideal':>7} {'efficiency':>10} "
          f"{'speedup':>8}")
    for row in rows:
        ideal = min(row["workers"] * one, args.rps)
        row["ideal"] = round(ideal, 2)
        row["efficiency"] = round(row["throughput"] / ideal, 3) if ideal else 0.0
        row["speedup"] = round(row["throughput"] / one, 2) if one else 0.0
        print(f"{row['executor']:<10} {row['workers']:>7} {row['throughput']:>8.1f} "
              f"{ideal:>7.1f} {row['efficiency']:>10.2f} {row['speedup']:>7.2f}x")
    if args.json:
        args.json.write_text(json.dumps({
            "command": " ".join(["python", "bench/bench_scaling.py", *sys.argv[1:]]),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                       f"Python {platform.python_version()}",
            "date": datetime.date.today().isoformat(), "settings": vars(args) | {
                "json": str(args.json)}, "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
