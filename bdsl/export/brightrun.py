"""brightrun-v4: the upstream platform's `brightrun-lora-v4` training file, field by field
(shared/design/BRIGHTRUN_V4.md; the schema is schemas/brightrun-lora-v4.schema.json).

Per split: `<split>.json` (the full file), `<split>.jsonl` (a `_meta` line, then one
training pair per line, ids suffixed with the conversation id's first 8 characters) and
`<split>.provenance.jsonl` (what upstream has no field for: job key, gate results,
reviewers, generation provenance; one line per conversation).

One training pair per assistant reply the spec trains on. Every value is measured or
recorded, or null: judged scores 0..1 become upstream's 1..5 as 1 + 4*s; nothing gives a
confidence, a consultant's business or years, or a variation count, so those stay null.
A curriculum session is its own conversation with its own system prompt. The manifest
lists which upstream constraints the file therefore does not meet.
"""

from __future__ import annotations

import json
import statistics
import uuid
from collections import Counter
from datetime import UTC, datetime

from bdsl import ir
from bdsl.export import brightrun_schema
from bdsl.export.provenance import record_provenance
from bdsl.export.quality import judged_scores

FORMAT = "brightrun-v4"
FORMAT_SPEC = "brightrun-lora-v4"
VERSION = "4.0.0"
ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "bdsl:export:brightrun-v4")
# judged metric -> quality_criteria key
CRITERIA = {"empathy": "empathy_score", "clarity": "clarity_score",
            "appropriateness": "appropriateness_score",
            "brand_voice_alignment": "brand_voice_alignment"}


def to_five(score: float | None) -> float | None:
    """A judged 0..1 score on upstream's 1..5 scale: 1 + 4*s."""
    return None if score is None else round(1 + 4 * score, 4)


def quality(item, index: ir.PlanIndex) -> tuple[float | None, dict]:
    """(quality_score, quality_criteria) on 1..5: the criteria are the judged scores of
    those metrics; quality_score the mean of every judged score the conversation has;
    None when not judged (judges score whole conversations, so pairs repeat them)."""
    scores = judged_scores(item, index)
    criteria = {key: to_five(scores[m].score if m in scores else None)
                for m, key in CRITERIA.items()}
    measured = [s.score for s in scores.values() if s.score is not None]
    return (to_five(statistics.mean(measured)) if measured else None), criteria


def quality_tier(item) -> str:
    """seed_dataset: a reviewer marked it a seed example; production: approved by
    reviewers; experimental: passed its gates, no human looked at it."""
    if item.review.seed_example:
        return "seed_dataset"
    return "production" if item.review.human_reviewed else "experimental"


