"""`bdsc seeds RUN_DIR -o seeds.bds`: the seed examples reviewers approved, as a spec file.

Writes one `seeds NAME { example { ... } ... }` declaration holding every approved
conversation a reviewer marked `use_as_seed_example` (with reviewer edits applied). Commit
it next to the spec, import it and list it in a dataset's `seeds [...]`: matching jobs then
show the examples as few-shot material, their content hashes change (so `bdsc diff` names
what a new seed regenerates) and `variations N` generates N variations of each.
"""

from __future__ import annotations

import datetime
import sys
from pathlib import Path

import click

from bdsl.commands._common import EXIT_USAGE, open_run


def seed_items(store, plan) -> list:
    from bdsl.export.select import select

    sel = select(store, plan)
    return [i for i in sel.items if i.review.seed_example and i.review.state == "approved"]


def seeds_source(items, name: str, run_dir: str) -> str:
    from bdsl.formatter import quote_string as q

    today = datetime.date.today().isoformat()
    lines = [f"# Seed examples approved in review in {run_dir}, written by `bdsc seeds` on "
             f"{today}.",
             f'# Use them: import "./{{this file}}" {{ {name} }}, then in a dataset: '
             f"seeds [{name}]", "", f"seeds {name} {{"]
    for item in items:
        ctx = item.job.context
        approvals = ", ".join(f"{who} ({role})" for role, who in item.review.approvals)
        lines.append("  example {")
        for key, value in (("arc", ctx.arc), ("user", ctx.user), ("topic", ctx.topic),
                           ("culture", ctx.culture)):
            if value and not value.startswith("~"):
                lines.append(f"    {key} {q(value)}")
        lines.append(f"    source {q(f'{run_dir} {item.job.key}, approved by {approvals}')}")
        lines.append('    conversation """')
        for m in item.messages:
            text = " ".join(m.content.split()).replace('"""', '" " "')
            lines.append(f"      {m.role}: {text}")
        lines.append('    """')
        lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


@click.command("seeds")
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True,
              help="The .bds file to write (e.g. seeds/approved.bds).")
@click.option("--name", default="approved_seeds", show_default=True,
              help="Name of the seed set declared in the file.")
def seeds_cmd(run_dir: str, output: str, name: str) -> None:
    """Write the seed examples approved in review as a spec file for `seeds [...]`."""
    plan, store = open_run(run_dir, writable=False)
    try:
        items = seed_items(store, plan)
    finally:
        store.close()
    if not items:
        click.echo(f"error: no approved conversation in {run_dir} is marked as a seed example; "
                   "mark some with `s` in `bdsc review`", err=True)
        sys.exit(EXIT_USAGE)
    out = Path(output)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(seeds_source(items, name, run_dir), encoding="utf-8")
    except OSError as e:
        click.echo(f"error: cannot write {out}: {e.strerror}", err=True)
        sys.exit(EXIT_USAGE)
    click.echo(f"wrote {len(items)} seed examples to {out} as `seeds {name}`")
