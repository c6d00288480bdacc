"""`bdsc review`: a Textual app over the run store.

Queue screen: every conversation with outcome, review state and scaffolding, filterable.
Conversation screen: turns with annotations beside the arc's targets, gate results,
provenance; keys record decisions immediately (see bdsl.review.actions).
"""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Header, Input, Static, TextArea

from bdsl.review import actions
from bdsl.review.queue import apply_filter, load_queue, parse_filter


class ReviewApp(App):
    TITLE = "bdsc review"
    CSS = """
    #status { height: 1; padding: 0 1; background: $boost; }
    #filter { display: none; }
    #filter.visible { display: block; }
    .modal { width: 80%; height: auto; max-height: 80%; border: thick $accent;
             background: $surface; padding: 1; }
    TextArea { height: 12; }
    """
    BINDINGS = [Binding("q", "quit", "Quit")]

    def __init__(self, store, plan, reviewer: str, role: str):
        super().__init__()
        self.store, self.plan, self.reviewer, self.role = store, plan, reviewer, role
        self.index = plan.index()
        self.rows = []
        self.filters: dict[str, str] = {}
        self.pending_only = True
        self.reload()

    def reload(self) -> None:
        self.rows = load_queue(self.store, self.plan)

    def visible_rows(self):
        return apply_filter(self.rows, self.filters, self.role, self.pending_only,
                            self.reviewer)

    def on_mount(self) -> None:
        self.sub_title = f"{self.reviewer} ({self.role})"
        self.push_screen(QueueScreen())

    def progress(self) -> str:
        approved = sum(1 for r in self.rows if self.role in {ro for ro, _ in r.review.approvals})
        waiting = sum(1 for r in self.rows if r.review.state == "awaiting_review")
        return (f"{self.role}: {approved} approved · {waiting} awaiting review · "
                f"{len(self.rows)} conversations")

    def decide(self, row, decision: str, notes: str = "", seed: bool = False,
               edited=None) -> bool:
        try:
            actions.record(self.store, row.conv.id, self.reviewer, self.role, decision, notes,
                           seed, edited, policy=row.policy)
        except actions.NotAllowed as e:
            self.notify(str(e), severity="error")
            return False
        self.reload()
        return True


