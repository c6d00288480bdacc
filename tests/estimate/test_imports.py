"""`bdsc plan` stays fast: without --estimate nothing of bdsl.estimate runs, and an estimate
imports litellm only when a priced or tokenized model needs it (fake/echo does not)."""

import json
import subprocess
import sys

from tests.conftest import ROOT

HEAVY = ("litellm", "textual", "xllamacpp", "openai")


def loaded_after(code: str) -> list[str]:
    probe = code + f"""
import sys, json
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {HEAVY!r})))
"""
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_plan_and_a_fake_estimate_import_no_heavy_library():
    assert loaded_after("""
from click.testing import CliRunner
from bdsl.cli import main
r = CliRunner().invoke(main, ["plan", "specs/tutorial/first_spec.bds"])
assert r.exit_code == 0, r.output
r = CliRunner().invoke(main, ["plan", "specs/tutorial/first_spec.bds", "--estimate",
                              "--model", "fake/echo"])
assert r.exit_code == 0 and "estimate: 8 jobs" in r.output, r.output
""") == []


def test_the_estimate_modules_import_no_heavy_library():
    assert loaded_after("import bdsl.estimate.plan_estimate, bdsl.estimate.run_dir, "
                        "bdsl.estimate.render") == []
