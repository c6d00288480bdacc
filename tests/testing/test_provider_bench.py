"""bench/bench_provider.py: its spec, how it reads call dependencies from the requests,
and a `--quick` run end to end (bdsc and the plain script against the mock)."""

import importlib.util
import json
import subprocess
import sys

import pytest

from bdsl.compiler.pipeline import compile_path
from bdsl.testing.mock_log import Entry, Outcome
from bdsl.testing.mock_replies import body_hash, reply_text
from tests.conftest import ROOT


def bench():
    spec = importlib.util.spec_from_file_location("bench_provider",
                                                  ROOT / "bench" / "bench_provider.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_provider"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_bench_spec_compiles_with_the_length_and_count_asked_for(tmp_path):
    path = bench().write_spec(tmp_path, 6, 3)
    result = compile_path(path)
    assert result.ok
    assert len(result.plan.jobs) == 3
    assert all(len(j.turns) == 6 for j in result.plan.jobs)


def conversation(seq0: int, seed: int, turns: int, t0: float) -> list[Entry]:
    """Entries as a turn-by-turn engine makes them: generation k's prompt holds every
    earlier reply; annotation k holds message k and starts beside generation k+1."""
    entries, history, t = [], [], t0
    for k in range(turns):
        gen = {"model": "m", "seed": seed, "messages": [
            {"role": "system", "content": "speak"},
            {"role": "user", "content": " ".join(history) or "start"}]}
        entries.append(_entry(seq0 + 2 * k, gen, t, t + 1))
        history.append(reply_text(gen))
        ann = {"model": "m", "seed": seed, "response_format": {"type": "json_object"},
               "messages": [{"role": "user", "content": "label: " + history[-1]}]}
        entries.append(_entry(seq0 + 2 * k + 1, ann, t + 1, t + 2))
        t += 1
    return entries


def _entry(seq, body, start, end):
    return Entry(seq, "POST", "/v1/chat/completions", start, end, Outcome.OK, 200, True,
                 body["model"], body_hash(body), body=body)


def test_dependencies_follow_the_text_and_group_conversations():
    b = bench()
    entries = conversation(0, 1, 3, 0.0) + conversation(100, 2, 3, 0.5)
    run = b.Run("bdsc", "x", 3, 2, 2, 0, 0, 0, entries)
    graph = {r["id"]: r for r in b.dependencies(run)}
    assert len({r["conversation"] for r in graph.values()}) == 2
    assert graph[0]["after"] == [] and graph[100]["after"] == []
    assert graph[1]["after"] == [0]  # annotation 1 waits for message 1 only
    assert graph[2]["after"] == [0]  # generation 2 does not wait for annotation 1
    assert graph[4]["after"] == [0, 2]
    assert graph[104]["after"] == [100, 102]


def test_dependencies_refuse_a_run_they_cannot_explain():
    b = bench()
    run = b.Run("bdsc", "x", 3, 3, 2, 0, 0, 0, conversation(0, 1, 3, 0.0))
    with pytest.raises(b.BenchError, match="form 1 chains of calls, expected 3"):
        b.dependencies(run)


@pytest.mark.slow
def test_quick_run_prints_every_table(tmp_path):
    out = tmp_path / "figures.json"
    r = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_provider.py"), "--quick",
                        "--json", str(out)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    text = r.stdout
    for needle in ("machine: ", "date: ", "command: python bench/bench_provider.py --quick",
                   "eff(span)", "CPU ms/call", "concurrency 16: efficiency bdsc",
                   "concurrency 64: efficiency bdsc", "one 8-message conversation",
                   "store bytes per message", "store/text"):
        assert needle in text, needle
    assert text.count("same request bodies: yes") == 2
    figures = json.loads(out.read_text())
    rows = {(row["program"], row["concurrency"]) for row in figures["rows"]}
    assert rows == {(p, c) for p in ("bdsc", "plain") for c in (16, 64)}
    calls = {(row["concurrency"], row["calls"]) for row in figures["rows"]}
    assert len(calls) == 2 and all(n >= 16 * 4 for _, n in calls)  # same calls for both
    assert [s["turns"] for s in figures["store"]] == [4, 8]
    assert figures["single"]["bdsc_latencies"] > 8
