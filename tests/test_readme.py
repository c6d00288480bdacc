"""README.md cannot drift: its spec compiles, every line of its command list runs, and its
two-command quickstart (`make demo`, `make test`) does what it says.

The command list is executed in order, in a scratch git project made of the README's
spec (and the voice file it imports), with placeholders filled in (`runs/NAME`,
`data.jsonl`, `HEAD~1:spec.bds`, optional `[...]` parts left out). `bdsc run` gets
`--model fake/echo`, whose judge scores the middle of every scale (0.5), so the scratch
spec asks `empathy >= 0.5` and conversations pass through to the export and import lines.
A line this test cannot fill in (a new placeholder), `models pull` (it installs a
package) and `lsp` (a server on stdin) are checked with `--help` instead, with every
option the line mentions present in that help."""

import os
import re
import shlex
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from bdsl.cli import main
from bdsl.compiler.pipeline import compile_path
from bdsl.diagnostics import render_text
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()


def readme_spec() -> str:
    return re.search(r"```\n(spec .*?)```", README, re.S).group(1)


def command_lines() -> list[str]:
    block = re.search(r"## The commands\n\n```\n(.*?)```", README, re.S).group(1)
    return [line.split("  #")[0].strip() for line in block.splitlines()
            if line.startswith("bdsc ")]


def test_readme_example_compiles():
    result = compile_path(ROOT / "specs" / "readme_example.bds", text=readme_spec())
    assert result.ok, render_text(result.diagnostics, result.sources)
    assert len(result.plan.jobs) == 4


def test_readme_promises_nothing_unfinished():
    assert "milestone" not in README and "being built" not in README


RUN = "runs/elena-eq"  # the spec's name: `bdsc run` writes runs/<spec name>
HELP_ONLY = {("models", "pull"): "installs a package", ("lsp",): "a server on stdin",
             ("models", "check"): "probes the embedded model"}
PLACEHOLDER = re.compile(r"^[A-Z][A-Z_]*$|NAME")


def fill(line: str) -> list[str] | None:
    """argv for a README line, or None when it has a placeholder this test cannot fill."""
    line = re.sub(r"\s*\[[^\]]*\]", "", line)  # optional parts
    argv = shlex.split(line)[1:]
    out = []
    for i, arg in enumerate(argv):
        if arg == "runs/NAME":
            arg = "runs/imported" if argv[0] == "import" and argv[i - 1] == "--out" else RUN
        out.append(arg)
    if argv[0] == "run":
        out += ["--model", "fake/echo"]
    if argv[0] == "gate":
        out += ["--judge-model", "fake/echo"]
    if any(PLACEHOLDER.search(a) for a in out):
        return None
    return out


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A git project whose spec is README's (judge threshold 0.5 for fake/echo), with one
    earlier commit for `bdsc diff HEAD~1:spec.bds spec.bds`."""
    (tmp_path / "voice").mkdir()
    shutil.copy(ROOT / "specs" / "voice" / "elena.bds", tmp_path / "voice" / "elena.bds")
    spec = readme_spec().replace("empathy >= 0.8", "empathy >= 0.5")
    assert spec != readme_spec()

    def git(*args):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
                       cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "spec.bds").write_text(spec.replace('version "1.4.0"', 'version "1.3.0"'))
    git("add", "-A")
    git("commit", "-qm", "1.3.0")
    (tmp_path / "spec.bds").write_text(spec)
    git("commit", "-qam", "1.4.0")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def mark_a_seed(run_dir) -> None:
    from bdsl.review.actions import record
    from bdsl.store import Store, conversations

    store = Store.open(run_dir)
    try:
        conv = next(iter(conversations(store)))
        record(store, conv.id, "ana", "clinical", "approve")  # the policy: clinical and brand
        record(store, conv.id, "bo", "brand", "approve")
        record(store, conv.id, "ana", "clinical", "seed", seed=True)
    finally:
        store.close()


def test_every_readme_command_runs(project, monkeypatch):
    reached = []
    monkeypatch.setattr("bdsl.tui.app.ReviewApp.run", lambda app: reached.append(
        (app.reviewer, app.role)))
    lines = command_lines()
    assert len(lines) >= 16
    executed = []
    for line in lines:
        argv = fill(line)
        words = line.split()[1:]
        special = next((why for key, why in HELP_ONLY.items()
                        if tuple(words[:len(key)]) == key), None)
        if argv is None or special:
            command = words[:2] if words[0] == "models" else words[:1]
            help_text = CliRunner().invoke(main, [*command, "--help"])
            assert help_text.exit_code == 0, line
            for option in re.findall(r"(?<!\S)(--?[a-z][\w-]*)", line):
                assert option in help_text.output, f"{line}: no {option} in --help"
            continue
        if argv[0] == "seeds":  # what `s` in the review TUI does
            mark_a_seed(project / RUN)
        if argv[0] == "import":  # the file the export line just wrote comes back in
            shutil.copy(project / "out" / "openai" / "train.jsonl", project / "data.jsonl")
        result = CliRunner().invoke(main, argv)
        # `gate` exits 1 when a conversation fails or needs review (fake/echo's replies
        # are not real ones); what it must do here is score the file without an error
        ok = (0, 1) if argv[0] == "gate" and "conversations:" in result.output else (0,)
        assert result.exit_code in ok, f"`bdsc {' '.join(argv)}` -> {result.exit_code}\n" \
                                       f"{result.output}"
        executed.append(argv[0])
    assert reached == [("ana", "clinical")]  # the review line gets as far as the TUI
    assert {"check", "compile", "plan", "run", "status", "score", "review", "export",
            "import", "gate", "calibrate", "seeds", "diff", "changelog", "fmt", "init",
            "report"} <= set(executed)
    assert (project / "out" / "openai" / "train.jsonl").read_text().strip()
    assert (project / "runs" / "imported" / "store.sqlite").exists()


# -- the two-command quickstart ---------------------------------------------------------

MAKEFILE = ROOT / "Makefile"


def shim_venv(tmp_path, bdsc_script: str | None):
    """A VENV for the Makefile whose setup is already done: bin/python is this Python and
    bin/bdsc is the real one, or a fake script."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)  # tmp_path: the folder make runs in
    (venv / "bin" / "python").symlink_to(sys.executable)
    bdsc = venv / "bin" / "bdsc"
    if bdsc_script is None:
        bdsc.symlink_to(shutil.which("bdsc", path=os.path.dirname(sys.executable)))
    else:
        bdsc.write_text(bdsc_script)
        bdsc.chmod(0o755)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (venv / ".installed").touch()
    return venv


