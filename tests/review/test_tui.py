"""The review TUI driven by Textual's pilot; every decision lands in the store at once."""

import asyncio
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from bdsl.cli import main
from bdsl.gates.score import load_run_plan
from bdsl.store import Store

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "export"


@pytest.fixture(scope="module")
def template_run(tmp_path_factory):
    d = tmp_path_factory.mktemp("review")
    for f in FIXTURE.iterdir():
        shutil.copy(f, d / f.name)
    # one job at a time: conversation ids (shown in the queue) follow plan order
    result = CliRunner().invoke(main, ["run", str(d / "spec.bds"), "--out", str(d / "run"),
                                       "--concurrency", "1"])
    assert result.exit_code == 0, result.output
    return d / "run"


@pytest.fixture
def run_dir(template_run, tmp_path):
    shutil.copytree(template_run, tmp_path / "run")
    return tmp_path / "run"


def reviews(run_dir):
    """Read through a second connection: what a killed TUI would have left behind."""
    db = sqlite3.connect(run_dir / "store.sqlite")
    try:
        return db.execute("SELECT conversation_id, reviewer, role, decision, notes,"
                          " use_as_seed_example, edited_json FROM reviews ORDER BY id").fetchall()
    finally:
        db.close()


def app_for(run_dir, pending_only=False):
    from bdsl.tui.app import ReviewApp

    app = ReviewApp(Store.open(run_dir), load_run_plan(run_dir), "ana", "brand")
    app.pending_only = pending_only
    return app


def test_approve_reject_seed_note(run_dir):
    async def go():
        app = app_for(run_dir)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("enter")
            await pilot.press("a")
            await pilot.press("s")
            await pilot.press("j")
            await pilot.press("r")
            await pilot.press(*"off voice")
            await pilot.press("enter")
            await pilot.press("n")
            await pilot.press(*"check pacing")
            await pilot.press("enter")
            await pilot.pause()
    asyncio.run(go())
    rows = reviews(run_dir)
    decisions = [(r[3], r[4]) for r in rows]
    assert decisions == [("approve", ""), ("seed", ""), ("reject", "off voice"),
                         ("note", "check pacing")]
    assert rows[0][0] == rows[1][0] != rows[2][0]
    assert all(r[1:3] == ("ana", "brand") for r in rows)
    audit = sqlite3.connect(run_dir / "store.sqlite").execute(
        "SELECT actor, action FROM audit_log ORDER BY id").fetchall()
    assert audit[0] == ("ana (brand)", "approve") and len(audit) == 4


def test_edit_keeps_the_original(run_dir):
    from textual.widgets import TextArea

    async def go():
        app = app_for(run_dir)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("enter")
            await pilot.press("down")  # the first assistant turn
            await pilot.press("e")
            await pilot.pause()
            app.screen.query_one(TextArea).text = "A kinder, shorter reply."
            await pilot.press("ctrl+s")
            await pilot.pause()
    asyncio.run(go())
    (row,) = reviews(run_dir)
    assert row[3] == "edit"
    edited = json.loads(row[6])
    assert [m["content"] for m in edited if m["edited"]] == ["A kinder, shorter reply."]
    db = sqlite3.connect(run_dir / "store.sqlite")
    originals = [c for (c,) in db.execute("SELECT content FROM turns WHERE conversation_id=?",
                                          (row[0],))]
    assert "A kinder, shorter reply." not in originals


def test_filters(run_dir):
    from textual.widgets import DataTable

    async def go():
        app = app_for(run_dir)
        async with app.run_test(size=(120, 40)) as pilot:
            table = app.screen.query_one(DataTable)
            assert table.row_count == 4
            await pilot.press("f")
            await pilot.press(*"persona=saver")
            await pilot.press("enter")
            await pilot.pause()
            personas = {table.get_row_at(i)[4] for i in range(table.row_count)}
            assert personas == {"saver"} and table.row_count == 2
    asyncio.run(go())


def test_screens_snapshot(run_dir, snapshot):
    async def go():
        app = app_for(run_dir)
        shots = []
        async with app.run_test(size=(110, 30)) as pilot:
            # the store is read in workers: wait for them, not for a fixed time (under a
            # loaded machine one pause could catch the screen half drawn)
            await app.workers.wait_for_complete()
            await pilot.pause()
            shots.append(app.export_screenshot(simplify=True))
            await pilot.press("enter")
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            shots.append(app.export_screenshot(simplify=True))
        return shots
    queue, conversation = asyncio.run(go())
    assert "awaiting_review" in queue or "accepted_unsampled" in queue
    assert "money:" in conversation and "target" in conversation  # job key, arc targets
    # Rich names the SVG's CSS classes after a hash of the render; the picture is what counts.
    import re

    assert [re.sub(r"terminal-\d+", "terminal", x) for x in (queue, conversation)] == snapshot


def test_conversation_view_charts_targets_against_annotations(run_dir):
    """The arc chart's two rows are the stored target and annotated intensities of the
    user turns, in order; moving the cursor highlights that turn's column."""
    from textual.widgets import Static

    from bdsl.tui.render import LEVELS, on_target

    async def go():
        app = app_for(run_dir)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("enter")
            await pilot.pause()
            screen = app.screen
            first = screen.query_one("#body", Static).content
            await pilot.press("down", "down")  # the second user turn
            await pilot.pause()
            return screen.row, first, screen.query_one("#body", Static).content
    row, body, moved = asyncio.run(go())
    users = [t for t in row.conv.turns if t.kind == "message" and t.role == "user"]
    assert users and all(t.target is not None and t.target.emotion for t in users)

    def bar(x):
        return LEVELS[min(7, int(x * 8))]

    lines = body.plain.splitlines()
    target_row = next(line for line in lines if line.startswith("target "))
    annotated_row = next(line for line in lines if line.startswith("annotated "))
    assert target_row.split()[1:] == [bar(t.target.intensity) for t in users]
    assert annotated_row.split()[1:] == [bar(t.annotation.intensity) if t.annotation else "·"
                                         for t in users]
    start = annotated_row.index(" ") + 1

    def style_at(text, line_no, column):
        offset = sum(len(x) + 1 for x in text.plain.splitlines()[:line_no]) + column
        return " ".join(str(s.style) for s in text.spans if s.start <= offset < s.end)

    row_no = lines.index(annotated_row)
    for n, t in enumerate(users):
        colour = "green" if t.annotation and on_target(t.annotation, t.target) else (
            "yellow" if t.annotation else "dim")
        assert colour in style_at(body, row_no, start + 2 * n)
    numbers = lines.index(annotated_row) + 1
    assert lines[numbers].split()[2:] == [str(n) for n in range(1, len(users) + 1)]
    assert "reverse" in style_at(body, numbers, start)  # turn 0 is selected on opening
    assert "reverse" not in style_at(moved, numbers, start)
    assert "reverse" in style_at(moved, numbers, start + 2)  # now the second user turn
