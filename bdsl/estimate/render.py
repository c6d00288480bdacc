"""An estimate as the text `bdsc plan --estimate` prints."""

from __future__ import annotations

from bdsl.estimate.records import Estimate

NOT_COUNTED = ("not counted: retries (a truncated, empty or invalid reply is asked again, up "
               "to 3 attempts, with twice the room each time) and calls replayed from a run "
               "directory's journal")


def usd(value: float | None) -> str:
    return "unknown" if value is None else f"${value:,.4f}"


def render(e: Estimate) -> str:
    scope = f"--model {e.model_override}" if e.model_override else "each dataset's own models"
    limit = f", first {e.limit} jobs" if e.limit is not None else ""
    lines = [f"estimate: {e.jobs} jobs ({scope}{limit}); every call at its first attempt"]
    for d in e.datasets:
        walked = "" if d.walked_jobs == d.jobs else \
            f"; {d.walked_jobs} walked, scaled by messages"
        lines.append(f"\ndataset {d.name} ({d.kind}, {d.jobs} jobs, {d.messages} messages"
                     f"{walked})")
        rows = [s for s in e.steps if s.dataset == d.name]
        width = max([len(s.step) for s in rows] + [4])
        mwidth = max([len(s.model) for s in rows] + [5])
        lines.append(f"  {'step':<{width}}  {'model':<{mwidth}}  {'calls':>7}  "
                     f"{'prompt tok':>11}  {'completion tok':>14}")
        for s in rows:
            lines.append(f"  {s.step:<{width}}  {s.model:<{mwidth}}  {s.calls:>7,}  "
                         f"{s.prompt_tokens:>11,}  {s.completion_tokens:>14,}")
        lines.append(f"  {'total':<{width}}  {'':<{mwidth}}  "
                     f"{sum(s.calls for s in rows):>7,}  "
                     f"{sum(s.prompt_tokens for s in rows):>11,}  "
                     f"{sum(s.completion_tokens for s in rows):>14,}")
    lines.append("\nprice (litellm's offline cost map)")
    mwidth = max([len(m.model) for m in e.models] + [5])
    lines.append(f"  {'model':<{mwidth}}  {'calls':>7}  {'tokens':>11}  {'interactive':>12}  "
                 f"{'batch':>12}")
    for m in e.models:
        note = f"  {m.note}" if m.note else ""
        lines.append(f"  {m.model:<{mwidth}}  {m.calls:>7,}  {m.tokens:>11,}  "
                     f"{usd(m.interactive_usd):>12}  {usd(m.batch_usd):>12}{note}")
    lines.append(f"  {'total':<{mwidth}}  {e.calls:>7,}  {e.tokens:>11,}  "
                 f"{usd(e.cost()):>12}  {usd(e.cost(batch=True)):>12}")
    lines.append(f"  ceiling (every reply at its max_tokens): {e.ceiling_tokens:,} tokens, "
                 f"{usd(e.cost(ceiling=True))} interactive, "
                 f"{usd(e.cost(batch=True, ceiling=True))} batch")
    lines.append("\nreply lengths")
    for m in e.models:
        lines.append(f"  {m.model}: {m.replies}")
    lines.append(NOT_COUNTED)
    return "\n".join(lines)
