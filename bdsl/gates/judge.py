"""LLM-judged gates. Each metric's rubric (stdlib/rubrics.yaml) is rendered by the plan's
`judge` template with the spec context the metric needs (bdsl.gates.catalog names it: the
rules for compliance, the culture pack for cultural fit, the perspectives and the recorded
dissent for synthesis quality, the sessions for a curriculum, ...). The verdict is
structured output {score 0..1, reason}, validated and retried, journaled like generation.

A transcript too long for the judge's context is judged in windows (a curriculum session
by session), and the window scores combine by the metric's rule (mean, or min where one
violation is enough). No judge failure is fatal: a call that fails or gives no valid verdict
becomes a soft result (the conversation goes to review) with the reason recorded.
"""

from __future__ import annotations

import json
import statistics
from functools import cache
from importlib import resources

import attrs

from bdsl import ir
from bdsl.engine.port import CallFailed, CallRequest
from bdsl.gates.catalog import JUDGE_METRICS
from bdsl.gates.checks import _row
from bdsl.gates.view import Turn
from bdsl.outcomes import SOFT_MARGIN

SCHEMA = {"type": "object", "additionalProperties": False, "required": ["score", "reason"],
          "properties": {"score": {"type": "number", "minimum": 0, "maximum": 1},
                         "reason": {"type": "string"}}}
ATTEMPTS = 3
VERDICT_TOKENS = 128
CHARS_PER_TOKEN = 3.0  # conservative for English prose: estimates err towards windowing


