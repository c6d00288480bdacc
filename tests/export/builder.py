"""A run store built by hand: a compiled plan and conversations whose gate results and
reviews are inserted directly, so every review state and turn kind is present on purpose.

    money:saver/worry_to_plan/budget:0    approved (brand + clinical), seed, note, edited turn
    money:saver/worry_to_plan/savings:0   accepted_unsampled (passed, sample 0%)
    money:saver/worry_to_plan/debt:0      awaiting_review, gates passed (brand approved only)
    money:spender/worry_to_plan/budget:0  awaiting_review after a soft judge failure
    money:spender/worry_to_plan/savings:0 blocked (not_truncated failed)
    money:spender/worry_to_plan/debt:0    rejected by clinical
    board:saver/budget:0                  accepted_unsampled deliberation: hidden
                                          perspectives and a bad-synthesis alternate
"""

from __future__ import annotations

import json
from pathlib import Path

from bdsl import ir
from bdsl.compiler.pipeline import compile_path
from bdsl.serialize import to_data, to_json
from bdsl.store import Store
from bdsl.store.records import Annotation, TurnRecord, Usage

SPEC = Path(__file__).parent / "data" / "spec.bds"
T0 = 1_760_000_000.0

APPROVED = "money:saver/worry_to_plan/budget:0"
UNSAMPLED = "money:saver/worry_to_plan/savings:0"
AWAITING = "money:saver/worry_to_plan/debt:0"
SOFT_FAIL = "money:spender/worry_to_plan/budget:0"
BLOCKED = "money:spender/worry_to_plan/savings:0"
REJECTED = "money:spender/worry_to_plan/debt:0"
BOARD = "board:saver/budget:0"

# job -> {gate: (passed, score, soft)}
GATES = {
    APPROVED: {"not_truncated": (1, None, 0), "empathy": (1, 0.82, 0), "clarity": (1, 0.9, 0)},
    UNSAMPLED: {"not_truncated": (1, None, 0), "empathy": (1, 0.75, 0),
                "clarity": (1, 0.8, 0)},
    AWAITING: {"not_truncated": (1, None, 0), "empathy": (1, 0.9, 0), "clarity": (1, 0.85, 0)},
    SOFT_FAIL: {"not_truncated": (1, None, 0), "empathy": (0, 0.65, 1),
                "clarity": (1, 0.8, 0)},
    BLOCKED: {"not_truncated": (0, None, 0), "empathy": (1, 0.8, 0), "clarity": (1, 0.8, 0)},
    REJECTED: {"not_truncated": (1, None, 0), "empathy": (1, 0.71, 0), "clarity": (1, 0.7, 0)},
    BOARD: {"not_truncated": (1, None, 0)},
}
# job -> [(reviewer, role, decision, notes, seed)]
REVIEWS = {
    APPROVED: [("ana", "brand", "approve", "good pacing", 1),
               ("cy", "clinical", "approve", "", 0)],
    AWAITING: [("ana", "brand", "approve", "", 0)],
    REJECTED: [("cy", "clinical", "reject", "promises a result", 0)],
}
EDITED_TEXT = "Here is a plan we can test together this month, one step at a time."


def compile_plan(spec: Path = SPEC, version: str | None = None,
                 regulation: str | None = None, replace: dict[str, str] | None = None
                 ) -> ir.Plan:
    text = spec.read_text(encoding="utf-8")
    if version:
        text = text.replace('version "3.1.0"', f'version "{version}"')
    if regulation:
        text = text.replace('version "2024-09"', f'version "{regulation}"')
    for old, new in (replace or {}).items():
        assert old in text, old
        text = text.replace(old, new)
    result = compile_path(spec, text)
    assert result.plan is not None, result.diagnostics
    return result.plan


def provenance(plan: ir.Plan, job: ir.Job, content_hash: str) -> dict:
    return {"spec": {"name": plan.spec.name, "version": plan.spec.version,
                     "path": plan.spec.path},
            "regulations": to_data(plan.spec.regulations), "spec_hash": plan.spec_hash,
            "plan_hash": plan.plan_hash, "job_key": job.key, "job_hash": job.content_hash,
            "effective_hash": content_hash, "gates_hash": job.gates_hash,
            "model": job.model.name, "params": {}, "seed": job.seed, "templates": {},
            "tokens": {"prompt": 100, "completion": 50}, "cost_usd": None, "calls": 6,
            "started_at": T0, "finished_at": T0 + 1, "bdsl_version": "test"}


