"""`bdsc changelog RUN_DIR`: the dataset's history, one entry per `bdsc run`.

Each entry says which spec version and regulation versions the plan came from, how many
conversations were added, regenerated (content hash changed), kept or dropped, and
which ones.
"""

from __future__ import annotations

import json

import click

from bdsl.commands._common import open_store_readonly


def changelog_entries(store) -> list[dict]:
    from bdsl.store.reader import changelog_rows

    entries = []
    prev = None
    for at, run_id, added, changed, unchanged, removed, info in changelog_rows(store):
        version = info.get("spec_version", "")
        regs = info.get("regulations", {})
        entry = {"run": run_id, "at": at, "spec_version": version, "regulations": regs,
                 "added": added, "regenerated": changed, "kept": unchanged, "removed": removed,
                 "keys": {k: info.get(k, []) for k in ("added", "changed", "removed")}}
        if prev is not None:
            entry["from_spec_version"] = prev["spec_version"]
            entry["regulation_changes"] = {
                rid: [prev["regulations"].get(rid), v] for rid, v in regs.items()
                if prev["regulations"].get(rid) != v}
            entry["regulation_changes"].update({rid: [v, None] for rid, v in
                                                prev["regulations"].items() if rid not in regs})
        if prev is None or added or changed or removed or entry.get("regulation_changes") \
                or version != prev["spec_version"]:
            entries.append(entry)
        prev = entry
    return entries


@click.command("changelog")
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def changelog_cmd(run_dir: str, fmt: str) -> None:
    """What changed in the dataset at each run: versions, regulations, conversations."""
    store = open_store_readonly(run_dir)
    try:
        entries = changelog_entries(store)
    finally:
        store.close()
    if fmt == "json":
        click.echo(json.dumps(entries, indent=2))
        return
    import datetime

    for e in entries:
        when = datetime.datetime.fromtimestamp(e["at"], datetime.UTC).strftime("%Y-%m-%d %H:%M")
        head = f"run {e['run']} ({when} UTC): spec {e.get('from_spec_version') or '-'} -> " \
               f"{e['spec_version'] or '-'}" if "from_spec_version" in e else \
               f"run {e['run']} ({when} UTC): spec {e['spec_version'] or '-'} (first run)"
        click.echo(head)
        for rid, (old, new) in (e.get("regulation_changes") or {}).items():
            click.echo(f"  regulation {rid}: {old or '-'} -> {new or 'removed'}")
        click.echo(f"  {e['added']} added, {e['regenerated']} regenerated, {e['kept']} kept, "
                   f"{e['removed']} removed")
        for label, key in (("regenerated", "changed"), ("added", "added"),
                           ("removed", "removed")):
            keys = e["keys"][key]
            if keys and "from_spec_version" in e:
                shown = ", ".join(keys[:5]) + (f" (+{len(keys) - 5} more)" if len(keys) > 5 else "")
                click.echo(f"    {label}: {shown}")
