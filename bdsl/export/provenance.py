"""What every exported record says about where it came from: recorded at generation time
(the conversation's provenance), not read from today's spec."""

from __future__ import annotations


def record_provenance(item) -> dict:
    p = item.conv.provenance
    return {
        "spec": p["spec"]["name"],
        "spec_version": p["spec"]["version"],
        "regulations": regulation_versions(item),
        "spec_hash": p["spec_hash"],
        "job_key": item.job.key,
        "job_hash": p["job_hash"],
        "content_hash": item.conv.content_hash,
        "model": p["model"],
        "seed": p["seed"],
    }


def regulation_versions(item) -> dict[str, str]:
    return {r["id"]: r["version"] for r in item.conv.provenance.get("regulations", [])}


def regulation_list(item) -> list[dict]:
    """Regulations as [{"id", "version"}]: a stable shape for columnar formats."""
    return [{"id": k, "version": v} for k, v in sorted(regulation_versions(item).items())]
