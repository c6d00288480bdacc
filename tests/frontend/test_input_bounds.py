"""Issue 11, findings 4-6 (the front end's part): what a spec may open, import and load.

Only regular files are read; imports stay inside the project root unless --allow-outside,
and lines of files outside it are never printed; a YAML alias bomb fails at once; a spec
path that cannot be read and an unwritable output are one line and exit 2."""

import os
import subprocess
import sys
import time
import tracemalloc

import pytest
from click.testing import CliRunner

from bdsl.cli import main
from bdsl.compiler.pipeline import check_path
from bdsl.diagnostics import render_text
from bdsl.source import SourceError, read_source
from tests.conftest import ROOT

BDSC = [sys.executable, "-m", "bdsl"]
SECRET = "password: hunter2"
MINIMAL = 'spec "p" version "1"\n'


def bdsc(*args, cwd=None, timeout=30):
    return subprocess.run([*BDSC, *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          timeout=timeout, env={**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"})


def codes(result):
    return [d.code for d in result.diagnostics]


# -- only regular files -----------------------------------------------------------------

def test_a_fifo_named_like_a_spec_is_refused_without_waiting(tmp_path):
    fifo = tmp_path / "x.bds"
    os.mkfifo(fifo)
    t0 = time.monotonic()
    out = bdsc("check", "x.bds", cwd=tmp_path)  # before the fix this never returned
    assert time.monotonic() - t0 < 20
    assert out.returncode == 2
    assert out.stderr.strip() == "error[E001] x.bds is not a regular file (it is a FIFO); " \
        "specs and tables must be ordinary files"


def test_an_imported_fifo_is_refused_too(tmp_path):
    os.mkfifo(tmp_path / "table.yaml")
    (tmp_path / "spec.bds").write_text(MINIMAL + 'import "./table.yaml"\n')
    result = check_path(tmp_path / "spec.bds")
    assert codes(result) == ["E301"]
    assert "not a regular file (it is a FIFO)" in result.diagnostics[0].message


def test_devices_are_not_read():
    with pytest.raises(SourceError) as e:
        read_source("/dev/zero")
    assert e.value.code == "E001" and "character device" in e.value.message


@pytest.mark.parametrize("make,expected", [
    (lambda p: p.mkdir(), "error[E001] spec.bds is a directory, not a spec file"),
    (lambda p: None, "error[E001] file not found: spec.bds"),
])
def test_a_spec_that_cannot_be_read_is_one_line_and_exit_2(tmp_path, make, expected):
    make(tmp_path / "spec.bds")
    for command in (["check"], ["compile"], ["plan"], ["fmt"]):
        out = bdsc(*command, "spec.bds", cwd=tmp_path)
        assert out.returncode == 2, (command, out.stderr)
        assert out.stderr.strip() == expected, command


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_an_unreadable_spec_is_exit_2(tmp_path):
    spec = tmp_path / "spec.bds"
    spec.write_text(MINIMAL)
    spec.chmod(0)
    out = bdsc("check", "spec.bds", cwd=tmp_path)
    assert out.returncode == 2 and "cannot read spec.bds" in out.stderr


# -- imports stay in the project --------------------------------------------------------

@pytest.fixture
def outside(tmp_path):
    """A project (no git: its root is the spec's folder) next to a folder of secrets."""
    project, secret = tmp_path / "project", tmp_path / "secret"
    project.mkdir()
    secret.mkdir()
    (secret / "leak.bds").write_text(f'topic leak "x"\n{SECRET}\n')
    (secret / "creds.yaml").write_text(f"topic:\n  - name: t\n    title: x\n    {SECRET}\n")
    (project / "link.yaml").symlink_to(secret / "creds.yaml")
    return project, secret


@pytest.mark.parametrize("target,why", [
    ("../secret/leak.bds", "it leaves the project"),
    ("{secret}/creds.yaml", "an absolute path outside the project"),
    ("./link.yaml", "it is a symlink to a file outside the project"),
])
def test_imports_that_leave_the_project_are_errors(outside, target, why):
    project, secret = outside
    target = target.format(secret=secret)
    (project / "spec.bds").write_text(MINIMAL + f'import "{target}"\n')
    out = bdsc("check", "spec.bds", cwd=project)
    assert out.returncode == 1
    assert f"error[E306] cannot import `{target}`: {why} (the project root is .)" in out.stderr
    assert "--allow-outside" in out.stderr
    assert "hunter2" not in out.stderr and "password" not in out.stderr


def test_allow_outside_reads_them_but_never_quotes_their_lines(outside):
    project, _ = outside
    (project / "spec.bds").write_text(
        MINIMAL + 'import "../secret/leak.bds"\nimport "./link.yaml"\n')
    closed = bdsc("check", "spec.bds", cwd=project)
    opened = bdsc("check", "--allow-outside", "spec.bds", cwd=project)
    assert closed.stderr.count("E306") == 2
    # the files were read: their own errors are reported, located, without their text
    assert "E306" not in opened.stderr
    assert "--> ../secret/leak.bds:2:9" in opened.stderr
    assert "--> ../secret/creds.yaml:4:5" in opened.stderr
    assert "hunter2" not in opened.stderr and SECRET not in opened.stderr  # no line quoted
    for command in ("compile", "plan", "run", "diff", "gate", "import", "lsp"):
        assert "--allow-outside" in bdsc(command, "--help").stdout, command


def test_the_project_root_is_the_git_repository(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "shared").mkdir()
    (tmp_path / "specs").mkdir()
    (tmp_path / "shared" / "topics.bds").write_text('topic shared "A shared topic"\n')
    (tmp_path / "specs" / "spec.bds").write_text(MINIMAL + 'import "../shared/topics.bds"\n')
    result = check_path(tmp_path / "specs" / "spec.bds")
    assert result.ok, render_text(result.diagnostics, result.sources)
    (tmp_path / ".git").rmdir()  # no repository: the spec's folder is the root
    assert codes(check_path(tmp_path / "specs" / "spec.bds")) == ["E306"]


def test_the_repository_fixtures_import_within_the_repository(at_root):
    result = check_path("tests/fixtures/bad/imports.bds")  # imports ../cycle/a.bds
    assert "E306" not in codes(result)


# -- YAML ------------------------------------------------------------------------------

def alias_bomb() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\ntopic:\n  - name: t\n    title: x\n    tags: *i\n"


def test_a_yaml_alias_bomb_fails_fast_and_small(tmp_path):
    bomb = alias_bomb()
    assert len(bomb) < 1024  # 9^9 = 387 million values once expanded
    (tmp_path / "bomb.yaml").write_text(bomb)
    (tmp_path / "spec.bds").write_text(MINIMAL + 'import "./bomb.yaml"\n')
    tracemalloc.start()
    t0 = time.perf_counter()
    result = check_path(tmp_path / "spec.bds")
    elapsed, peak = time.perf_counter() - t0, tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert codes(result) == ["E113"]
    d = result.diagnostics[0]
    assert (d.span.line, d.span.col) == (6, 8)  # the first alias of `f`: 9^6 values
    assert elapsed < 5 and peak < 100e6


def test_yaml_aliases_within_the_limit_still_work(tmp_path):
    (tmp_path / "t.yaml").write_text(
        "topic:\n  - name: a\n    title: A\n    tags: &common [money, stress]\n"
        "  - name: b\n    title: B\n    tags: *common\n")
    (tmp_path / "spec.bds").write_text(MINIMAL + 'import "./t.yaml" { a, b }\n')
    result = check_path(tmp_path / "spec.bds")
    assert result.ok, render_text(result.diagnostics, result.sources)


def test_deeply_nested_yaml_is_a_diagnostic(tmp_path):
    (tmp_path / "t.yaml").write_text("topic: " + "[" * 5000 + "]" * 5000 + "\n")
    (tmp_path / "spec.bds").write_text(MINIMAL + 'import "./t.yaml"\n')
    result = check_path(tmp_path / "spec.bds")
    assert codes(result) == ["E110"] and "nested too deeply" in result.diagnostics[0].message


# -- outputs that cannot be written -----------------------------------------------------

def test_compile_into_an_unwritable_build_folder(tmp_path):
    (tmp_path / "build").write_text("a file where the folder should be")
    spec = ROOT / "specs" / "tutorial" / "first_spec.bds"
    out = bdsc("compile", spec, cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.strip() == "error: cannot write build/first_spec.plan.json: build is a " \
        "file, not a folder (hint: -o PATH writes the plan elsewhere)"
    out = bdsc("compile", spec, "-o", tmp_path, cwd=tmp_path)
    assert out.returncode == 2 and out.stderr.strip() == \
        f"error: cannot write {tmp_path}: it is a directory"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes whatever the mode")
def test_compile_into_a_read_only_folder(tmp_path):
    (tmp_path / "build").mkdir(mode=0o500)
    out = bdsc("compile", ROOT / "specs" / "tutorial" / "first_spec.bds", cwd=tmp_path)
    assert out.returncode == 2 and "permission denied" in out.stderr


def test_fmt_that_cannot_write_keeps_the_spec(tmp_path, monkeypatch):
    spec = tmp_path / "spec.bds"
    text = 'spec  "p"   version "1"\n'
    spec.write_text(text)

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("tempfile.mkstemp", refuse)
    result = CliRunner().invoke(main, ["fmt", str(spec)])
    assert result.exit_code == 2
    assert result.output.strip() == f"error: cannot write {spec}: permission denied " \
        "(hint: --diff prints the formatted text instead)"
    assert spec.read_text() == text


def test_fmt_through_a_symlink_rewrites_the_target(tmp_path):
    real = tmp_path / "real.bds"
    real.write_text('spec  "p"   version "1"\n')
    (tmp_path / "link.bds").symlink_to(real)
    assert CliRunner().invoke(main, ["fmt", str(tmp_path / "link.bds")]).exit_code == 0
    assert (tmp_path / "link.bds").is_symlink()
    assert real.read_text() == 'spec "p" version "1"\n'


def test_init_where_nothing_can_be_written(tmp_path):
    (tmp_path / "afile").write_text("")
    out = bdsc("init", "afile/project", cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.strip() == "error: cannot write into afile/project: not a directory " \
        "(hint: `bdsc init NEW_DIR` somewhere you can write)"


def test_the_language_server_follows_allow_outside(outside):
    from bdsl.lsp.analysis import analyze
    from bdsl.lsp.server import create_server

    project, _ = outside
    spec = project / "spec.bds"
    text = MINIMAL + 'import "../secret/leak.bds"\n'
    spec.write_text(text)
    closed, opened = analyze(spec, text), analyze(spec, text, allow_outside=True)
    assert [d.code for d in closed.graph.diagnostics] == ["E306"]
    assert any(k.endswith("leak.bds") for k in opened.graph.modules)
    assert create_server(allow_outside=True).allow_outside
