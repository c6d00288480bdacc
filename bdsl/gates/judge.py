"""LLM-judged gates: a rubric per metric (stdlib/rubrics.yaml), structured output
{score 0..1, reason}, validated and retried; calls journaled like generation calls."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

from bdsl import ir
from bdsl.engine.port import CallRequest
from bdsl.gates.checks import _row
from bdsl.gates.view import Turn
from bdsl.outcomes import SOFT_MARGIN

SCHEMA = {"type": "object", "additionalProperties": False, "required": ["score", "reason"],
          "properties": {"score": {"type": "number", "minimum": 0, "maximum": 1},
                         "reason": {"type": "string"}}}
ATTEMPTS = 3


@cache
def rubrics() -> dict[str, str]:
    import yaml

    text = resources.files("bdsl.stdlib").joinpath("rubrics.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def judge_prompt(gate: ir.Gate, turns: list[Turn], assistant: ir.Persona | None) -> str:
    rubric = gate.rubric or rubrics().get(gate.metric, "")
    transcript = "\n".join(f"{t.role.upper()}: {t.content}" for t in turns)
    voice = ""
    if assistant is not None and gate.metric == "brand_voice_alignment":
        voice = (f"\nThe intended voice: {assistant.voice}\nSignature phrases: "
                 f"{'; '.join(assistant.signature_phrases)}\nNever: {'; '.join(assistant.boundaries)}\n")
    return (f"You are a strict evaluator of assistant replies for the metric "
            f"'{gate.metric}'.\nRubric: {rubric}\n{voice}\nConversation:\n{transcript}\n\n"
            'Answer with JSON: {"score": a number from 0 to 1, "reason": one sentence}.')


def parse_verdict(text: str) -> tuple[float, str]:
    data = json.loads(text[text.find("{"):text.rfind("}") + 1])
    score = data["score"]
    if isinstance(score, bool) or not isinstance(score, (int, float)) or not 0 <= score <= 1:
        raise ValueError(f"score {score!r} is not a number in [0, 1]")
    return float(score), str(data.get("reason", ""))


async def judge(gate: ir.Gate, threshold: float, turns: list[Turn], assistant, model: str,
                journal, job_key: str, content_hash: str):
    prompt = judge_prompt(gate, turns, assistant)
    problems = []
    for attempt in range(ATTEMPTS):
        req = CallRequest(model, (("user", prompt),), 0.0, 128 * 2 ** attempt, None,
                          attempt, SCHEMA, "verdict")
        rec, _cached = await journal.call(job_key, content_hash, f"judge:{gate.name}", -1,
                                          attempt, req)
        if rec.status == "truncated":
            problems.append("verdict truncated")
            continue
        try:
            score, reason = parse_verdict(rec.response_text)
        except (ValueError, KeyError, TypeError, json.JSONDecodeError) as e:
            problems.append(f"invalid verdict: {e}")
            continue
        passed = score > threshold if gate.op == ">" else score >= threshold  # as written
        soft = not passed and score >= threshold - SOFT_MARGIN
        return _row(gate, passed, reason or f"{gate.metric} {score:.2f}", score=score,
                    threshold=threshold, soft=soft, judge_model=model, call_id=rec.id)
    return _row(gate, False, "the judge gave no valid score: " + "; ".join(problems),
                threshold=threshold, soft=True, judge_model=model)
