"""Issue 11, finding 5: a dataset's job count is bounded by `bdsc check`, counted from the
axis sizes without building the matrix, and the count is the number of jobs the plan gets."""

import itertools
import re
import time
import tracemalloc
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bdsl.compiler.job_count import removed_cells
from bdsl.compiler.pipeline import check_path, compile_path
from bdsl.diagnostics import render_text
from tests.conftest import ROOT


def matrix_spec(users=10, arcs=100, topics=1000, per_cell=1000, extra="") -> str:
    lines = ['spec "big" version "1"', 'persona coach : assistant { summary "A coach." }',
             'culture here { locale "en-US", language "en" }']
    lines += [f'persona u{i} : user {{ summary "User {i}." }}' for i in range(users)]
    lines += [f"arc a{i} {{\n  confusion(0.8) -> calm(0.4)\n  turns 4..4\n}}" for i in range(arcs)]
    lines += [f'topic t{i} "Topic {i}"' for i in range(topics)]
    lines += ["dataset d {", '  model "local/smollm2"', "  assistant coach",
              "  users [" + ", ".join(f"u{i}" for i in range(users)) + "]",
              "  arcs [" + ", ".join(f"a{i}" for i in range(arcs)) + "]",
              "  topics [" + ", ".join(f"t{i}" for i in range(topics)) + "]",
              "  cultures [here]", f"  per_cell {per_cell}", extra, "}"]
    return "\n".join(lines) + "\n"


def messages(result, code):
    return [d.message for d in result.diagnostics if d.code == code]


def test_a_billion_jobs_are_refused_by_check_in_a_moment(tmp_path):
    spec = tmp_path / "big.bds"
    spec.write_text(matrix_spec())
    tracemalloc.start()
    t0 = time.perf_counter()
    result = check_path(spec)
    elapsed, peak = time.perf_counter() - t0, tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert messages(result, "E249") == [
        "dataset `d` would have 1,000,000,000 jobs (10 users x 100 arcs x 1,000 topics x "
        "1 culture x 1,000 per cell); the limit is 100,000"]
    # before: check passed and `plan` grew to 3.3 GB; now the count is arithmetic
    assert elapsed < 10 and peak < 300e6
    assert compile_path(spec).plan is None


def test_max_jobs_raises_the_limit_and_is_checked(tmp_path):
    spec = tmp_path / "s.bds"
    spec.write_text(matrix_spec(users=2, arcs=2, topics=5, per_cell=3, extra="  max_jobs 59"))
    assert messages(check_path(spec), "E249") == [
        "dataset `d` would have 60 jobs (2 users x 2 arcs x 5 topics x 1 culture x 3 per "
        "cell); the limit is 59"]
    spec.write_text(matrix_spec(users=2, arcs=2, topics=5, per_cell=3, extra="  max_jobs 60"))
    assert len(compile_path(spec).plan.jobs) == 60
    spec.write_text(matrix_spec(users=2, arcs=2, topics=5, per_cell=3, extra="  max_jobs 0"))
    assert messages(check_path(spec), "E221") == ["`max_jobs` must be at least 1"]


def test_a_sampled_matrix_too_large_to_walk(tmp_path):
    spec = tmp_path / "s.bds"
    spec.write_text(matrix_spec(users=10, arcs=100, topics=1000, per_cell=1, extra="  sample 10"))
    result = check_path(spec)
    assert messages(result, "E242") == [
        "dataset `d` has a matrix of 1,000,000 cells (10 users x 100 arcs x 1,000 topics x "
        "1 culture); exclusions and sampling visit every cell, and the limit is 250,000"]


def test_exclusions_and_taboo_topics_are_counted_exactly(tmp_path):
    extra = ("  exclude { users [u0], topics [t1, t2] }\n  exclude { arcs [a1], topics [t2] }\n"
             "  max_jobs 1")
    spec = tmp_path / "s.bds"
    spec.write_text(matrix_spec(users=3, arcs=2, topics=4, per_cell=2, extra=extra).replace(
        'culture here { locale "en-US", language "en" }',
        'culture here { locale "en-US", language "en", taboo_topics ["t3"] }'))
    # 24 cells; u0 x {t1,t2} x 2 arcs = 4, {a1} x t2 x 3 users = 3, both = 1 -> 6; taboo t3: 6
    # more, none overlapping the rules -> 12 kept
    assert messages(check_path(spec), "E249") == [
        "dataset `d` would have 24 jobs (3 users x 2 arcs x 4 topics x 1 culture = 24 cells, "
        "12 excluded x 2 per cell); the limit is 1"]


SPECS = sorted((ROOT / "specs").glob("*.bds"))


