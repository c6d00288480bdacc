"""docs/diagnostics.md lists exactly the codes the code base can emit."""

import re

from tests.conftest import ROOT

CODE = re.compile(r'"([EW]\d{3})"')


def test_every_code_is_documented_and_every_documented_code_exists():
    sources = list((ROOT / "bdsl").rglob("*.py")) + list((ROOT / "compiler").rglob("*.py"))
    used = {c for p in sources for c in CODE.findall(p.read_text(encoding="utf-8"))}
    documented = set(re.findall(r"^\| ([EW]\d{3}) \|", (ROOT / "docs/diagnostics.md").read_text(),
                                re.M))
    assert used - documented == set(), "undocumented codes"
    assert documented - used == set(), "documented codes nothing emits"
