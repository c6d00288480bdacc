"""One self-contained HTML page: styles, plotly.js and every chart's data inline.

Each chart is a `<div class="chart">` followed by its figure as JSON in
`<script type="application/json" class="chart-data" data-chart=KIND ...>`; one script at
the end draws them all. Numbers are also plain tables (`data-table=...`, exact values in
`data-value`), so the page reads without JavaScript and tests can parse it.
"""

from __future__ import annotations

import json
from html import escape

from bdsl.report import charts
from bdsl.report.data import DatasetReport, RunReport

STYLE = """
body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 1100px; padding: 1rem 2rem;
       color: #212121; }
h1 { font-size: 1.6rem; } h2 { border-bottom: 2px solid #ddd; padding-bottom: .3rem;
     margin-top: 2.5rem; } h3 { margin-top: 1.8rem; }
.meta, .note { color: #555; font-size: .9rem; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .9rem; }
th, td { border-bottom: 1px solid #e0e0e0; padding: .25rem .7rem; text-align: left;
         vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.cards { display: flex; gap: 1rem; flex-wrap: wrap; margin: 1rem 0; }
.card { border: 1px solid #e0e0e0; border-radius: 6px; padding: .5rem .9rem; min-width: 7rem; }
.card b { display: block; font-size: 1.3rem; }
.chart { width: 100%; min-height: 220px; }
"""

RENDER = """
document.querySelectorAll('script.chart-data').forEach(function (el) {
  var fig = JSON.parse(el.textContent);
  Plotly.newPlot(el.previousElementSibling, fig.data, fig.layout,
                 {displaylogo: false, responsive: true});
});
"""


def render_page(report: RunReport, plotly_js: str) -> str:
    last = report.status.get("last_run") or {}
    jobs = report.status["jobs"]
    head = (f"<h1>{escape(report.spec_name)} {escape(report.spec_version)}</h1>"
            f"<p class=meta>run directory {escape(report.run_dir)} · plan "
            f"{escape(report.plan_hash[:16])} · last run #{last.get('id', '-')} "
            f"{escape(str(last.get('status', '-')))} · jobs {jobs['done']} done, "
            f"{jobs['failed']} failed, {jobs['pending']} pending of {jobs['total']} · "
            f"{report.status['llm_calls']} LLM calls, {report.status['tokens']['total']} tokens, "
            f"cost {_money(report.status['cost_usd'])}</p>")
    body = [head] + [_dataset(ds, n) for n, ds in enumerate(report.datasets)]
    if not report.datasets:
        body.append("<p>The plan has no datasets.</p>")
    return ("<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
            f"<title>{escape(report.spec_name)}: dataset report</title>"
            "<meta name=viewport content='width=device-width, initial-scale=1'>"
            f"<style>{STYLE}</style><script>{plotly_js}</script></head><body>"
            + "\n".join(body) + f"<script>{RENDER}</script></body></html>\n")


def _dataset(ds: DatasetReport, n: int) -> str:
    prefix = f"d{n}"
    outcomes = dict(ds.outcomes)
    tokens = sum(u.tokens for u in ds.usage)
    cost = None if any(u.cost is None for u in ds.usage) else sum(u.cost for u in ds.usage)
    out = [f"<section class=dataset data-dataset='{escape(ds.name)}'>",
           f"<h2>dataset {escape(ds.name)}</h2>",
           f"<p class=meta>kind {escape(ds.kind)} · model {escape(ds.model)}</p>",
           "<div class=cards>"]
    for label, value in (("conversations", ds.conversations), ("pass", outcomes["pass"]),
                         ("needs review", outcomes["needs_review"]), ("fail", outcomes["fail"]),
                         ("unscored", outcomes["unscored"]), ("tokens", tokens),
                         ("cost", _money(cost))):
        out.append(f"<div class=card data-card='{label}'>{label}<b>{value}</b></div>")
    out.append("</div>")
    out += _trajectories(ds, prefix)
    out += _gate_section(ds, prefix)
    out += _coverage_section(ds, prefix)
    out += _review_section(ds, prefix)
    out += _usage_section(ds, prefix)
    out.append("</section>")
    return "\n".join(out)


def _chart(kind: str, figure: dict, chart_id: str, **attrs) -> str:
    data = json.dumps(figure, ensure_ascii=False, separators=(",", ":"), default=_plain)
    data = data.replace("</", "<\\/")  # never close the script element early
    extra = "".join(f" data-{k}='{escape(str(v))}'" for k, v in attrs.items())
    return (f"<div class=chart id={chart_id}></div><script type='application/json' "
            f"class=chart-data data-chart='{kind}'{extra}>{data}</script>")


def _plain(value):
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"cannot put {type(value).__name__} in a chart")


def _table(name: str, header: list[str], rows: list[list], dataset: str) -> str:
    numeric = [bool(rows) and (isinstance(v, tuple) or (isinstance(v, (int, float))
                                                         and not isinstance(v, bool)))
               for v in (rows[0] if rows else header)]
    cells = "".join(f"<th{' class=num' if numeric[i] else ''}>{escape(h)}</th>"
                    for i, h in enumerate(header))
    out = [f"<table data-table='{name}' data-dataset='{escape(dataset)}'><tr>{cells}</tr>"]
    for row in rows:
        tds = []
        for value in row:
            if isinstance(value, tuple):  # (shown, exact)
                shown, exact = value
                tds.append(f"<td class=num data-value='{escape(str(exact))}'>{escape(shown)}</td>")
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                tds.append(f"<td class=num data-value='{value}'>{value}</td>")
            else:
                tds.append(f"<td>{escape(str(value))}</td>")
        out.append("<tr>" + "".join(tds) + "</tr>")
    return "".join(out) + "</table>"


