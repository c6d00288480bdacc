"""Seed examples feed generation: reviewers mark seeds, `bdsc seeds` writes them as a spec
file, the spec lists them, and matching jobs (and N variations of each) show them in their
prompts; a new seed changes exactly the jobs it guides (`bdsc diff` says why)."""


from click.testing import CliRunner

from bdsl.cli import main
from bdsl.compiler.pipeline import compile_path
from bdsl.plandiff import diff_plans
from bdsl.review.actions import record
from bdsl.store import Store, conversations

SPEC = '''spec "seedy" version "1"
import std.arcs {{ confusion_to_clarity, fear_to_confidence }}
{imports}
persona u : user {{ summary "A first-time saver." }}
persona bot : assistant {{ summary "A money coach." }}
topic budget "Budgeting"
dataset d {{
  model "fake/echo"
  assistant bot
  users [u]
  arcs [confusion_to_clarity, fear_to_confidence]
  topics [budget]
  {extra}
}}
'''


def write_spec(folder, imports="", extra=""):
    path = folder / "spec.bds"
    path.write_text(SPEC.format(imports=imports, extra=extra))
    return path


def invoke(*args):
    r = CliRunner().invoke(main, [str(a) for a in args])
    assert r.exit_code == 0, r.output
    return r.output


def test_approved_seeds_guide_matching_jobs_and_variations(tmp_path, monkeypatch):
    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    spec = write_spec(tmp_path)
    run = tmp_path / "run"
    invoke("run", spec, "--out", run)
    store = Store.open(run)
    conv = next(c for c in conversations(store) if c.context["arc"] == "confusion_to_clarity")
    record(store, conv.id, "ana", "clinical", "approve")
    record(store, conv.id, "ana", "clinical", "seed", seed=True)
    store.close()

    out = invoke("seeds", run, "-o", tmp_path / "seeds.bds")
    assert "wrote 1 seed examples" in out
    seeds_text = (tmp_path / "seeds.bds").read_text()
    assert 'arc "confusion_to_clarity"' in seeds_text and "approved by ana (clinical)" in seeds_text

    old = compile_path(spec).plan
    spec = write_spec(tmp_path, 'import "./seeds.bds" { approved_seeds }',
                      "seeds [approved_seeds]\n  variations 2")
    result = compile_path(spec)
    assert result.ok, [d.message for d in result.diagnostics]
    new = result.plan
    guided = {j.key: j.context.examples for j in new.jobs}
    assert guided["d:u/confusion_to_clarity/budget:0"] == ("approved_seeds#1",)
    assert guided["d:u/fear_to_confidence/budget:0"] == ()  # another arc: not guided
    variations = [j for j in new.jobs if j.context.variation_of]
    assert [j.key for j in variations] == ["d:approved_seeds#1:0", "d:approved_seeds#1:1"]

    diff = {c.key: c for c in diff_plans(old, new).jobs}
    assert diff["d:u/confusion_to_clarity/budget:0"].reasons == (
        "seed examples +approved_seeds#1",)
    assert "d:u/fear_to_confidence/budget:0" not in diff  # unchanged

    prompts = invoke("plan", spec, "--job", "d:u/confusion_to_clarity/budget:0", "--prompts")
    assert "Conversations reviewers approved" in prompts
    first_user_message = conv.messages()[0]["content"]
    assert first_user_message[:40] in prompts

    # generation calls now carry the seed text
    run2 = tmp_path / "run2"
    invoke("run", spec, "--out", run2)
    store = Store.open(run2)
    from bdsl.store.reader import journaled_requests

    requests = [r for _id, _step, r in journaled_requests(store, ("user", "assistant"))]
    with_seed = [r for r in requests if any(first_user_message[:40] in m[1]
                                            for m in r["messages"])]
    assert len(with_seed) >= len(requests) // 2
