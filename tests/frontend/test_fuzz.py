"""Hypothesis mutates real specs; no input may make the front end raise."""

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bdsl.compiler.pipeline import compile_path

ROOT = Path(__file__).resolve().parents[2]
SEEDS = sorted((ROOT / "specs").glob("*.bds")) + [ROOT / "tests/fixtures/good/spec.bds"]
TOKENS = ["{", "}", "[", "]", "(", ")", ",", ":", "->", "..", '"', '"""', "/", "#", "\n",
          "persona", "arc", "dataset", "import", "gate", "spec", "extends", "every", "judge",
          "0.5", "1.7", "-3", "20%", "2024-13-45", "x", "std.", "\x00", "\xff", "é", "\t"]


@st.composite
def mutated(draw):
    path = draw(st.sampled_from(SEEDS))
    text = path.read_text(encoding="utf-8")
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["delete", "insert", "duplicate", "truncate", "swap"]))
        n = len(text)
        i = draw(st.integers(0, max(0, n - 1)))
        j = draw(st.integers(i, min(n, i + 80)))
        if op == "delete":
            text = text[:i] + text[j:]
        elif op == "insert":
            text = text[:i] + draw(st.sampled_from(TOKENS)) + text[i:]
        elif op == "duplicate":
            text = text[:j] + text[i:j] + text[j:]
        elif op == "truncate":
            text = text[:i]
        else:
            lines = text.splitlines(keepends=True)
            if len(lines) > 2:
                a = draw(st.integers(0, len(lines) - 1))
                b = draw(st.integers(0, len(lines) - 1))
                lines[a], lines[b] = lines[b], lines[a]
                text = "".join(lines)
    return path, text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_no_mutation_crashes_the_front_end(case):
    path, text = case
    result = compile_path(path, text=text)
    for d in result.diagnostics:
        assert d.code and d.message
        if d.span is not None:
            assert d.span.line >= 1 and d.span.col >= 1


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_text_never_crashes(text):
    compile_path(ROOT / "tests/fixtures/good/spec.bds", text=text)