@cache
def rubrics() -> dict[str, str]:
    import yaml

    text = resources.files("bdsl.stdlib").joinpath("rubrics.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


@attrs.frozen
class JudgeInput:
    """What a judge sees besides the transcript."""

    variables: dict  # the job's template variables (JobVariables.for_step())
    renderer: object  # bdsl.engine.prompts.PromptRenderer over the plan's templates
    notes: tuple[tuple[int, str, str], ...] = ()  # (turn index, label, content)
    context_tokens: int = 4096  # the judge model's context window


def passes(score: float, op: str, threshold: float) -> bool:
    return score > threshold if op == ">" else score >= threshold


def parse_verdict(text: str) -> tuple[float, str]:
    data = json.loads(text[text.find("{"):text.rfind("}") + 1])
    score = data["score"]
    if isinstance(score, bool) or not isinstance(score, (int, float)) or not 0 <= score <= 1:
        raise ValueError(f"score {score!r} is not a number in [0, 1]")
    return float(score), str(data.get("reason", ""))


def context_of(turns: list[Turn], notes) -> dict:
    """The conversation's own records a judge may need, keyed to visible turn indexes."""
    visible = {t.target.index: t.index for t in turns if t.target is not None}
    by = {}
    for idx, label, content in notes:
        by.setdefault(label, []).append((visible.get(idx, idx), content))
    minority = [{"turn": i, **json.loads(c)} for i, c in by.get("minority_view", ())]
    meta = dict(by.get("meta_commentary", ()))
    contrasts = [{"turn": i, "conventional": c, "meta": meta.get(i, "")}
                 for i, c in by.get("conventional", ())]
    sessions = [json.loads(c)["session"] for _, c in by.get("session_state", ())]
    targets = [{"turn": t.index, "emotion": t.target.emotion, "intensity": t.target.intensity}
               for t in turns if t.role == "user" and t.target is not None and t.target.emotion]
    return {"minority_views": minority, "contrasts": contrasts, "sessions": sessions,
            "targets": targets}


def judge_prompt(gate: ir.Gate, turns: list[Turn], inp: JudgeInput, window: dict | None = None,
                 all_turns: list[Turn] | None = None) -> str:
    spec = JUDGE_METRICS[gate.metric]
    extra = context_of(all_turns or turns, inp.notes)
    if window is not None:
        shown = {t.index for t in turns}
        extra = {k: [x for x in v if x.get("turn", -1) in shown] if k != "sessions" else
                 [s for s in v if window.get("session") in (None, s.get("index"))]
                 for k, v in extra.items()}
    return inp.renderer.render(
        "judge", **inp.variables, **extra, metric=gate.metric,
        rubric=gate.rubric or rubrics().get(gate.metric, ""), needs=list(spec.context),
        window=window, transcript=[{"index": t.index, "role": t.role, "content": t.content}
                                   for t in turns])


def windows(gate: ir.Gate, turns: list[Turn], inp: JudgeInput) -> list[tuple[list[Turn], dict]]:
    """The transcript in pieces that fit the judge's context: whole if it fits, else by
    session (curricula), else greedily by turns; a turn too long alone is cut to fit."""
    budget = inp.context_tokens - VERDICT_TOKENS * 2 ** (ATTEMPTS - 1) - 64

    def fits(part, window=None) -> bool:
        return len(judge_prompt(gate, part, inp, window, turns)) / CHARS_PER_TOKEN <= budget

    if fits(turns):
        return [(turns, None)]
    groups: list[list[Turn]] = []
    sessions = sorted({t.session for t in turns})
    if len(sessions) > 1:
        groups = [[t for t in turns if t.session == s] for s in sessions]
    else:
        groups = [turns]
    pieces: list[list[Turn]] = []
    probe = {"number": 0, "total": 0, "first": 0, "last": 0}
    for group in groups:
        current: list[Turn] = []
        for t in group:
            if current and not fits(current + [t], probe):
                pieces.append(current)
                current = []
            current.append(t if fits([t], probe) else _cut(t, budget))
        if current:
            pieces.append(current)
    return [(p, {"number": n, "total": len(pieces), "first": p[0].index, "last": p[-1].index,
                 "session": p[0].session if len(sessions) > 1 else None})
            for n, p in enumerate(pieces, 1)]


def _cut(t: Turn, budget: int) -> Turn:
    keep = max(200, int(budget * CHARS_PER_TOKEN * 0.5))
    return attrs.evolve(t, content=t.content[:keep] + " [... cut for the judge]")


async def _verdict(gate, prompt, model, journal, job_key, content_hash, step):
    """(score, reason, call id) or (None, problems, None)."""
    problems = []
    for attempt in range(ATTEMPTS):
        req = CallRequest(model, (("user", prompt),), 0.0, VERDICT_TOKENS * 2 ** attempt, None,
                          attempt, SCHEMA, "verdict")
        try:
            rec, _cached = await journal.call(job_key, content_hash, step, -1, attempt, req)
        except CallFailed as e:
            return None, f"judge call failed: {e}", None
        if rec.status == "truncated":
            problems.append("verdict truncated")
            continue
        try:
            score, reason = parse_verdict(rec.response_text)
        except (ValueError, KeyError, TypeError, json.JSONDecodeError) as e:
            problems.append(f"invalid verdict: {e}")
            continue
        return score, reason, rec.id
    return None, "; ".join(problems), None


async def judge(gate: ir.Gate, threshold: float, turns: list[Turn], inp: JudgeInput, model: str,
                journal, job_key: str, content_hash: str):
    spec = JUDGE_METRICS[gate.metric]
    parts = windows(gate, turns, inp)
    scores, reasons, calls, problems = [], [], [], []
    for part, window in parts:
        step = f"judge:{gate.name}" + (f":{window['number']}" if window else "")
        prompt = judge_prompt(gate, part, inp, window, turns)
        score, reason, call_id = await _verdict(gate, prompt, model, journal, job_key,
                                                content_hash, step)
        if score is None:
            problems.append(reason if window is None else f"part {window['number']}: {reason}")
            continue
        scores.append(score)
        reasons.append(reason)
        calls.append(call_id)
    details = {"judge_model": model, "call_ids": calls}
    if len(parts) > 1:
        details["windows"] = [{"turns": [p[0].index, p[-1].index],
                               "session": w["session"]} for p, w in parts]
        details["window_scores"] = scores
    if problems:
        return _row(gate, False, "the judge gave no valid score: " + "; ".join(problems),
                    threshold=threshold, soft=True, **details)
    score = round(min(scores) if spec.aggregate == "min" else statistics.mean(scores), 4)
    ok = passes(score, gate.op, threshold)
    soft = not ok and score >= threshold - SOFT_MARGIN
    reason = reasons[0] if len(reasons) == 1 else \
        f"{gate.metric} {score:.2f} over {len(scores)} parts ({spec.aggregate})"
    return _row(gate, ok, reason or f"{gate.metric} {score:.2f}", score=score,
                threshold=threshold, soft=soft, **details)
