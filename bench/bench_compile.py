"""Front-end speed: `bdsc check` cold start and compile time as the matrix grows.

Prints numbers and ratios measured in this run (timings here are noisy; ratios are not):
  - check cold start vs. a bare `python -c pass` start (same interpreter, same run)
  - compile seconds for 1k..10k jobs, and seconds per 1,000 jobs at each size
    (flat per-1k time = linear growth)

    python bench/bench_compile.py [--sizes 1000,2000,5000,10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SPEC = """spec "bench" version "1.0.0"
emotion shame {{ valence -0.7, arousal 0.4 }}
emotion hopeful {{ valence 0.6, arousal 0.5 }}
emotion calm {{ valence 0.5, arousal 0.2 }}
strategy validate {{ intensity 0.7..1.0, description "validate" }}
strategy reframe {{ intensity 0.4..0.7, description "reframe" }}
strategy act {{ intensity 0.0..0.4, description "act" }}
persona coach : assistant {{ summary "A coach." }}
{users}
{arcs}
{topics}
dataset big {{
  model "local/smollm2"
  assistant coach
  users [{user_names}]
  arcs [{arc_names}]
  topics [{topic_names}]
  per_cell {per_cell}
  seed 7
}}
"""


def make_spec(jobs: int) -> str:
    users, arcs, per_cell = 10, 10, 5
    topics = jobs // (users * arcs * per_cell)
    assert users * arcs * topics * per_cell == jobs, jobs
    return SPEC.format(
        users="\n".join(f'persona u{i} : user {{ summary "User {i}." baseline shame(0.8) }}'
                        for i in range(users)),
        arcs="\n".join(f"arc a{i} {{ shame(0.9) -> hopeful(0.5) -> calm(0.{i % 4 + 1}), "
                       f"turns {6 + i % 3}..{8 + i % 3} }}" for i in range(arcs)),
        topics="\n".join(f'topic t{i} "Topic {i}"' for i in range(topics)),
        user_names=", ".join(f"u{i}" for i in range(users)),
        arc_names=", ".join(f"a{i}" for i in range(arcs)),
        topic_names=", ".join(f"t{i}" for i in range(topics)), per_cell=per_cell)


def timed(cmd: list[str], repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,2000,5000,10000")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    from bdsl.compiler.pipeline import compile_path
    from bdsl.serialize import to_json

    with tempfile.TemporaryDirectory() as tmp:
        small = Path(tmp) / "small.bds"
        small.write_text(make_spec(1000))
        bdsc = [sys.executable, "-m", "bdsl", "check", str(small)]
        subprocess.run(bdsc, cwd=ROOT, capture_output=True)  # warm the grammar cache
        base = timed([sys.executable, "-c", "pass"], args.repeat)
        check = timed(bdsc, args.repeat)
        print(f"check cold start: {check:.3f}s  (python -c pass: {base:.3f}s, "
              f"ratio {check / base:.1f}x; bdsc's own share {check - base:.3f}s; target < 0.5s)")

        print(f"{'jobs':>7} {'compile+write s':>16} {'s per 1k jobs':>14} {'vs smallest':>12}")
        first = None
        for jobs in [int(s) for s in args.sizes.split(",")]:
            spec = Path(tmp) / f"m{jobs}.bds"
            spec.write_text(make_spec(jobs))
            runs = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                result = compile_path(spec)
                assert result.plan is not None and len(result.plan.jobs) == jobs
                (Path(tmp) / "plan.json").write_text(to_json(result.plan))
                runs.append(time.perf_counter() - t0)
            sec = statistics.median(runs)
            per_k = sec / jobs * 1000
            first = first or per_k
            print(f"{jobs:>7} {sec:>16.3f} {per_k:>14.3f} {per_k / first:>11.2f}x")


if __name__ == "__main__":
    main()
