"""`bdsc report`: build time and file size on a fake/echo run, measured in this run.

Runs SPEC with `--model fake/echo` into a temporary directory, then prints
  - seconds to build the report, against reading the review queue alone (load_queue:
    the same store reads the review TUI does on start) as the baseline
  - the HTML size split into the inlined plotly.js bundle and everything else

    python bench/bench_report.py [--spec specs/01_crisis_support.bds] [--repeat 3]
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--spec", default="specs/01_crisis_support.bds")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(tmp) / "run"
        subprocess.run([sys.executable, "-m", "bdsl", "run", args.spec, "--model", "fake/echo",
                        "--out", str(run_dir)], cwd=ROOT, check=True, capture_output=True)
        from plotly.offline import get_plotlyjs

        from bdsl import ir
        from bdsl.report import write_report
        from bdsl.review.queue import load_queue
        from bdsl.serialize import from_json
        from bdsl.store import Store

        plan = from_json((run_dir / "plan.json").read_text(), ir.Plan)
        queue, build = [], []
        for _ in range(args.repeat):
            store = Store.open_readonly(run_dir)
            t = time.perf_counter()
            rows = load_queue(store, plan)
            queue.append(time.perf_counter() - t)
            store.close()
            t = time.perf_counter()
            out = write_report(run_dir, Path(tmp) / "report.html")
            build.append(time.perf_counter() - t)
        size = out.stat().st_size
        js = len(get_plotlyjs().encode())
    q, b = statistics.median(queue), statistics.median(build)
    print(f"spec {args.spec}: {len(rows)} conversations (fake/echo); medians of {args.repeat}")
    print(f"  baseline load_queue      {q * 1000:7.0f} ms")
    print(f"  report build + write     {b * 1000:7.0f} ms  ({b / q:.1f}x load_queue)")
    print(f"  file size                {size / 1e6:7.2f} MB  (plotly.js {js / 1e6:.2f} MB = "
          f"{js / size:.0%}; charts, tables and styles {(size - js) / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
