"""Issue 11, finding 7: review roles are not self-declared.

The spec says who may hold which role (`reviewers { ana: [clinical, brand] }`); a decision
counts only when the policy allows that reviewer that role; one person counts once toward
`min_approvals` and `require all`; `bdsc review` refuses an unknown role or a reviewer the
spec does not give the role (exit 2, one line)."""

import asyncio
import re
import shutil
import sqlite3

import pytest
from click.testing import CliRunner

from bdsl import ir
from bdsl.cli import main
from bdsl.compiler.pipeline import check_path
from bdsl.outcomes import GateSummary, may_review, review_state
from bdsl.review import actions
from bdsl.store.reviews import ReviewRow
from tests.conftest import ROOT

PASSED = GateSummary("pass", (), ())
TWO_ROLES = ir.ReviewPolicy(1.0, ("clinical", "brand"), "all", 2)


def state(monkeypatch, policy, *decisions):
    """The review state of one sampled, passing conversation with these decisions."""
    rows = [ReviewRow(who, role, decision, "", False, None, float(i))
            for i, (who, role, decision) in enumerate(decisions)]
    monkeypatch.setattr("bdsl.store.reviews.read_reviews", lambda store, cid: rows)
    return review_state(None, 1, "d:a/b/c:0", "hash", PASSED, policy)


def test_one_person_in_two_roles_satisfies_neither_rule(monkeypatch):
    """The finding: `roles [clinical, brand], require all, min_approvals 2` was met by one
    person approving twice under two roles."""
    one = state(monkeypatch, TWO_ROLES, ("ana", "clinical", "approve"), ("ana", "brand", "approve"))
    assert one.state == "awaiting_review"
    two = state(monkeypatch, TWO_ROLES, ("ana", "clinical", "approve"), ("ana", "brand", "approve"),
                ("bo", "brand", "approve"))
    assert two.state == "approved"
    # require all alone (min_approvals 1) still needs a different person per role
    all_roles = ir.ReviewPolicy(1.0, ("clinical", "brand"), "all", 1)
    assert state(monkeypatch, all_roles, ("ana", "clinical", "approve"),
                 ("ana", "brand", "approve")).state == "awaiting_review"
    # min_approvals counts people: one person approving twice is one approval
    any_role = ir.ReviewPolicy(1.0, ("clinical",), "any", 2)
    assert state(monkeypatch, any_role, ("ana", "clinical", "approve"),
                 ("ana", "clinical", "approve")).state == "awaiting_review"


def test_the_roles_are_matched_to_different_people(monkeypatch):
    # ana could cover either role, bo only clinical: bo clinical + ana brand meets it
    assert state(monkeypatch, TWO_ROLES, ("ana", "clinical", "approve"),
                 ("ana", "brand", "approve"), ("bo", "clinical", "approve")).state == "approved"


def test_unknown_roles_and_unlisted_reviewers_do_not_count(monkeypatch):
    legal = state(monkeypatch, TWO_ROLES, ("ana", "legal", "approve"), ("bo", "legal", "reject"))
    assert legal.state == "awaiting_review" and legal.approvals == () and legal.rejections == ()
    listed = ir.ReviewPolicy(1.0, ("clinical", "brand"), "all", 2,
                             (("ana", ("clinical",)), ("bo", ("brand",))))
    assert not may_review(listed, "bo", "clinical") and may_review(listed, "bo", "brand")
    assert state(monkeypatch, listed, ("ana", "clinical", "approve"), ("cy", "brand", "approve"),
                 ("bo", "clinical", "approve")).state == "awaiting_review"
    assert state(monkeypatch, listed, ("ana", "clinical", "approve"),
                 ("bo", "brand", "approve")).state == "approved"


def test_a_policy_without_roles_takes_any_reviewer(monkeypatch):
    open_policy = ir.ReviewPolicy(1.0, (), "all", 1)
    assert state(monkeypatch, open_policy, ("ana", "whatever", "approve")).state == "approved"


SPEC = """spec "r" version "1"
persona coach : assistant { summary "A coach." }
persona u : user { summary "A user." }
arc a {
  confusion(0.8) -> calm(0.4)
  turns 4..4
}
topic t "Topic"
dataset d {
  model "fake/echo"
  assistant coach
  users [u]
  arcs [a]
  topics [t]
  review { REVIEW }
}
"""


@pytest.mark.parametrize("review,code,message", [
    ("sample 20%, roles [clinical], reviewers { ana: [clinical, legal] }", "E254",
     "reviewer `ana` is given the role `legal`, which the review policy's `roles` does not "
     "name"),
    ("sample 20%, roles [clinical, brand], require all, reviewers { ana: [clinical, brand] }",
     "E255", "the review policy can never be met: `require all` needs a different reviewer "
     "for each of clinical, brand, and the listed reviewers cannot cover them"),
    ("sample 20%, roles [clinical], min_approvals 2, reviewers { ana: [clinical] }", "E255",
     "the review policy can never be met: `min_approvals 2` needs 2 different reviewers, and "
     "1 may approve"),
    ("sample 20%, roles [clinical], min_approvals 0", "E221", "`min_approvals` must be at least 1"),
])
def test_policies_the_checker_refuses(tmp_path, review, code, message):
    spec = tmp_path / "spec.bds"
    spec.write_text(SPEC.replace("REVIEW", review))
    assert [(d.code, d.message) for d in check_path(spec).diagnostics] == [(code, message)]


