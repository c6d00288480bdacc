"""`bdsc lsp` driven as an editor drives it: a subprocess over stdio, pygls' client."""

import asyncio
import json
import shutil
from pathlib import Path

import pytest
from lsprotocol import types as lsp

from bdsl.compiler.pipeline import check_path
from bdsl.formatter import format_source
from bdsl.source import SourceFile
from tests.conftest import ROOT
from tests.lsp.client import editor

BAD = sorted((ROOT / "tests" / "fixtures" / "bad").glob("*.bds"))

BROKEN = """\
spec "coach" version "0.1.0"

persona maya : assistant {
  summary "A calm coach."
}

persona sam : user extends std.personas.anxious_planner {
  summary "Worried about money."
  baseline anxiety(0.7
}
"""

FIXED_PREFIX = BROKEN.replace("baseline anxiety(0.7\n", "baseline anxiety(0.7)\n")


def run(coro):
    return asyncio.run(coro)


def position_of(text: str, needle: str, after: int = 0) -> tuple[int, int]:
    """0-based (line, character) of `needle` (plus `after` characters) in `text`."""
    offset = text.index(needle) + after
    line = text.count("\n", 0, offset)
    return line, offset - (text.rfind("\n", 0, offset) + 1)


@pytest.fixture
def project(tmp_path):
    (tmp_path / "voice").mkdir()
    shutil.copy(ROOT / "specs" / "voice" / "elena.bds", tmp_path / "voice" / "elena.bds")
    return tmp_path


def test_editor_session_diagnose_complete_hover_jump(project):
    """The issue's "done when": open a spec with an error, see the diagnostic, complete a
    field, hover a stdlib persona and jump to its definition."""
    spec = project / "coach.bds"
    spec.write_text(BROKEN)

    async def session():
        async with editor(project) as ed:
            uri = ed.open(spec)
            (diag,) = await ed.wait_diagnostics(uri, version=1)
            assert diag.code == "E100" and diag.severity == lsp.DiagnosticSeverity.Error
            assert diag.source == "bdsc" and "hint:" in diag.message
            assert diag.range.start.line == 9  # the line after the unclosed `(`

            # Fix it and start a new field: the error goes, completion offers the fields
            # `persona` takes that are not written yet.
            typing = FIXED_PREFIX.replace("  baseline anxiety(0.7)\n",
                                          "  baseline anxiety(0.7)\n  tr\n")
            version = ed.change(uri, typing)
            line, col = position_of(typing, "  tr\n", after=4)
            items = await ed.complete(uri, line, col)
            labels = {i.label: i for i in items}
            assert "traits" in labels and "triggers" in labels
            assert "summary" not in labels and "baseline" not in labels  # already written
            assert labels["traits"].kind == lsp.CompletionItemKind.Field
            edit = labels["traits"].text_edit
            assert (edit.range.start.line, edit.range.start.character) == (line, col - 2)
            # `tr` alone is not valid yet; the diagnostics say so, for this version
            diags = await ed.wait_diagnostics(uri, version=version)
            assert [d.code for d in diags] == ["E100"]

            done = typing.replace("  tr\n", "  traits { anxiety: 0.8 }\n")
            version = ed.change(uri, done)
            assert await ed.wait_diagnostics(uri, version=version) == []

            line, col = position_of(done, "anxious_planner", after=3)
            hover = await ed.hover(uri, line, col)
            text = hover.contents.value
            assert hover.contents.kind == lsp.MarkupKind.Markdown
            assert "persona anxious_planner : user" in text
            assert "declared in std.personas" in text
            assert 'summary "Plans everything' in text  # its resolved fields

            (loc,) = [await ed.definition(uri, line, col)]
            target = Path(loc.uri.removeprefix("file://"))
            assert target.name == "personas.bds" and target.is_file()
            decl_line = target.read_text().splitlines()[loc.range.start.line]
            assert decl_line.startswith("persona anxious_planner")
            assert decl_line[loc.range.start.character:loc.range.end.character] == \
                "anxious_planner"
    run(session())


def test_diagnostics_are_exactly_bdsc_check(at_root):
    """Every bad fixture, opened in one session: the published diagnostics (on the spec
    and on the files it imports) are `check_path`'s, field for field."""
    async def session():
        async with editor(ROOT) as ed:
            published = {}
            for fixture in BAD:
                before = {u: len(p) for u, p in ed.diagnostics.items()}
                uri = ed.open(fixture)
                await ed.wait_diagnostics(uri, version=1)
                await asyncio.sleep(0.2)  # diagnostics for imported files follow the root's
                published[fixture] = {u: p[-1].diagnostics for u, p in ed.diagnostics.items()
                                      if len(p) > before.get(u, 0)}
            return published
    published = run(session())
    for fixture in BAD:
        got = sorted((Path(u.removeprefix("file://")).resolve(), d.range.start.line + 1,
                      d.range.start.character + 1, d.code, d.message,
                      d.severity == lsp.DiagnosticSeverity.Error)
                     for u, diags in published[fixture].items() for d in diags)
        want = []
        for d in check_path(fixture).diagnostics:
            where = (Path(d.span.path).resolve(), d.span.line, d.span.col) if d.span else \
                (fixture.resolve(), 1, 1)
            want.append((*where, d.code, d.message + (f"\nhint: {d.hint}" if d.hint else ""),
                         d.is_error))
        assert got == sorted(want), fixture.name
        assert len(got) >= 1