def _trajectories(ds: DatasetReport, prefix: str) -> list[str]:
    out = ["<h3>emotional trajectories</h3>"]
    if not ds.arcs:
        return out + ["<p class=note>No conversation in this dataset has per-turn emotional "
                      "targets (no arc).</p>"]
    out.append("<p class=note>Annotated intensity of each user turn (a line per conversation; "
               "a gap where a turn has no annotation) against the arc's per-turn targets "
               "(dashed; one line per conversation length).</p>")
    rows = []
    for i, arc in enumerate(ds.arcs):
        out.append(_chart("trajectory", charts.trajectory(arc), f"{prefix}-arc{i}",
                          dataset=ds.name, arc=arc.arc))
        match = (_pct(arc.emotion_matches, arc.annotated_turns), arc.emotion_matches)
        mae = (f"{arc.mean_abs_error:.2f}" if arc.mean_abs_error is not None else "-",
               "" if arc.mean_abs_error is None else round(arc.mean_abs_error, 6))
        rows.append([arc.arc, len(arc.trajectories), arc.user_turns, arc.annotated_turns,
                     match, mae])
    out.append(_table("arcs", ["arc", "conversations", "user turns", "annotated",
                               "emotion = target", "mean |Δ intensity|"], rows, ds.name))
    return out


def _gate_section(ds: DatasetReport, prefix: str) -> list[str]:
    out = ["<h3>gates</h3>"]
    if not ds.gates:
        return out + ["<p class=note>Not scored yet (`bdsc score`).</p>"]
    out.append(_chart("gates", charts.gates(ds.gates), f"{prefix}-gates", dataset=ds.name))
    rows = []
    for g in ds.gates:
        reasons = "; ".join(f"{r} (×{n})" for r, n in g.reasons) or "-"
        rate = g.pass_rate
        rows.append([g.gate, g.scored, g.passed,
                     (f"{rate:.0%}" if rate is not None else "-", "" if rate is None else rate),
                     g.soft_failed, g.failed, reasons])
    out.append(_table("gates", ["gate", "scored", "passed", "pass rate", "needs review",
                                "failed", "most common failure reasons"], rows, ds.name))
    return out


def _coverage_section(ds: DatasetReport, prefix: str) -> list[str]:
    c = ds.coverage
    axes = " × ".join(f"{axis} ({len(names)})" for axis, names in c.axes) or "-"
    out = ["<h3>coverage of the matrix</h3>",
           f"<p class=note>axes {escape(axes)}; {c.planned_cells} cells planned"
           f"{f', {c.excluded_cells} excluded' if c.excluded_cells else ''}"
           f"{f', {c.unsampled_cells} left out by sample' if c.unsampled_cells else ''}.</p>",
           _chart("coverage", charts.coverage(c), f"{prefix}-coverage", dataset=ds.name),
           _table("coverage", ["", "planned", "generated", "failed", "pending"], [
               ["cells", c.planned_cells, c.generated_cells, "", ""],
               ["jobs", c.planned_jobs, c.generated_jobs, c.failed_jobs, c.pending_jobs]],
               ds.name)]
    return out


def _review_section(ds: DatasetReport, prefix: str) -> list[str]:
    r = ds.review
    roles = ", ".join(r.policy.roles) or "none"
    out = ["<h3>review progress</h3>",
           f"<p class=note>policy: {r.policy.sample:.0%} of passing conversations sampled, "
           f"roles {escape(roles)} (require {escape(r.policy.require)}); {r.sampled} sampled "
           "so far.</p>",
           _chart("review", charts.review(r), f"{prefix}-review", dataset=ds.name),
           _table("review", ["state", "conversations"], [list(s) for s in r.states], ds.name)]
    if r.approvals_by_role:
        out.append(_table("approvals", ["role", "conversations approved"],
                          [list(a) for a in r.approvals_by_role], ds.name))
    return out


def _usage_section(ds: DatasetReport, prefix: str) -> list[str]:
    out = ["<h3>tokens and cost by step</h3>"]
    if not ds.usage:
        return out + ["<p class=note>No LLM calls recorded for this dataset.</p>"]
    out.append(_chart("usage", charts.usage(ds), f"{prefix}-usage", dataset=ds.name))
    rows = [[u.step, u.calls, u.prompt_tokens, u.completion_tokens, u.tokens,
             (_money(u.cost), "" if u.cost is None else u.cost)] for u in ds.usage]
    out.append(_table("usage", ["step", "calls", "prompt tokens", "completion tokens",
                                "tokens", "cost"], rows, ds.name))
    unknown = sum(u.unknown_cost_calls for u in ds.usage)
    if unknown:
        out.append(f"<p class=note>{unknown} calls have no known cost (the model's price is "
                   "unknown); their cost is left out, not counted as zero.</p>")
    return out


def _money(value: float | None) -> str:
    return "unknown" if value is None else f"${value:.4f}"


def _pct(n: int, d: int) -> str:
    return f"{n}/{d} ({n / d:.0%})" if d else "-"
