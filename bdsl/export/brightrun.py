"""brightrun-v4: the upstream platform's rich per-turn format.

One training pair per assistant message: the history before it, the user message it
answers with its detected emotions (the annotation), the target response, and training
metadata (the arc's target for that turn, the strategy, judged quality scores, review).
Judges score whole conversations, so quality scores repeat across a conversation's pairs;
a metric that was not judged is null, never filled in.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter

from bdsl import ir
from bdsl.export.formats import provenance_summary
from bdsl.export.select import ExportItem

CRITERIA = {"empathy": "empathy_score", "clarity": "clarity_score",
            "appropriateness": "appropriateness_score",
            "brand_voice_alignment": "brand_voice_alignment"}


def judged_scores(item: ExportItem, index: ir.PlanIndex) -> dict[str, float]:
    out = {}
    for row in item.gates.results:
        gate = index.gate.get(row.gate)
        if gate is not None and gate.kind == "judge" and row.score is not None:
            out[gate.metric] = row.score
    return out


def conversation_record(item: ExportItem, index: ir.PlanIndex) -> dict:
    scores = judged_scores(item, index)
    criteria = {name: scores.get(metric) for metric, name in CRITERIA.items()}
    quality = round(statistics.mean(scores.values()), 4) if scores else None
    visible = [t for t in item.conv.turns if t.kind == "message"]
    by_seq = {m["seq"]: m for m in item.messages}
    pairs, history = [], []
    for i, t in enumerate(visible):
        m = by_seq[t.seq]
        if t.role == "assistant":
            user = next((v for v in reversed(visible[:i]) if v.role == "user"), None)
            ann = user.annotation if user is not None else None
            target = user.target if user is not None else None
            pairs.append({
                "pair_index": len(pairs),
                "conversation_history": list(history[:-1] if user is not None else history),
                "user_message": by_seq[user.seq]["content"] if user is not None else "",
                "detected_emotions": None if ann is None else {
                    "primary": ann.primary_emotion, "secondary": ann.secondary_emotion,
                    "intensity": ann.intensity, "valence": ann.valence},
                "target_response": m["content"],
                "training_metadata": {
                    "emotional_progression_target": None if target is None else {
                        "emotion": target.emotion, "intensity": target.intensity,
                        "stage": target.stage},
                    "strategy": t.target.strategy if t.target else "",
                    "quality_score": quality,
                    "quality_criteria": criteria,
                    "human_reviewed": item.review.human_reviewed,
                    "reviewer_notes": list(item.review.notes),
                    "use_as_seed_example": item.review.seed_example,
                    "train": m["train"], "edited_by_reviewer": m["edited"],
                },
            })
        history.append({"role": t.role, "content": m["content"]})
    ctx = item.job.context
    return {"conversation_id": item.conv.id, "job_key": item.job.key, "split": item.split,
            "scaffolding": {"persona": ctx.user, "arc": ctx.arc, "topic": ctx.topic,
                            "culture": ctx.culture, "panel": ctx.panel, "kind": item.job.kind},
            "gate_outcome": item.gates.outcome, "review_state": item.review.state,
            "provenance": provenance_summary(item), "training_pairs": pairs}


def training_file(items: list[ExportItem], plan: ir.Plan) -> dict:
    index = plan.index()
    convs = [conversation_record(i, index) for i in items]
    assistants = Counter(i.job.context.assistant for i in items)
    profile = index.persona.get(assistants.most_common(1)[0][0]) if assistants else None
    quality = [c["training_pairs"][0]["training_metadata"]["quality_score"] for c in convs
               if c["training_pairs"] and c["training_pairs"][0]["training_metadata"][
                   "quality_score"] is not None]

    def dist(attr):
        return dict(Counter(getattr(i.job.context, attr) or "-" for i in items))

    return {
        "training_file_metadata": {
            "format": "brightrun-v4", "created_at": time.time(),
            "spec": plan.spec.name, "spec_version": plan.spec.version,
            "regulations": {r.id: r.version for r in plan.spec.regulations},
            "total_conversations": len(convs),
            "total_training_pairs": sum(len(c["training_pairs"]) for c in convs),
            "quality_summary": {
                "mean_quality_score": round(statistics.mean(quality), 4) if quality else None,
                "scored_conversations": len(quality),
                "gate_outcomes": dict(Counter(i.gates.outcome for i in items)),
                "human_reviewed": sum(1 for i in items if i.review.human_reviewed),
                "seed_examples": sum(1 for i in items if i.review.seed_example)},
            "scaffolding_distribution": {"personas": dist("user"), "arcs": dist("arc"),
                                         "topics": dist("topic"), "cultures": dist("culture")},
        },
        "consultant_profile": None if profile is None else {
            "name": profile.display_name or profile.name, "summary": profile.summary,
            "voice": profile.voice, "traits": {t.name: t.value for t in profile.traits},
            "signature_phrases": list(profile.signature_phrases),
            "storytelling": profile.storytelling, "humor": profile.humor,
            "boundaries": list(profile.boundaries), "principles": list(profile.principles)},
        "conversations": convs,
    }
