"""docs/exports.md shows records produced by this code: exports of one approved, edited,
judged conversation of the hand-built test store, and of the signals store (contrastive,
deliberation, curriculum). This test regenerates them and fails when the docs drift;
BDSL_UPDATE_DOCS=1 rewrites the blocks instead.

Hashes are shown as <sha256> (they change with any stdlib edit)."""

import json
import os
import re
from pathlib import Path

from tests.export import builder as b
from tests.export import signals_builder as s
from tests.export.conftest import bdsc, read_jsonl

DOC = Path(__file__).resolve().parents[2] / "docs" / "exports.md"
HASH = re.compile(r"\b[0-9a-f]{64}\b")
# a marker, then a fenced block that is empty or holds lines (never reaching past its fence)
BLOCK = re.compile(r"(<!-- example:(?P<name>[\w.-]+) -->\n```(?P<lang>\w+)\n)"
                   r"(?P<body>(?:(?!```).*\n)*)(```)")


def _export(run, tmp_path, name, fmt, *extra):
    folder = tmp_path / name
    bdsc("export", run, "--format", fmt, "-o", folder, "--split", "1", *extra)
    return folder


def store_examples(tmp_path, plan) -> dict:
    run = tmp_path / "run"
    b.build_store(run, plan, only=(b.APPROVED,))
    out = {}
    for fmt in ("openai", "sharegpt", "hf", "brightrun-v4"):
        folder = _export(run, tmp_path, fmt, fmt)
        if fmt == "brightrun-v4":
            out[fmt] = json.loads((folder / "train.json").read_text())
            out["brightrun-v4.meta-line"] = read_jsonl(folder / "train.jsonl")[0]
            manifest = json.loads((folder / "manifest.json").read_text())
            out["brightrun-v4.gaps"] = manifest["checks"]["brightrun_v4"]["splits"]["train"][
                "upstream_constraints_not_met"]
            imported = tmp_path / "imported-run"
            text = bdsc("import", folder / "train.jsonl", "--spec", b.SPEC, "--out", imported,
                        "--dataset", "money")
            out["import"] = "$ bdsc import train.jsonl --spec spec.bds --out imported-run " \
                "--dataset money\n" + text.replace(str(imported), "imported-run")
        else:
            out[fmt] = read_jsonl(folder / "train.jsonl")[0]
        if fmt == "openai":
            out["openai.meta"] = read_jsonl(folder / "train.meta.jsonl")[0]
        if fmt == "hf":
            manifest = json.loads((folder / "manifest.json").read_text())
            manifest["created_at"] = "2026-01-01T00:00:00+00:00"
            out["manifest"] = manifest
    return out


def signals_examples(tmp_path, signals_plan) -> dict:
    run = tmp_path / "signals"
    s.build_signals_store(run, signals_plan)
    out = {}
    dpo = _export(run, tmp_path, "dpo", "dpo")
    out["dpo"] = next(r for r in read_jsonl(dpo / "train.jsonl") if r["source"] == "contrastive")
    odpo = _export(run, tmp_path, "odpo", "openai-dpo")
    lines, metas = read_jsonl(odpo / "train.jsonl"), read_jsonl(odpo / "train.meta.jsonl")
    k = next(i for i, m in enumerate(metas) if m["source"] == "bad_synthesis")
    out["openai-dpo"], out["openai-dpo.meta"] = lines[k], metas[k]
    sessions = _export(run, tmp_path, "sessions", "hf", "--dataset", "path")
    out["sessions.hf"] = read_jsonl(sessions / "train.jsonl")[1]
    think = _export(run, tmp_path, "think", "openai", "--dataset", "board", "--reasoning", "think")
    out["reasoning.think"] = read_jsonl(think / "train.jsonl")[0]["messages"][2]
    field = _export(run, tmp_path, "field", "hf", "--dataset", "board", "--reasoning", "field")
    out["reasoning.field"] = read_jsonl(field / "train.jsonl")[0]["messages"][2]
    weighted = _export(run, tmp_path, "weighted", "hf", "--dataset", "method")
    out["axolotl.weighted"] = (weighted / "axolotl.yaml").read_text()
    out["llamafactory.weighted"] = (weighted / "llamafactory.yaml").read_text()
    out["hf.explanations"] = read_jsonl(weighted / "train.jsonl")[0]["explanations"]
    return out


def examples(tmp_path, plan, signals_plan) -> dict[str, str]:
    out = store_examples(tmp_path / "a", plan) | signals_examples(tmp_path / "b",
                                                                        signals_plan)
    return {k: HASH.sub("<sha256>", v.rstrip("\n") if isinstance(v, str)
                        else json.dumps(v, indent=2, ensure_ascii=False))
            for k, v in out.items()}


def test_docs_show_what_the_code_writes(tmp_path, plan, signals_plan):
    want = examples(tmp_path, plan, signals_plan)
    text = DOC.read_text(encoding="utf-8")
    found = {m["name"]: m["body"] for m in BLOCK.finditer(text)}
    if os.environ.get("BDSL_UPDATE_DOCS"):
        DOC.write_text(BLOCK.sub(lambda m: m[1] + want[m["name"]] + "\n" + m[5], text),
                       encoding="utf-8")
        found = {m["name"]: m["body"] for m in BLOCK.finditer(DOC.read_text())}
    assert set(found) == set(want)
    for name, body in want.items():
        assert found[name] == body + "\n", f"docs/exports.md example {name!r} is out of date " \
                                    "(BDSL_UPDATE_DOCS=1 pytest tests/export rewrites it)"
