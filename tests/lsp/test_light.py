"""The language server stays light: no LLM, TUI or model-runtime library is imported, and
its parse cache changes nothing `bdsc check` reports."""

import json
import subprocess
import sys

import pytest

from bdsl.compiler.pipeline import check_path
from tests.compiler.test_imports import HEAVY
from tests.conftest import ROOT

SPECS = sorted((ROOT / "specs").glob("*.bds")) + sorted((ROOT / "tests" / "fixtures" / "bad")
                                                        .glob("*.bds"))


def test_server_and_features_import_no_heavy_library():
    code = f"""
import json, sys
from pathlib import Path
from bdsl.cli import main
from bdsl.commands.lsp import lsp_cmd
from bdsl.lsp.server import create_server
from bdsl.lsp.analysis import analyze_recovering
from bdsl.lsp.complete import complete
from bdsl.lsp.hover import hover_markdown
from bdsl.lsp.locate import find
from bdsl.compiler.pipeline import check_path
create_server()
spec = Path("specs/02_finra_advisor.bds").resolve()
text = spec.read_text()
check_path(spec, text)
an = analyze_recovering(spec, text)
offset = text.index("anxious_planner") + 2
hover_markdown(an, find(an.tree, offset))
complete(text, offset, an)
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {HEAVY!r} or m in {HEAVY!r})))
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


@pytest.mark.parametrize("spec", SPECS, ids=[p.stem for p in SPECS])
def test_cached_parsing_reports_the_same_diagnostics(spec, at_root, monkeypatch):
    from bdsl.compiler import loader
    from bdsl.lsp import cache

    fresh = check_path(spec)
    monkeypatch.setattr(loader, "parse_module", cache.cached_parse_module)
    first, second = check_path(spec), check_path(spec)  # the second reads the cache
    assert fresh.diagnostics == first.diagnostics == second.diagnostics
    assert set(fresh.sources) == set(second.sources)
