"""The estimate kept with a run: `estimate.json` written when the run starts, and compared
with what the run journaled when `bdsc status` reads the directory.

The actual side is the store's journal (bdsl.store.reader.status, bdsl.store.usage
usage_by_step): every paid call once, retries included, replays not. The estimate is of
the whole plan run into an empty directory, so the two agree once every job ran; a
directory that also holds calls of an earlier version of the spec shows more actual calls.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from pathlib import Path

from bdsl.estimate.records import Estimate

ESTIMATE_FILE = "estimate.json"
# jobs walked per dataset for the estimate `bdsc run` writes before its first call: it
# is paid on every run's start (30-70 ms of CPU per job walked), where `bdsc plan
# --estimate` walks SAMPLE_JOBS; the sampled jobs are spread over the dataset and scaled
RUN_SAMPLE_JOBS = 8
_WINDOW = re.compile(r"^(judge:[^:]+):\d+$")  # judge:<gate>:<window> -> judge:<gate>


def write_estimate(run_dir, plan, model_override: str = "", limit: int | None = None,
                   sample: int | None = None) -> Estimate | None:
    """Estimate the run `bdsc run --model M --limit N` is about to make and write it to
    RUN_DIR/estimate.json. None (and no file) when a template cannot be rendered: the run
    reports that problem itself."""
    from bdsl.engine.prompts import TemplateError
    from bdsl.estimate.plan_estimate import estimate_plan
    from bdsl.serialize import to_json

    path = Path(run_dir) / ESTIMATE_FILE
    try:
        estimate = estimate_plan(plan, model_override, limit, spread=sample,
                                 sample_jobs=RUN_SAMPLE_JOBS)
    except TemplateError:
        path.unlink(missing_ok=True)  # never compare a run with an older plan's estimate
        return None
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(to_json(estimate, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return estimate


def read_estimate(run_dir) -> Estimate | None:
    from bdsl.serialize import from_json

    path = Path(run_dir) / ESTIMATE_FILE
    if not path.is_file():
        return None
    try:
        return from_json(path.read_text(encoding="utf-8"), Estimate)
    except Exception:  # a damaged or older-format file: no comparison rather than a crash
        return None


def error(estimate: float | None, actual: float | None) -> float | None:
    """How far the estimate is from the actual figure, as a fraction of the actual."""
    if estimate is None or actual is None or actual == 0:
        return None
    return estimate / actual - 1


def compare(run_dir, store) -> dict | None:
    """Estimate vs actual: totals and per (dataset, step); None without estimate.json."""
    from bdsl.store.reader import status
    from bdsl.store.usage import usage_by_step

    est = read_estimate(run_dir)
    if est is None:
        return None
    s = status(store)
    actual = {"calls": s["llm_calls"], "tokens": s["tokens"]["total"], "cost_usd": s["cost_usd"]}
    estimate = {"calls": est.calls, "tokens": est.tokens, "cost_usd": est.cost(),
                "batch_cost_usd": est.cost(batch=True), "ceiling_tokens": est.ceiling_tokens,
                "model_override": est.model_override, "limit": est.limit, "jobs": est.jobs}
    steps: dict[tuple[str, str], dict] = defaultdict(lambda: {
        "estimated_calls": 0, "estimated_tokens": 0, "calls": 0, "tokens": 0})
    for r in est.steps:
        row = steps[(r.dataset, r.step)]
        row["estimated_calls"] += r.calls
        row["estimated_tokens"] += r.tokens
    for u in usage_by_step(store):
        row = steps[(u.dataset, _WINDOW.sub(r"\1", u.step))]
        row["calls"] += u.calls
        row["tokens"] += u.tokens
    # a run directory whose calls went through provider batches (`bdsc run --batch`) paid
    # the batch price: its cost is set beside the batch estimate, not the interactive one
    priced = "batch" if s["batches"] else "interactive"
    errors = {k: error(estimate[k], actual[k]) for k in ("calls", "tokens")}
    errors["cost_usd"] = error(estimate["batch_cost_usd" if s["batches"] else "cost_usd"],
                               actual["cost_usd"])
    return {"estimate": estimate, "actual": actual, "priced": priced, "error": errors,
            "steps": [{"dataset": d, "step": st, **row} for (d, st), row in sorted(steps.items())]}


def _vs(value: float | None) -> str:
    return "" if value is None else f" ({value:+.1%} vs actual)"


def status_lines(run_dir, store) -> list[str]:
    """The lines `bdsc status` prints under the run's own figures; [] without an estimate."""
    from bdsl.estimate.render import usd

    c = compare(run_dir, store)
    if c is None:
        return []
    e, err = c["estimate"], c["error"]
    scope = f"--model {e['model_override']}" if e["model_override"] else "the spec's models"
    limit = f", --limit {e['limit']}" if e["limit"] is not None else ""
    return [
        f"  estimate {e['calls']:,} calls{_vs(err['calls'])}, {e['tokens']:,} tokens"
        f"{_vs(err['tokens'])}, {usd(e['cost_usd'])}"
        f"{_vs(err['cost_usd']) if c['priced'] == 'interactive' else ''} interactive, "
        f"{usd(e['batch_cost_usd'])}{_vs(err['cost_usd']) if c['priced'] == 'batch' else ''}"
        " batch",
        f"           ({ESTIMATE_FILE}, made before the run: {e['jobs']} jobs, {scope}{limit}; "
        "retries not counted)",
    ]