def make_demo(venv, timeout=60):
    """`make demo` in the shim's folder (where its pyproject.toml is)."""
    workdir = venv.parent
    return subprocess.run(
        ["make", "-f", str(MAKEFILE), "demo", f"VENV={venv}",
         f"SPEC={ROOT / 'specs' / 'tutorial' / 'first_spec.bds'}", f"RUN={workdir / 'run'}"],
        cwd=workdir, capture_output=True, text=True, timeout=timeout,
        env={**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"})


FAKE_BDSC = """#!/bin/sh
echo "bdsc $*"
if [ "$1" = "export" ]; then echo "error: cannot write out: permission denied" >&2; exit {code}; fi
exit 0
"""


def test_make_demo_fails_when_its_export_fails(tmp_path):
    failing = make_demo(shim_venv(tmp_path / "a", FAKE_BDSC.replace("{code}", "2")))
    assert failing.returncode != 0
    assert "error: cannot write out: permission denied" in failing.stderr
    passing = make_demo(shim_venv(tmp_path / "b", FAKE_BDSC.replace("{code}", "0")))
    assert passing.returncode == 0, passing.stderr
    steps = [line.split()[1] for line in passing.stdout.splitlines() if line.startswith("bdsc ")]
    assert steps == ["check", "compile", "run", "export"]


def test_make_test_runs_lint_and_the_whole_suite():
    dry = subprocess.run(["make", "-n", "-f", str(MAKEFILE), "test", "VENV=.venv"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    assert "ruff check bdsl compiler tui tests bench" in dry
    assert re.search(r"python -m pytest -q\s*$", dry, re.M)


@pytest.mark.slow
def test_make_demo_generates_and_exports_on_the_embedded_model(tmp_path):
    """The first quickstart command, for real: check, compile, one conversation on the
    embedded SmolLM2 model, scored, exported as OpenAI chat JSONL."""
    from bdsl.llm.models import check_model_available

    if check_model_available("local/smollm2"):
        pytest.skip("needs the embedded model (bdsc models pull smollm2)")
    out = make_demo(shim_venv(tmp_path, None), timeout=1200)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "1/1 jobs done" in out.stderr + out.stdout
    exported = (tmp_path / "run" / "openai" / "train.jsonl").read_text().splitlines()
    assert len(exported) == 1
