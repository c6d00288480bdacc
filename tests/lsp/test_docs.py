"""docs/editors.md shows the server's real hover text."""

import re

from bdsl.lsp.analysis import analyze_recovering
from bdsl.lsp.hover import hover_markdown
from bdsl.lsp.locate import find
from tests.conftest import ROOT


def test_the_hover_example_is_what_the_server_says(at_root):
    docs = (ROOT / "docs" / "editors.md").read_text()
    shown = re.search(r"````markdown\n(.*?)\n````", docs, re.S).group(1)
    spec = ROOT / "specs" / "01_crisis_support.bds"
    text = spec.read_text()
    an = analyze_recovering(spec, text)
    target = find(an.tree, text.index("users [night_shift_nurse") + 9)
    assert hover_markdown(an, target) == shown
