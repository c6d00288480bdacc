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


def test_a_template_that_cannot_render_is_a_spec_error(tmp_path, monkeypatch):
    spec = tmp_path / "spec.bds"
    spec.write_text(open(TUTORIAL).read() + '\ntemplate user_turn """{{ nonsense.field }}"""\n')
    r = CliRunner().invoke(main, ["plan", str(spec), "--estimate"])
    assert r.exit_code == 1, r.output  # the trial render at compile catches it first
    assert "error[E263] template `user_turn`" in r.output
    assert "Traceback" not in r.output
    from bdsl.compiler.pipeline import compile_path
    from bdsl.engine.prompts import TemplateError
    from bdsl.estimate import plan_estimate

    def fails(*_a, **_k):
        raise TemplateError("template `user_turn` cannot render")

    monkeypatch.setattr(plan_estimate, "estimate_plan", fails)
    (tmp_path / ESTIMATE_FILE).write_text("stale")
    assert write_estimate(tmp_path, compile_path(TUTORIAL).plan) is None
    assert not (tmp_path / ESTIMATE_FILE).exists()  # never compared with a stale estimate


def test_estimate_json_round_trips(tmp_path):
    from bdsl.compiler.pipeline import compile_path

    e = write_estimate(tmp_path, compile_path(TUTORIAL).plan, "fake/echo", 3)
    assert read_estimate(tmp_path) == e and e.jobs == 3 and e.limit == 3
    data = json.loads((tmp_path / ESTIMATE_FILE).read_text())
    assert data["format"] == 1 and data["model_override"] == "fake/echo"
    (tmp_path / ESTIMATE_FILE).write_text("{not json")
    assert read_estimate(tmp_path) is None


def test_run_writes_its_estimate_and_status_without_one_prints_none(tmp_path):
    out = tmp_path / "run"
    r = CliRunner().invoke(main, ["run", TUTORIAL, "--model", "fake/echo", "--out", str(out),
                                  "--limit", "1"])
    assert r.exit_code == 0, r.output
    shown = CliRunner().invoke(main, ["status", str(out)]).output
    # bdsc run wrote the estimate before its first call; exact on fake/echo
    assert "  estimate 13 calls (+0.0% vs actual)" in shown, shown
    (out / "estimate.json").unlink()  # a run directory from before estimates existed
    text = CliRunner().invoke(main, ["status", str(out)]).output
    assert "  estimate " not in text
    data = json.loads(CliRunner().invoke(main, ["status", str(out), "--format", "json"]).output)
    assert data["estimate"] is None


def test_diff_prices_the_rebuild_with_the_estimator(tmp_path):
    import attrs

    from bdsl import ir
    from bdsl.estimate.plan_estimate import estimate_plan
    from bdsl.serialize import to_json
    from tests.engine import plans

    warm = ir.Gate("warm", "judge", metric="empathy", threshold=0.7)

    def version(n_jobs: int, threshold: float) -> ir.Plan:
        jobs = [attrs.evolve(plans.job(f"ds:{i}", seed=i), gates=("warm",),
                             gates_hash=f"g{threshold}") for i in range(n_jobs)]
        p = plans.plan(*jobs)
        return attrs.evolve(p, gates=(attrs.evolve(warm, threshold=threshold),),
                            datasets=(attrs.evolve(p.datasets[0], judge_model="fake/echo"),))

    old, new = version(2, 0.7), version(3, 0.6)  # one job added, the others re-scored
    (tmp_path / "old.json").write_text(to_json(old))
    (tmp_path / "new.json").write_text(to_json(new))
    r = CliRunner().invoke(main, ["diff", str(tmp_path / "old.json"), str(tmp_path / "new.json"),
                                  "--format", "json"])
    assert r.exit_code == 0, r.output
    rebuild = json.loads(r.output)["rebuild"]
    assert rebuild["jobs"] == 1 and rebuild["rescore_only"] == 2
    added = estimate_plan(new, keys={"ds:2"})
    assert rebuild["llm_calls"] == added.calls + 2  # + one judge call per re-scored job
    text = CliRunner().invoke(main, ["diff", str(tmp_path / "old.json"),
                                     str(tmp_path / "new.json")]).output
    assert f"~{rebuild['llm_calls']} LLM calls" in text and "2 to re-score" in text