def turns_for(job: ir.Job, n: int) -> list[TurnRecord]:
    """Visible messages from the job's targets; user turns annotated, assistant turns with
    the strategy the annotator detected."""
    out, seq = [], 0
    for t in job.turns:
        if t.role == "user":
            text = f"[{n}] I'm worried about {job.context.topic} (turn {t.index})."
            ann = Annotation(t.emotion or "anxiety", "fear", 0.7 - 0.1 * t.index, -0.5,
                             "none")
        else:
            text = f"[{n}] Let's look at {job.context.topic} together (turn {t.index})."
            ann = Annotation("calm", "none", 0.3, 0.4, t.strategy or "validate")
        out.append(TurnRecord(seq, t.index, t.role, "message", text, t.train, target=t,
                              annotation=ann))
        seq += 1
    return out


def deliberation_turns(job: ir.Job) -> list[TurnRecord]:
    user, assistant = job.turns
    return [
        TurnRecord(0, 0, "user", "message", "Should I pay rent or the card first?", True,
                   target=user),
        TurnRecord(1, 1, "assistant", "hidden", "planner: rent first, it's the roof.", False,
                   label="planner", target=assistant),
        TurnRecord(2, 1, "assistant", "hidden", "skeptic: late fees on the card add up.",
                   False, label="skeptic", target=assistant),
        TurnRecord(3, 1, "assistant", "message", "Pay rent first, then the card minimum.",
                   True, target=assistant),
        TurnRecord(4, 1, "assistant", "alternate", "Either is fine, do what feels right.",
                   False, label="bad_synthesis", target=assistant),
    ]


def build_store(run_dir: Path, plan: ir.Plan | None = None, only: tuple[str, ...] = (),
                edit: bool = True) -> dict[str, int]:
    """Write plan.json and a store with one conversation per job; returns job key -> id."""
    plan = plan or compile_plan()
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "plan.json").write_text(to_json(plan) + "\n", encoding="utf-8")
    store = Store.open(run_dir)
    ids = {}
    try:
        run_id = store.start_run(plan, "", {})
        store.sync_jobs(run_id, plan, [(j, j.content_hash) for j in plan.jobs])
        for n, job in enumerate(plan.jobs):
            if only and job.key not in only:
                continue
            turns = deliberation_turns(job) if job.kind == "deliberation" else turns_for(job, n)
            ids[job.key] = store.finish_job(run_id, job, job.content_hash, job.model.name, {},
                                            turns, Usage(6, 100, 50, None), T0,
                                            provenance(plan, job, job.content_hash))
        db = store.db
        db.execute("UPDATE conversations SET finished_at = started_at + 60")
        for key, cid in ids.items():
            job = next(j for j in plan.jobs if j.key == key)
            for gate, (passed, score, soft) in GATES[key].items():
                threshold = 0.7 if score is not None else None
                db.execute("INSERT INTO gate_results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           (cid, gate, job.gates_hash, passed, score, threshold,
                            "ok" if passed else "below threshold",
                            json.dumps({"soft": bool(soft)}), T0))
            for k, (who, role, decision, notes, seed) in enumerate(REVIEWS.get(key, ())):
                add_review(db, cid, who, role, decision, notes, seed, at=T0 + k)
        if edit and APPROVED in ids:
            edit_turn(store, ids[APPROVED], seq=3, text=EDITED_TEXT)
    finally:
        store.close()
    return ids


def add_review(db, cid, who, role, decision, notes="", seed=0, edited=None, at=T0):
    db.execute("INSERT INTO reviews (conversation_id, reviewer, role, decision, notes,"
               " use_as_seed_example, edited_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
               (cid, who, role, decision, notes, seed,
                None if edited is None else json.dumps(edited), at))


def edit_turn(store, cid: int, seq: int, text: str) -> None:
    """An `edit` review as the review TUI stores one: every visible message, the changed
    one with edited=true."""
    rows = store.db.execute("SELECT seq, role, content FROM turns WHERE conversation_id=? AND"
                            " kind='message' ORDER BY seq", (cid,)).fetchall()
    messages = [{"seq": s, "role": r, "content": text if s == seq else c, "edited": s == seq}
                for s, r, c in rows]
    add_review(store.db, cid, "ana", "brand", "edit", f"edited turn {seq}", 0, messages,
               at=T0 + 10)
