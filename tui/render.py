"""The conversation view as Rich text: turns, annotations vs targets, gates, provenance."""

from __future__ import annotations

from rich.text import Text


def conversation_text(row, index, cursor: int) -> Text:
    out = Text()
    ctx = row.job.context
    arc = index.arc.get(ctx.arc)
    out.append(f"{row.job.key}\n", style="bold")
    out.append(f"persona {ctx.user or '-'} · arc {ctx.arc or '-'} · topic {ctx.topic or '-'} · "
               f"culture {ctx.culture or '-'} · kind {row.job.kind}\n")
    if arc is not None:
        out.append("arc: " + " -> ".join(f"{s.emotion}({s.intensity:g})" for s in arc.stages)
                   + "\n")
    out.append("\n")
    edited = {m["seq"]: m for m in row.review.edited or ()}
    visible = -1
    for t in row.conv.turns:
        if t.kind == "message":
            visible += 1
        marker = "▶ " if t.kind == "message" and visible == cursor else "  "
        label = t.role if t.kind == "message" else f"{t.kind}:{t.label or t.role}"
        style = {"user": "cyan", "assistant": "green"}.get(t.role, "") if t.kind == "message" \
            else "dim"
        out.append(f"{marker}{label}", style=f"bold {style}")
        if not t.train and t.kind == "message" and t.role == "assistant":
            out.append(" (not trained on)", style="dim")
        out.append("\n")
        text = edited[t.seq]["content"] if t.seq in edited else t.content
        if t.seq in edited:
            out.append("    [edited; original kept in the store]\n", style="yellow")
        out.append("    " + text.replace("\n", "\n    ") + "\n", style=style)
        out.append(_annotation_line(t), style="dim")
    out.append("\ngates\n", style="bold")
    for g in row.gates.results:
        mark, style = ("pass", "green") if g.passed else (("soft", "yellow") if g.soft
                                                          else ("FAIL", "red"))
        score = "" if g.score is None else f" {g.score:.2f}" + (
            f"/{g.threshold:.2f}" if g.threshold is not None else "")
        out.append(f"  {mark:<5}", style=f"bold {style}")
        out.append(f"{g.gate}{score}: {g.reason}\n")
    if not row.gates.results:
        out.append("  not scored yet\n", style="dim")
    review = row.review
    out.append(f"\nreview: {review.state}", style="bold")
    if review.approvals:
        out.append(" · approved by " + ", ".join(f"{who} ({role})" for role, who in
                                                 review.approvals))
    if review.seed_example:
        out.append(" · seed example")
    for note in review.notes:
        out.append(f"\n  note: {note}")
    p = row.conv.provenance
    out.append("\n\nprovenance\n", style="bold")
    regs = ", ".join(f"{r['id']} {r['version']}" for r in p.get("regulations", [])) or "-"
    out.append(f"  spec {p['spec']['name']} {p['spec']['version']} · regulations {regs}\n"
               f"  model {p['model']} · seed {p['seed']} · tokens {p['tokens']['prompt']}+"
               f"{p['tokens']['completion']} · cost {p['cost_usd']} · job {p['job_hash'][:12]}\n")
    return out


def _annotation_line(t) -> str:
    a, target = t.annotation, t.target
    parts = []
    if a is not None:
        parts.append(f"annotated {a.primary_emotion}({a.intensity:g})"
                     + (f"+{a.secondary_emotion}" if a.secondary_emotion not in ("", "none")
                        else "") + f" valence {a.valence:+.1f}")
    if target is not None and t.kind == "message":
        if t.role == "user" and target.emotion:
            off = "" if a is None else ("  ✓" if a.primary_emotion == target.emotion and
                                        abs(a.intensity - target.intensity) <= 0.25 else "  ≠")
            parts.append(f"target {target.emotion}({target.intensity:g}){off}")
        elif t.role == "assistant" and target.strategy:
            parts.append(f"strategy {target.strategy}")
    return ("    " + " · ".join(parts) + "\n") if parts else ""
