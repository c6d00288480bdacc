"""`bdsc import FILE --spec SPEC.bds --out RUN_DIR`: conversations made elsewhere (OpenAI
chat JSONL, Bright Run brightrun-lora-v4 JSON or JSONL) as a run store, so `bdsc score`,
`bdsc review` and `bdsc export` work on them."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bdsl.commands._common import EXIT_USAGE, compile_or_exit


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--spec", "spec", type=click.Path(), required=True,
              help="The spec whose assistant persona, compliance rules and gates apply.")
@click.option("--out", "out", type=click.Path(file_okay=False), required=True,
              help="A new run directory to create.")
@click.option("--dataset", default=None, help="The spec's dataset to import into "
              "(default: the first).")
@click.option("--input-format", "fmt", default="auto", show_default=True,
              type=click.Choice(["auto", "openai", "brightrun-v4", "brightrun-v4-jsonl"]),
              help="The file's format.")
def import_cmd(file, spec, out, dataset, fmt) -> None:
    """Import conversations from a file into a new run directory."""
    from bdsl.ingest import IngestError, read_file
    from bdsl.ingest.run_store import import_run

    if not Path(file).is_file():
        _fail(f"{file}: no such file")
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        _fail(f"{out} exists and is not an empty folder; import into a new run directory")
    plan = compile_or_exit(spec).plan
    names = [d.name for d in plan.datasets]
    if dataset is None:
        if not names:
            _fail(f"{spec} declares no dataset to import into")
        dataset = names[0]
    elif dataset not in names:
        _fail(f"unknown dataset {dataset!r}; the spec has: {', '.join(names)}")
    try:
        convs = read_file(file, fmt)
        summary = import_run(convs, plan, dataset, out, Path(file))
    except IngestError as exc:
        _fail(str(exc))
    matched = ", ".join(f"{n} {axis}" for axis, n in summary.matched.items())
    click.echo(f"imported {summary.conversations} conversations ({summary.messages} messages, "
               f"{convs[0].source_format}) into {out} as dataset {dataset}; named spec "
               f"entities: {matched}; system prompts from the file: "
               f"{summary.with_system_prompt}")
    if summary.with_system_prompt < summary.conversations:
        click.echo(f"note: {summary.conversations - summary.with_system_prompt} conversations "
                   "have no system prompt; exports give them the spec's assistant prompt",
                   err=True)
    click.echo(f"next: bdsc score {out}; bdsc review {out}; bdsc export {out} -o DIR")


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_USAGE)
