"""Each category's example spec on the embedded model (local/smollm2, 4,096-token context).

For specs/01 ... specs/07: `bdsc run SPEC --model local/smollm2 --limit 1`, then
`bdsc status` and `bdsc score --format json` on the run. Writes every command's output,
with the machine, the date and the wall time, to OUT/log.txt, and one JSON line per spec
(exit codes, gate results) to OUT/summary.jsonl. docs/categories.md shows these.
Minutes per spec on a laptop CPU; runs one spec at a time.

    python bench/categories_real.py [--out /tmp/categories_real] [--only 05,01]
    python bench/categories_real.py --out /tmp/categories_real --report
    python bench/categories_real.py --out /tmp/categories_real --recheck-crisis

--report runs nothing: it prints, for every run directory in OUT, the wall time from
log.txt, every conversation's gate results and a curriculum's session outcomes, read from
the run's store (the block docs/categories.md shows).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPECS = sorted((ROOT / "specs").glob("0[1-7]_*.bds"))


def bdsc(*argv: str, cwd: Path) -> tuple[int, str, float]:
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "bdsl", *argv], cwd=cwd, text=True,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         env={**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"})
    return out.returncode, out.stdout, time.perf_counter() - t0


def now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.system()} {platform.machine()}, {cpu}, {os.cpu_count()} cores visible"


def report(out: Path) -> None:
    from bdsl.store import Store, conversations
    from bdsl.store.gate_results import read_gate_rows

    log = (out / "log.txt").read_text()
    print(log.splitlines()[0])
    for run_dir in sorted(p for p in out.iterdir() if (p / "store.sqlite").exists()):
        m = re.search(rf"## (.*?) \((\d+)s, exit (\d+)\)\n\$ bdsc run (\S+).*--out OUT/"
                      rf"{run_dir.name}\n", log)
        if not m:
            continue  # no finished `bdsc run` in the log (interrupted)
        print(f"\n$ bdsc run {m[4]} --model local/smollm2 --limit 1   # {m[1]}, {m[2]} s, "
              f"exit {m[3]}")
        store = Store.open(run_dir)
        try:
            for conv in conversations(store):
                gates_hash = store.db.execute("SELECT gates_hash FROM jobs WHERE key=?",
                                              (conv.job_key,)).fetchone()[0]
                calls, tokens = store.db.execute(
                    "SELECT count(*), sum(prompt_tokens + completion_tokens) FROM llm_calls "
                    "WHERE job_key=?", (conv.job_key,)).fetchone()
                print(f"{conv.job_key}: {len(conv.turns)} stored turns, {calls} calls, "
                      f"{tokens} tokens")
                skills = [json.loads(t.content)["session"].get("skill") for t in conv.turns
                          if t.label == "session_state"]
                for t in conv.turns:
                    if t.label == "session_outcome":
                        o = json.loads(t.content)
                        print(f"  session {o['session']}: skill {skills[o['session'] - 1]!r}, "
                              f"difficulty {o['difficulty']}, "
                              f"learner state {o['learner_state']}, mastery {o['mastery']}, "
                              f"outcome {o['outcome']}, next difficulty "
                              f"{o['next_difficulty']} (from the {o['source']})")
                for r in read_gate_rows(store, conv.id, gates_hash):
                    verdict = "pass" if r.passed else ("review" if r.soft else "FAIL")
                    reason = r.reason if len(r.reason) <= 150 else r.reason[:147] + "..."
                    print(f"  {r.gate}: {verdict}: {reason}")
                    for miss in r.details.get("missed", []):  # stage_protocols
                        said = next(t.content for t in conv.turns if t.idx == miss["turn"]
                                    and t.kind == "message")
                        print(f"    turn {miss['turn']} ({miss['protocol']}) said: "
                              f"{said[:160]!r}")
                    if r.details.get("windows"):
                        ids = r.details.get("call_ids", [])
                        tokens = [store.db.execute("SELECT prompt_tokens FROM llm_calls "
                                                   "WHERE id=?", (i,)).fetchone()[0]
                                  for i in ids]
                        print(f"    judged in {len(r.details['windows'])} windows: "
                              f"{r.details['windows']}, scores "
                              f"{r.details.get('window_scores')}, prompt tokens {tokens}")
        finally:
            store.close()


def recheck_crisis(out: Path) -> None:
    """`bdsc gate` (today's gate code) on the crisis run's stored conversation: the
    crisis_referral result, without calling the model again (judges on fake/echo)."""
    conv = json.loads((out / "01_crisis_support" / "conversations.jsonl").open().readline())
    given = out / "01_recheck.jsonl"
    given.write_text(json.dumps({"messages": [{"role": m["role"], "content": m["content"]}
                                              for m in conv["messages"]]}) + "\n")
    scored = out / "01_recheck.scored.jsonl"
    argv = ["gate", "specs/01_crisis_support.bds", "--input", str(given), "--judge-model",
            "fake/echo", "-o", str(scored)]
    rc, text, _ = bdsc(*argv, cwd=ROOT)
    print("$ bdsc " + " ".join(a.replace(str(out), "OUT") for a in argv))
    print(text.replace(str(out), "OUT").rstrip())
    row = next(r for r in json.loads(scored.read_text())["bdsl_gates"]["results"]
               if r["gate"] == "crisis_referral")
    print(f"crisis_referral: {'pass' if row['passed'] else 'FAIL'}: {row['reason']}")
    for d in row["details"]["detections"]:
        print(f"  turn {d['turn']}: {d['signals']}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=Path("/tmp/categories_real"))
    ap.add_argument("--only", help="spec numbers in the order to run them, e.g. 05,01")
    ap.add_argument("--report", action="store_true", help="print the results, run nothing")
    ap.add_argument("--recheck-crisis", action="store_true",
                    help="today's crisis_referral gate on the stored crisis conversation")
    args = ap.parse_args()
    out = args.out.resolve()
    if args.recheck_crisis:
        recheck_crisis(out)
        return
    if args.report:
        report(out)
        return
    out.mkdir(parents=True, exist_ok=True)
    log = (out / "log.txt").open("a")
    summary = (out / "summary.jsonl").open("a")
    log.write(f"# machine: {machine()}\n")
    specs = SPECS
    if args.only:
        specs = [s for n in args.only.split(",") for s in SPECS if s.name.startswith(n)]
    for spec in specs:
        run_dir = out / spec.stem
        record = {"spec": spec.name, "date": now()}
        for name, argv in (
            ("run", ["run", str(spec.relative_to(ROOT)), "--model", "local/smollm2",
                     "--limit", "1", "--out", str(run_dir)]),
            ("status", ["status", str(run_dir)]),
            ("score", ["score", str(run_dir), "--format", "json"]),
        ):
            started = now()
            rc, text, secs = bdsc(*argv, cwd=ROOT)
            shown = " ".join(a.replace(str(out), "OUT") for a in argv)
            log.write(f"## {started} ({secs:.0f}s, exit {rc})\n$ bdsc {shown}\n{text}\n")
            log.flush()
            record[name] = {"exit": rc, "seconds": round(secs)}
            if name == "score":
                try:
                    record[name]["result"] = json.loads(text)
                except ValueError:
                    record[name]["text"] = text[-2000:]
        summary.write(json.dumps(record) + "\n")
        summary.flush()


if __name__ == "__main__":
    main()
