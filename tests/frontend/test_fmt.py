"""`bdsc fmt`: idempotent, meaning-preserving, comment-keeping."""

from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bdsl.formatter import format_source
from bdsl.parser import parse_module
from bdsl.source import SourceFile

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted([*ROOT.glob("specs/**/*.bds"), *ROOT.glob("stdlib/*.bds"),
                *ROOT.glob("tests/fixtures/good/*.bds")])


def shape(node):
    """The AST with every Span dropped: what the file means, not where it sits."""
    if isinstance(node, tuple):
        return tuple(shape(x) for x in node)
    if attrs.has(type(node)):
        return (type(node).__name__,) + tuple(
            (a.name, shape(getattr(node, a.name))) for a in attrs.fields(type(node))
            if a.name not in ("span", "target_span", "path"))
    return node


def fmt(text: str, name="x.bds") -> str:
    return format_source(SourceFile(name, text))


def parsed(text: str):
    tree, diags = parse_module(SourceFile("x.bds", text))
    assert tree is not None, diags
    return shape(tree)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_idempotent_and_meaning_preserving(path):
    text = path.read_text(encoding="utf-8")
    once = fmt(text)
    assert fmt(once) == once
    assert parsed(once) == parsed(text)
    assert once.count("#") >= sum(1 for line in text.splitlines() if line.lstrip().startswith("#"))


def test_comments_survive_and_layout_is_canonical(snapshot):
    text = (
        '# header comment\nspec  "x" version "1"\n\n\n'
        'persona  p : user {summary "a"    # why\n   traits {a: 0.1,b: 0.2}\n\n'
        '  goals ["one", # first\n     "two"]\n  # before end\n}\n'
        'topic t "T"  # short\n'
        'gate  g: every  assistant turns mentioning "invest" length <= 200 words\n')
    out = fmt(text)
    for comment in ("# header comment", "# why", "# first", "# before end", "# short"):
        assert comment in out
    assert out == snapshot


BLOCKS = [
    'persona p : user { summary "s", traits { a: 0.5 } }\n',
    'arc a {\n  shame(0.8, turns: 1..2) -> calm(0.2)\n  turns 4..6\n}\n',
    'dataset d {\n  users [a, b]  # c\n  gates [std.gates.empathy >= 0.8, x]\n}\n',
    'compliance c {\n  disclaimer "Not advice." when /invest/i\n  forbid /guarantee/i because "rule"\n}\n',
    'gate g: judge "empathy" >= 0.7 rubric "warm"\n',
    '# lone comment\ntopic t "A \\"quoted\\" title"\n',
    'template user_system """\nHi {{ persona.name }}\n"""\n',
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(BLOCKS), min_size=1, max_size=6),
       st.lists(st.sampled_from(["\n", "\n\n", "  ", "\n# note\n"]), min_size=6, max_size=6))
def test_round_trip_on_generated_specs(blocks, seps):
    text = "".join(b + s for b, s in zip(blocks, seps, strict=False))
    out = fmt(text)
    assert parsed(out) == parsed(text)
    assert fmt(out) == out
