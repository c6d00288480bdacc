"""The front end never imports the heavy runtime libraries."""

import json
import subprocess
import sys

from tests.conftest import ROOT

HEAVY = ("litellm", "textual", "xllamacpp", "openai", "rich.progress")


def test_check_and_compile_import_no_heavy_library(tmp_path):
    code = f"""
import sys, json
from click.testing import CliRunner
from bdsl.cli import main
r1 = CliRunner().invoke(main, ["check", "specs/" + sorted(__import__("os").listdir("specs"))[0]
                               if __import__("os").path.isdir("specs") and any(
                               p.endswith(".bds") for p in __import__("os").listdir("specs"))
                               else "tests/fixtures/bad/syntax.bds"])
r2 = CliRunner().invoke(main, ["compile", "tests/fixtures/bad/syntax.bds", "-o", {str(tmp_path / "p.json")!r}])
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {HEAVY!r} or m in {HEAVY!r})))
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert loaded == []
