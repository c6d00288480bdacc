"""Provider bench: `bdsc run` end to end against a local OpenAI-compatible mock, next to a
plain asyncio + litellm script (bench/provider_baseline.py) making the same calls with the
same turn dependencies, measured in the same run.

    python bench/bench_provider.py [--latency 0.5] [--conversations 64] [--turns 8]
                                   [--concurrency 16 64] [--lengths 4 8 16 32]
                                   [--rps R] [--tpm T] [--quick] [--json PATH]
    python bench/bench_provider.py --store-only [--lengths 4 8 16 32] [--breakdown]

The mock (bdsl.testing.mock_openai, in this process) answers every call after `latency`
seconds with a bounded reply and records the request bodies. bdsc runs as a subprocess,
like a user; the plain script then replays the bodies bdsc sent. A call's dependencies
are read from the data: it waits for every call whose reply its prompt contains, so
message k's generation waits for message k-1's text and an annotation can run beside
the next generation. The bench checks both programs sent the same request bodies.

Reported, per concurrency (conversations in flight):
- efficiency = ideal / measured, ideal = ceil(N / concurrency) * (T + 1) * latency
  (T generation calls in a row plus a trailing annotation). `span` is measured at the
  mock, first request to last answer; `wall` is the whole process (startup and exit
  included; for the plain script, which runs every scenario in one process after a
  warm-up call: its startup + the scenario + its exit).
- CPU per call, marginal: (CPU of this run - CPU of the one-conversation run) /
  (calls - calls of that run), so startup (imports, compile) is left out for both.
- the wall of one T-message conversation in latencies (ideal T + 1).
- store bytes per message for conversations of each length: store.sqlite (+ -wal) of one
  conversation minus an empty store of the same spec, against the conversation's text.
Ratios are the result; absolute seconds depend on the machine.

--store-only runs just the store figures: an empty store and one conversation of each
length, side by side at latency 0 (a few seconds); --breakdown adds, per length, the bytes
of each table and index (SQLite's dbstat).
"""

from __future__ import annotations

import argparse
import bisect
import datetime
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
SPEC = BENCH / "provider_spec.bds"
BASELINE = BENCH / "provider_baseline.py"
MODEL = "mock-chat"


class BenchError(Exception):
    pass


@dataclass
class Settings:
    latency: float
    conversations: int
    turns: int
    concurrency: list[int]
    lengths: list[int]
    store_latency: float
    rps: float | None
    tpm: int | None


@dataclass
class Run:
    """One measured execution of a scenario by one program."""

    program: str  # bdsc | plain
    name: str
    turns: int
    conversations: int
    concurrency: int
    wall_s: float  # the process (bdsc) or import + scenario (plain)
    cpu_s: float
    startup_s: float
    entries: list = field(default_factory=list)  # mock log entries of this run
    run_dir: Path | None = None
    graph: list[dict] = field(default_factory=list)  # the calls and their dependencies
    teardown_s: float = 0.0  # after the last answer until the process ended

    @property
    def billed(self) -> list:
        return [e for e in self.entries if e.billed]

    @property
    def requests(self) -> list:
        """Requests of the conversations: bdsc's preflight probe (one per model and run,
        which the plain script has no reason to make) left out."""
        from bdsl.engine.preflight import PROBE_TEXT
        from bdsl.testing.mock_replies import message_text

        return [e for e in self.entries if not e.body
                or not any(PROBE_TEXT in message_text(m) for m in e.body.get("messages", []))]

    @property
    def work(self) -> list:
        """Billed calls of the conversations."""
        return [e for e in self.requests if e.billed]

    @property
    def calls(self) -> int:
        return len(self.work)

    @property
    def span_s(self) -> float:
        seen = self.requests
        if not seen:
            return math.nan
        return max(e.finished for e in seen) - min(e.started for e in seen)


# --- the spec ------------------------------------------------------------------------------

