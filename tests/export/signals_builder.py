"""A hand-built run store of tests/export/data/signals.bds: one conversation per job kind
whose stored signal the exports must keep (texts written here, so pairs differ).

    method:saver/worry_to_plan/budget:0  contrastive: conventional alternates and
                                         meta-commentary per reply; a reviewer edited the
                                         last reply (the dataset has edit_pairs true);
                                         train_on skip_first
    board:saver/worry_to_plan/budget:0   deliberation: two hidden perspectives per reply,
                                         a bad synthesis on the last
    path:saver/budget:0                  curriculum: two sessions, each opened by its
                                         session_state note (with a `skills` key, as an
                                         adaptive curriculum adds), a summary between; a
                                         reviewer edited the second session's reply
                                         (edit_pairs true)
"""

from __future__ import annotations

import json
from pathlib import Path

from bdsl import ir
from bdsl.serialize import to_json
from bdsl.store import Store
from bdsl.store.records import Annotation, TurnRecord, Usage
from tests.export import builder as b

SPEC = Path(__file__).parent / "data" / "signals.bds"
METHOD = "method:saver/worry_to_plan/budget:0"
BOARD = "board:saver/worry_to_plan/budget:0"
PATH = "path:saver/budget:0"

USER = ["I never know where my money goes each month.",
        "Okay, maybe I could list what I spent last week."]
METHOD_REPLIES = ["What have you tried so far to keep track?",
                  "Which of last week's expenses surprised you most?"]
CONVENTIONAL = ["Here is how budgeting works: list income, list expenses, subtract.",
                "Use the 50/30/20 rule: needs, wants, savings. Download a budgeting app."]
META = ["Asking first surfaces what they already do, instead of lecturing.",
        "A question about their own list keeps them doing the thinking."]
EDITED = "Which of last week's expenses surprised you, and how did that feel?"
PERSPECTIVES = [("planner", "List fixed costs first; rent is most of it."),
                ("skeptic", "A list they never look at again changes nothing.")]
SYNTHESES = ["Start with your three biggest costs this week; we can look at them together.",
             "Put the list where you will see it on payday, then we adjust one line."]
BAD_SYNTHESIS = "Budgets are different for everyone, so do whatever feels right."
SUMMARY = "Listed spending for the first time; worried about food costs; calmer at the end."
SKILLS = [["list spending"], ["set a limit"]]
PATH_REPLY = "Session {n}: what did you spend most on?"
PATH_EDITED = "Session 2: which cost would you cap first?"


def compile_signals() -> ir.Plan:
    return b.compile_plan(SPEC)


def _ann(primary, intensity, valence, strategy="none", secondary="none"):
    return Annotation(primary, secondary, intensity, valence, strategy)


def method_turns(job: ir.Job) -> list[TurnRecord]:
    t = job.turns
    out = []
    for k in range(2):
        user, reply = t[2 * k], t[2 * k + 1]
        out.append(TurnRecord(len(out), user.index, "user", "message", USER[k], True,
                              target=user, annotation=_ann(user.emotion, user.intensity,
                                                           user.valence or 0.0,
                                                           secondary="fear")))
        out.append(TurnRecord(len(out), reply.index, "assistant", "message", METHOD_REPLIES[k],
                              reply.train, target=reply,
                              annotation=_ann("calm", 0.3, 0.3, reply.strategy)))
        out.append(TurnRecord(len(out), reply.index, "assistant", "alternate", CONVENTIONAL[k],
                              False, label="conventional", target=reply))
        out.append(TurnRecord(len(out), reply.index, "assistant", "note", META[k], False,
                              label="meta_commentary", target=reply))
    return out


def board_turns(job: ir.Job) -> list[TurnRecord]:
    t = job.turns
    out = []
    for k in range(2):
        user, reply = t[2 * k], t[2 * k + 1]
        out.append(TurnRecord(len(out), user.index, "user", "message", USER[k], True,
                              target=user, annotation=_ann(user.emotion, user.intensity,
                                                           user.valence or 0.0)))
        for label, text in PERSPECTIVES:
            out.append(TurnRecord(len(out), reply.index, "assistant", "hidden",
                                  f"{text} (turn {reply.index})", False, label=label,
                                  target=reply))
        out.append(TurnRecord(len(out), reply.index, "assistant", "message", SYNTHESES[k],
                              reply.train, target=reply))
    last = t[-1]
    out.append(TurnRecord(len(out), last.index, "assistant", "alternate", BAD_SYNTHESIS, False,
                          label="bad_synthesis", target=last))
    return out


def path_turns(job: ir.Job) -> list[TurnRecord]:
    out, summary = [], ""
    for s in job.sessions:
        state = {"session": {"index": s.index, "number": s.index + 1,
                             "total": len(job.sessions), "difficulty": s.difficulty,
                             # later sessions start in the state the engine measured at
                             # the end of the one before (here: flow, like the first)
                             "learner_state": s.learner_state or "flow",
                             "skills": SKILLS[s.index]},
                 "previous_summary": summary}
        first = s.turns[0].index
        out.append(TurnRecord(len(out), first, "assistant", "note",
                              json.dumps(state, sort_keys=True), False, label="session_state",
                              session=s.index))
        for t in s.turns:
            text = (f"Session {s.index + 1}: " + USER[0] if t.role == "user"
                    else PATH_REPLY.format(n=s.index + 1))
            out.append(TurnRecord(len(out), t.index, t.role, "message", text, t.train,
                                  session=s.index, target=t))
        if s.index < len(job.sessions) - 1:
            out.append(TurnRecord(len(out), s.turns[-1].index, "assistant", "note", SUMMARY,
                                  False, label="session_summary", session=s.index))
            summary = SUMMARY
    return out


TURNS = {"contrastive": method_turns, "deliberation": board_turns, "curriculum": path_turns}


def build_signals_store(run_dir: Path, plan: ir.Plan | None = None,
                        curriculum_edit: bool = True) -> dict[str, int]:
    plan = plan or compile_signals()
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "plan.json").write_text(to_json(plan) + "\n", encoding="utf-8")
    store = Store.open(run_dir)
    ids = {}
    try:
        run_id = store.start_run(plan, "", {})
        store.sync_jobs(run_id, plan, [(j, j.content_hash) for j in plan.jobs])
        for job in plan.jobs:
            ids[job.key] = store.finish_job(
                run_id, job, job.content_hash, job.model.name, {}, TURNS[job.kind](job),
                Usage(6, 100, 50, None), b.T0, b.provenance(plan, job, job.content_hash))
        db = store.db
        db.execute("UPDATE conversations SET finished_at = started_at + 60")
        for key, cid in ids.items():
            job = next(j for j in plan.jobs if j.key == key)
            db.execute("INSERT INTO gate_results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (cid, "not_truncated", job.gates_hash, 1, None, None, "ok",
                        json.dumps({"soft": False}), b.T0))
        seq = next(t.seq for t in method_turns(next(j for j in plan.jobs if j.key == METHOD))
                   if t.content == METHOD_REPLIES[1])
        b.edit_turn(store, ids[METHOD], seq=seq, text=EDITED)
        if curriculum_edit:
            reply = next(t.seq for t in path_turns(next(j for j in plan.jobs if j.key == PATH))
                         if t.content == PATH_REPLY.format(n=2))
            b.edit_turn(store, ids[PATH], seq=reply, text=PATH_EDITED)
    finally:
        store.close()
    return ids
