"""Syrupy snapshots of every format's files on the hand-built store (--split 1: all train).

64-hex hashes (spec, plan, job, content, file) are replaced by <sha256>: they change with
any stdlib edit and are checked by the manifest tests instead."""

import json
import re

import pytest

from tests.export.conftest import bdsc

HASH = re.compile(r"\b[0-9a-f]{64}\b")
FILES = {"openai": ("train.jsonl", "train.meta.jsonl"), "sharegpt": ("train.jsonl",),
         "hf": ("train.jsonl", "README.md", "axolotl.yaml", "dataset_info.json"),
         "brightrun-v4": ("train.json",)}


@pytest.mark.parametrize("fmt", list(FILES))
def test_format_snapshot(run_dir, tmp_path, snapshot, fmt):
    out = tmp_path / fmt
    bdsc("export", run_dir, "--format", fmt, "-o", out, "--split", "1")
    files = {name: HASH.sub("<sha256>", (out / name).read_text(encoding="utf-8"))
             for name in FILES[fmt]}
    assert files == snapshot
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(FILES[fmt]) <= set(manifest["files"])
