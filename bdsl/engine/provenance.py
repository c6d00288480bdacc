"""What every stored conversation records about where it came from."""

from __future__ import annotations

import functools
import time
from importlib.metadata import PackageNotFoundError, version

from bdsl import ir
from bdsl.serialize import to_data


def provenance(plan: ir.Plan, job: ir.Job, content_hash: str, run, started: float) -> dict:
    templates = {t.name: t.hash for t in plan.templates}
    return {
        "spec": {"name": plan.spec.name, "version": plan.spec.version, "path": plan.spec.path},
        "regulations": to_data(plan.spec.regulations),
        "spec_hash": plan.spec_hash,
        "plan_hash": plan.plan_hash,
        "job_key": job.key,
        "job_hash": job.content_hash,
        "effective_hash": content_hash,
        "gates_hash": job.gates_hash,
        "model": job.model.name,
        "params": {"temperature": job.model.temperature, "max_tokens": job.model.max_tokens,
                   "top_p": job.model.top_p},
        "seed": job.seed,
        "templates": {n: templates.get(n, "") for n in job.templates} or templates,
        "tokens": {"prompt": run.usage.prompt_tokens, "completion": run.usage.completion_tokens},
        "cost_usd": run.usage.cost,
        "calls": run.usage.calls,
        "started_at": started,
        "finished_at": time.time(),
        "bdsl_version": _bdsl_version(),
    }


@functools.cache
def _bdsl_version() -> str:
    try:
        return version("bdsl")
    except PackageNotFoundError:
        return "unknown"
