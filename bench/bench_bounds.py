"""Bounded inputs fail fast: what refusing a hostile spec costs, against a good one.

Each line prints the time and peak Python memory (tracemalloc) of refusing one hostile
input, and its ratio to a baseline measured in the same run:

  - a 10^9-job matrix (E249) and a 1 KB YAML alias bomb (E113), against `check_path` on
    the tutorial spec
  - hostile template overrides (`'A' * 10**10`, nested loops, ...), against rendering the
    tutorial's first job's prompts
  - the box's cost on ordinary prompts: the stdlib templates rendered by the bounded
    environment against jinja2's plain sandbox (the price of the limits per render)

    python bench/bench_bounds.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def measure(fn, repeat: int) -> tuple[float, float]:
    """(median seconds, peak MB of the last run)."""
    times = []
    for _ in range(repeat):
        tracemalloc.start()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return statistics.median(times), peak / 1e6


def line(label: str, result, baseline) -> None:
    (t, mb), (bt, _) = result, baseline
    print(f"  {label:<44} {t * 1000:8.1f} ms  {mb:7.1f} MB  {t / bt:6.2f}x baseline")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from bdsl.compiler.pipeline import check_path, compile_path
    from tests.compiler.test_job_bounds import matrix_spec
    from tests.frontend.test_input_bounds import alias_bomb

    tutorial = ROOT / "specs" / "tutorial" / "first_spec.bds"
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "big.bds").write_text(matrix_spec())
        (tmp / "bomb.yaml").write_text(alias_bomb())
        (tmp / "bomb.bds").write_text('spec "b" version "1"\nimport "./bomb.yaml"\n')
        print("check (baseline: check_path on the tutorial spec)")
        base = measure(lambda: check_path(tutorial), args.repeat)
        line("baseline: tutorial spec", base, base)
        line("10^9 jobs refused (E249, 1,213 declarations)",
             measure(lambda: check_path(tmp / "big.bds"), args.repeat), base)
        line("1 KB alias bomb refused (E113)",
             measure(lambda: check_path(tmp / "bomb.bds"), args.repeat), base)

    from bdsl import ir
    from bdsl.engine.preview import preview_prompts
    from bdsl.engine.prompts import PromptRenderer, TemplateError
    from tests.frontend.test_template_limits import HOSTILE

    plan = compile_path(tutorial).plan
    job = plan.jobs[0]
    print("templates (baseline: the tutorial's first job's prompts, rendered)")
    base = measure(lambda: preview_prompts(plan, job), args.repeat)
    line("baseline: one job's prompts", base, base)
    for name, source in HOSTILE.items():
        def hostile(source=source, name=name):
            try:
                PromptRenderer((ir.Template("t", source, "spec", "h"),)).render("t")
            except TemplateError:
                return
            raise AssertionError(f"{name} rendered")
        line(name, measure(hostile, 1), base)

    import jinja2
    from jinja2.sandbox import SandboxedEnvironment

    from bdsl.engine.context import JobVariables, generation_variables

    index = plan.index()
    variables = JobVariables(plan, index, job).for_step(
        **generation_variables(index, job), turn=job.turns[1],
        history=[{"role": "user", "content": "I sent thirty applications. " * 20}] * 6)
    names = ["user_system", "assistant_system", "assistant_turn"]
    bounded = PromptRenderer(plan.templates)
    plain_env = SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False,
                                     trim_blocks=True, lstrip_blocks=True)
    plain = {n: plain_env.from_string(bounded.sources[n].source) for n in names}

    def render_all(render, times=200):
        for _ in range(times):
            for n in names:
                render(n)

    print("the box on ordinary prompts (baseline: jinja2's plain sandbox, 600 renders)")
    base = measure(lambda: render_all(lambda n: plain[n].render(**variables)), args.repeat)
    line("baseline: plain sandbox", base, base)
    line("bounded environment", measure(
        lambda: render_all(lambda n: bounded.render(n, **variables)), args.repeat), base)


if __name__ == "__main__":
    main()
