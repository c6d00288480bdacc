"""`bdsc report` on a real fake/echo run: the HTML is one offline file whose charts and
tables carry the numbers in the run store (checked here with SQL of their own)."""

import json
import re
import shutil
import sqlite3
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from bdsl.cli import main

SPEC = Path(__file__).parent / "data" / "spec.bds"


class ReportPage(HTMLParser):
    """Charts (kind, attributes, figure) and tables (name -> rows of cell values)."""

    def __init__(self, html: str):
        super().__init__()
        self.charts: list[tuple[str, dict, dict]] = []
        self.tables: dict[str, list[list[str]]] = {}
        self.script_srcs: list[str] = []
        self._chart: dict | None = None
        self._table: str | None = None
        self._cell: dict | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script" and "src" in a:
            self.script_srcs.append(a["src"])
        if tag == "script" and a.get("class") == "chart-data":
            self._chart = {"attrs": a, "text": ""}
        elif tag == "table":
            self._table = a["data-table"]
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table:
            self._cell = {"value": a.get("data-value"), "text": ""}

    def handle_data(self, data):
        if self._chart is not None:
            self._chart["text"] += data
        if self._cell is not None:
            self._cell["text"] += data

    def handle_endtag(self, tag):
        if tag == "script" and self._chart is not None:
            a = self._chart["attrs"]
            self.charts.append((a["data-chart"], a, json.loads(self._chart["text"])))
            self._chart = None
        elif tag in ("td", "th") and self._cell is not None:
            cell = self._cell
            self.tables[self._table][-1].append(cell["value"] if cell["value"] is not None
                                                else cell["text"])
            self._cell = None
        elif tag == "table":
            self._table = None

    def table(self, name) -> dict[str, list[str]]:
        header, *rows = self.tables[name]
        return {row[0]: dict(zip(header[1:], row[1:], strict=True)) for row in rows}


@pytest.fixture(scope="module")
def template_run(tmp_path_factory):
    d = tmp_path_factory.mktemp("report")
    result = CliRunner().invoke(main, ["run", str(SPEC), "--model", "fake/echo",
                                       "--out", str(d / "run"), "--concurrency", "1"])
    assert result.exit_code == 0, result.output
    return d / "run"


@pytest.fixture
def run_dir(template_run, tmp_path):
    shutil.copytree(template_run, tmp_path / "run")
    return tmp_path / "run"


def report(run_dir, out=None) -> tuple[str, ReportPage]:
    out = out or run_dir / "report.html"
    result = CliRunner().invoke(main, ["report", str(run_dir), "-o", str(out)])
    assert result.exit_code == 0, result.output
    html = Path(out).read_text(encoding="utf-8")
    return html, ReportPage(html)


def sql(run_dir, query, *args):
    db = sqlite3.connect(run_dir / "store.sqlite")
    try:
        return db.execute(query, args).fetchall()
    finally:
        db.close()


CURRENT = ("FROM conversations c JOIN jobs j ON j.key = c.job_key "
           "AND j.content_hash = c.content_hash WHERE j.in_plan = 1")


def user_turns(run_dir, conversation_id):
    """(target emotion, target intensity, annotated intensity or None) per user turn."""
    rows = sql(run_dir, "SELECT t.target_json, a.intensity FROM turns t LEFT JOIN annotations a "
               "ON a.conversation_id = t.conversation_id AND a.seq = t.seq "
               "WHERE t.conversation_id = ? AND t.kind = 'message' AND t.role = 'user' "
               "ORDER BY t.seq", conversation_id)
    return [(json.loads(t)["emotion"], json.loads(t)["intensity"], a) for t, a in rows]