class Conversations:
    """Builds the file's parts from export items (one conversation per segment)."""

    def __init__(self, ctx):
        self.plan = ctx.plan
        self.index = ctx.plan.index()

    # --- scaffolding ---------------------------------------------------------------

    def scaffolding(self, item) -> dict:
        """persona / arc / topic keys and names; an imported conversation keeps its file's."""
        imported = (item.imported or {}).get("scaffolding") or {}
        c, ix = item.job.context, self.index
        persona, arc, topic = ix.persona.get(c.user), ix.arc.get(c.arc), ix.topic.get(c.topic)
        return {
            "persona_key": c.user or imported.get("persona_key"),
            "persona_name": (persona.display_name or persona.name) if persona
            else imported.get("persona_name"),
            "emotional_arc_key": c.arc or imported.get("emotional_arc_key"),
            "emotional_arc": arc_name(arc) if arc else imported.get("emotional_arc"),
            "training_topic_key": c.topic or imported.get("training_topic_key"),
            "training_topic": topic.title if topic else imported.get("training_topic"),
        }

    def pair_metadata(self, item, segment, scaffold: dict, target) -> dict:
        ix, c = self.index, item.job.context
        persona, arc, topic = ix.persona.get(c.user), ix.arc.get(c.arc), ix.topic.get(c.topic)
        curriculum = ix.curriculum.get(c.curriculum)
        return {
            "client_persona": scaffold["persona_name"],
            "persona_archetype": scaffold["persona_key"],
            "client_background": (persona.background or persona.summary) if persona else None,
            "emotional_arc": scaffold["emotional_arc"],
            "emotional_arc_key": scaffold["emotional_arc_key"],
            "training_topic": scaffold["training_topic"],
            "training_topic_key": scaffold["training_topic_key"],
            "session_context": session_context(segment) if segment.session is not None
            else (topic.description or None) if topic else None,
            "conversation_phase": (f"stage_{target.stage + 1}_{target.emotion}"
                                   if target is not None and target.stage >= 0 else None),
            "expected_outcome": curriculum.mastery if curriculum
            else (f"{arc.stages[-1].emotion}({arc.stages[-1].intensity})" if arc else None),
        }

    # --- per message ---------------------------------------------------------------

    def emotional_state(self, item, message, turn) -> dict | None:
        a = turn.annotation
        if a is not None:
            state = {"primary": a.primary_emotion}
            if a.secondary_emotion and a.secondary_emotion != "none":
                state["secondary"] = a.secondary_emotion
            state["intensity"] = a.intensity
            return state
        recorded = _imported_message(item, message.seq).get("emotional_state")
        return dict(recorded) if recorded else None

    def detected_emotions(self, item, message, turn) -> dict | None:
        state = self.emotional_state(item, message, turn)
        if state is None:
            return None
        out = {"primary": state["primary"], "primary_confidence": None}
        if "secondary" in state:
            out.update(secondary=state["secondary"], secondary_confidence=None)
        out["intensity"] = state.get("intensity")
        if turn.annotation is not None:
            out["valence"] = self.valence(turn.annotation)
        else:
            out["valence"] = _imported_message(item, message.seq).get("valence")
        return out

    def valence(self, a) -> str:
        """mixed when the primary and secondary emotions pull opposite ways (their
        valences in the plan's emotion table), else the sign of the measured valence."""
        p, s = self.index.emotion.get(a.primary_emotion), self.index.emotion.get(
            a.secondary_emotion)
        if p is not None and s is not None and p.valence * s.valence < 0:
            return "mixed"
        return "positive" if a.valence > 0 else "negative" if a.valence < 0 else "mixed"

    def objective(self, target) -> str | None:
        strategy = self.index.strategy.get(target.strategy) if target else None
        return f"{strategy.name}: {strategy.description}" if strategy else None

    # --- a conversation --------------------------------------------------------------

    def conversation(self, item, segment) -> tuple[dict, dict]:
        """(the conversation, its provenance line)."""
        cid = conversation_id(item, segment)
        turns = {t.seq: t for t in item.conv.turns}
        scaffold = self.scaffolding(item)
        score, criteria = quality(item, self.index)
        arc = self.index.arc.get(item.job.context.arc)
        difficulty = (segment.state or {}).get("session", {}).get("difficulty")
        history, pairs, replies = [], [], 0
        for n, m in enumerate(segment.messages, 1):
            turn = turns[m.seq]
            entry = {"turn": n, "role": m.role, "content": m.content,
                     "emotional_state": self.emotional_state(item, m, turn)}
            if m.role == "assistant":
                replies += 1
                user = history[-1] if history and history[-1]["role"] == "user" else None
                user_turn = turns[segment.messages[n - 2].seq] if user else None
                if m.train:
                    pairs.append({
                        "id": f"{cid}_turn{n}", "conversation_id": cid, "turn_number": n,
                        "conversation_metadata": self.pair_metadata(
                            item, segment, scaffold, user_turn.target if user_turn else None),
                        "system_prompt": segment.system,
                        "conversation_history": history[:-1] if user else list(history),
                        "current_user_input": user["content"] if user else None,
                        "emotional_context": {"detected_emotions": self.detected_emotions(
                            item, segment.messages[n - 2], user_turn) if user else None},
                        "target_response": m.content,
                        "training_metadata": {
                            "difficulty_level": None if difficulty is None else str(difficulty),
                            "key_learning_objective": self.objective(turn.target),
                            "demonstrates_skills": _skills(turn),
                            "conversation_turn": replies,
                            "emotional_progression_target": progression(arc),
                            "quality_score": score, "quality_criteria": dict(criteria),
                            "human_reviewed": item.review.human_reviewed,
                            "reviewer_notes": "\n".join(item.review.notes) or None,
                            "use_as_seed_example": item.review.seed_example,
                            "generate_variations_count": None}})
            history.append(entry)
        meta = {"conversation_id": cid, "source_file": source_file(item, segment),
                "created_date": _date(item.conv.started_at),
                "batch_id": str(uuid.uuid5(ID_NAMESPACE, f"{self.plan.spec.name}|run|"
                                                         f"{item.conv.run_id}")),
                "total_turns": len(segment.messages), "quality_tier": quality_tier(item),
                "scaffolding": scaffold}
        provenance = {"conversation_id": cid, "job_key": item.job.key,
                      "session": segment.session, **_review_and_gates(item),
                      "provenance": record_provenance(item)}
        return {"conversation_metadata": meta, "training_pairs": pairs}, provenance


