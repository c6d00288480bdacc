"""`bdsc init`: every category's project checks clean, is fmt-canonical, compiles, and its
CI snippet's own commands pass; a non-empty directory is refused."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from bdsl.cli import main
from bdsl.commands.init import CATEGORIES
from bdsl.compiler.pipeline import check_path, compile_path


def init(tmp_path, name, *args):
    target = tmp_path / name
    result = CliRunner().invoke(main, ["init", str(target), *args])
    return target, result


@pytest.mark.parametrize("category", list(CATEGORIES))
def test_every_category_checks_clean_and_compiles(tmp_path, category):
    project, result = init(tmp_path, f"coach-{category}", "--category", category)
    assert result.exit_code == 0, result.output
    assert sorted(str(p.relative_to(project)) for p in project.rglob("*") if p.is_file()) == \
        [".github/workflows/bdsl.yml", ".gitignore", "README.md", "spec.bds"]
    checked = check_path(project / "spec.bds")
    assert checked.ok and checked.diagnostics == ()  # not even a warning
    fmt = CliRunner().invoke(main, ["fmt", "--check", str(project / "spec.bds")])
    assert fmt.exit_code == 0, fmt.output
    compiled = compile_path(project / "spec.bds")
    assert compiled.ok and compiled.plan.jobs
    assert compiled.plan.spec.name == f"coach-{category}"
    ignored = (project / ".gitignore").read_text().split()
    assert "runs/" in ignored and "build/" in ignored
    assert CATEGORIES[category][1] in (project / "README.md").read_text()


def test_ci_snippet_commands_pass_in_the_new_project(tmp_path):
    project, result = init(tmp_path, "ci-demo", "--category", "compliance")
    assert result.exit_code == 0
    workflow = yaml.safe_load((project / ".github" / "workflows" / "bdsl.yml").read_text())
    commands = [step["run"] for step in workflow["jobs"]["check"]["steps"]
                if step.get("run", "").startswith("bdsc ")]
    assert commands == ["bdsc check spec.bds", "bdsc fmt --check *.bds"]
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    for command in commands:
        done = subprocess.run(["bash", "-c", command], cwd=project, env=env,
                              capture_output=True, text=True)
        assert done.returncode == 0, (command, done.stderr)
    # and the snippet does catch a badly formatted spec
    (project / "spec.bds").write_text((project / "spec.bds").read_text()
                                      .replace("  model", "      model"))
    done = subprocess.run(["bash", "-c", commands[1]], cwd=project, env=env,
                          capture_output=True, text=True)
    assert done.returncode == 1 and "would reformat spec.bds" in done.stderr


def test_the_project_is_ready_for_bdsc_run(tmp_path):
    project, _ = init(tmp_path, "run-demo")
    result = CliRunner().invoke(main, ["run", str(project / "spec.bds"), "--model", "fake/echo",
                                       "--limit", "1", "--out", str(project / "runs" / "demo")])
    assert result.exit_code == 0, result.output
    assert (project / "runs" / "demo" / "conversations.jsonl").read_text().count("\n") == 1


def test_refuses_a_non_empty_directory_and_a_file(tmp_path):
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    _, result = init(tmp_path, "busy")
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"error: {tmp_path / 'busy'} is not empty; `bdsc init` only writes into an empty or "
        "new directory (hint: `bdsc init NEW_DIR`)"]
    assert [p.name for p in (tmp_path / "busy").iterdir()] == ["notes.txt"]
    (tmp_path / "afile").write_text("x")
    _, result = init(tmp_path, "afile")
    assert result.exit_code == 2 and "is a file" in result.output


def test_empty_existing_directory_and_odd_names(tmp_path, monkeypatch):
    odd = tmp_path / "My Coach (v2)"
    odd.mkdir()
    monkeypatch.chdir(odd)
    result = CliRunner().invoke(main, ["init"])
    assert result.exit_code == 0, result.output
    assert 'spec "My-Coach-v2" version "0.1.0"' in (odd / "spec.bds").read_text()
    assert check_path(odd / "spec.bds").ok