def test_report_is_one_offline_file_with_every_chart(run_dir):
    html, page = report(run_dir)
    # self-contained: no fetched scripts, styles or images; plotly.js is inline
    assert page.script_srcs == []
    assert not re.search(r"<link\b|<img\b|<iframe\b|@import|url\(\s*['\"]?https?:", html)
    assert "Plotly.newPlot" in html and len(html) > 3_000_000  # the bundle, inlined once
    assert html.count("<script>") == 2
    kinds = [k for k, _, _ in page.charts]
    assert kinds.count("trajectory") == 2  # one per arc of the dataset
    assert {"gates", "coverage", "review", "usage"} <= set(kinds)


def test_trajectories_are_the_stored_targets_and_annotations(run_dir):
    _, page = report(run_dir)
    convs = sql(run_dir, f"SELECT c.id, json_extract(c.context_json, '$.arc') {CURRENT}")
    by_arc = {}
    for cid, arc in convs:
        by_arc.setdefault(arc, []).append(cid)
    assert set(by_arc) == {"worry_to_plan", "shame_to_step"}
    for _, attrs, fig in (c for c in page.charts if c[0] == "trajectory"):
        arc = attrs["data-arc"]
        lines = [t for t in fig["data"] if t["meta"]["role"] == "conversation"]
        targets = [t for t in fig["data"] if t["meta"]["role"] == "target"]
        assert sorted(t["meta"]["conversation"] for t in lines) == sorted(by_arc[arc])
        seen_targets = set()
        for line in lines:
            turns = user_turns(run_dir, line["meta"]["conversation"])
            assert line["x"] == list(range(1, len(turns) + 1))
            assert line["y"] == [a for _, _, a in turns]
            seen_targets.add(tuple(i for _, i, _ in turns))
        assert {tuple(t["y"]) for t in targets} == seen_targets
    arcs = page.table("arcs")
    annotated = sql(run_dir, "SELECT COUNT(*) FROM annotations a JOIN turns t ON "
                    "t.conversation_id = a.conversation_id AND t.seq = a.seq WHERE t.role = 'user' "
                    "AND t.kind = 'message'")[0][0]
    assert sum(int(r["annotated"]) for r in arcs.values()) == annotated
    assert {k: int(v["conversations"]) for k, v in arcs.items()} == \
        {k: len(v) for k, v in by_arc.items()}


def test_a_missing_annotation_is_a_gap_not_a_zero(run_dir):
    cid, seq = sql(run_dir, "SELECT t.conversation_id, t.seq FROM turns t JOIN annotations a ON "
                   "a.conversation_id = t.conversation_id AND a.seq = t.seq WHERE t.role = 'user' "
                   "ORDER BY t.conversation_id, t.seq LIMIT 1 OFFSET 1")[0]
    db = sqlite3.connect(run_dir / "store.sqlite")
    db.execute("DELETE FROM annotations WHERE conversation_id = ? AND seq = ?", (cid, seq))
    db.commit()
    db.close()
    _, page = report(run_dir)
    (line,) = [t for k, _, f in page.charts if k == "trajectory" for t in f["data"]
               if t["meta"].get("conversation") == cid]
    assert line["y"][1] is None and 0 not in line["y"] and 0.0 not in line["y"]
    assert "not annotated" in line["text"][1]


def test_gate_table_matches_the_stored_results(run_dir):
    _, page = report(run_dir)
    gates = page.table("gates")
    stored = sql(run_dir, "SELECT g.gate, COUNT(*), SUM(g.passed) FROM gate_results g "
                 "JOIN conversations c ON c.id = g.conversation_id JOIN jobs j ON j.key = "
                 "c.job_key AND j.content_hash = c.content_hash AND j.gates_hash = g.gates_hash "
                 "WHERE j.in_plan = 1 GROUP BY g.gate")
    assert {g: (int(r["scored"]), int(r["passed"])) for g, r in gates.items()} == \
        {g: (n, p) for g, n, p in stored}
    assert 0 < int(gates["on_budget"]["passed"]) < int(gates["on_budget"]["scored"])
    assert gates["on_budget"]["most common failure reasons"] != "-"
    (fig,) = [f for k, _, f in page.charts if k == "gates"]
    passed = next(t for t in fig["data"] if t["meta"]["role"] == "passed")
    assert dict(zip(passed["y"], passed["x"], strict=True)) == {g: p for g, _, p in stored}


