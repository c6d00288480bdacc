"""manifest.json: what an export holds and how to check it.

format, filters, counts (and what was left out, by reason), the spec (name, versions,
regulation versions, spec and plan hashes), every record by job key (content hash,
split, the spec and regulation versions that produced it, a hash of the exported text
so reviewer edits show up as changes), the format's own checks, sha256 of every file,
the bdsl version and when it was written.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

from bdsl.export import stats
from bdsl.export.provenance import regulation_versions

MANIFEST = "manifest.json"


def text_sha256(item) -> str:
    """Hash of what a trainer sees of one conversation: system prompt, messages, weights."""
    data = [item.system] + [[m.role, m.content, m.train] for m in item.messages]
    return hashlib.sha256(json.dumps(data, ensure_ascii=False).encode()).hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def build_manifest(fmt: str, items, ctx, out: Path, files: list[str]) -> dict:
    plan, sel = ctx.plan, ctx.selection
    return {
        "format": fmt,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "bdsl_version": _bdsl_version(),
        "filters": ctx.filters,
        "counts": {
            "considered": sel.considered, "exported": len(items),
            "train": sum(1 for i in items if i.split == "train"),
            "validation": sum(1 for i in items if i.split == "validation"),
            "left_out": dict(sorted(sel.left_out.items())),
            "human_reviewed": sum(1 for i in items if i.review.human_reviewed),
            "with_reviewer_edits": sum(1 for i in items if i.edited),
        },
        "spec": {"name": plan.spec.name, "version": plan.spec.version,
                 "regulations": {r.id: r.version for r in plan.spec.regulations},
                 "spec_hash": plan.spec_hash, "plan_hash": plan.plan_hash,
                 "record_spec_versions": stats.spec_versions(items),
                 "record_regulations": stats.regulation_versions(items)},
        "records": {i.job.key: {"content_hash": i.conv.content_hash,
                                "text_sha256": text_sha256(i), "split": i.split,
                                "spec_version": i.conv.provenance["spec"]["version"],
                                "regulations": regulation_versions(i),
                                "edited": i.edited}
                    for i in items},
        "checks": ctx.checks,
        "files": {name: file_sha256(out / name) for name in sorted(files)},
    }


def write_manifest(manifest: dict, out: Path) -> None:
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n",
                                encoding="utf-8")


def _bdsl_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("bdsl")
    except PackageNotFoundError:
        return "unknown"
