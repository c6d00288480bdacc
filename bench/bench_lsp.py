"""Language-server latency, as an editor feels it, against `bdsc check` in the same run.

Drives `bdsc lsp` over stdio (the test client in tests/lsp/client.py) on an example spec
and prints medians and ratios measured in this run:
  - edit -> diagnostics: didChange to the publishDiagnostics of that version, minus the
    server's debounce (what checking costs once the typing pauses)
  - hover and completion round trips
  - baselines: `bdsc check SPEC` as a fresh process (what you wait for without a server)
    and check_path in-process without the server's parse cache

    python bench/bench_lsp.py [--spec specs/02_finra_advisor.bds] [--edits 15]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bdsl.lsp.server import DEBOUNCE_S  # noqa: E402
from tests.lsp.client import editor  # noqa: E402


def median_ms(xs) -> float:
    return statistics.median(xs) * 1000


def baseline_process(spec: Path, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "bdsl", "check", str(spec)], cwd=ROOT,
                       capture_output=True, check=False)
        out.append(time.perf_counter() - t)
    return out


def baseline_in_process(spec: Path, text: str, repeat: int) -> list[float]:
    from bdsl.compiler.pipeline import check_path

    check_path(spec, text)  # warm: grammar tables, imports
    out = []
    for i in range(repeat):
        t = time.perf_counter()
        check_path(spec, text + f"\n# edit {i}\n")
        out.append(time.perf_counter() - t)
    return out


async def server(spec: Path, text: str, edits: int):
    lines = text.splitlines()
    hover_at = next((i, line.index("std.personas.") + 15) for i, line in enumerate(lines)
                    if "std.personas." in line)
    async with editor(ROOT) as ed:
        uri = ed.open(spec, text)
        await ed.wait_diagnostics(uri, version=1)
        diag, hover, complete = [], [], []
        for i in range(edits):
            edited = text + f"\n# edit {i}\n"
            t = time.perf_counter()
            version = ed.change(uri, edited)
            await ed.wait_diagnostics(uri, version=version)
            diag.append(time.perf_counter() - t - DEBOUNCE_S)
            t = time.perf_counter()
            await ed.hover(uri, *hover_at)
            hover.append(time.perf_counter() - t)
            t = time.perf_counter()
            await ed.complete(uri, len(lines) - 2, 2)
            complete.append(time.perf_counter() - t)
        return diag, hover, complete


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--spec", default="specs/02_finra_advisor.bds")
    ap.add_argument("--edits", type=int, default=15)
    args = ap.parse_args()
    spec = (ROOT / args.spec).resolve()
    text = spec.read_text()
    proc = baseline_process(spec, 5)
    inproc = baseline_in_process(spec, text, args.edits)
    diag, hover, complete = asyncio.run(server(spec, text, args.edits))
    print(f"spec {args.spec}, {args.edits} edits; medians")
    print(f"  baseline `bdsc check` process        {median_ms(proc):7.0f} ms")
    print(f"  baseline check_path, no parse cache  {median_ms(inproc):7.0f} ms")
    print(f"  server edit -> diagnostics           {median_ms(diag):7.0f} ms  "
          f"({median_ms(diag) / median_ms(proc):.2f}x the process, "
          f"{median_ms(diag) / median_ms(inproc):.2f}x check_path; debounce "
          f"{DEBOUNCE_S * 1000:.0f} ms not counted)")
    print(f"  server hover                         {median_ms(hover):7.0f} ms  "
          f"({median_ms(hover) / median_ms(proc):.3f}x the process)")
    print(f"  server completion                    {median_ms(complete):7.0f} ms  "
          f"({median_ms(complete) / median_ms(proc):.3f}x the process)")


if __name__ == "__main__":
    main()