def write_spec(folder: Path, turns: int, conversations: int) -> Path:
    """The bench spec with a fixed conversation length and count."""
    text = SPEC.read_text(encoding="utf-8")
    text, n1 = re.subn(r"turns \d+\.\.\d+", f"turns {turns}..{turns}", text)
    text, n2 = re.subn(r"per_cell \d+", f"per_cell {conversations}", text)
    if (n1, n2) != (1, 1):
        raise BenchError(f"{SPEC} must hold one `turns a..b` and one `per_cell N`")
    path = folder / f"bench_t{turns}_n{conversations}.bds"
    path.write_text(text, encoding="utf-8")
    return path


# --- running bdsc and the plain script -------------------------------------------------------

def bdsc_command() -> list[str]:
    script = Path(sys.executable).with_name("bdsc")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bdsl"]


def launch_bdsc(spec: Path, out: Path, concurrency: int, env: dict, *extra: str):
    cmd = [*bdsc_command(), "run", str(spec), "--out", str(out),
           "--concurrency", str(concurrency), *extra]
    log = open(out.with_suffix(".log"), "w+", encoding="utf-8")  # noqa: SIM115
    return subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT), log


def reap(proc, log) -> tuple[int, float]:
    """(exit code, CPU seconds) of a child, from wait4's resource usage."""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    log.seek(0)
    output = log.read()
    log.close()
    if proc.returncode != 0:
        tail = "\n".join(output.strip().splitlines()[-8:])
        raise BenchError(f"`bdsc run` exited {proc.returncode}:\n{tail}")
    return proc.returncode, usage.ru_utime + usage.ru_stime


def run_bdsc(server, tmp: Path, name: str, turns: int, conversations: int, concurrency: int,
             env: dict) -> Run:
    spec = write_spec(tmp, turns, conversations)
    out = tmp / name
    server.reset_log()
    t0 = time.monotonic()
    proc, log = launch_bdsc(spec, out, concurrency, env)
    _, cpu = reap(proc, log)
    wall = time.monotonic() - t0
    entries = server.log.entries()
    startup = min((e.started for e in entries), default=t0) - t0
    teardown = t0 + wall - max((e.finished for e in entries), default=t0)
    run = Run("bdsc", name, turns, conversations, concurrency, wall, cpu, startup, entries, out,
              teardown_s=teardown)
    run.graph = dependencies(run)
    return run


def run_plain(server, tmp: Path, bdsc_runs: list[Run], env: dict) -> list[Run]:
    """One process replays every scenario (its litellm import is paid once, reported)."""
    scenarios = [{"name": r.name, "concurrency": r.concurrency, "requests": r.graph}
                 for r in bdsc_runs]
    source, target = tmp / "plain_scenarios.json", tmp / "plain_results.json"
    source.write_text(json.dumps({"scenarios": scenarios}), encoding="utf-8")
    server.reset_log()
    launched = time.monotonic()
    proc = subprocess.run([sys.executable, str(BASELINE), str(source), str(target)], env=env,
                          capture_output=True, text=True)
    ended = time.monotonic()
    if proc.returncode != 0:
        raise BenchError(f"the plain script failed:\n{proc.stderr[-2000:]}")
    result = json.loads(target.read_text(encoding="utf-8"))
    scenarios = result["scenarios"]
    # each scenario's wall as if it ran alone: startup + its calls + the process exit
    startup, teardown = scenarios[0]["started"] - launched, ended - result["finished"]
    entries = server.log.entries()
    starts = [s["started"] for s in scenarios] + [math.inf]
    runs = []
    for i, (s, b) in enumerate(zip(scenarios, bdsc_runs, strict=True)):
        mine = [e for e in entries if starts[i] <= e.started < starts[i + 1]]
        runs.append(Run("plain", s["name"], b.turns, b.conversations, b.concurrency,
                        startup + s["wall_s"] + teardown, s["cpu_s"], startup, mine,
                        graph=b.graph, teardown_s=teardown))
    return runs


# --- what depends on what ---------------------------------------------------------------------

