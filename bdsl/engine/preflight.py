"""Fail fast on misconfiguration: one small call per distinct remote model before fan-out.

A wrong key, base URL or model name used to surface job by job, after minutes, with the
cause only in `bdsc status`. Here each model the run will call (generation, annotation,
judges) answers one tiny request first; a failure stops the run before any job starts,
with the provider's own message and a hint. Local and fake models need no network and are
not probed. The probe is journaled (and so counted by the budget) under the step
`preflight`, fresh for every run: a replayed probe would prove nothing.
"""

from __future__ import annotations

import attrs

from bdsl import ir
from bdsl.engine.port import CallFailed, CallRequest

PROBE_TEXT = "Reply with the single word OK."

HINTS = {
    "auth": "check the API key: the provider's environment variable (e.g. OPENAI_API_KEY), "
            "or the dataset's endpoint `api_key_env`",
    "not_found": "check the model name, and the endpoint's `api_base` if it has one",
    "bad_request": "the provider refused the request: check the model name and its params",
    "connection": "cannot reach the provider: check the network and the endpoint's api_base",
    "timeout": "the provider did not answer in time: check the endpoint, or raise --timeout",
}


@attrs.frozen
class Problem:
    model: str
    kind: str
    message: str

    def __str__(self) -> str:
        hint = HINTS.get(self.kind, "")
        return f"model `{self.model}`: {self.message}" + (f"\n  hint: {hint}" if hint else "")


def models_to_probe(plan: ir.Plan, jobs: list[tuple[ir.Job, str]], judge_model: str | None,
                    generator_override: str | None) -> list[str]:
    from bdsl.gates.score import judge_model_for

    names = set()
    datasets = {d.name: d for d in plan.datasets}
    used = {j.dataset for j, _ in jobs}
    for job, _ in jobs:
        names.add(job.model.name)
    for name in used:
        ds = datasets[name]
        if ds.annotate != "off":
            names.add(ds.annotate_model or generator_override or ds.model.name)
        if any(plan.index().gate[g].kind == "judge" for j, _ in jobs if j.dataset == name
               for g in j.gates if g in plan.index().gate):
            names.add(judge_model_for(ds, judge_model, generator_override))
    return sorted(n for n in names if not n.startswith(("local/", "fake/")))


async def preflight(models: list[str], journal, run_id: int) -> list[Problem]:
    problems = []
    for model in models:
        req = CallRequest(model, (("user", PROBE_TEXT),), 0.0, 8, None, 0, None, "")
        try:
            await journal.call("", f"preflight:{run_id}", "preflight", -1, 0, req)
        except CallFailed as e:
            problems.append(Problem(model, e.kind or _kind(str(e)), str(e)))
    return problems


def _kind(message: str) -> str:
    text = message.lower()
    if "timeout" in text:
        return "timeout"
    if "connection" in text or "connect" in text:
        return "connection"
    return ""