def test_related_spans_and_other_files(project):
    spec = project / "dup.bds"
    spec.write_text('persona a : user { summary "x" }\npersona a : user { summary "y" }\n'
                    'import "./voice/elena.bds" { elena }\n')
    (project / "voice" / "elena.bds").write_text("persona elena : assistant {\n  sumary \"x\"\n}\n")

    async def session():
        async with editor(project) as ed:
            uri = ed.open(spec)
            diags = await ed.wait_diagnostics(uri, version=1)
            other = (project / "voice" / "elena.bds").resolve().as_uri()
            return diags, await ed.wait_diagnostics(other)
    root, imported = run(session())
    dup = next(d for d in root if d.code == "E201")
    (rel,) = dup.related_information
    assert rel.message == "first declared here" and rel.location.range.start.line == 0
    assert any(d.code.startswith("E21") for d in imported)  # the misspelt field, in its file


def test_hover_fields_kinds_modules_and_gates(at_root):
    spec = ROOT / "specs" / "01_crisis_support.bds"
    text = spec.read_text()

    async def session():
        async with editor(ROOT) as ed:
            uri = ed.open(spec)
            await ed.wait_diagnostics(uri, version=1)
            out = {}
            for key, needle, after in (("field", "  baseline overwhelm", 3),
                                       ("kind", "persona grieving_student", 2),
                                       ("module", "import std.arcs", 12),
                                       ("gate", "arc_conformance,", 2),
                                       ("own", "users [night_shift_nurse", 9),
                                       ("emotion", "overwhelm(0.85)", 2),
                                       ("choice", "require all", 2)):
                line, col = position_of(text, needle, after)
                hover = await ed.hover(uri, line, col)
                out[key] = hover.contents.value if hover else None
            return out
    h = run(session())
    assert "**baseline**" in h["field"] and "emotion_point" in h["field"]
    assert "resting emotional state" in h["field"]
    assert h["kind"].startswith("**persona**: a user or assistant character")
    assert "`summary` (required)" in h["kind"]
    assert "std.arcs" in h["module"] and "ten emotional trajectories" in h["module"]
    assert "crisis_to_referral" in h["module"]
    assert "gate arc_conformance: arc_conformance tolerance 0.25" in h["gate"]
    # a spec persona extending a stdlib one: own fields first, inherited ones marked
    assert "persona night_shift_nurse : user extends std.personas.overwhelmed_avoider" in h["own"]
    assert "# from persona overwhelmed_avoider (std.personas)" in h["own"]
    assert 'summary "A nurse on rotating night shifts' in h["own"]
    assert "emotion overwhelm" in h["emotion"] and "std.emotions" in h["emotion"]
    assert "**require**" in h["choice"] and "`all`" in h["choice"]


def test_definition_across_file_imports_and_into_stdlib(project):
    spec = project / "voice_spec.bds"
    text = ('import "./voice/elena.bds" { elena }\nimport std.arcs { shame_to_acceptance }\n'
            'persona u : user { summary "x" }\n'
            'dataset d {\n  model "local/smollm2"\n  assistant elena\n  users [u]\n'
            '  arcs [shame_to_acceptance]\n}\n')
    spec.write_text(text)

    async def session():
        async with editor(project) as ed:
            uri = ed.open(spec)
            await ed.wait_diagnostics(uri, version=1)
            out = []
            for needle, after in (("assistant elena", 12), ("[shame_to", 3),
                                  ('"./voice/elena.bds"', 3), ("std.arcs", 5),
                                  ("users [u]", 7), ("{ elena }", 3)):
                out.append(await ed.definition(uri, *position_of(text, needle, after)))
            return out
    elena, arc, file_import, module, own, import_name = run(session())
    elena_file = (project / "voice" / "elena.bds").resolve().as_uri()
    assert elena.uri == elena_file
    elena_lines = (project / "voice" / "elena.bds").read_text().splitlines()
    assert elena_lines[elena.range.start.line].startswith("persona elena")
    assert arc.uri.endswith("/arcs.bds")
    arcs_text = Path(arc.uri.removeprefix("file://")).read_text().splitlines()
    assert arcs_text[arc.range.start.line].startswith("arc shame_to_acceptance")
    assert file_import.uri == elena_file and file_import.range.start.line == 0
    assert module.uri.endswith("/arcs.bds")
    assert own.uri == spec.resolve().as_uri() and own.range.start.line == 2
    assert import_name.uri == elena_file


