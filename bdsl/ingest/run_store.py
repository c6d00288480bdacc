"""Imported conversations as a run store, so `bdsc score`, `review` and `export` work on
data made elsewhere.

One job per conversation, keyed `<dataset>:<source id>`, in a plan derived from the
spec: the chosen dataset's assistant persona, compliance rules, strategies and gates;
the file's persona / arc / topic where the spec has an entity of that name (the file's
names are kept either way in the conversation's provenance, `import.scaffolding`). The
turns' train flags are the file's. Nothing is invented: no annotations, no gate results,
no reviews (upstream's own scores are not measurements); run `bdsc score` next.
"""

from __future__ import annotations

import time
from pathlib import Path

import attrs

from bdsl import ir
from bdsl.ingest.records import IngestedConversation, IngestError
from bdsl.kinds import JobKind, TurnKind
from bdsl.serialize import canonical_hash, to_data, to_json

IMPORT_MODEL = "import"


@attrs.frozen
class ImportSummary:
    conversations: int
    messages: int
    matched: dict  # axis -> how many conversations name an entity the spec has
    with_system_prompt: int


def imported_plan(plan: ir.Plan, dataset: str, convs: list[IngestedConversation]
                  ) -> ir.Plan:
    index = plan.index()
    ds = index.dataset[dataset]
    template = next((j for j in plan.jobs if j.dataset == dataset), None)
    if template is None:
        raise IngestError(f"dataset {dataset!r} has no jobs in the plan to take its assistant "
                          "and gates from")
    jobs = tuple(_job(c, ds, template, index) for c in convs)
    info = attrs.evolve(ds, kind=JobKind.CONVERSATION, axes=(("import", ("file",)),),
                        cells=len(jobs), per_cell=1, jobs=len(jobs), excluded_cells=0,
                        unsampled_cells=0)
    out = attrs.evolve(plan, datasets=(info,), jobs=jobs, plan_hash="")
    return attrs.evolve(out, plan_hash=canonical_hash(
        [plan.spec_hash, [j.content_hash for j in jobs], [j.gates_hash for j in jobs],
         to_data(out.datasets)]))


def _job(conv: IngestedConversation, ds: ir.DatasetInfo, template: ir.Job,
         index: ir.PlanIndex) -> ir.Job:
    s = conv.scaffolding
    ctx = ir.JobContext(
        assistant=template.context.assistant,
        user=_known(index.persona, s.get("persona_key")),
        arc=_known(index.arc, s.get("emotional_arc_key")),
        topic=_known(index.topic, s.get("training_topic_key")),
        compliance=template.context.compliance, strategies=template.context.strategies)
    turns = tuple(ir.TurnTarget(i, m.role, -1, train=m.train)
                  for i, m in enumerate(conv.messages))
    content = canonical_hash([conv.source_format, conv.source_id, conv.system,
                              [[m.role.value, m.content, m.train] for m in conv.messages]])
    return ir.Job(key=f"{ds.name}:{conv.source_id}", dataset=ds.name,
                  kind=JobKind.CONVERSATION, cell=(("import", conv.source_id),), replicate=0,
                  seed=0, model=ir.ModelConfig(f"{IMPORT_MODEL}:{conv.source_format}"),
                  context=ctx, turns=turns, templates=template.templates,
                  gates=template.gates, gate_thresholds=template.gate_thresholds,
                  content_hash=content, gates_hash=template.gates_hash)


def _known(table: dict, name) -> str:
    return name if isinstance(name, str) and name in table else ""


def import_run(convs: list[IngestedConversation], plan: ir.Plan, dataset: str,
               run_dir: Path, source: Path) -> ImportSummary:
    """Write plan.json and a store holding the conversations into a new run directory."""
    from bdsl.store import Store, TurnRecord, Usage

    plan = imported_plan(plan, dataset, convs)
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "plan.json").write_text(to_json(plan) + "\n", encoding="utf-8")
    store = Store.open(run_dir)
    try:
        run_id = store.start_run(plan, IMPORT_MODEL, {"import": str(source)})
        store.sync_jobs(run_id, plan, [(j, j.content_hash) for j in plan.jobs])
        for job, conv in zip(plan.jobs, convs, strict=True):
            now = time.time()
            turns = [TurnRecord(i, i, m.role, TurnKind.MESSAGE, m.content, m.train,
                                target=job.turns[i]) for i, m in enumerate(conv.messages)]
            provenance = {
                "spec": {"name": plan.spec.name, "version": plan.spec.version,
                         "path": plan.spec.path},
                "regulations": to_data(plan.spec.regulations), "spec_hash": plan.spec_hash,
                "plan_hash": plan.plan_hash, "job_key": job.key, "job_hash": job.content_hash,
                "effective_hash": job.content_hash, "gates_hash": job.gates_hash,
                "model": job.model.name, "params": {}, "seed": 0, "templates": {},
                "tokens": {"prompt": 0, "completion": 0}, "cost_usd": 0.0, "calls": 0,
                "started_at": now, "finished_at": now, "bdsl_version": _bdsl_version(),
                "import": import_record(conv, source)}
            store.finish_job(run_id, job, job.content_hash, job.model.name, {}, turns,
                             Usage(), now, provenance)
        store.update_run(run_id, status="done", finished=True)
    finally:
        store.close()
    matched = {axis: sum(1 for j in plan.jobs if getattr(j.context, axis))
               for axis in ("user", "arc", "topic")}
    return ImportSummary(len(convs), sum(len(c.messages) for c in convs), matched,
                         sum(1 for c in convs if c.system))


def _bdsl_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("bdsl")
    except PackageNotFoundError:
        return "unknown"


def import_record(conv: IngestedConversation, source: Path) -> dict:
    """What the store keeps about the file: its ids, names, system prompt and per-message
    facts (finish reason, recorded emotional state), by message position (= turn seq)."""
    return {"file": Path(source).name, "format": conv.source_format,
            "source_id": conv.source_id, "line": conv.line, "system_prompt": conv.system,
            "scaffolding": dict(conv.scaffolding), "metadata": dict(conv.metadata),
            "messages": [{"finish_reason": m.finish_reason,
                          "emotional_state": m.emotional_state, "valence": m.valence}
                         for m in conv.messages]}
