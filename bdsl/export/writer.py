"""The output folder: write a format's files, then manifest.json.

Exported files are deterministic: the same store and options give byte-identical data
files (only manifest.json's created_at differs).

`write_export` writes one format into a folder; `write_spec_exports` writes every format
the spec's datasets list (`export [...]`), one subfolder per format, each holding the
conversations of the datasets that list it.
"""

from __future__ import annotations

import json
from pathlib import Path

import attrs

from bdsl import ir
from bdsl.export.formats import FORMATS, writer
from bdsl.export.manifest import MANIFEST, build_manifest, write_manifest
from bdsl.export.select import Selection

SPLITS = ("train", "validation")


class ExportError(Exception):
    """A problem the user can fix (their output folder, their data): no traceback."""


class NothingToWrite(ExportError):
    """The format has nothing to hold (e.g. preference pairs from conversations that have
    no alternates): an error when asked for by --format, a skipped folder for the spec's list."""


class ExportContext:
    """What a format's write() needs besides the items; collects the format's checks."""

    def __init__(self, plan: ir.Plan, selection: Selection, filters: dict):
        self.plan = plan
        self.selection = selection
        self.filters = filters
        self.checks: dict = {}
        # a format whose files hold only some of the items (preference pairs) names them
        self.items_written: list | None = None
        datasets = {d.name: d for d in plan.datasets}
        self._train_on = {n: d.train_on for n, d in datasets.items()}
        self._edit_pairs = {n: d.edit_pairs for n, d in datasets.items()}

    @property
    def reasoning(self) -> str:
        """How deliberation records carry their hidden perspectives: none | think | field."""
        return self.filters.get("reasoning") or "none"

    def splits(self, items):
        """(split, items) for each non-empty split, train first."""
        for split in SPLITS:
            part = [i for i in items if i.split == split]
            if part:
                yield split, part

    def train_on(self, item) -> str:
        return self._train_on.get(item.job.dataset, "all")

    def edit_pairs(self, item) -> bool:
        return self._edit_pairs.get(item.job.dataset, False)

    @staticmethod
    def write_jsonl(path: Path, records) -> str:
        with path.open("w", encoding="utf-8") as fh:
            for r in records:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
        return path.name

    @staticmethod
    def error(message: str) -> ExportError:
        return ExportError(message)

    @staticmethod
    def nothing(message: str) -> NothingToWrite:
        return NothingToWrite(message)


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
    ctx = ExportContext(plan, selection, filters)
    items = list(selection.items)
    staged = out.resolve().with_name(out.resolve().name + ".partial")
    # write into a fresh folder first: a format that fails its own checks leaves the
    # output folder (and an earlier export in it) untouched
    _remove_tree(staged)
    staged.mkdir(parents=True)
    try:
        files = writer(fmt)(items, ctx, staged)
        prepare_output(out)
        for name in files:
            (staged / name).replace(out / name)
    finally:
        _remove_tree(staged)
    written = items if ctx.items_written is None else ctx.items_written
    manifest = build_manifest(fmt, written, ctx, out, files)
    write_manifest(manifest, out)
    return manifest


def spec_formats(plan: ir.Plan, dataset: str | None = None) -> list[str]:
    """The formats the spec's `export [...]` lists ask for, in table order."""
    wanted = {f for d in plan.datasets if dataset in (None, d.name) for f in d.exports}
    return [f for f in FORMATS if f in wanted]


def write_spec_exports(selection: Selection, plan: ir.Plan, out: Path, filters: dict,
                       dataset: str | None = None, reasoning_of=None) -> dict[str, dict | str]:
    """format -> its manifest, one subfolder of `out` per format the spec lists; a format
    none of whose datasets has exportable conversations maps to the reason instead."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ExportError(f"{out} exists and is not a folder")
    formats = spec_formats(plan, dataset)
    if out.is_dir():
        strangers = sorted(p.name for p in out.iterdir() if p.name not in FORMATS)
        if strangers:
            raise ExportError(f"{out} holds {', '.join(strangers)}, which no earlier spec "
                              "export wrote; choose a new folder")
    lists = {d.name: d.exports for d in plan.datasets}
    results: dict[str, dict | str] = {}
    for fmt in formats:
        part = tuple(i for i in selection.items if fmt in lists.get(i.job.dataset, ()))
        try:
            if not part:
                raise NothingToWrite("no exportable conversations in the datasets that list it")
            own = dict(filters, reasoning=reasoning_of(fmt)) if reasoning_of else filters
            results[fmt] = write_export(attrs.evolve(selection, items=part), plan, fmt,
                                        out / fmt, own)
        except NothingToWrite as exc:
            results[fmt] = str(exc)
            _clear(out / fmt)  # an earlier export of this format would be stale now
        except ExportError as exc:
            raise ExportError(f"{fmt}: {exc}") from None
    return results


def _clear(folder: Path) -> None:
    if folder.is_dir():
        prepare_output(folder)
        if not any(folder.iterdir()):
            folder.rmdir()


def _remove_tree(path: Path) -> None:
    import shutil

    if path.is_dir():
        shutil.rmtree(path)
