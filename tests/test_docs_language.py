"""Every ```bds block in the spec-writing docs parses: examples cannot rot into syntax
errors. (docs/editors.md shows hover text, which looks like .bds but is not a spec.)"""

import re

import pytest

from bdsl.parser import parse_module
from bdsl.source import decode_source
from tests.conftest import ROOT

BLOCKS = [(doc.name, n, text) for doc in sorted((ROOT / "docs").glob("*.md")) if doc.name != "editors.md"
          for n, text in enumerate(re.findall(r"```bds\n(.*?)```", doc.read_text(), re.S), 1)]


@pytest.mark.parametrize("doc,n,text", BLOCKS, ids=[f"{d}#{n}" for d, n, _ in BLOCKS])
def test_bds_blocks_in_docs_parse(doc, n, text):
    module, diags = parse_module(decode_source(text.encode(), f"{doc}#{n}"))
    assert not [d.message for d in diags if d.is_error]