def test_completion_values_names_and_modules(project):
    spec = project / "c.bds"
    base = ('import std.arcs { crisis_to_referral }\npersona u : user { summary "x" }\n'
            'dataset d {\n  model "m"\n')
    spec.write_text(base + "}\n")
    cases = {
        "kind": base + "  kind \n}\n",
        "users": base + "  users [\n}\n",
        "arcs": base + "  arcs [std.arcs.\n}\n",
        "review": base + "  review { sample 20%, require \n}\n",
        "export": base + "  export [\n}\n",
        "import": "import \n" + base + "}\n",
        "top": "per\n" + base + "}\n",
    }
    cursor = {"kind": "kind ", "users": "users [", "arcs": "std.arcs.", "review": "require ",
              "export": "export [", "import": "import ", "top": "per"}

    async def session():
        async with editor(project) as ed:
            uri = ed.open(spec)
            await ed.wait_diagnostics(uri, version=1)
            out = {}
            for name, text in cases.items():
                ed.change(uri, text)
                line, col = position_of(text, cursor[name], len(cursor[name]))
                out[name] = [i.label for i in await ed.complete(uri, line, col)]
            return out
    got = run(session())
    assert got["kind"] == ["conversation", "deliberation", "explicit_panel", "contrastive",
                           "curriculum"]
    assert got["users"][0] == "u" and "std.personas.anxious_planner" in got["users"]
    assert "std.arcs.fear_to_confidence" in got["arcs"] and "u" not in got["arcs"]
    assert got["review"] == ["all", "any"]
    from bdsl.export.formats import FORMATS

    assert got["export"] == list(FORMATS)  # completion derives from the format table
    assert "std.personas" in got["import"] and "std.arcs" in got["import"]
    assert {"persona", "dataset", "spec", "import", "gate"} <= set(got["top"])


def test_document_symbols(at_root):
    spec = ROOT / "specs" / "04_knee_panel.bds"

    async def session():
        async with editor(ROOT) as ed:
            uri = ed.open(spec)
            return await ed.symbols(uri)
    symbols = run(session())
    by_name = {s.name: s for s in symbols}
    assert by_name["knee_team"].kind == lsp.SymbolKind.Struct
    assert by_name["knee_team"].detail == "panel"
    assert by_name["panel_host"].detail == "persona : assistant extends std.personas.steady_clinician"
    assert [c.name for c in by_name["knee_deliberation"].children][:3] == \
        ["model", "assistant", "users"]
    assert by_name["spec jointly-decide"].kind == lsp.SymbolKind.Package
    assert by_name["std.perspectives"].kind == lsp.SymbolKind.Module


def test_formatting_is_bdsc_fmt(project):
    spec = project / "f.bds"
    messy = 'persona   a : user {\n    summary    "x"\n  traits {anxiety:0.5}\n}\n'
    spec.write_text(messy)

    async def session():
        async with editor(project) as ed:
            uri = ed.open(spec)
            edits = await ed.format(uri)
            ed.change(uri, "persona a : user {\n")
            broken = await ed.format(uri)
            await asyncio.sleep(0.1)
            return edits, broken, ed.messages
    edits, broken, messages = run(session())
    (edit,) = edits
    assert edit.new_text == format_source(SourceFile(str(spec), messy))
    assert edit.new_text != messy
    assert broken is None and any("syntax errors" in m for m in messages)


def test_check_json_and_lsp_agree_on_a_spec_in_the_examples(at_root, tmp_path):
    """Sanity: `bdsc check --format json` on a broken copy of an example names the same
    code and place the server publishes."""
    from click.testing import CliRunner

    from bdsl.cli import main

    spec = tmp_path / "ex.bds"
    spec.write_text((ROOT / "specs" / "06_cross_cultural.bds").read_text()
                    .replace("per_cell", "per_cel", 1))
    out = CliRunner().invoke(main, ["check", "--format", "json", str(spec)])
    (item,) = [d for d in json.loads(out.stdout) if d["severity"] == "error"]

    async def session():
        async with editor(tmp_path) as ed:
            uri = ed.open(spec)
            return await ed.wait_diagnostics(uri, version=1)
    (diag,) = [d for d in run(session()) if d.severity == lsp.DiagnosticSeverity.Error]
    assert diag.code == item["code"]
    assert (diag.range.start.line + 1, diag.range.start.character + 1) == \
        (item["location"]["line"], item["location"]["col"])


def test_yaml_table_entries_hover_and_jump(at_root):
    spec = ROOT / "specs" / "02_finra_advisor.bds"
    text = spec.read_text()

    async def session():
        async with editor(ROOT) as ed:
            uri = ed.open(spec)
            await ed.wait_diagnostics(uri, version=1)
            at = position_of(text, "finance.emergency_fund", 10)
            module_at = position_of(text, "finance.emergency_fund", 2)
            return (await ed.hover(uri, *at), await ed.definition(uri, *at),
                    await ed.hover(uri, *module_at))
    hover, location, module = run(session())
    assert hover.contents.value.startswith("```bds\ntopic emergency_fund\n  title: Building")
    yaml_file = ROOT / "specs" / "data" / "finance_topics.yaml"
    assert location.uri == yaml_file.resolve().as_uri()
    assert "emergency_fund" in yaml_file.read_text().splitlines()[location.range.start.line]
    assert "4 topic: `emergency_fund`" in module.contents.value
