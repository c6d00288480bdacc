"""Plotly figures for a run report, as plain JSON-ready dicts (data + layout).

Figures are built with plotly's graph objects, so every property is validated by the
library; the page renders them with the plotly.js bundle that ships inside the plotly
wheel, inlined once (see bdsl/report/page.py and docs/report.md for why plotly).
"""

from __future__ import annotations

import plotly.graph_objects as go

from bdsl.report.data import ArcView, Coverage, DatasetReport, GateStat, ReviewView

# Conversation lines get legend entries while there are few enough to read.
MAX_LEGEND_LINES = 12
COLORS = {"pass": "#2e7d32", "soft": "#f9a825", "fail": "#c62828", "target": "#212121",
          "prompt": "#5c6bc0", "completion": "#26a69a"}
BASE = dict(template="plotly_white", margin=dict(l=60, r=20, t=50, b=50),
            font=dict(family="system-ui, sans-serif", size=12))


def _fig(fig: go.Figure, **layout) -> dict:
    fig.update_layout(**BASE, **layout)
    return fig.to_plotly_json()


def trajectory(arc: ArcView) -> dict:
    """Annotated intensity per user turn, one line per conversation, over the arc's
    per-turn targets (one dashed line per conversation length)."""
    fig = go.Figure()
    for points in arc.targets:
        fig.add_trace(go.Scatter(
            x=[p.turn for p in points], y=[p.target_intensity for p in points],
            mode="lines+markers", name=f"target ({len(points)} user turns)",
            legendgroup="target", meta={"role": "target"},
            line=dict(color=COLORS["target"], width=3, dash="dash"),
            text=[f"{p.target_emotion}({p.target_intensity:g})" for p in points],
            hovertemplate="target, user turn %{x}: %{text}<extra></extra>"))
    legend = len(arc.trajectories) <= MAX_LEGEND_LINES
    for n, t in enumerate(arc.trajectories):
        fig.add_trace(go.Scatter(
            x=[p.turn for p in t.points], y=[p.intensity for p in t.points],
            mode="lines+markers", connectgaps=False, opacity=0.75,
            name=f"#{t.conversation_id} {t.label}" if legend else "conversations",
            legendgroup=None if legend else "conversations", showlegend=legend or n == 0,
            meta={"role": "conversation", "conversation": t.conversation_id, "job": t.job_key},
            line=dict(width=1.5), marker=dict(size=6),
            text=[f"{p.emotion}({p.intensity:g})" if p.intensity is not None
                  else "not annotated" for p in t.points],
            customdata=[f"{p.target_emotion}({p.target_intensity:g})" for p in t.points],
            hovertemplate=(f"#{t.conversation_id} {t.job_key}<br>user turn %{{x}}: annotated "
                           "%{text}, target %{customdata}<extra></extra>")))
    return _fig(fig, title=dict(text=f"{arc.arc}: {arc.stages}" if arc.stages else arc.arc,
                                font=dict(size=13)),
                height=400, xaxis=dict(title=dict(text="user turn"), dtick=1),
                yaxis=dict(title=dict(text="intensity"), range=[0, 1.05]),
                legend=dict(font=dict(size=10)))


def gates(stats: tuple[GateStat, ...]) -> dict:
    names = [g.gate for g in stats]
    fig = go.Figure()
    for label, values, color in (("passed", [g.passed for g in stats], COLORS["pass"]),
                                 ("needs review", [g.soft_failed for g in stats], COLORS["soft"]),
                                 ("failed", [g.failed for g in stats], COLORS["fail"])):
        fig.add_trace(go.Bar(y=names, x=values, name=label, orientation="h",
                             marker_color=color, meta={"role": label}))
    return _fig(fig, barmode="stack", title=dict(text="gate results per conversation"),
                height=max(220, 40 + 32 * len(names)), xaxis=dict(title=dict(
                    text="conversations")), yaxis=dict(autorange="reversed"))


def coverage(cov: Coverage) -> dict:
    z, text = [], []
    for planned_row, generated_row in zip(cov.grid_planned, cov.grid_generated, strict=True):
        z.append([g / p if p else None for p, g in zip(planned_row, generated_row, strict=True)])
        text.append([f"{g}/{p}" if p else "not planned"
                     for p, g in zip(planned_row, generated_row, strict=True)])
    fig = go.Figure(go.Heatmap(
        z=z, x=list(cov.grid_cols), y=list(cov.grid_rows), text=text,
        texttemplate="%{text}", zmin=0, zmax=1, colorscale="Greens",
        colorbar=dict(title=dict(text="generated"), tickformat=".0%"),
        hovertemplate="%{y} × %{x}: %{text} jobs generated<extra></extra>"))
    rows, cols = cov.grid_axes
    return _fig(fig, title=dict(text="jobs generated / planned"),
                height=max(240, 90 + 40 * len(cov.grid_rows)),
                xaxis=dict(title=dict(text=cols or "")), yaxis=dict(title=dict(text=rows or "")))


def review(view: ReviewView) -> dict:
    fig = go.Figure(go.Bar(x=[s for s, _ in view.states], y=[n for _, n in view.states],
                           marker_color="#5c6bc0", text=[n for _, n in view.states],
                           textposition="auto"))
    return _fig(fig, title=dict(text="review state"), height=300,
                yaxis=dict(title=dict(text="conversations")))


def usage(ds: DatasetReport) -> dict:
    steps = [u.step for u in ds.usage]
    fig = go.Figure()
    fig.add_trace(go.Bar(x=steps, y=[u.prompt_tokens for u in ds.usage], name="prompt tokens",
                         marker_color=COLORS["prompt"]))
    fig.add_trace(go.Bar(x=steps, y=[u.completion_tokens for u in ds.usage],
                         name="completion tokens", marker_color=COLORS["completion"]))
    return _fig(fig, barmode="stack", title=dict(text="tokens by step"), height=320,
                yaxis=dict(title=dict(text="tokens")))
