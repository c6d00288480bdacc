"""`bdsc export RUN_DIR [--format F] -o PATH`: training files from exportable conversations.

Without --format, every format the spec's datasets list (`export [...]`) is written,
one subfolder of PATH per format, each with the conversations of the datasets that
list it.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from bdsl.commands._common import EXIT_USAGE, open_run
from bdsl.export.formats import FORMATS

REASONING = ("none", "think", "field")


@click.command("export")
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option("--format", "fmt", type=click.Choice(list(FORMATS)), default=None,
              help="; ".join(f"{f.name}: {f.doc}" for f in FORMATS.values())
              + ". Default: every format the spec's `export [...]` lists, one subfolder each.")
@click.option("-o", "--output", type=click.Path(), required=True,
              help="Folder to write (an empty one, or an earlier export's, which is replaced).")
@click.option("--include-unreviewed", is_flag=True,
              help="Also export conversations that passed every gate but await review.")
@click.option("--split", "train_fraction", type=click.FloatRange(0, 1), default=0.9,
              show_default=True, help="Share of conversations in train (stable by job key).")
@click.option("--seed", default=0, show_default=True, help="Seed of the train/validation split.")
@click.option("--dataset", default=None, help="Only this dataset of the spec.")
@click.option("--reasoning", type=click.Choice(REASONING), default="none", show_default=True,
              help="Deliberation replies carry their hidden perspectives: as a <think> block "
                   "before the reply (think), as reasoning_content on the message (field: hf), "
                   "or not at all.")
@click.option("--changelog", "old_manifest", type=click.Path(dir_okay=False), default=None,
              help="A previous export's manifest.json: also write CHANGELOG.md.")
def export_cmd(run_dir, fmt, output, include_unreviewed, train_fraction, seed, dataset,
               reasoning, old_manifest) -> None:
    """Export the conversations review and gates allow, in the format your trainer reads."""
    from bdsl.export.select import select
    from bdsl.export.writer import (
        ExportError,
        read_manifest,
        spec_formats,
        write_export,
        write_spec_exports,
    )

    if fmt is not None and reasoning not in FORMATS[fmt].reasoning:
        _fail(f"{fmt} cannot carry reasoning as {reasoning!r}; it takes: "
              + ", ".join(FORMATS[fmt].reasoning)
              + ("" if reasoning != "field" else " (reasoning_content is a field of hf rows)"))
    if fmt is None and old_manifest:
        _fail("--changelog compares one format's manifests: give --format too")
    started = time.perf_counter()
    plan, store = open_run(run_dir, writable=False)
    refuse_unsound(store, run_dir)
    try:
        if dataset is not None and dataset not in {d.name for d in plan.datasets}:
            _fail(f"unknown dataset {dataset!r}; the spec has: "
                  + ", ".join(d.name for d in plan.datasets))
        old = read_manifest(Path(old_manifest)) if old_manifest else None
        sel = select(store, plan, include_unreviewed, train_fraction, seed, dataset)
        if not sel.items:
            _fail(nothing_exportable(sel, run_dir, include_unreviewed))
        filters = {"include_unreviewed": include_unreviewed, "split": train_fraction,
                   "seed": seed, "dataset": dataset, "reasoning": reasoning}
        if fmt is None:
            if not spec_formats(plan, dataset):
                _fail("the spec's datasets list no export formats; give --format")
            results = write_spec_exports(sel, plan, Path(output), filters, dataset,
                                         reasoning_of=_reasoning_for(reasoning))
        else:
            results = {fmt: write_export(sel, plan, fmt, Path(output), filters)}
    except ExportError as exc:
        _fail(str(exc))
    finally:
        store.close()
    if old is not None:
        from bdsl.export.changelog import changelog_markdown

        Path(output, "CHANGELOG.md").write_text(changelog_markdown(old, results[fmt]),
                                                encoding="utf-8")
    elapsed = time.perf_counter() - started
    for name, manifest in results.items():
        if isinstance(manifest, str):
            click.echo(f"{name}: nothing written ({manifest})")
            continue
        c = manifest["counts"]
        where = Path(output) if fmt is not None else Path(output, name)
        left = ", ".join(f"{n} {why}" for why, n in c["left_out"].items())
        click.echo(f"exported {c['exported']} conversations ({c['train']} train, "
                   f"{c['validation']} validation) as {name} to {where}"
                   + _pair_note(manifest)
                   + (f" in {elapsed:.2f}s" if fmt is not None else "")
                   + (f"; left out: {left}" if left and fmt is not None else ""))
        for check in manifest["checks"].values():
            for warning in check.get("warnings", ()):
                click.echo(f"warning: {name}: {warning}", err=True)
    if fmt is None:
        left = ", ".join(f"{n} {why}" for why, n in sorted(sel.left_out.items()))
        click.echo(f"{len(results)} format{'s' * (len(results) != 1)} in {elapsed:.2f}s"
                   + (f"; left out: {left}" if left else ""))


def _reasoning_for(reasoning: str):
    """The spec's formats each carry reasoning as asked when they can, else not at all."""
    return lambda fmt: reasoning if reasoning in FORMATS[fmt].reasoning else "none"


def _pair_note(manifest: dict) -> str:
    pairs = manifest["checks"].get("preference_pairs")
    if not pairs:
        return ""
    sources = ", ".join(f"{n} {s}" for s, n in pairs["by_source"].items())
    return f" ({pairs['pairs']} pairs: {sources})"


def refuse_unsound(store, run_dir) -> None:
    """Never export from a store the database itself finds damaged."""
    from bdsl.store.reader import integrity

    problems = integrity(store)
    if problems:
        store.close()
        _fail(f"the store in {run_dir} fails its integrity check ({problems[0]}); "
              f"`bdsc status {run_dir} --check` lists the problems; restore it from a copy")


def nothing_exportable(sel, run_dir, include_unreviewed: bool) -> str:
    if not sel.considered:
        return (f"nothing to export: {run_dir} holds no finished conversations of the "
                "current plan (run `bdsc run` first)")
    why = ", ".join(f"{n} {_REASONS.get(r, r)}" for r, n in sorted(sel.left_out.items()))
    text = f"nothing to export: {why}"
    waiting = sel.left_out.get("awaiting_review", 0)
    if waiting and not include_unreviewed:
        text += f"; pass --include-unreviewed to add the {waiting} that passed their gates"
    elif any(r.startswith("awaiting_review") for r in sel.left_out):
        text += "; review them with `bdsc review`"
    if sel.left_out.get("awaiting_review/unscored"):
        text += "; score them with `bdsc score`"
    return text


_REASONS = {
    "awaiting_review": "awaiting review",
    "awaiting_review/needs_review": "awaiting review after a soft gate failure",
    "awaiting_review/unscored": "awaiting review, gates not scored yet",
    "blocked": "blocked (failed a gate)",
    "rejected": "rejected by a reviewer",
    "needs_revision": "sent back for revision",
}


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_USAGE)
