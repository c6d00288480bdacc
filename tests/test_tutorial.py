"""docs/tutorial.md cannot drift: its spec pieces are the finished spec, its commands run,
and every output it shows is what the code prints today.

The pieces marked `<!-- spec -->` joined in order (with step 4's fix) must be
specs/tutorial/first_spec.bds. Each block marked `<!-- output:NAME -->` starts with the
command (`$ bdsc ...`); the test runs it in a scratch folder holding the spec as
`coach.bds` as it stands at that step, and compares the output with the block, ignoring
only durations and rates (`0.33s`, `1.2/s`). BDSL_UPDATE_DOCS=1 rewrites the blocks with
today's output. The embedded-model commands (no output shown) run in a slow test."""

import json
import os
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner

from bdsl.cli import main
from tests.conftest import ROOT
from tests.doc_blocks import check_output_blocks

DOC = ROOT / "docs" / "tutorial.md"
FINISHED = ROOT / "specs" / "tutorial" / "first_spec.bds"
SPEC_BLOCK = re.compile(r"<!-- spec -->\n```\n(.*?)```", re.S)
FIX = ("persona new_grad {", "persona new_grad : user {")


def pieces() -> list[str]:
    return SPEC_BLOCK.findall(DOC.read_text())


def spec_at(step: int, fixed: bool = True) -> str:
    """The spec after the first `step` pieces (all of them: the finished spec)."""
    text = "\n".join(pieces()[:step])
    return text.replace(*FIX) if fixed else text


def test_the_pieces_make_the_finished_spec():
    assert len(pieces()) == 8
    assert FIX[0] in pieces()[2]  # step 3 writes the mistake step 4 finds
    assert spec_at(8) == FINISHED.read_text()


def bdsc(folder, command: str, timeout: float = 300) -> str:
    """`$ command` and what the terminal shows (stdout and stderr as they interleave)."""
    argv = command.split()[1:]
    out = subprocess.run([sys.executable, "-m", "bdsl", *argv], cwd=folder, text=True,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout,
                         env={**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"})
    return f"$ {command}\n{out.stdout.rstrip()}"


def outputs(folder) -> dict[str, str]:
    coach = folder / "coach.bds"
    coach.write_text(spec_at(3, fixed=False))
    out = {"check-error": bdsc(folder, "bdsc check coach.bds")}
    coach.write_text(spec_at(3))
    out["check-ok"] = bdsc(folder, "bdsc check coach.bds")
    coach.write_text(spec_at(8).replace("arcs [discouraged_to_motivated]",
                                        "arcs [discouraged_to_motivate]"))
    out["typo"] = bdsc(folder, "bdsc check coach.bds")
    coach.write_text(spec_at(8))
    out["plan"] = bdsc(folder, "bdsc plan coach.bds")
    out["compile"] = bdsc(folder, "bdsc compile coach.bds")
    job = json.loads((folder / "build" / "coach.plan.json").read_text())["jobs"][0]
    out["job"] = json.dumps({k: job[k] for k in ("key", "seed", "content_hash", "gates_hash")},
                            indent=1)
    out["run-fake"] = bdsc(folder, "bdsc run coach.bds --limit 2 --model fake/echo --out runs/try")
    out["status-fake"] = bdsc(folder, "bdsc status runs/try")
    out["export-fake"] = bdsc(folder, "bdsc export runs/try -o out/try")
    out["review-refused"] = bdsc(folder, "bdsc review runs/try --reviewer ana --role clinical")
    return out


def test_every_output_shown_is_what_the_code_prints(tmp_path):
    check_output_blocks(DOC, outputs(tmp_path), "tests/test_tutorial.py")


def test_no_command_is_called_unfinished():
    text = DOC.read_text()
    assert "being built" not in text and "milestone" not in text


def test_the_review_command_shown_reaches_the_tui(tmp_path, monkeypatch):
    """`bdsc review runs/first-coach --reviewer ana --role coaching_lead` (interactive, so
    not run for its output) passes the role check and opens the app."""
    (tmp_path / "coach.bds").write_text(spec_at(8))
    monkeypatch.chdir(tmp_path)
    run = CliRunner().invoke(main, ["run", "coach.bds", "--limit", "1", "--model", "fake/echo"])
    assert run.exit_code == 0, run.output
    opened = []
    monkeypatch.setattr("bdsl.tui.app.ReviewApp.run", lambda app: opened.append(app.role))
    command = re.search(r"\$ bdsc review runs/first-coach (.*)\n", DOC.read_text()).group(1)
    result = CliRunner().invoke(main, ["review", "runs/first-coach", *command.split()])
    assert result.exit_code == 0, result.output
    assert opened == ["coaching_lead"]


@pytest.mark.slow
def test_the_embedded_model_commands(tmp_path):
    """Section 11 on the real model: run two jobs, see them in status, export them."""
    from bdsl.llm.models import check_model_available

    if check_model_available("local/smollm2"):
        pytest.skip("needs the embedded model (bdsc models pull smollm2)")
    (tmp_path / "coach.bds").write_text(spec_at(8))
    text = DOC.read_text()
    for command in ("bdsc run coach.bds --limit 2", "bdsc export runs/first-coach -o "
                    "out/first-coach"):
        assert f"$ {command}\n" in text, command
    run = bdsc(tmp_path, "bdsc run coach.bds --limit 2", timeout=1800)  # minutes on a CPU
    assert "2/2 jobs done, 0 failed" in run, run
    assert "2/2 done" in bdsc(tmp_path, "bdsc status runs/first-coach")
    export = bdsc(tmp_path, "bdsc export runs/first-coach -o out/first-coach")
    # the small model judges itself: a conversation may fail `warm`, never the command
    assert "exported" in export or "nothing to export" in export, export
    assert "error" not in export.replace("error: nothing to export", "")
