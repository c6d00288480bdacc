"""Export speed on a hand-built store of N conversations (not collected by pytest).

    .venv/bin/python -m tests.export.bench_export 10000

Builds the test spec with per_cell N/6 (four-turn `money` conversations, every gate
passed, sample 0%) plus N/6 deliberations (hidden perspectives and a bad synthesis: the
pairs dpo and openai-dpo write), then times `bdsc export` per format in-process. The
baseline, measured in the same run, is reading the store (bdsl.export.select.select, what
every format does first); each format prints its time and its ratio to that baseline.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from click.testing import CliRunner

from bdsl.cli import main
from bdsl.export.formats import FORMATS
from bdsl.export.select import select
from bdsl.store import Store
from tests.export import builder as b


def run(n: int) -> None:
    per_cell = max(1, n // 6)
    plan = b.compile_plan(replace={"per_cell 1\n  seed 3": f"per_cell {per_cell}\n  seed 3",
                                   "per_cell 1\n  seed 4": f"per_cell {per_cell}\n  seed 4"})
    keys = tuple(j.key for j in plan.jobs
                 if j.dataset == "board" or j.context.user == "saver")
    for key in keys:
        b.GATES.setdefault(key, b.GATES[b.UNSAMPLED if key.startswith("money") else b.BOARD])
    root = Path(tempfile.mkdtemp(prefix="bdsl-export-bench-"))
    started = time.perf_counter()
    ids = b.build_store(root / "run", plan, only=keys, edit=False)
    print(f"store: {len(ids)} conversations built in {time.perf_counter() - started:.1f}s")
    store = Store.open(root / "run")
    started = time.perf_counter()
    sel = select(store, plan)
    baseline = time.perf_counter() - started
    store.close()
    print(f"{'baseline':13s} {baseline:6.2f}s  reading {len(sel.items)} exportable "
          "conversations from the store")
    for fmt in FORMATS:
        started = time.perf_counter()
        result = CliRunner().invoke(main, ["export", str(root / "run"), "--format", fmt,
                                           "-o", str(root / fmt)])
        took = time.perf_counter() - started
        assert result.exit_code == 0, result.output
        size = sum(p.stat().st_size for p in (root / fmt).iterdir())
        print(f"{fmt:13s} {took:6.2f}s  x{took / baseline:4.1f}  {size / 1e6:6.1f} MB  "
              + result.output.split(" to ")[0])
    validation(root / "brightrun-v4" / "train.json")


def validation(path: Path) -> None:
    """brightrun-v4's upstream check, grouped by shape (what the export does) against
    validating every node of the file with jsonschema (the ratio is the saving)."""
    import json

    from bdsl.export import brightrun_schema

    data = json.loads(path.read_text(encoding="utf-8"))
    started = time.perf_counter()
    brightrun_schema.grouped_errors(brightrun_schema.strict_schema(), data)
    grouped = time.perf_counter() - started
    started = time.perf_counter()
    brightrun_schema.errors(brightrun_schema.strict_schema(), data)
    full = time.perf_counter() - started
    print(f"brightrun-v4 upstream check of {path.name}: grouped {grouped:.2f}s, every node "
          f"{full:.2f}s (x{full / grouped:.0f})")


if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
