"""A plan -> its estimate: every job walked (bdsl.estimate.walk, .judged), the calls summed
by dataset, step and model, priced (bdsl.estimate.prices).

The jobs are those `bdsc run` would run with the same --model and --limit
(engine.executor.effective_jobs). A dataset of more than SAMPLE_JOBS jobs is walked on an
evenly spread sample and scaled by its message count, so a 10,000-job plan is estimated in
seconds; DatasetScope.walked_jobs says how many were walked.
"""

from __future__ import annotations

from collections import defaultdict

from bdsl import ir
from bdsl.estimate.judged import walk_scoring
from bdsl.estimate.prices import price_of
from bdsl.estimate.records import DatasetScope, Estimate, ModelCost, StepEstimate
from bdsl.estimate.replies import replies_for
from bdsl.estimate.walk import CallModels, JobWalk, walk_generation

SAMPLE_JOBS = 100
# what is summed per (dataset, kind, step, model), in StepEstimate's field order
_SUMS = ("calls", "prompt", "completion", "ceiling_prompt", "ceiling_completion")


def messages_of(job: ir.Job) -> int:
    return len(job.turns) + sum(len(s.turns) for s in job.sessions)


def call_models(ds: ir.DatasetInfo, job: ir.Job, override: str) -> CallModels:
    """The generation model is the job's (with --model applied); annotations use the
    dataset's annotate_model, else the generation model; the judge is chosen as scoring
    chooses it (an explicit judge_model stays, a defaulted one follows --model)."""
    from bdsl.gates.score import judge_model_for

    return CallModels(job.model.name, ds.annotate_model or job.model.name,
                      judge_model_for(ds, None, override or None))


def sample(jobs: list, n: int) -> list:
    if len(jobs) <= n:
        return jobs
    return [jobs[round(i * (len(jobs) - 1) / (n - 1))] for i in range(n)]


class _Walker:
    """Walks jobs with one renderer and one reply model per (model, ceiling)."""

    def __init__(self, plan: ir.Plan):
        from bdsl.engine.prompts import PromptRenderer

        self.plan, self.index = plan, plan.index()
        self.renderer = PromptRenderer(plan.templates)
        self._replies: dict = {}

    def replies(self, ceiling: bool):
        def get(model: str):
            key = (model, ceiling)
            if key not in self._replies:
                self._replies[key] = replies_for(model, ceiling)
            return self._replies[key]
        return get

    def walk(self, job: ir.Job, models: CallModels, ceiling: bool, generation: bool):
        ds = self.index.dataset[job.dataset]
        w = JobWalk(self.plan, self.index, self.renderer, job, ds, models,
                    self.replies(ceiling))
        walk_generation(w)
        if not generation:  # a re-score: the conversation exists, only scoring is paid
            w.calls.clear()
        walk_scoring(w)
        return w.calls


def estimate_plan(plan: ir.Plan, model: str = "", limit: int | None = None,
                  keys: set[str] | None = None, rescore_only: frozenset[str] = frozenset(),
                  sample_jobs: int = SAMPLE_JOBS, spread: int | None = None) -> Estimate:
    """The calls, tokens and price of running `plan` (as `bdsc run --model M --limit N`
    would) into an empty run directory; `keys` restricts it to some jobs, and jobs in
    `rescore_only` count only their scoring calls (`bdsc diff`)."""
    from bdsl.engine.executor import RunOptions, effective_jobs

    jobs = [j for j, _ in effective_jobs(plan, RunOptions(model=model, limit=limit,
                                                          sample=spread))]
    if keys is not None:
        jobs = [j for j in jobs if j.key in keys]
    walker = _Walker(plan)
    by_dataset: dict[str, list[ir.Job]] = defaultdict(list)
    for j in jobs:
        by_dataset[j.dataset].append(j)
    sums: dict[tuple, list[float]] = defaultdict(lambda: [0.0] * len(_SUMS))
    scopes = []
    for name, members in by_dataset.items():
        ds = walker.index.dataset[name]
        walked = sample(members, sample_jobs)
        scale = sum(map(messages_of, members)) / max(1, sum(map(messages_of, walked)))
        for job in walked:
            models = call_models(ds, job, model)
            generation = job.key not in rescore_only
            typical = walker.walk(job, models, False, generation)
            free = all(m.startswith("fake/") for m in (models.generation, models.annotation,
                                                      models.judge))
            ceiling = typical if free else walker.walk(job, models, True, generation)
            # the two walks may differ in calls: longer replies can push a judged
            # transcript into more windows, so each is summed on its own
            for t in typical:
                row = sums[(name, str(job.kind), t.step, t.model)]
                for i, v in enumerate((1, t.prompt_tokens, t.completion_tokens)):
                    row[i] += v * scale
            for c in ceiling:
                row = sums[(name, str(job.kind), c.step, c.model)]
                row[3] += c.prompt_tokens * scale
                row[4] += c.completion_tokens * scale
        scopes.append(DatasetScope(name, str(members[0].kind), len(members),
                                   sum(map(messages_of, members)), len(walked)))
    steps = tuple(StepEstimate(*key, *(round(v) for v in row))
                  for key, row in sorted(sums.items()))
    return Estimate(plan.spec.name, plan.spec.version, model, limit, tuple(scopes), steps,
                    price_models(steps))


def price_models(steps: tuple[StepEstimate, ...]) -> tuple[ModelCost, ...]:
    out = []
    for model in sorted({s.model for s in steps}):
        mine = [s for s in steps if s.model == model]
        p, c = sum(s.prompt_tokens for s in mine), sum(s.completion_tokens for s in mine)
        cp = sum(s.ceiling_prompt_tokens for s in mine)
        cc = sum(s.ceiling_completion_tokens for s in mine)
        price = price_of(model)
        out.append(ModelCost(model, sum(s.calls for s in mine), p, c, price.cost(p, c),
                             price.cost(p, c, batch=True), price.cost(cp, cc),
                             price.cost(cp, cc, batch=True),
                             replies_for(model).describe(), price.note))
    return tuple(out)
