"""The bds Pygments lexer and the TextMate grammar for VS Code."""

import json
import re

import pytest
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
from pygments.token import Comment, Error, Keyword, Name, String

from bdsl.diagnostics import render_text
from bdsl.highlight import BdsLexer, ansi_lines
from tests.conftest import ROOT

EXAMPLES = sorted([*ROOT.glob("specs/**/*.bds"), *ROOT.glob("stdlib/*.bds"),
                   *ROOT.glob("bdsl/init_templates/specs/*.bds"),
                   *ROOT.glob("tests/fixtures/good/*.bds")])
GRAMMAR = ROOT / "editors" / "vscode" / "syntaxes" / "bds.tmLanguage.json"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: str(p.relative_to(ROOT)))
def test_lexer_reads_every_example_without_error_tokens(path):
    text = path.read_text()
    tokens = list(BdsLexer().get_tokens(text))
    assert [v for t, v in tokens if t in Error] == []
    assert "".join(v for _, v in tokens).rstrip("\n") == text.rstrip("\n")


def test_lexer_token_kinds():
    text = (ROOT / "specs" / "02_finra_advisor.bds").read_text()
    tokens = [(t, v) for t, v in BdsLexer().get_tokens(text) if v.strip()]
    kinds = {}
    for t, v in tokens:
        kinds.setdefault(v, t)  # the first occurrence
    assert kinds["spec"] in Keyword and kinds["import"] in Keyword
    assert kinds["persona"] in Keyword.Declaration and kinds["first_time_investor"] in Name.Class
    assert kinds["summary"] in Name.Attribute and kinds["baseline"] in Name.Attribute
    assert kinds["apprehension"] in Name.Function  # apprehension(0.7)
    assert kinds["because"] in Keyword and kinds["when"] in Keyword
    assert kinds['"local/smollm2"'] in String
    assert any(t in String.Regex for t, _ in tokens)
    assert tokens[0][0] in Comment


def test_lexer_is_registered_with_pygments():
    assert isinstance(get_lexer_by_name("bds"), BdsLexer)
    assert isinstance(get_lexer_for_filename("spec.bds"), BdsLexer)


def test_diagnostic_snippets_are_coloured_only_when_asked(at_root):
    from bdsl.compiler.pipeline import check_path

    result = check_path("tests/fixtures/bad/fields_and_types.bds")
    plain = render_text(result.diagnostics, result.sources, color=False)
    coloured = render_text(result.diagnostics, result.sources, color=True)
    assert "\x1b[" not in plain
    assert ANSI.sub("", coloured) == plain  # colour adds nothing but colour
    source = result.sources[result.diagnostics[0].span.path].text
    # the excerpt line is the lexer's colouring of that line of the file
    line = result.diagnostics[0].span.line
    assert f"{line} | {ansi_lines(source)[line - 1]}" in coloured


def test_plan_output_is_plain_when_piped(at_root):
    from click.testing import CliRunner

    from bdsl.cli import main

    out = CliRunner().invoke(main, ["plan", "specs/01_crisis_support.bds"]).output
    assert "\x1b[" not in out and "despair(0.95)" in out


def _patterns(node):
    if isinstance(node, dict):
        for key in ("match", "begin", "end"):
            if key in node:
                yield node[key]
        for value in node.values():
            yield from _patterns(value)
    elif isinstance(node, list):
        for value in node:
            yield from _patterns(value)


def _scopes(node):
    if isinstance(node, dict):
        if isinstance(node.get("name"), str):
            yield node["name"]
        for value in node.values():
            yield from _scopes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _scopes(value)


def test_textmate_grammar_is_valid_with_the_expected_scopes():
    grammar = json.loads(GRAMMAR.read_text())
    assert grammar["scopeName"] == "source.bds" and grammar["fileTypes"] == ["bds"]
    scopes = set(_scopes(grammar["repository"]))
    assert {"comment.line.number-sign.bds", "string.quoted.double.bds",
            "string.quoted.triple.bds", "string.regexp.bds", "storage.type.bds",
            "entity.name.type.bds", "variable.other.property.bds", "entity.name.function.bds",
            "keyword.control.import.bds", "keyword.other.extends.bds",
            "keyword.other.modifier.bds", "keyword.operator.arrow.bds",
            "constant.numeric.bds", "constant.numeric.percent.bds", "constant.other.date.bds",
            "constant.language.boolean.bds", "entity.name.function.gate.bds"} <= scopes
    assert all(s.endswith(".bds") for s in scopes)
    # every include names a rule that exists
    includes = re.findall(r'"include": "#([\w-]+)"', GRAMMAR.read_text())
    assert set(includes) <= set(grammar["repository"])
    # VS Code runs Oniguruma; these patterns stay in the subset Python's re also reads
    for pattern in _patterns(grammar):
        re.compile(pattern)


def test_vscode_extension_registers_bds():
    folder = ROOT / "editors" / "vscode"
    package = json.loads((folder / "package.json").read_text())
    (language,) = package["contributes"]["languages"]
    assert language["extensions"] == [".bds"]
    (grammar,) = package["contributes"]["grammars"]
    assert grammar["scopeName"] == "source.bds"
    assert (folder / grammar["path"]).resolve() == GRAMMAR.resolve()
    config = json.loads((folder / language["configuration"].lstrip("./")).read_text())
    assert config["comments"]["lineComment"] == "#"


def test_plan_colours_bds_fragments_on_a_terminal(at_root, monkeypatch):
    from types import SimpleNamespace

    from click.testing import CliRunner

    from bdsl.cli import main
    from bdsl.commands import plan

    monkeypatch.setattr(plan, "sys", SimpleNamespace(stdout=SimpleNamespace(isatty=lambda: True)))
    out = CliRunner().invoke(main, ["plan", "specs/01_crisis_support.bds"], color=True).output
    assert "\x1b[" in out
    stages = next(line for line in out.splitlines() if line.lstrip().startswith("arc "))
    assert ANSI.sub("", stages).endswith(
        "despair(0.95, assistant: refer) -> referred(0.6) -> grounded(0.5) -> hopeful(0.4), "
        "8..10 messages")
    assert stages != ANSI.sub("", stages)