class QueueScreen(Screen):
    BINDINGS = [Binding("enter", "open", "Open"), Binding("f", "filter", "Filter"),
                Binding("p", "toggle_pending", "Pending/all")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="status")
        yield Input(placeholder="outcome=fail arc=... persona=... state=... gate=...",
                    id="filter")
        yield DataTable(id="queue", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("#", "outcome", "state", "dataset", "persona", "arc", "topic",
                          "culture", "failing gates")
        self.refresh_table()
        table.focus()

    def on_screen_resume(self) -> None:
        self.refresh_table()

    def refresh_table(self) -> None:
        app = self.app
        table = self.query_one(DataTable)
        table.clear()
        for r in app.visible_rows():
            ctx = r.job.context
            table.add_row(str(r.conv.id), r.gates.outcome, r.review.state, r.job.dataset,
                          ctx.user or "-", ctx.arc or "-", ctx.topic or "-", ctx.culture or "-",
                          ", ".join(r.gates.failing) or "-", key=str(r.conv.id))
        scope = "pending for you" if app.pending_only else "all"
        filt = " ".join(f"{k}={v}" for k, v in app.filters.items())
        self.query_one("#status", Static).update(
            f"{app.progress()} · showing {table.row_count} ({scope}{', ' + filt if filt else ''})")

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.add_class("visible")
        box.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        try:
            self.app.filters = parse_filter(event.value)
        except ValueError as e:
            self.notify(str(e), severity="error")
            return
        event.input.remove_class("visible")
        self.query_one(DataTable).focus()
        self.refresh_table()

    def action_toggle_pending(self) -> None:
        self.app.pending_only = not self.app.pending_only
        self.refresh_table()

    def action_open(self) -> None:
        table = self.query_one(DataTable)
        rows = self.app.visible_rows()
        if rows:
            self.app.push_screen(ConversationScreen(rows, table.cursor_row))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open()


class ConversationScreen(Screen):
    BINDINGS = [Binding("a", "approve", "Approve"), Binding("r", "reject", "Reject"),
                Binding("v", "revise", "Revision"), Binding("e", "edit", "Edit turn"),
                Binding("s", "seed", "Seed example"), Binding("n", "note", "Note"),
                # priority: otherwise the scrolling body takes the arrow keys
                Binding("down,]", "cursor(1)", "Next turn", show=False, priority=True),
                Binding("up,[", "cursor(-1)", "Prev turn", show=False, priority=True),
                Binding("j", "move(1)", "Next"), Binding("k", "move(-1)", "Prev"),
                Binding("escape", "back", "Back")]

    def __init__(self, rows, position: int):
        super().__init__()
        self.rows, self.position, self.turn = rows, position, 0

    @property
    def row(self):
        key = self.rows[self.position].conv.id
        return next(r for r in self.app.rows if r.conv.id == key)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="status")
        with VerticalScroll():
            yield Static(id="body")
        yield Footer()

    def on_mount(self) -> None:
        self.render_row()

    def visible_turns(self):
        return [t for t in self.row.conv.turns if t.kind == "message"]

    def render_row(self) -> None:
        from bdsl.tui.render import conversation_text

        row = self.row
        self.query_one("#status", Static).update(
            f"{self.app.progress()} · conversation {row.conv.id} ({self.position + 1}/"
            f"{len(self.rows)}) · {row.review.state}")
        self.query_one("#body", Static).update(
            conversation_text(row, self.app.index, self.turn))

    def action_cursor(self, step: int) -> None:
        self.turn = max(0, min(len(self.visible_turns()) - 1, self.turn + step))
        self.render_row()

    def action_move(self, step: int) -> None:
        self.position = max(0, min(len(self.rows) - 1, self.position + step))
        self.turn = 0
        self.render_row()

    def action_back(self) -> None:
        self.app.pop_screen()

    def _decide(self, decision: str, notes: str = "", **kw) -> None:
        if self.app.decide(self.row, decision, notes, **kw):
            self.notify(f"{decision} recorded")
        self.render_row()

    def action_approve(self) -> None:
        self._decide("approve")

    def action_seed(self) -> None:
        self._decide("seed", seed=not self.row.review.seed_example)

    def action_reject(self) -> None:
        self.app.push_screen(TextPrompt("Why reject?"), lambda why: why and self._decide(
            "reject", why))

    def action_revise(self) -> None:
        self.app.push_screen(TextPrompt("What should change?"), lambda why: why and self._decide(
            "revise", why))

    def action_note(self) -> None:
        self.app.push_screen(TextPrompt("Note"), lambda text: text and self._decide("note", text))

    def action_edit(self) -> None:
        turn = self.visible_turns()[self.turn]
        current = next((m["content"] for m in self.row.review.edited or () if m["seq"] == turn.seq),
                       turn.content)

        def save(text):
            if text is not None and text != current:
                try:
                    actions.edit_turn(self.app.store, self.row.conv, turn.seq, text,
                                      self.app.reviewer, self.app.role, self.row.review.edited,
                                      policy=self.row.policy)
                except actions.NotAllowed as e:
                    self.notify(str(e), severity="error")
                    return
                self.app.reload()
                self.notify(f"turn {self.turn} edited (original kept)")
                self.render_row()

        self.app.push_screen(EditTurn(current), save)


class TextPrompt(ModalScreen):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, question: str):
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal"):
            yield Static(self.question)
            yield Input(id="answer")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss("")


class EditTurn(ModalScreen):
    BINDINGS = [Binding("ctrl+s", "save", "Save"), Binding("escape", "cancel", "Cancel")]

    def __init__(self, text: str):
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal"):
            yield Static("Edit the turn (ctrl+s saves a new version, escape cancels)")
            yield TextArea(self.text, id="editor")

    def action_save(self) -> None:
        self.dismiss(self.query_one(TextArea).text)

    def action_cancel(self) -> None:
        self.dismiss(None)


__all__ = ["ReviewApp", "Text"]
