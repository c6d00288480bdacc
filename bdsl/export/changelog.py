"""CHANGELOG.md between two exports of a dataset, from their manifests."""

from __future__ import annotations


def changelog_markdown(old: dict, new: dict) -> str:
    a, b = old.get("records", {}), new.get("records", {})
    added = sorted(b.keys() - a.keys())
    removed = sorted(a.keys() - b.keys())
    changed = sorted(k for k in a.keys() & b.keys() if a[k]["content_hash"] != b[k]["content_hash"])
    so, sn = old.get("spec", {}), new.get("spec", {})
    lines = [f"# {sn.get('name', 'dataset')} {so.get('version', '?')} -> {sn.get('version', '?')}",
             "", f"- records: {len(a)} -> {len(b)} ({len(added)} added, {len(changed)} "
             f"regenerated, {len(removed)} removed, {len(b) - len(added) - len(changed)} "
             "unchanged)"]
    ro, rn = so.get("regulations", {}), sn.get("regulations", {})
    for rid in sorted(ro.keys() | rn.keys()):
        if ro.get(rid) != rn.get(rid):
            lines.append(f"- regulation {rid}: {ro.get(rid) or '-'} -> {rn.get(rid) or 'removed'}")
    for title, keys in (("Added", added), ("Regenerated", changed), ("Removed", removed)):
        if keys:
            lines += ["", f"## {title}", ""] + [f"- {k}" for k in keys]
    return "\n".join(lines) + "\n"