def dependencies(run: Run) -> list[dict]:
    """The billed requests of a run as a graph: each waits for every earlier-answered
    request whose reply text its messages contain; conversations are the connected parts.
    Raises when the graph does not have one part per conversation."""
    from bdsl.testing.mock_replies import message_text, reply_text

    billed = sorted(run.work, key=lambda e: e.started)
    replies = {e.seq: reply_text(e.body) for e in billed}
    by_finish = sorted(billed, key=lambda e: e.finished)
    finish_times = [e.finished for e in by_finish]
    root: dict[int, int] = {}
    out = []
    for e in billed:
        prompt = "\n".join(message_text(m) for m in e.body["messages"])
        earlier = by_finish[:bisect.bisect_right(finish_times, e.started)]
        after = [g.seq for g in earlier if replies[g.seq] and replies[g.seq] in prompt]
        root[e.seq] = root[after[-1]] if after else e.seq
        out.append({"id": e.seq, "conversation": root[e.seq], "after": after, "body": e.body})
    found = len(set(root.values()))
    if found != run.conversations:
        raise BenchError(f"{run.name}: the requests bdsc sent form {found} chains of calls, "
                         f"expected {run.conversations} conversations; a prompt no longer "
                         "contains the reply it depends on verbatim")
    return out


def conversation_walls(run: Run) -> list[float]:
    """Seconds from each conversation's first request to its last answer."""
    conv_of = {_hash(r["body"]): r["conversation"] for r in run.graph}
    spans: dict[int, list[float]] = {}
    for e in run.entries:
        c = conv_of.get(e.body_hash)
        if c is not None:
            lo, hi = spans.get(c, (math.inf, -math.inf))
            spans[c] = (min(lo, e.started), max(hi, e.finished))
    return [hi - lo for lo, hi in spans.values()]


def _hash(body: dict) -> str:
    from bdsl.testing.mock_replies import body_hash

    return body_hash(body)


# --- the store -----------------------------------------------------------------------------------

def store_bytes(run_dir: Path) -> int:
    return sum(p.stat().st_size for p in run_dir.glob("store.sqlite*")
               if not p.name.endswith("-shm"))


def conversation_text(run_dir: Path) -> tuple[int, int]:
    """(messages, UTF-8 bytes of their text) in the run's conversations.jsonl."""
    messages = size = 0
    with open(run_dir / "conversations.jsonl", encoding="utf-8") as f:
        for line in f:
            for m in json.loads(line)["messages"]:
                messages += 1
                size += len(m["content"].encode("utf-8"))
    return messages, size


# --- the report ---------------------------------------------------------------------------------

def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2 ** 30
    from importlib.metadata import version

    return (f"{cpu}, {os.cpu_count()} CPUs, {mem:.0f} GB RAM, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}, "
            f"litellm {version('litellm')}")


def load() -> str:
    """The 1-minute load average: other work on the machine skews every figure."""
    return f"{os.getloadavg()[0]:.2f}"


def ideal(run: Run, latency: float) -> float:
    return math.ceil(run.conversations / run.concurrency) * (run.turns + 1) * latency


def marginal_cpu(run: Run, base: Run) -> float:
    extra = run.calls - base.calls
    return (run.cpu_s - base.cpu_s) / extra if extra > 0 else math.nan


def same_calls(a: Run, b: Run) -> bool:
    return Counter(e.body_hash for e in a.work) == Counter(e.body_hash for e in b.work)


def report(s: Settings, single: dict[str, Run], rows: list[tuple[Run, Run]],
           stores: list[tuple[int, int, int, int, int]], empty: int) -> dict:
    limit = ", ".join(x for x in (f"{s.rps} requests/s" if s.rps else "",
                                  f"{s.tpm} tokens/min" if s.tpm else "") if x) or "none"
    print(f"mock: latency {s.latency} s (fixed), rate limit {limit}; model openai/{MODEL}")
    return {"rows": efficiency_table(s.latency, single, rows),
            "single": single_conversation(s.latency, single),
            "store": store_table(stores, empty)}


