"""Syrupy snapshots of every format's files on the hand-built stores (--split 1: all train):
the test store (builder.py) and the signals store (signals_builder.py: contrastive,
deliberation and curriculum conversations).

64-hex hashes (spec, plan, job, content, file) are replaced by <sha256>: they change with
any stdlib edit and are checked by the manifest tests instead."""

import json
import re

import pytest

from tests.export.conftest import bdsc

HASH = re.compile(r"\b[0-9a-f]{64}\b")
FILES = {"openai": ("train.jsonl", "train.meta.jsonl"), "sharegpt": ("train.jsonl",),
         "hf": ("train.jsonl", "README.md", "axolotl.yaml", "dataset_info.json"),
         "dpo": ("train.jsonl", "README.md"),
         "openai-dpo": ("train.jsonl", "train.meta.jsonl"),
         "brightrun-v4": ("train.json", "train.jsonl", "train.provenance.jsonl")}
SIGNALS_EXTRA = {"hf": ("train.llamafactory.jsonl", "llamafactory.yaml")}


def files(out, names):
    return {name: HASH.sub("<sha256>", (out / name).read_text(encoding="utf-8"))
            for name in names}


@pytest.mark.parametrize("fmt", list(FILES))
def test_format_snapshot(run_dir, tmp_path, snapshot, fmt):
    out = tmp_path / fmt
    bdsc("export", run_dir, "--format", fmt, "-o", out, "--split", "1")
    assert files(out, FILES[fmt]) == snapshot
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(FILES[fmt]) <= set(manifest["files"])


@pytest.mark.parametrize("fmt", list(FILES))
def test_signals_format_snapshot(signals_run, tmp_path, snapshot, fmt):
    out = tmp_path / fmt
    reasoning = {"openai": "think", "sharegpt": "think", "hf": "field"}.get(fmt, "none")
    bdsc("export", signals_run, "--format", fmt, "-o", out, "--split", "1",
         "--reasoning", reasoning)
    assert files(out, FILES[fmt] + SIGNALS_EXTRA.get(fmt, ())) == snapshot
