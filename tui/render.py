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
    out.append_text(arc_chart(row.conv.turns, cursor))
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


LEVELS = "▁▂▃▄▅▆▇█"
TOLERANCE = 0.25  # an annotation this close to the target, with its emotion, is on target


def _bar(intensity: float) -> str:
    return LEVELS[min(len(LEVELS) - 1, max(0, int(intensity * len(LEVELS))))]


def on_target(annotation, target) -> bool:
    return (annotation.primary_emotion == target.emotion
            and abs(annotation.intensity - target.intensity) <= TOLERANCE)


def arc_chart(turns, cursor: int = -1) -> Text:
    """Two rows over the user turns: the arc's target intensity and the annotated one
    (green on target, yellow off it, · where the turn has no annotation), over the user
    turn numbers, the selected turn's number highlighted. Empty when no user turn has an
    emotional target."""
    columns = []  # (visible index, target, annotation)
    visible = -1
    for t in turns:
        if t.kind != "message":
            continue
        visible += 1
        target = t.target
        if t.role == "user" and target is not None and target.emotion and \
                target.intensity is not None:
            columns.append((visible, target, t.annotation))
    out = Text()
    if not columns:
        return out
    rows = (("target   ", lambda tg, a: (_bar(tg.intensity), "cyan")),
            ("annotated", lambda tg, a: ("·", "dim") if a is None else
             (_bar(a.intensity), "green" if on_target(a, tg) else "yellow")))
    for label, cell in rows:
        out.append(f"{label} ", style="dim")
        for _, target, annotation in columns:
            glyph, style = cell(target, annotation)
            out.append(glyph, style=style)
            out.append(" ")
        out.append("\n")
    out.append("user turn ", style="dim")
    for n, (index, _, _) in enumerate(columns, start=1):
        out.append(str(n % 10), style="bold reverse" if index == cursor else "dim")
        out.append(" ")
    out.append("\n")
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
            off = "" if a is None else ("  ✓" if on_target(a, target) else "  ≠")
            parts.append(f"target {target.emotion}({target.intensity:g}){off}")
        elif t.role == "assistant" and target.strategy:
            parts.append(f"strategy {target.strategy}")
    return ("    " + " · ".join(parts) + "\n") if parts else ""
