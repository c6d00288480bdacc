"""The record shapes: OpenAI chat fine-tuning, ShareGPT, TRL conversational (for HF)."""

from __future__ import annotations

from bdsl.export.select import ExportItem


def provenance_summary(item: ExportItem) -> dict:
    p = item.conv.provenance
    return {"spec": p["spec"]["name"], "spec_version": p["spec"]["version"],
            "regulations": {r["id"]: r["version"] for r in p.get("regulations", [])},
            "spec_hash": p["spec_hash"], "job_key": item.job.key, "job_hash": p["job_hash"],
            "model": p["model"], "seed": p["seed"]}


def openai_record(item: ExportItem) -> dict:
    """{"messages": [...]} with `weight` 0/1 on assistant messages the spec says not to
    train on (e.g. `train_on skip_first`); the system message is the assistant persona.
    Nothing else on the line (the API rejects unknown keys): provenance goes to the
    `.meta.jsonl` file beside it, line for line."""
    messages = [{"role": "system", "content": item.system}]
    weighted = any(not m["train"] for m in item.messages if m["role"] == "assistant")
    for m in item.messages:
        out = {"role": m["role"], "content": m["content"]}
        if weighted and m["role"] == "assistant":
            out["weight"] = 1 if m["train"] else 0
        messages.append(out)
    return {"messages": messages}


def sharegpt_record(item: ExportItem) -> dict:
    names = {"user": "human", "assistant": "gpt"}
    convo = [{"from": "system", "value": item.system}]
    convo += [{"from": names[m["role"]], "value": m["content"]} for m in item.messages]
    return {"conversations": convo, "metadata": provenance_summary(item)}


def trl_record(item: ExportItem) -> dict:
    """TRL's conversational format plus flat metadata columns."""
    ctx = item.job.context
    rec = {"messages": [{"role": "system", "content": item.system}]
           + [{"role": m["role"], "content": m["content"]} for m in item.messages]}
    rec.update({"job_key": item.job.key, "dataset": item.job.dataset, "kind": item.job.kind,
                "persona": ctx.user, "assistant": ctx.assistant, "arc": ctx.arc,
                "topic": ctx.topic, "culture": ctx.culture,
                "gate_outcome": item.gates.outcome, "review_state": item.review.state,
                "spec_version": item.conv.provenance["spec"]["version"]})
    return rec


def validate_openai(record: dict) -> list[str]:
    """The OpenAI cookbook's format checks for chat fine-tuning data."""
    errors = []
    msgs = record.get("messages")
    if not isinstance(msgs, list) or not msgs:
        return ["missing messages list"]
    for i, m in enumerate(msgs):
        if not isinstance(m, dict) or "role" not in m or "content" not in m:
            errors.append(f"message {i}: missing role or content")
            continue
        if m["role"] not in ("system", "user", "assistant", "tool"):
            errors.append(f"message {i}: unrecognized role {m['role']!r}")
        if not isinstance(m["content"], str) or not m["content"]:
            errors.append(f"message {i}: content must be a non-empty string")
        extra = set(m) - {"role", "content", "name", "weight", "function_call", "tool_calls"}
        if extra:
            errors.append(f"message {i}: unrecognized keys {sorted(extra)}")
        if "weight" in m and (m["role"] != "assistant" or m["weight"] not in (0, 1)):
            errors.append(f"message {i}: weight must be 0 or 1 on assistant messages")
    if not any(m.get("role") == "assistant" for m in msgs if isinstance(m, dict)):
        errors.append("no assistant message")
    return errors
