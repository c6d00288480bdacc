"""Export speed on a hand-built store of N conversations (not collected by pytest).

    .venv/bin/python -m tests.export.bench_export 10000

Builds the test spec with per_cell N/6 (four-turn conversations, every gate passed,
sample 0%: nearly all exportable), then times `bdsc export` per format in-process.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from click.testing import CliRunner

from bdsl.cli import main
from tests.export import builder as b


def run(n: int) -> None:
    plan = b.compile_plan(replace={"per_cell 1\n  seed 3": f"per_cell {max(1, n // 6)}\n  seed 3"})
    money = tuple(j.key for j in plan.jobs if j.dataset == "money")
    for key in money:
        b.GATES.setdefault(key, b.GATES[b.UNSAMPLED])
    root = Path(tempfile.mkdtemp(prefix="bdsl-export-bench-"))
    started = time.perf_counter()
    ids = b.build_store(root / "run", plan, only=money, edit=False)
    print(f"store: {len(ids)} conversations built in {time.perf_counter() - started:.1f}s")
    for fmt in ("openai", "sharegpt", "hf", "brightrun-v4"):
        started = time.perf_counter()
        result = CliRunner().invoke(main, ["export", str(root / "run"), "--format", fmt,
                                           "-o", str(root / fmt)])
        took = time.perf_counter() - started
        assert result.exit_code == 0, result.output
        size = sum(p.stat().st_size for p in (root / fmt).iterdir())
        print(f"{fmt:13s} {took:6.2f}s  {size / 1e6:6.1f} MB  "
              + result.output.split(" as ")[0])


if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