def test_a_policy_with_enough_reviewers_checks_clean(tmp_path):
    spec = tmp_path / "spec.bds"
    spec.write_text(SPEC.replace("REVIEW", "sample 20%, roles [clinical, brand], require all, "
                                           "min_approvals 2, reviewers { ana: [clinical, brand], "
                                           "bo: [brand] }"))
    assert check_path(spec).diagnostics == ()


# -- bdsc review and the TUI ------------------------------------------------------------

FIXTURE = ROOT / "tests" / "fixtures" / "export"


@pytest.fixture(scope="module")
def roles_run(tmp_path_factory):
    """The export fixture with two roles and a reviewers list, run on fake/echo."""
    d = tmp_path_factory.mktemp("roles")
    text = (FIXTURE / "spec.bds").read_text().replace(
        "review { sample 50%, roles [brand] }",
        "review { sample 100%, roles [brand, clinical], require all, "
        "reviewers { ana: [brand, clinical], bo: [clinical] } }")
    (d / "spec.bds").write_text(text)
    result = CliRunner().invoke(main, ["run", str(d / "spec.bds"), "--out", str(d / "run"),
                                       "--concurrency", "1"])
    assert result.exit_code == 0, result.output
    return d / "run"


@pytest.mark.parametrize("reviewer,role,message", [
    ("ana", "legal", "error: `legal` is not a review role of this run's spec (its roles: brand, "
                     "clinical)"),
    ("ana", "clinicl", "error: `clinicl` is not a review role of this run's spec (its roles: "
                       "brand, clinical); did you mean `clinical`?"),
    ("bo", "brand", "error: `bo` may not review as `brand`: the spec's `reviewers` give that "
                    "role to ana"),
    ("cy", "clinical", "error: `cy` may not review as `clinical`: the spec's `reviewers` give "
                       "that role to ana, bo"),
])
def test_bdsc_review_refuses_roles_the_spec_does_not_give(roles_run, reviewer, role, message):
    result = CliRunner().invoke(main, ["review", str(roles_run), "--reviewer", reviewer,
                                       "--role", role])
    assert result.exit_code == 2
    assert result.output.strip() == message


def test_the_tui_records_nothing_the_policy_does_not_allow(roles_run, tmp_path):
    from bdsl.gates.score import load_run_plan
    from bdsl.store import Store
    from bdsl.tui.app import ReviewApp

    run = tmp_path / "run"
    shutil.copytree(roles_run, run)
    plan = load_run_plan(run)
    policy = plan.datasets[0].review

    async def press(reviewer, role, *keys):
        app = ReviewApp(Store.open(run), plan, reviewer, role)
        app.pending_only = False
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("enter", *keys)
            await pilot.pause()
        app.store.close()

    asyncio.run(press("bo", "brand", "a"))  # bo holds clinical only: refused in the TUI
    asyncio.run(press("ana", "brand", "a"))
    asyncio.run(press("ana", "clinical", "a"))  # ana again: stored, but counts once
    db = sqlite3.connect(run / "store.sqlite")
    rows = db.execute("SELECT conversation_id, reviewer, role, decision FROM reviews").fetchall()
    db.close()
    cid = rows[0][0]
    assert [r[1:] for r in rows] == [("ana", "brand", "approve"), ("ana", "clinical", "approve")]
    store = Store.open(run)
    with pytest.raises(actions.NotAllowed):
        actions.record(store, cid, "bo", "brand", "approve", policy=policy)
    store.close()

    def current():
        store = Store.open(run)
        try:
            from bdsl.review.queue import load_queue
            return next(r for r in load_queue(store, plan) if r.conv.id == cid).review.state
        finally:
            store.close()
    assert current() == "awaiting_review"  # one person, two roles: not enough
    asyncio.run(press("bo", "clinical", "a"))
    assert current() == "approved"  # bo clinical + ana brand


def test_the_refusals_docs_review_md_shows_are_what_bdsc_says():
    """docs/review.md's examples: runs/try is the tutorial spec, runs/advisor the FINRA one."""
    from bdsl.compiler.pipeline import compile_path

    specs = {"runs/try": ROOT / "specs" / "tutorial" / "first_spec.bds",
             "runs/advisor": ROOT / "specs" / "02_finra_advisor.bds"}
    text = (ROOT / "docs" / "review.md").read_text()
    shown = re.findall(r"\$ bdsc review (\S+) --reviewer (\S+) --role (\S+)\n(error: .*)\n", text)
    assert len(shown) == 2
    for run, reviewer, role, error in shown:
        plan = compile_path(specs[run]).plan
        assert f"error: {actions.refusal(plan, reviewer, role)}" == error