def efficiency_table(lat: float, single: dict[str, Run], rows: list[tuple[Run, Run]]) -> list:
    print("ideal = ceil(N / concurrency) * (T + 1) * latency; efficiency = ideal / measured\n")
    head = (f"{'in flight':>9} {'program':>7} {'N':>4} {'T':>3} {'calls':>6} {'span s':>7} "
            f"{'eff(span)':>9} {'wall s':>7} {'eff(wall)':>9} {'CPU ms/call':>11} "
            f"{'cores':>5} {'conv wall':>9} {'429s':>5}")
    print(head)
    print("-" * len(head))
    out = []
    for pair in rows:
        for run in pair:
            cpu = marginal_cpu(run, single[run.program])
            row = {"program": run.program, "concurrency": run.concurrency,
                   "conversations": run.conversations, "turns": run.turns, "calls": run.calls,
                   "span_s": run.span_s, "eff_span": ideal(run, lat) / run.span_s,
                   "wall_s": run.wall_s, "eff_wall": ideal(run, lat) / run.wall_s,
                   "cpu_ms_per_call": cpu * 1000, "cores": cpu * run.calls / run.span_s,
                   "conversation_latencies": statistics.median(conversation_walls(run)) / lat,
                   "rate_limited": sum(e.status == 429 for e in run.entries)}
            out.append(row)
            print(f"{run.concurrency:>9} {run.program:>7} {run.conversations:>4} {run.turns:>3} "
                  f"{run.calls:>6} {run.span_s:>7.2f} {row['eff_span']:>9.2f} "
                  f"{run.wall_s:>7.2f} {row['eff_wall']:>9.2f} {row['cpu_ms_per_call']:>11.2f} "
                  f"{row['cores']:>5.2f} {row['conversation_latencies']:>8.1f}L "
                  f"{row['rate_limited']:>5}")
    print("span: first request to last answer, at the mock; wall: the whole process. cores: "
          "CPU per call x calls / span\n(near 1.0, the event loop's one core is the limit). "
          "conv wall: median first request to last answer of a conversation, in latencies L; "
          "429s: requests the mock refused\n")
    for b, p in rows:
        eb, ep = ideal(b, lat) / b.span_s, ideal(p, lat) / p.span_s
        cb, cp = marginal_cpu(b, single["bdsc"]), marginal_cpu(p, single["plain"])
        print(f"concurrency {b.concurrency}: efficiency bdsc {eb:.2f} vs plain {ep:.2f} "
              f"(ratio {eb / ep:.2f}; target bdsc >= 0.9); CPU per call bdsc/plain "
              f"{cb / cp:.2f} (target <= 1.10); same request bodies: "
              f"{'yes' if same_calls(b, p) else 'NO'}")
    return out


def single_conversation(lat: float, single: dict[str, Run]) -> dict:
    sb, sp = single["bdsc"], single["plain"]
    out = {"turns": sb.turns, "bdsc_latencies": sb.span_s / lat,
           "plain_latencies": sp.span_s / lat, "bdsc_startup_s": sb.startup_s,
           "bdsc_after_last_answer_s": sb.teardown_s, "plain_startup_s": sp.startup_s,
           "plain_after_last_answer_s": sp.teardown_s}
    print(f"\none {sb.turns}-message conversation, first request to last answer: bdsc "
          f"{out['bdsc_latencies']:.1f} latencies (target <= T+1 = {sb.turns + 1}), plain "
          f"{out['plain_latencies']:.1f}")
    print(f"(bdsc's includes litellm's first-call setup; the plain script made a warm-up call "
          f"first)\nprocess around it: bdsc {sb.startup_s:.1f} s before its first call and "
          f"{sb.teardown_s:.1f} s after its last answer; plain script {sp.startup_s:.1f} s "
          f"(litellm import, warm-up call) and {sp.teardown_s:.1f} s")
    return out


def store_table(stores: list, empty: int) -> list:
    print(f"\nstore bytes per message (store.sqlite minus an empty store of {empty / 1024:.0f} "
          "KB, over the conversations' messages)")
    head = (f"{'T':>4} {'convs':>5} {'store KB':>8} {'net B/msg':>9} {'text B/msg':>10} "
            f"{'store/text':>10} {'growth/doubling':>15}")
    print(head)
    print("-" * len(head))
    out, previous = [], None
    for turns, convs, size, messages, text in stores:
        net = size - empty
        per_conversation = net / convs
        growth = f"x{per_conversation / previous:.2f}" if previous else "-"
        print(f"{turns:>4} {convs:>5} {size / 1024:>8.0f} {net / messages:>9.0f} "
              f"{text / messages:>10.0f} {net / text:>10.1f} {growth:>15}")
        out.append({"turns": turns, "conversations": convs, "store_bytes": size,
                    "net_bytes_per_message": net / messages,
                    "text_bytes_per_message": text / messages, "store_to_text": net / text})
        previous = per_conversation
    print(f"(targets: store/text <= 10 at {stores[-1][0]} messages, net B/msg flat as length "
          "grows; growth/doubling is net bytes per conversation: x2.0 is linear)")
    return out


