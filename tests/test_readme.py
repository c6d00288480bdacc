"""The spec shown in README.md compiles (next to specs/voice/elena.bds, as it says)."""

import re

from bdsl.compiler.pipeline import compile_path
from bdsl.diagnostics import render_text
from tests.conftest import ROOT


def test_readme_example_compiles():
    text = (ROOT / "README.md").read_text()
    spec = re.search(r"```\n(spec .*?)```", text, re.S).group(1)
    result = compile_path(ROOT / "specs" / "readme_example.bds", text=spec)
    assert result.ok, render_text(result.diagnostics, result.sources)
    assert len(result.plan.jobs) == 4