def test_coverage_review_and_usage_numbers(run_dir):
    from bdsl.review import actions

    # an approval by both required roles moves one passing conversation to approved
    cid = sql(run_dir, f"SELECT c.id {CURRENT} AND json_extract(c.context_json, '$.topic') = "
              "'budget' ORDER BY c.id LIMIT 1")[0][0]
    from bdsl.store import Store

    store = Store.open(run_dir)
    actions.record(store, cid, "ana", "brand", "approve", "", False, None)
    actions.record(store, cid, "bo", "clinical", "approve", "", False, None)
    store.close()
    _, page = report(run_dir)
    plan = json.loads((run_dir / "plan.json").read_text())
    coverage = page.table("coverage")
    assert int(coverage["jobs"]["planned"]) == len(plan["jobs"]) == 7
    assert int(coverage["jobs"]["generated"]) == 7
    assert int(coverage["cells"]["planned"]) == plan["datasets"][0]["cells"]
    (fig,) = [f for k, _, f in page.charts if k == "coverage"]
    heat = fig["data"][0]
    planned = {}
    for job in plan["jobs"]:
        cell = dict(job["cell"])
        planned[(cell["users"], cell["arcs"])] = planned.get((cell["users"], cell["arcs"]), 0) + 1
    shown = {(user, arc): heat["text"][i][k] for i, user in enumerate(heat["y"])
             for k, arc in enumerate(heat["x"])}
    assert shown == {key: f"{n}/{n}" for key, n in planned.items()}  # all generated
    assert shown[("spender", "shame_to_step")] == "1/1"  # its savings cell is excluded
    review = page.table("review")
    assert int(review["approved"]["conversations"]) == 1
    assert int(review["blocked"]["conversations"]) == 3  # the three failing on_budget
    assert sum(int(r["conversations"]) for r in review.values()) == 7
    assert {k: int(v["conversations approved"]) for k, v in page.table("approvals").items()} == \
        {"brand": 1, "clinical": 1}
    usage = page.table("usage")
    stored = sql(run_dir, "SELECT step, COUNT(*), SUM(prompt_tokens), SUM(completion_tokens) "
                 "FROM llm_calls GROUP BY step")
    assert {s: (int(r["calls"]), int(r["prompt tokens"]), int(r["completion tokens"]))
            for s, r in usage.items()} == {s: (n, p, c) for s, n, p, c in stored}
    assert float(usage["assistant"]["cost"]) == 0.0  # the fake model's measured cost


def test_unknown_cost_stays_unknown(run_dir):
    db = sqlite3.connect(run_dir / "store.sqlite")
    db.execute("UPDATE llm_calls SET cost = NULL WHERE id = (SELECT MIN(id) FROM llm_calls "
               "WHERE step = 'user')")
    db.commit()
    db.close()
    html, page = report(run_dir)
    assert page.table("usage")["user"]["cost"] == ""  # no exact value: unknown
    assert "1 calls have no known cost" in html
    assert re.search(r"data-card='cost'>cost<b>unknown</b>", html)


def test_usage_errors(tmp_path, run_dir):
    result = CliRunner().invoke(main, ["report", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output.strip() == (f"error: {tmp_path} is not a run directory (no "
                                     "store.sqlite; run `bdsc run` first)")
    result = CliRunner().invoke(main, ["report", str(run_dir), "-o",
                                       str(tmp_path / "nowhere" / "r.html")])
    assert result.exit_code == 2 and "is not a directory" in result.output
    result = CliRunner().invoke(main, ["report", str(run_dir)])
    assert result.exit_code == 0 and (run_dir / "report.html").is_file()