# --- the plan of the bench ------------------------------------------------------------------------

def settings(args) -> Settings:
    if args.quick:
        return Settings(latency=0.2, conversations=16, turns=4, concurrency=[16, 64],
                        lengths=[4, 8], store_latency=0.05, rps=args.rps, tpm=args.tpm)
    return Settings(latency=args.latency, conversations=args.conversations, turns=args.turns,
                    concurrency=args.concurrency, lengths=sorted(args.lengths),
                    store_latency=min(args.latency, 0.05), rps=args.rps, tpm=args.tpm)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--latency", type=float, default=0.5)
    ap.add_argument("--conversations", type=int, default=64)
    ap.add_argument("--turns", type=int, default=8, help="messages per conversation")
    ap.add_argument("--concurrency", type=int, nargs="+", default=[16, 64])
    ap.add_argument("--lengths", type=int, nargs="+", default=[4, 8, 16, 32])
    ap.add_argument("--single-turns", type=int, default=8,
                    help="length of the one-conversation run")
    ap.add_argument("--rps", type=float, default=None, help="mock rate limit, requests/s")
    ap.add_argument("--tpm", type=int, default=None, help="mock rate limit, tokens/minute")
    ap.add_argument("--quick", action="store_true",
                    help="a smoke run: latency 0.2, 16 conversations of 4 messages")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    ap.add_argument("--store-only", action="store_true",
                    help="only the store figures: one conversation of each length, latency 0")
    ap.add_argument("--breakdown", action="store_true",
                    help="with --store-only: bytes per table and index at each length")
    ap.add_argument("--keep", type=Path, default=None,
                    help="with --store-only: copy the run directories here")
    args = ap.parse_args(argv)
    s = settings(args)
    os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
    from bdsl.testing import MockServer

    if args.store_only:
        return store_only(s, args, argv)

    print("bdsl provider bench: `bdsc run` vs a plain asyncio + litellm script, same calls")
    print(f"machine: {machine()}")
    print(f"date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}; "
          f"load average before: {load()}")
    print(f"command: python bench/bench_provider.py {' '.join(argv or sys.argv[1:])}".rstrip())
    t_start = time.monotonic()
    try:
        with tempfile.TemporaryDirectory() as d, MockServer(
                latency=s.store_latency, models=(MODEL,), record_bodies=True) as server:
            tmp = Path(d)
            env = {**os.environ, **server.env()}
            stores, empty = storage_runs(server, tmp, s, args.single_turns, env)
            server.configure(latency=s.latency, requests_per_second=s.rps,
                             tokens_per_minute=s.tpm)
            single_b = run_bdsc(server, tmp, "single", args.single_turns, 1, 1, env)
            timed = []
            for c in s.concurrency:
                timed.append(run_bdsc(server, tmp, f"c{c}", s.turns, s.conversations, c, env))
            plain = run_plain(server, tmp, [single_b, *timed], env)
            stores = sorted(stores + store_points([single_b, *timed], s.lengths, stores))
            print(f"\n{len(timed) * 2 + 2} measured runs; bench took "
                  f"{time.monotonic() - t_start:.0f} s; load average after: {load()}\n")
            figures = report(s, {"bdsc": single_b, "plain": plain[0]},
                             list(zip(timed, plain[1:], strict=True)),
                             stores, empty)
    except BenchError as e:
        print(f"error: {e}", file=sys.stderr)
        return 3
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


