"""CHANGELOG.md between two versions of a dataset, from their export manifests.

By job key: added, removed, regenerated (content hash changed: a new generation),
edited (same generation, different exported text: a reviewer's edit or a new system
prompt), unchanged (listed when the record now names another spec or regulation
version); spec version and regulation version changes.
"""

from __future__ import annotations


def changelog_markdown(old: dict, new: dict) -> str:
    a, b = old.get("records", {}), new.get("records", {})
    added = sorted(b.keys() - a.keys())
    removed = sorted(a.keys() - b.keys())
    both = sorted(a.keys() & b.keys())
    regenerated = [k for k in both if a[k].get("content_hash") != b[k].get("content_hash")]
    edited = [k for k in both if k not in regenerated
              and a[k].get("text_sha256") != b[k].get("text_sha256")]
    unchanged = len(both) - len(regenerated) - len(edited)
    # same text, but the record now names another spec or regulation version
    reattributed = [k for k in both if k not in regenerated and k not in edited and (
        a[k].get("spec_version") != b[k].get("spec_version")
        or a[k].get("regulations") != b[k].get("regulations"))]
    so, sn = old.get("spec", {}), new.get("spec", {})
    name = sn.get("name") or so.get("name") or "dataset"
    lines = [f"# {name}: {so.get('version', '?')} -> {sn.get('version', '?')}", "",
             f"- format: {old.get('format', '?')} -> {new.get('format', '?')}"
             if old.get("format") != new.get("format") else f"- format: {new.get('format')}",
             f"- records: {len(a)} -> {len(b)} ({len(added)} added, {len(removed)} removed, "
             f"{len(regenerated)} regenerated, {len(edited)} edited, {unchanged} unchanged)"]
    if so.get("version") != sn.get("version"):
        lines.append(f"- spec version: {so.get('version', '?')} -> {sn.get('version', '?')}")
    if so.get("spec_hash") != sn.get("spec_hash"):
        lines.append(f"- spec hash: {str(so.get('spec_hash', '?'))[:16]} -> "
                     f"{str(sn.get('spec_hash', '?'))[:16]}")
    ro, rn = so.get("regulations", {}), sn.get("regulations", {})
    for rid in sorted(ro.keys() | rn.keys()):
        if ro.get(rid) != rn.get(rid):
            before = ro.get(rid) if rid in ro else "(none)"
            after = rn.get(rid) if rid in rn else "(removed)"
            lines.append(f"- regulation {rid}: {before} -> {after}")
    fo, fn = old.get("filters", {}), new.get("filters", {})
    for key in sorted(fo.keys() | fn.keys()):
        if fo.get(key) != fn.get(key):
            lines.append(f"- filter {key}: {fo.get(key)} -> {fn.get(key)}")
    for title, keys in (("Added", added), ("Removed", removed), ("Regenerated", regenerated),
                        ("Edited", edited), ("Same text, new spec or regulation version",
                                             reattributed)):
        if keys:
            lines += ["", f"## {title}", ""]
            for k in keys:
                lines.append(f"- {k}" + _versions(a.get(k), b.get(k)))
    return "\n".join(lines) + "\n"


def _versions(before: dict | None, after: dict | None) -> str:
    """` (spec 1.0.0 -> 1.1.0)` when the record's producing spec version changed."""
    if not before or not after:
        rec = after or before or {}
        return f" (spec {rec['spec_version']})" if rec.get("spec_version") else ""
    if before.get("spec_version") != after.get("spec_version"):
        return f" (spec {before.get('spec_version')} -> {after.get('spec_version')})"
    return ""
