import functools
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bdsl.cli import main
from tests.export import builder


@functools.cache
def _plan():
    return builder.compile_plan()


@pytest.fixture
def plan():
    return _plan()


@pytest.fixture
def run_dir(tmp_path, plan):
    """A fresh hand-built store (see builder.py for what each conversation is)."""
    d = tmp_path / "run"
    builder.build_store(d, plan)
    return d


def bdsc(*args, code=0):
    """Run bdsc in-process; code=None accepts any exit code."""
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert code is None or result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return result.output


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def export_records(run_dir, tmp_path, fmt, *extra, name="out"):
    """Export and return {split: [records]} (brightrun: the file's dict per split)."""
    out = tmp_path / name
    bdsc("export", run_dir, "--format", fmt, "-o", out, *extra)
    got = {}
    for split in ("train", "validation"):
        if fmt == "brightrun-v4":
            path = out / f"{split}.json"
            if path.exists():
                got[split] = json.loads(path.read_text(encoding="utf-8"))
        else:
            path = out / f"{split}.jsonl"
            if path.exists():
                got[split] = read_jsonl(path)
    return out, got


@functools.cache
def _signals_plan():
    from tests.export import signals_builder

    return signals_builder.compile_signals()


@pytest.fixture
def signals_plan():
    return _signals_plan()


@pytest.fixture
def signals_run(tmp_path, signals_plan):
    """A hand-built store with a contrastive, a deliberation and a curriculum conversation
    (see signals_builder.py)."""
    from tests.export import signals_builder

    d = tmp_path / "signals-run"
    signals_builder.build_signals_store(d, signals_plan)
    return d