@pytest.mark.parametrize("path", SPECS, ids=[p.name for p in SPECS])
def test_the_count_is_the_number_of_jobs_the_plan_gets(tmp_path, path):
    """For every example spec (sampling, exclusions, novel scenarios, panels, curricula):
    `max_jobs` set to its dataset's job count compiles; one less is refused, with that
    count in the message."""
    text = path.read_text()
    plan = compile_path(path).plan
    def with_limit(dataset, n):
        return compile_path(path, text=re.sub(rf"(\ndataset {dataset} {{\n)",
                                              rf"\1  max_jobs {n}\n", text))

    for info in plan.datasets:
        at = with_limit(info.name, info.jobs)
        assert at.ok, render_text(at.diagnostics, at.sources)
        below = with_limit(info.name, info.jobs - 1)
        assert any(f"dataset `{info.name}` would have {info.jobs:,} jobs" in m
                   for m in messages(below, "E249")), [d.message for d in below.diagnostics]


def test_novel_scenarios_are_in_the_count():
    spec = ROOT / "specs" / "03_socratic_method.bds"
    text = spec.read_text().replace("dataset socratic_pairs {\n",
                                    "dataset socratic_pairs {\n  max_jobs 1\n")
    (message,) = messages(check_path(spec, text=text), "E249")
    assert "novel-scenario" in message


# -- inclusion-exclusion against brute force ----------------------------------------------

def entity(name, **kw):
    return SimpleNamespace(name=name, **kw)


@st.composite
def matrices(draw):
    axes = []
    for axis in ("users", "arcs", "topics", "cultures"):
        if draw(st.booleans()) or axis in ("users", "topics"):
            n = draw(st.integers(1, 4))
            names = [f"{axis[0]}{draw(st.integers(0, 3))}" for _ in range(n)]  # repeats allowed
            axes.append((axis, tuple(entity(x) for x in names)))
    all_names = {axis: sorted({e.name for e in ents}) for axis, ents in axes}
    rules = []
    for _ in range(draw(st.integers(0, 6))):
        rule = {}
        for axis in draw(st.lists(st.sampled_from(["users", "arcs", "topics", "cultures"]),
                                  min_size=1, max_size=3, unique=True)):
            pool = all_names.get(axis, ["zz"])
            rule[axis] = set(draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3)))
        rules.append(rule)
    taboo = draw(st.sets(st.tuples(st.sampled_from(["t0", "t1", "t2", "t3"]),
                                   st.sampled_from(["c0", "c1", "c2", "c3"]))))
    return axes, rules, taboo


@settings(max_examples=300, deadline=None)
@given(matrices())
def test_removed_cells_matches_visiting_every_cell(case):
    axes, rules, taboo = case

    def is_taboo(topic, culture):
        return (topic.name, culture.name) in taboo

    names = [axis for axis, _ in axes]
    brute = 0
    for cell in itertools.product(*[ents for _, ents in axes]):
        by = dict(zip(names, cell, strict=True))
        if any(all(by.get(a) is not None and by[a].name in allowed for a, allowed in r.items())
               for r in rules) or ("topics" in by and "cultures" in by
                                   and is_taboo(by["topics"], by["cultures"])):
            brute += 1
    assert removed_cells(axes, rules, is_taboo) == brute


SEEDS = '''
seeds picked {
  example {
    user "u0"
    conversation """
      user: I do not know where to start.
      assistant: Let's make this smaller.
    """
  }
  example {
    conversation """
      user: Nothing works.
      assistant: What did you try last?
    """
  }
}
'''


def test_seed_variations_are_in_the_count(tmp_path):
    spec = tmp_path / "s.bds"
    extra = "  seeds [picked]\n  variations 7\n  max_jobs {}"
    spec.write_text(matrix_spec(users=2, arcs=1, topics=3, per_cell=1, extra=extra.format(20))
                    + SEEDS)
    assert len(compile_path(spec).plan.jobs) == 2 * 3 + 2 * 7
    spec.write_text(matrix_spec(users=2, arcs=1, topics=3, per_cell=1, extra=extra.format(19))
                    + SEEDS)
    assert messages(check_path(spec), "E249") == [
        "dataset `d` would have 20 jobs (2 users x 1 arc x 3 topics x 1 culture x 1 per cell "
        "+ 14 seed variations); the limit is 19"]


def test_the_language_reference_shows_this_message():
    text = (ROOT / "docs" / "language.md").read_text()
    assert "error[E249] dataset `d` would have 1,000,000,000 jobs (10 users x 100 arcs x " \
           "1,000 topics x 1 culture x 1,000 per cell); the limit is 100,000" in text
