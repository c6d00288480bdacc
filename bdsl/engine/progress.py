"""Live progress on stderr: jobs done/total, turns, calls/s, tokens, cost, ETA, failures."""

from __future__ import annotations

import time

from rich.console import Console
from rich.live import Live
from rich.text import Text

from bdsl.engine.calls import Counters


class ProgressView:
    def __init__(self, counters: Counters, console: Console | None = None):
        self.counters = counters
        self.console = console or Console(stderr=True)
        self.live: Live | None = None

    def __rich__(self) -> Text:
        return Text(self.line())

    def line(self) -> str:
        c = self.counters
        elapsed = max(time.monotonic() - c.started, 1e-6)
        finished = c.jobs_done - c.jobs_reused + c.jobs_failed
        remaining = c.jobs_total - c.jobs_done - c.jobs_failed
        eta = f"{remaining * elapsed / finished:.0f}s" if finished and remaining else "-"
        cost = "unknown" if c.cost is None else f"${c.cost:.4f}"
        return (f"jobs {c.jobs_done}/{c.jobs_total}  turns {c.turns}  "
                f"calls {c.calls_made} ({c.calls_made / elapsed:.1f}/s, {c.cache_hits} cached)  "
                f"tokens {c.tokens}  cost {cost}  eta {eta}  failed {c.jobs_failed}")

    def __enter__(self) -> ProgressView:
        if self.console.is_terminal:
            self.live = Live(self, console=self.console, refresh_per_second=4, transient=False)
            self.live.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        if self.live is not None:
            self.live.__exit__(*exc)
        else:
            self.console.print(self.line(), highlight=False)
