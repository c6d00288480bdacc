"""What the walk counts that the engine does not show yet (annotation settings), the models
each call goes to, and the kind table."""

import attrs
import pytest

from bdsl import ir
from bdsl.estimate.plan_estimate import call_models, estimate_plan, sample
from bdsl.estimate.walk import KIND_WALKS
from bdsl.kinds import JobKind
from tests.engine import plans


def test_every_job_kind_has_a_walk():
    assert set(KIND_WALKS) == set(JobKind)


def steps(p, **kw) -> dict:
    out: dict = {}
    for s in estimate_plan(p, **kw).steps:
        out[s.step] = out.get(s.step, 0) + s.calls
    return out


def with_dataset(p, **fields):
    return attrs.evolve(p, datasets=(attrs.evolve(p.datasets[0], **fields),))


@pytest.mark.parametrize("annotate,calls", [("both", 4), ("user", 2), ("assistant", 2),
                                            ("off", 0)])
def test_per_message_annotations_follow_the_dataset(annotate, calls):
    p = with_dataset(plans.plan(plans.job("ds:a")), annotate=annotate)
    assert steps(p).get("annotate", 0) == calls
    assert steps(p)["user"] == 2 and steps(p)["assistant"] == 2


def test_per_conversation_annotation_is_one_call_per_conversation_or_session():
    conv = with_dataset(plans.plan(plans.job("ds:a"), plans.job("ds:b")),
                        annotate_mode="per_conversation")
    assert steps(conv)["annotate"] == 2
    curriculum = with_dataset(plans.plan(plans.job("ds:k", "curriculum", curriculum="essay")),
                              annotate_mode="per_conversation")
    assert steps(curriculum)["annotate"] == 2  # two sessions
    off = with_dataset(conv, annotate="off", annotate_mode="per_conversation")
    assert "annotate" not in steps(off)


def test_per_conversation_annotation_costs_fewer_prompt_tokens():
    base = plans.plan(plans.job("ds:a"))
    per_message = estimate_plan(base)
    per_conversation = estimate_plan(with_dataset(base, annotate_mode="per_conversation"))
    assert per_conversation.prompt_tokens < per_message.prompt_tokens


def test_models_per_call_follow_the_dataset_and_the_override():
    p = plans.plan(plans.job("ds:a"))
    ds = attrs.evolve(p.datasets[0], judge_model="gpt-4o", annotate_model="gpt-4o-mini")
    job = p.jobs[0]
    m = call_models(ds, job, "")
    assert (m.generation, m.annotation, m.judge) == ("fake/echo", "gpt-4o-mini", "gpt-4o")
    defaulted = attrs.evolve(ds, judge_model="fake/echo", annotate_model="")
    evolved = attrs.evolve(job, model=attrs.evolve(job.model, name="claude-sonnet-4-5"))
    m = call_models(defaulted, evolved, "claude-sonnet-4-5")
    assert (m.annotation, m.judge) == ("claude-sonnet-4-5", "claude-sonnet-4-5")


def test_annotations_go_to_the_annotate_model():
    p = with_dataset(plans.plan(plans.job("ds:a")), annotate_model="gpt-4o-mini")
    by_step = {(s.step, s.model) for s in estimate_plan(p).steps}
    assert ("annotate", "gpt-4o-mini") in by_step and ("user", "fake/echo") in by_step


def test_limit_and_keys_choose_the_jobs_run_would_run():
    p = plans.plan(*[plans.job(f"ds:{i}", seed=i) for i in range(5)])
    assert estimate_plan(p, limit=2).jobs == 2
    assert estimate_plan(p, keys={"ds:4"}).jobs == 1


def test_a_rescore_counts_only_the_judges():
    warm = ir.Gate("warm", "judge", metric="empathy", threshold=0.7)
    p = plans.plan(*[attrs.evolve(plans.job(f"ds:{i}", seed=i), gates=("warm",))
                     for i in range(2)])
    p = attrs.evolve(p, gates=(warm,),
                     datasets=(attrs.evolve(p.datasets[0], judge_model="fake/echo"),))
    e = estimate_plan(p, rescore_only=frozenset({"ds:0"}))
    counted = {s.step: s.calls for s in e.steps}
    assert counted["judge:warm"] == 2 and counted["user"] == 2  # ds:1 in full, ds:0 judged


def test_a_big_dataset_is_walked_on_a_spread_sample_and_scaled():
    jobs = [plans.job(f"ds:{i}", seed=i) for i in range(30)]
    assert sample(jobs, 5) == [jobs[0], jobs[7], jobs[14], jobs[22], jobs[29]]
    p = plans.plan(*jobs)
    full, sampled = estimate_plan(p), estimate_plan(p, sample_jobs=5)
    assert sampled.datasets[0].walked_jobs == 5 and full.datasets[0].walked_jobs == 30
    assert sampled.calls == full.calls  # every job has the same shape here
    assert abs(sampled.tokens / full.tokens - 1) < 0.05
