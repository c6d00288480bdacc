"""brightrun-v4: the upstream platform's rich per-turn format (schema in docs/exports.md).

One training pair per assistant message: the history before the user message it answers,
that user message with its detected emotions (the stored annotation), the target
response, and training metadata: the arc's emotional target for that user turn, the
strategy, judged quality scores, review fields. Judges score whole conversations, so the
scores repeat across a conversation's pairs. A metric that was not judged, or a judge
that gave no valid verdict, is null: nothing here is filled in.
"""

from __future__ import annotations

import statistics
from collections import Counter

from bdsl import ir
from bdsl.export import stats
from bdsl.export.provenance import record_provenance
from bdsl.export.quality import judged_scores

FORMAT = "brightrun-v4"
# judged metric -> quality_criteria key
CRITERIA = {"empathy": "empathy_score", "clarity": "clarity_score",
            "appropriateness": "appropriateness_score",
            "brand_voice_alignment": "brand_voice_alignment"}


def quality(item, index: ir.PlanIndex) -> tuple[float | None, dict]:
    """(quality_score, quality_criteria): the criteria are the judged scores (None when
    not judged); quality_score is the mean of every judged score the conversation has
    (including metrics outside the four criteria), None when none was judged."""
    scores = judged_scores(item, index)
    criteria = {key: (scores[m].score if m in scores else None) for m, key in CRITERIA.items()}
    measured = [s.score for s in scores.values() if s.score is not None]
    return (round(statistics.mean(measured), 4) if measured else None), criteria


def _target(t: ir.TurnTarget | None) -> dict | None:
    if t is None or not t.emotion:
        return None
    return {"turn_index": t.index, "stage": t.stage, "emotion": t.emotion,
            "intensity": t.intensity, "valence": t.valence}


def _emotions(annotation) -> dict | None:
    if annotation is None:
        return None
    return {"primary": annotation.primary_emotion, "secondary": annotation.secondary_emotion,
            "intensity": annotation.intensity, "valence": annotation.valence}


def conversation_record(item, index: ir.PlanIndex) -> dict:
    score, criteria = quality(item, index)
    turns = {t.seq: t for t in item.conv.turns}
    pairs, history = [], []
    last_user = None  # (message, turn record) of the latest user message
    for position, m in enumerate(item.messages):
        t = turns[m.seq]
        if m.role == "assistant":
            user_msg, user_turn = last_user if last_user else (None, None)
            before = history[:-1] if user_msg is not None else history
            pairs.append({
                "pair_index": len(pairs),
                "turn_index": position,
                "conversation_history": list(before),
                "user_message": user_msg.content if user_msg is not None else None,
                "detected_emotions": _emotions(user_turn.annotation) if user_turn else None,
                "target_response": m.content,
                "training_metadata": {
                    "emotional_progression_target": _target(user_turn.target
                                                            if user_turn else None),
                    "strategy_target": (t.target.strategy or None) if t.target else None,
                    "strategy_detected": t.annotation.strategy if t.annotation else None,
                    "quality_score": score,
                    "quality_criteria": criteria,
                    "human_reviewed": item.review.human_reviewed,
                    "reviewer_notes": list(item.review.notes),
                    "use_as_seed_example": item.review.seed_example,
                    "train": m.train,
                    "edited_by_reviewer": m.edited,
                    "user_message_edited_by_reviewer": bool(user_msg and user_msg.edited),
                },
            })
        else:
            last_user = (m, t)
        history.append({"role": m.role, "content": m.content})
    ctx = item.job.context
    return {
        "conversation_id": item.conv.id, "job_key": item.job.key, "split": item.split,
        "consultant": ctx.assistant, "system_prompt": item.system,
        "scaffolding": {"dataset": item.job.dataset, "kind": item.job.kind,
                        "persona": ctx.user or None, "arc": ctx.arc or None,
                        "topic": ctx.topic or None, "culture": ctx.culture or None,
                        "panel": ctx.panel or None, "methodology": ctx.methodology or None,
                        "curriculum": ctx.curriculum or None},
        "emotional_progression_target": [x for x in (_target(t) for t in item.job.turns) if x],
        "gate_outcome": item.gates.outcome,
        "gate_results": [{"gate": r.gate, "passed": r.passed, "score": r.score,
                          "threshold": r.threshold, "reason": r.reason}
                         for r in item.gates.results],
        "review_state": item.review.state,
        "reviewers": [{"role": role, "reviewer": who, "decision": "approve"}
                      for role, who in item.review.approvals],
        "provenance": record_provenance(item),
        "training_pairs": pairs,
    }


def consultant_profile(persona: ir.Persona | None) -> dict | None:
    if persona is None:
        return None
    return {"name": persona.display_name or persona.name, "persona": persona.name,
            "summary": persona.summary, "voice": persona.voice or None,
            "traits": {t.name: t.value for t in persona.traits},
            "signature_phrases": list(persona.signature_phrases),
            "storytelling": persona.storytelling or None, "humor": persona.humor or None,
            "boundaries": list(persona.boundaries), "principles": list(persona.principles)}


def training_file(items, ctx, split: str) -> dict:
    index = ctx.plan.index()
    convs = [conversation_record(i, index) for i in items]
    scored = [q for q in (quality(i, index) for i in items)]
    measured = [s for s, _ in scored if s is not None]

    def mean_of(key):
        values = [c[key] for _, c in scored if c[key] is not None]
        return round(statistics.mean(values), 4) if values else None

    assistants = Counter(i.job.context.assistant for i in items)
    main = min(assistants, key=lambda a: (-assistants[a], a)) if assistants else None
    pairs = [p for c in convs for p in c["training_pairs"]]
    return {
        "training_file_metadata": {
            "format": FORMAT, "split": split,
            "spec": ctx.plan.spec.name, "spec_versions": stats.spec_versions(items),
            "regulations": stats.regulation_versions(items),
            "spec_hash": ctx.plan.spec_hash, "plan_hash": ctx.plan.plan_hash,
            "models": stats.models(items),
            "generated_between": [min((i.conv.started_at for i in items), default=None),
                                  max((i.conv.finished_at for i in items), default=None)],
            "total_conversations": len(convs),
            "total_training_pairs": len(pairs),
            "trainable_pairs": sum(1 for p in pairs if p["training_metadata"]["train"]),
            "quality_summary": {
                "mean_quality_score": round(statistics.mean(measured), 4) if measured else None,
                "scored_conversations": len(measured),
                "mean_quality_criteria": {key: mean_of(key) for key in CRITERIA.values()},
                "gate_outcomes": dict(sorted(Counter(i.gates.outcome for i in items).items())),
                "gate_pass_rates_all_conversations": stats.gate_pass_rates(ctx.selection),
                "human_reviewed": sum(1 for i in items if i.review.human_reviewed),
                "with_reviewer_edits": sum(1 for i in items if i.edited),
                "seed_examples": sum(1 for i in items if i.review.seed_example)},
            "scaffolding_distribution": stats.distributions(items),
        },
        "consultant_profile": consultant_profile(index.persona.get(main) if main else None),
        "conversations": convs,
    }


def write(items, ctx, out) -> list[str]:
    import json

    files = []
    for split, part in ctx.splits(items):
        path = out / f"{split}.json"
        path.write_text(json.dumps(training_file(part, ctx, split), indent=2,
                                   ensure_ascii=False) + "\n", encoding="utf-8")
        files.append(path.name)
    return files