def storage_runs(server, tmp: Path, s: Settings, single_turns: int, env: dict,
                 measured: bool = True):
    """Untimed runs, side by side at a short latency: an empty store (--limit 0) and one
    conversation of each length that no measured run provides."""
    # the measured runs give these (there are none with --store-only)
    covered = {single_turns, s.turns} if measured else set()
    lengths = [t for t in s.lengths if t not in covered]
    procs = []
    spec = write_spec(tmp, single_turns, 1)
    procs.append(("empty", tmp / "empty", *launch_bdsc(spec, tmp / "empty", 1, env, "--limit",
                                                       "0")))
    for t in lengths:
        out = tmp / f"store_t{t}"
        procs.append((t, out, *launch_bdsc(write_spec(tmp, t, 1), out, 1, env)))
    stores, empty = [], 0
    try:
        for t, out, proc, log in procs:
            reap(proc, log)
            if t == "empty":
                empty = store_bytes(out)
            else:
                stores.append((t, 1, store_bytes(out), *conversation_text(out)))
    finally:  # one failed: stop the others rather than leave them retrying
        for *_, proc, log in procs:
            if proc.returncode is None:
                proc.kill()
                reap_quietly(proc, log)
    return stores, empty


def store_only(s: Settings, args, argv) -> int:
    """The store table alone: an empty store and one conversation of each length, all at
    latency 0 (the mock answers at once), side by side."""
    from bdsl.testing import MockServer

    print("bdsl provider bench, store figures only: one conversation of each length")
    print(f"machine: {machine()}")
    print(f"date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}")
    print(f"command: python bench/bench_provider.py {' '.join(argv or sys.argv[1:])}".rstrip())
    try:
        with tempfile.TemporaryDirectory() as d, MockServer(
                latency=0.0, models=(MODEL,), record_bodies=True) as server:
            tmp = Path(d)
            env = {**os.environ, **server.env()}
            stores, empty = storage_runs(server, tmp, s, args.single_turns, env,
                                         measured=False)
            figures = {"store": store_table(sorted(stores), empty)}
            if args.breakdown:
                figures["breakdown"] = breakdown(tmp, sorted(t for t, *_ in stores))
            if args.keep:
                import shutil

                for t in ["empty", *sorted(t for t, *_ in stores)]:
                    name = "empty" if t == "empty" else f"store_t{t}"
                    shutil.copytree(tmp / name, args.keep / name, dirs_exist_ok=True)
    except BenchError as e:
        print(f"error: {e}", file=sys.stderr)
        return 3
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


def breakdown(tmp: Path, lengths: list[int]) -> dict:
    """Bytes of each table's and index's records (SQLite's dbstat payload: no page slack,
    unlike the file sizes above) over the empty store's, at each length."""
    import sqlite3

    def sizes(run_dir: Path) -> dict[str, int]:
        with sqlite3.connect(f"file:{run_dir / 'store.sqlite'}?mode=ro", uri=True) as conn:
            try:
                rows = conn.execute("SELECT name, SUM(payload) FROM dbstat GROUP BY name")
            except sqlite3.OperationalError:  # SQLite built without dbstat
                return {}
            return dict(rows.fetchall())

    empty = sizes(tmp / "empty")
    out = {}
    for t in lengths:
        mine = sizes(tmp / f"store_t{t}")
        out[t] = {name: size - empty.get(name, 0) for name, size in mine.items()}
    names = sorted({n for v in out.values() for n in v if v[n]},
                   key=lambda n: -max(v.get(n, 0) for v in out.values()))
    print("\nnet record bytes by table and index (SQLite dbstat payload over the empty "
          "store's)")
    head = f"{'table / index':<40}" + "".join(f"{f'T={t}':>9}" for t in lengths)
    print(head)
    print("-" * len(head))
    for n in names:
        print(f"{n:<40}" + "".join(f"{out[t].get(n, 0):>9}" for t in lengths))
    return out


def reap_quietly(proc, log) -> None:
    os.waitpid(proc.pid, 0)
    proc.returncode = -9
    log.close()


def store_points(runs: list[Run], lengths: list[int], have: list) -> list:
    """Store figures from measured runs for lengths not measured yet (fewest conversations
    first)."""
    done = {t for t, *_ in have}
    out = []
    for run in sorted(runs, key=lambda r: r.conversations):
        if run.turns in lengths and run.turns not in done:
            done.add(run.turns)
            out.append((run.turns, run.conversations, store_bytes(run.run_dir),
                        *conversation_text(run.run_dir)))
    return out


if __name__ == "__main__":
    sys.exit(main())
