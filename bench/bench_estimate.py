"""How close `bdsc plan --estimate` is to the run it estimates, and what it costs to make.

The baseline is measured in the same run: each spec is estimated (bdsl.estimate.run_dir.
write_estimate, as `bdsc run` does at its start), then run for real into a fresh directory
(the product path: bdsl.commands.run.execute_into, gates scored at the end), and the run's
journal is the actual figure. Printed: calls and tokens, estimated and journaled, and the
ratio estimate / actual (1.00 = exact).

    python bench/bench_estimate.py                 # every example spec, --model fake/echo
    python bench/bench_estimate.py --local         # also local/smollm2 (slow: minutes)
    python bench/bench_estimate.py --timing 10000  # seconds to estimate an N-job plan

--local runs specs/tutorial/first_spec.bds (2 jobs) and specs/03_socratic_method.bds
(1 job) on the embedded model and also prints the measured reply lengths behind
bdsl.estimate.replies.LOCAL_SENTENCE_TOKENS.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LIMIT = 6  # jobs per spec for specs bigger than this (the estimate covers the same jobs)
LOCAL_RUNS = (("specs/tutorial/first_spec.bds", 2), ("specs/03_socratic_method.bds", 1))
TEXT_STEPS = ("user", "assistant", "conventional", "meta", "synthesis", "panel",
              "bad_synthesis")


def measure(spec: Path, model: str, limit: int | None, workdir: Path) -> dict:
    """Estimate, then run, one spec; the two sides and the run's directory."""
    from bdsl.commands.run import execute_into
    from bdsl.compiler.pipeline import compile_path
    from bdsl.engine.executor import RunOptions
    from bdsl.estimate.run_dir import compare, write_estimate
    from bdsl.store import Store

    plan = compile_path(spec).plan
    out = workdir / f"{spec.stem}-{model.replace('/', '_')}"
    out.mkdir()
    t0 = time.perf_counter()
    write_estimate(out, plan, model if model != plan.datasets[0].model.name else "", limit)
    estimate_s = time.perf_counter() - t0
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = execute_into(plan, out, RunOptions(model=model, limit=limit))
    assert code == 0, f"{spec} run failed ({code})"
    store = Store.open(out)
    try:
        c = compare(out, store)
    finally:
        store.close()
    return {"spec": spec.stem, "jobs": c["estimate"]["jobs"], "estimate_s": estimate_s,
            "dir": out, **{f"est_{k}": c["estimate"][k] for k in ("calls", "tokens")},
            **{f"act_{k}": c["actual"][k] for k in ("calls", "tokens")}}


def table(rows: list[dict], model: str) -> None:
    print(f"\n--model {model}")
    print("| spec | jobs | calls est. | calls run | ratio | tokens est. | tokens run | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['spec']} | {r['jobs']} | {r['est_calls']:,} | {r['act_calls']:,} | "
              f"{r['est_calls'] / r['act_calls']:.3f} | {r['est_tokens']:,} | "
              f"{r['act_tokens']:,} | {r['est_tokens'] / r['act_tokens']:.3f} |")
    worst = max(abs(r["est_tokens"] / r["act_tokens"] - 1) for r in rows)
    print(f"worst token error {worst:.1%}; estimating took "
          f"{max(r['estimate_s'] for r in rows):.2f}s at most per spec")


def reply_lengths(run_dirs: list[Path]) -> None:
    """The local model's plain-text replies (tokens, sentences), and its own prompt token
    counts against litellm.token_counter's count of the same requests."""
    import json

    from bdsl.estimate.replies import ModeledReplies

    counter = ModeledReplies("local/smollm2")
    tokens = sentences = replies = model_prompt = counted_prompt = 0
    for d in run_dirs:
        db = sqlite3.connect(f"file:{d / 'store.sqlite'}?mode=ro", uri=True)
        for step, text, completion, prompt, request in db.execute(
                "SELECT step, response_text, completion_tokens, prompt_tokens, request_json "
                "FROM llm_calls"):
            model_prompt += prompt
            counted_prompt += counter.prompt_tokens(
                [tuple(m) for m in json.loads(request)["messages"]])
            if step in TEXT_STEPS:
                tokens += completion
                sentences += len(re.findall(r"[.!?](\s|$)", text))
                replies += 1
        db.close()
    print(f"local text replies: {replies}, {tokens / replies:.1f} tokens and "
          f"{sentences / replies:.2f} sentences a reply, {tokens / sentences:.1f} tokens a "
          "sentence (LOCAL_SENTENCE_TOKENS)")
    print(f"local prompts: the model counted {model_prompt:,} tokens, litellm.token_counter "
          f"{counted_prompt:,} (model / litellm {model_prompt / counted_prompt:.3f})")


def timing(jobs: int) -> None:
    """Seconds to estimate an N-job plan (sampled walk) against compiling it."""
    from bench_compile import make_spec

    from bdsl.compiler.pipeline import compile_path
    from bdsl.estimate.plan_estimate import estimate_plan

    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "big.bds"
        spec.write_text(make_spec(jobs))
        t0 = time.perf_counter()
        plan = compile_path(spec).plan
        compile_s = time.perf_counter() - t0
    print(f"\n{jobs:,}-job plan: compile {compile_s:.2f}s")
    estimate_plan(plan, "gpt-4o-mini", limit=1)  # litellm and its tokenizer loaded once
    full = None
    for model, sample in (("fake/echo", 100), ("gpt-4o-mini", 100), ("fake/echo", jobs)):
        t0 = time.perf_counter()
        e = estimate_plan(plan, model, sample_jobs=sample)
        sec = time.perf_counter() - t0
        if sample == jobs:
            full = e
        print(f"  estimate --model {model:<12} walking {e.datasets[0].walked_jobs:>6,} jobs: "
              f"{sec:6.2f}s ({sec / compile_s:.2f}x compile), {e.calls:,} calls, "
              f"{e.tokens:,} tokens")
    sampled = estimate_plan(plan, "fake/echo")
    print(f"  sampled vs every job walked (fake/echo): calls {sampled.calls / full.calls:.3f}, "
          f"tokens {sampled.tokens / full.tokens:.3f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--local", action="store_true", help="also measure local/smollm2")
    ap.add_argument("--timing", type=int, default=0, help="time the estimate of an N-job plan")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "bench"))
    from bdsl.compiler.pipeline import compile_path

    specs = sorted((ROOT / "specs").glob("*.bds")) + [ROOT / "specs/tutorial/first_spec.bds"]
    with tempfile.TemporaryDirectory() as tmp:
        rows = []
        for spec in specs:
            jobs = len(compile_path(spec).plan.jobs)
            rows.append(measure(spec, "fake/echo", LIMIT if jobs > LIMIT else None, Path(tmp)))
        table(rows, "fake/echo")
        if args.local:
            local = [measure(ROOT / s, "local/smollm2", n, Path(tmp)) for s, n in LOCAL_RUNS]
            table(local, "local/smollm2")
            reply_lengths([r["dir"] for r in local])
    if args.timing:
        timing(args.timing)


if __name__ == "__main__":
    main()
