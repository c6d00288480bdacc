"""Docs whose command outputs are produced by the code: `<!-- output:NAME -->` fenced
blocks, checked against what a test just ran, rewritten with BDSL_UPDATE_DOCS=1.
(tests/test_tutorial.py, tests/test_categories_doc.py, tests/scale/test_scale_doc.py)"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

OUTPUT_BLOCK = re.compile(r"(<!-- output:(?P<name>[\w-]+) -->\n```(?P<lang>\w*)\n)"
                          r"(?P<body>(?:(?!```).*\n)*)(```)")
TIMING = re.compile(r"\d+\.\d+s\b|\d+(\.\d+)?/s\b")  # durations and rates vary per run


def check_output_blocks(doc: Path, want: dict[str, str], rewrite_with: str,
                        names: set[str] | None = None,
                        normal: Callable[[str, str], str] = lambda _n, t: TIMING.sub("<t>", t)
                        ) -> None:
    """Every block of `doc` named in `want` shows that output (up to `normal(name, text)`);
    the doc's blocks are exactly `names` (default: those of `want`)."""
    text = doc.read_text(encoding="utf-8")
    if os.environ.get("BDSL_UPDATE_DOCS"):
        text = OUTPUT_BLOCK.sub(lambda m: m[1] + want[m["name"]] + "\n" + m[5]
                                if m["name"] in want else m[0], text)
        doc.write_text(text, encoding="utf-8")
    found = {m["name"]: m["body"] for m in OUTPUT_BLOCK.finditer(text)}
    assert set(found) == (set(want) if names is None else names)
    for name, body in want.items():
        assert normal(name, found[name]) == normal(name, body + "\n"), \
            f"docs/{doc.name} output {name!r} is out of date (BDSL_UPDATE_DOCS=1 pytest " \
            f"{rewrite_with} rewrites it)"
