"""`bdsc plan --estimate`, `bdsc status` with an estimate, `bdsc diff`'s rebuild price."""

import json

from click.testing import CliRunner

from bdsl.cli import main
from bdsl.estimate.run_dir import ESTIMATE_FILE, read_estimate, write_estimate
from tests.conftest import ROOT

TUTORIAL = str(ROOT / "specs" / "tutorial" / "first_spec.bds")


def estimate_part(output: str) -> str:
    return output[output.index("estimate: "):]


def test_plan_estimate_prints_calls_by_step_and_the_price(snapshot):
    r = CliRunner().invoke(main, ["plan", TUTORIAL, "--estimate", "--model", "fake/echo"])
    assert r.exit_code == 0, r.output
    assert "sample job" in r.output  # the usual plan comes first
    assert estimate_part(r.output) == snapshot


def test_plan_estimate_with_a_priced_model_gives_interactive_and_batch(snapshot):
    r = CliRunner().invoke(main, ["plan", TUTORIAL, "--estimate", "--model", "gpt-4o-mini",
                                  "--limit", "2"])
    assert r.exit_code == 0, r.output
    assert estimate_part(r.output) == snapshot


def test_model_and_limit_need_estimate():
    r = CliRunner().invoke(main, ["plan", TUTORIAL, "--model", "gpt-4o-mini"])
    assert r.exit_code == 2 and "only apply with --estimate" in r.output
    assert "Traceback" not in r.output


def test_a_template_that_cannot_render_is_a_spec_error(tmp_path):
    spec = tmp_path / "spec.bds"
    spec.write_text(open(TUTORIAL).read() + '\ntemplate user_turn """{{ nonsense.field }}"""\n')
    r = CliRunner().invoke(main, ["plan", str(spec), "--estimate"])
    assert r.exit_code == 1, r.output
    assert "error: cannot estimate: template `user_turn`" in r.output
    assert "Traceback" not in r.output
    from bdsl.compiler.pipeline import compile_path

    (tmp_path / ESTIMATE_FILE).write_text("stale")
    assert write_estimate(tmp_path, compile_path(str(spec)).plan) is None
    assert not (tmp_path / ESTIMATE_FILE).exists()  # never compared with a stale estimate


def test_estimate_json_round_trips(tmp_path):
    from bdsl.compiler.pipeline import compile_path

    e = write_estimate(tmp_path, compile_path(TUTORIAL).plan, "fake/echo", 3)
    assert read_estimate(tmp_path) == e and e.jobs == 3 and e.limit == 3
    data = json.loads((tmp_path / ESTIMATE_FILE).read_text())
    assert data["format"] == 1 and data["model_override"] == "fake/echo"
    (tmp_path / ESTIMATE_FILE).write_text("{not json")
    assert read_estimate(tmp_path) is None


def test_status_without_an_estimate_prints_no_estimate_lines(tmp_path):
    out = tmp_path / "run"
    r = CliRunner().invoke(main, ["run", TUTORIAL, "--model", "fake/echo", "--out", str(out),
                                  "--limit", "1"])
    assert r.exit_code == 0, r.output
    text = CliRunner().invoke(main, ["status", str(out)]).output
    assert "estimate" not in text
    data = json.loads(CliRunner().invoke(main, ["status", str(out), "--format", "json"]).output)
    assert data["estimate"] is None
