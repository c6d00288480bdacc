"""`bdsc export RUN_DIR --format F -o PATH`: training files from approved conversations."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bdsl.commands._common import EXIT_USAGE, open_run


@click.command("export")
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option("--format", "fmt", type=click.Choice(["openai", "sharegpt", "hf", "brightrun-v4"]),
              required=True)
@click.option("-o", "--output", type=click.Path(file_okay=False), required=True,
              help="Folder to write (train/validation files and manifest.json).")
@click.option("--include-unreviewed", is_flag=True,
              help="Also export conversations that passed their gates but await review.")
@click.option("--split", "train_fraction", type=click.FloatRange(0, 1), default=0.9,
              show_default=True, help="Share of conversations in train (stable by job key).")
@click.option("--seed", default=0, show_default=True, help="Seed of the train/validation split.")
@click.option("--dataset", default=None, help="Only this dataset of the spec.")
@click.option("--changelog", "old_manifest", type=click.Path(dir_okay=False, exists=True),
              default=None, help="A previous export's manifest.json: write CHANGELOG.md.")
def export_cmd(run_dir, fmt, output, include_unreviewed, train_fraction, seed, dataset,
               old_manifest) -> None:
    """Export approved conversations in the format your trainer reads."""
    from bdsl.export.select import select
    from bdsl.export.writer import write_export

    plan, store = open_run(run_dir)
    try:
        sel = select(store, plan, include_unreviewed, train_fraction, seed, dataset)
        if not sel.items:
            why = ", ".join(f"{n} {state}" for state, n in sorted(sel.skipped.items())) or \
                "no finished conversations"
            hint = "; pass --include-unreviewed" if sel.skipped.get("awaiting_review") else ""
            click.echo(f"error: nothing to export ({why}){hint}", err=True)
            sys.exit(EXIT_USAGE)
        manifest = write_export(sel, plan, fmt, Path(output), {
            "include_unreviewed": include_unreviewed, "split": train_fraction, "seed": seed,
            "dataset": dataset})
    finally:
        store.close()
    if old_manifest:
        import json

        from bdsl.export.changelog import changelog_markdown

        old = json.loads(Path(old_manifest).read_text(encoding="utf-8"))
        Path(output, "CHANGELOG.md").write_text(changelog_markdown(old, manifest),
                                                encoding="utf-8")
    c = manifest["counts"]
    skipped = ", ".join(f"{n} {s}" for s, n in sorted(c["skipped_by_review_state"].items()))
    click.echo(f"exported {c['exported']} conversations ({c['train']} train, {c['validation']} "
               f"validation) as {fmt} to {output}/" + (f"; left out: {skipped}" if skipped else ""))
