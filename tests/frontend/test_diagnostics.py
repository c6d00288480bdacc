"""Every malformed spec gets located, explained diagnostics; never a traceback."""

from pathlib import Path

import pytest

from bdsl.compiler.pipeline import check_path, compile_path
from bdsl.diagnostics import render_text

BAD = sorted(p.name for p in (Path(__file__).parent.parent / "fixtures" / "bad").glob("*.bds"))


@pytest.mark.parametrize("name", BAD)
def test_bad_spec_diagnostics(name, at_root, snapshot):
    result = compile_path(f"tests/fixtures/bad/{name}")
    assert not result.ok
    for d in result.diagnostics:
        assert d.code and d.message
    assert render_text(result.diagnostics, result.sources) == snapshot


def codes(result):
    return [d.code for d in result.diagnostics]


def test_all_errors_in_a_file_not_just_the_first(at_root):
    result = check_path("tests/fixtures/bad/syntax.bds")
    assert codes(result).count("E102") == 1
    assert len(result.diagnostics) >= 4


def test_import_cycle(at_root):
    result = check_path("tests/fixtures/cycle/a.bds")
    assert "E302" in codes(result)
    cycle = next(d for d in result.diagnostics if d.code == "E302")
    assert "a.bds -> " in cycle.message and cycle.span is not None


@pytest.mark.parametrize("content,code", [
    (b"", "E290"),
    (b"\x00\x01\x02binary", "E002"),
    (b"spec \"x\"\n\xff\xfe bad bytes", "E003"),
    (b"topic t \"" + b"x" * 100, "E102"),
    (b"dataset d { users " + b"[" * 5000 + b"]" * 5000 + b" }", "E105"),
])
def test_hostile_input(tmp_path, content, code):
    spec = tmp_path / "spec.bds"
    spec.write_bytes(content)
    result = compile_path(spec)
    assert code in codes(result)


def test_missing_file(tmp_path):
    result = compile_path(tmp_path / "nope.bds")
    assert codes(result) == ["E001"]


def test_huge_file_is_refused_not_parsed(tmp_path):
    spec = tmp_path / "huge.bds"
    spec.write_bytes(b"# filler\n" * 1_000_000)
    result = check_path(spec)
    assert codes(result) == ["E004"]


def test_many_declarations_parse_quickly(tmp_path):
    spec = tmp_path / "big.bds"
    spec.write_text("spec \"big\"\n" + "".join(f'topic t{i} "Topic {i}"\n' for i in range(5000)))
    result = check_path(spec)
    assert result.ok, render_text(result.diagnostics, result.sources)