def arc_name(arc: ir.Arc) -> str:
    """`Anxiety → Hopeful`: the arc's stage emotions."""
    return " → ".join(s.emotion.replace("_", " ").title() for s in arc.stages)


def progression(arc: ir.Arc | None) -> str | None:
    """The arc's targets, e.g. `anxiety(0.8) → hopeful(0.5)`: every stage, as planned."""
    return " → ".join(f"{s.emotion}({s.intensity})" for s in arc.stages) if arc else None


def session_context(segment) -> str:
    """A curriculum session, from the exact variables its prompts saw."""
    state = segment.state or {}
    session = dict(state.get("session") or {})
    number, total = session.pop("number", None), session.pop("total", None)
    session.pop("index", None)
    parts = [f"session {number} of {total}"]
    parts += [f"{k.replace('_', ' ')}: {_text(v)}" for k, v in sorted(session.items())]
    if state.get("previous_summary"):
        parts.append(f"from earlier sessions: {state['previous_summary']}")
    return "; ".join(parts)


def _text(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def conversation_id(item, segment) -> str:
    """A uuid: the imported file's own id when it is one, else derived from the job key,
    the content hash and the session (stable across exports)."""
    source = (item.imported or {}).get("source_id")
    if source and segment.session is None:
        try:
            return str(uuid.UUID(str(source)))
        except ValueError:
            pass
    return str(uuid.uuid5(ID_NAMESPACE, f"{item.job.key}|{item.conv.content_hash}|"
                                        f"{segment.session}"))


def source_file(item, segment) -> str:
    imported = item.imported
    if imported:
        return imported.get("file", "")
    where = f"bdsl:{item.conv.provenance['spec']['name']}:{item.job.key}"
    return where if segment.session is None else f"{where}#session{segment.session}"


def _skills(turn) -> list[str]:
    """The strategy the annotator found in the reply (measured), when it found one."""
    a = turn.annotation
    return [a.strategy] if a is not None and a.strategy not in ("", "none") else []


def _imported_message(item, seq: int) -> dict:
    messages = (item.imported or {}).get("messages") or []
    return messages[seq] if 0 <= seq < len(messages) else {}


def _review_and_gates(item) -> dict:
    return {"gate_outcome": item.gates.outcome,
            "gate_results": [{"gate": r.gate, "passed": r.passed, "score": r.score,
                              "threshold": r.threshold, "reason": r.reason}
                             for r in item.gates.results],
            "review_state": item.review.state,
            "reviewers": [{"role": role, "reviewer": who, "decision": "approve"}
                          for role, who in item.review.approvals]}


def _date(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).date().isoformat()


def _datetime(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def consultant_profile(persona: ir.Persona | None, techniques: list[str]) -> dict:
    """The assistant persona in upstream's profile; what a persona does not say is null."""
    p = persona
    principles = list(p.principles) if p else []
    return {
        "name": (p.display_name or p.name) if p else None,
        "business": None,
        "expertise": p.summary if p else None,
        "years_experience": None,
        "core_philosophy": {f"principle_{i}": principles[i - 1] if i <= len(principles)
                            else None for i in range(1, 6)},
        "communication_style": {"tone": (p.voice or None) if p else None,
                                "techniques": techniques,
                                "avoid": list(p.boundaries) if p else []},
    }


def training_file(items, ctx, file_name: str) -> tuple[dict, list[dict]]:
    """(the full file, provenance lines)."""
    builder = Conversations(ctx)
    index = builder.index
    convs, provenance = [], []
    for item in items:
        for seg in item.segments:
            conv, prov = builder.conversation(item, seg)
            convs.append(conv)
            provenance.append(prov)
    pairs = [p for c in convs for p in c["training_pairs"]]
    scores = [p["training_metadata"]["quality_score"] for p in pairs
              if p["training_metadata"]["quality_score"] is not None]
    reviewed = sum(1 for p in pairs if p["training_metadata"]["human_reviewed"])
    assistants = Counter(i.job.context.assistant for i in items)
    main = min(assistants, key=lambda a: (-assistants[a], a)) if assistants else None
    techniques = sorted({s for i in items if i.job.context.assistant == main
                         for s in i.job.context.strategies})

    def distribution(key):
        counts = Counter(c["conversation_metadata"]["scaffolding"][key] for c in convs)
        counts.pop(None, None)
        return dict(sorted(counts.items()))

    data = {
        "training_file_metadata": {
            "file_name": file_name, "version": VERSION,
            "created_date": _datetime(min(i.conv.started_at for i in items)),
            "last_updated": _datetime(max(i.conv.finished_at for i in items)),
            "format_spec": FORMAT_SPEC,
            "vertical": ctx.plan.spec.name,
            "total_conversations": len(convs),
            "total_training_pairs": len(pairs),
            "quality_summary": {
                "avg_quality_score": round(statistics.mean(scores), 4) if scores else None,
                "min_quality_score": min(scores) if scores else None,
                "max_quality_score": max(scores) if scores else None,
                "human_reviewed_count": reviewed,
                "human_reviewed_percentage": round(100 * reviewed / len(pairs), 2)
                if pairs else 0.0},
            "scaffolding_distribution": {"personas": distribution("persona_key"),
                                         "emotional_arcs": distribution("emotional_arc_key"),
                                         "training_topics": distribution("training_topic_key")},
        },
        "consultant_profile": consultant_profile(index.persona.get(main) if main else None,
                                                 techniques),
        "conversations": convs,
    }
    return data, provenance


def jsonl_lines(data: dict, file_name: str) -> list[dict]:
    """The JSONL variant: `_meta`, then every pair with a target response, its id suffixed
    with the first 8 characters of its conversation id."""
    pairs = [dict(p, id=f"{p['id']}_{p['conversation_id'][:8]}")
             for c in data["conversations"] for p in c["training_pairs"]
             if p["target_response"] is not None]
    return [{"_meta": {"file_name": file_name, "total_pairs": len(pairs),
                       "version": VERSION}}] + pairs


def write(items, ctx, out) -> list[str]:
    files, report = [], {}
    schema = brightrun_schema.bdsl_schema()
    for split, part in ctx.splits(items):
        data, provenance = training_file(part, ctx, f"{split}.json")
        problems = brightrun_schema.grouped_errors(schema, data)
        if problems:  # a bug in this module, never the user's data
            (field, constraint), _ = problems[0]
            raise ctx.error(f"the brightrun-v4 file does not match its schema: {field}: "
                            f"{constraint}")
        path = out / f"{split}.json"
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        files.append(path.name)
        files.append(ctx.write_jsonl(out / f"{split}.jsonl", jsonl_lines(data, f"{split}.jsonl")))
        files.append(ctx.write_jsonl(out / f"{split}.provenance.jsonl", provenance))
        report[split] = {"conversations": len(data["conversations"]),
                         "training_pairs": data["training_file_metadata"]["total_training_pairs"],
                         "upstream_constraints_not_met": brightrun_schema.upstream_gaps(data)}
    ctx.checks["brightrun_v4"] = {"schema": "bdsl/export/schemas/" + brightrun_schema.SCHEMA_FILE,
                                  "valid": True, "splits": report}
    return files
