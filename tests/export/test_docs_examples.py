"""docs/exports.md shows records produced by this code: an export of one approved,
edited, judged conversation of the hand-built store. This test regenerates them and
fails when the docs drift; BDSL_UPDATE_DOCS=1 rewrites the blocks instead.

Hashes are shown as <sha256> (they change with any stdlib edit)."""

import json
import os
import re
from pathlib import Path

from tests.export import builder as b
from tests.export.conftest import bdsc, read_jsonl

DOC = Path(__file__).resolve().parents[2] / "docs" / "exports.md"
HASH = re.compile(r"\b[0-9a-f]{64}\b")
# a marker, then a json block that is empty or holds lines (never reaching past its fence)
BLOCK = re.compile(r"(<!-- example:(?P<name>[\w.-]+) -->\n```json\n)(?P<body>(?:(?!```).*\n)*)"
                   r"(```)")


def examples(tmp_path, plan) -> dict[str, str]:
    run = tmp_path / "run"
    b.build_store(run, plan, only=(b.APPROVED,))
    out = {}
    for fmt in ("openai", "sharegpt", "hf", "brightrun-v4"):
        folder = tmp_path / fmt
        bdsc("export", run, "--format", fmt, "-o", folder, "--split", "1")
        if fmt == "brightrun-v4":
            out[fmt] = json.loads((folder / "train.json").read_text())
        else:
            out[fmt] = read_jsonl(folder / "train.jsonl")[0]
        if fmt == "openai":
            out["openai.meta"] = read_jsonl(folder / "train.meta.jsonl")[0]
        if fmt == "hf":
            manifest = json.loads((folder / "manifest.json").read_text())
            manifest["created_at"] = "2026-01-01T00:00:00+00:00"
            out["manifest"] = manifest
    return {k: HASH.sub("<sha256>", json.dumps(v, indent=2, ensure_ascii=False))
            for k, v in out.items()}


def test_docs_show_what_the_code_writes(tmp_path, plan):
    want = examples(tmp_path, plan)
    text = DOC.read_text(encoding="utf-8")
    found = {m["name"]: m["body"] for m in BLOCK.finditer(text)}
    if os.environ.get("BDSL_UPDATE_DOCS"):
        DOC.write_text(BLOCK.sub(lambda m: m[1] + want[m["name"]] + "\n" + m[4], text),
                       encoding="utf-8")
        found = {m["name"]: m["body"] for m in BLOCK.finditer(DOC.read_text())}
    assert set(found) == set(want)
    for name, body in want.items():
        assert found[name] == body + "\n", f"docs/exports.md example {name!r} is out of date " \
                                    "(BDSL_UPDATE_DOCS=1 pytest tests/export rewrites it)"
