"""The output folder: write a format's files, then manifest.json.

Exported files are deterministic: the same store and options give byte-identical data
files (only manifest.json's created_at differs).
"""

from __future__ import annotations

import json
from pathlib import Path

from bdsl import ir
from bdsl.export.formats import FORMATS, writer
from bdsl.export.manifest import MANIFEST, build_manifest, write_manifest
from bdsl.export.select import Selection

SPLITS = ("train", "validation")


class ExportError(Exception):
    """A problem the user can fix (their output folder, their data): no traceback."""


class ExportContext:
    """What a format's write() needs besides the items; collects the format's checks."""

    def __init__(self, plan: ir.Plan, selection: Selection, filters: dict):
        self.plan = plan
        self.selection = selection
        self.filters = filters
        self.checks: dict = {}
        self._train_on = {d.name: d.train_on for d in plan.datasets}

    def splits(self, items):
        """(split, items) for each non-empty split, train first."""
        for split in SPLITS:
            part = [i for i in items if i.split == split]
            if part:
                yield split, part

    def train_on(self, item) -> str:
        return self._train_on.get(item.job.dataset, "all")

    @staticmethod
    def write_jsonl(path: Path, records) -> str:
        with path.open("w", encoding="utf-8") as fh:
            for r in records:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
        return path.name

    @staticmethod
    def error(message: str) -> ExportError:
        return ExportError(message)


def read_manifest(path: Path) -> dict:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ExportError(f"cannot read manifest {path}: {exc}") from None


def prepare_output(out: Path) -> None:
    """An empty folder, or a previous export whose files (listed in its manifest) are
    removed first; anything else is refused rather than overwritten."""
    if out.exists() and not out.is_dir():
        raise ExportError(f"{out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()):
        if not (out / MANIFEST).is_file():
            raise ExportError(f"{out} is not empty and holds no {MANIFEST} from an earlier "
                              "export; choose a new folder")
        previous = read_manifest(out / MANIFEST)
        for name in list(previous.get("files", {})) + [MANIFEST, "CHANGELOG.md"]:
            target = (out / name).resolve()
            if target.parent == out.resolve() and target.is_file():
                target.unlink()
    out.mkdir(parents=True, exist_ok=True)


def write_export(selection: Selection, plan: ir.Plan, fmt: str, out: Path,
                 filters: dict) -> dict:
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; formats: {', '.join(FORMATS)}")
    out = Path(out)
    prepare_output(out)
    ctx = ExportContext(plan, selection, filters)
    items = list(selection.items)
    files = writer(fmt)(items, ctx, out)
    manifest = build_manifest(fmt, items, ctx, out, files)
    write_manifest(manifest, out)
    return manifest
