"""`bdsc report`: one self-contained HTML file per run directory.

  data.py    the run store and plan -> a RunReport (trajectories, gates, coverage,
             review, spend), measured, with gaps left as gaps
  charts.py  RunReport parts -> plotly figures (JSON-ready dicts)
  page.py    RunReport + plotly.js -> the HTML page
"""

from __future__ import annotations

from pathlib import Path


def write_report(run_dir: str | Path, out: str | Path) -> Path:
    """Build the report of `run_dir` and write it to `out` (atomically)."""
    import os

    from plotly.offline import get_plotlyjs

    from bdsl.report.data import build_report
    from bdsl.report.page import render_page
    from bdsl.store import Store

    store = Store.open_readonly(run_dir)
    try:
        report = build_report(run_dir, store)
    finally:
        store.close()
    html = render_page(report, get_plotlyjs())
    path = Path(out)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, path)
    return path
