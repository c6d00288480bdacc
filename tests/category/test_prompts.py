"""`bdsc plan --prompts` shows each category's own prompts, rendered as the engine will."""

import pytest

from bdsl.compiler.pipeline import compile_path
from bdsl.engine.preview import preview_prompts
from tests.conftest import ROOT

CASES = [
    ("01_crisis_support.bds", "nightline", ["user_system", "assistant_turn",
                                            "judge empathy"],
     ["must refer the person to the 988 Suicide & Crisis Lifeline"]),
    ("02_finra_advisor.bds", "advisor_compliance", ["judge compliance"],
     ["ask qualifying questions first", "[FINRA-2111]"]),
    ("03_socratic_method.bds", "socratic_pairs", ["contrastive_conventional",
                                                  "contrastive_meta"],
     ["the conventional way"]),
    ("04_knee_panel.bds", "knee_deliberation", [
        "deliberation_perspective", "deliberation_dissent", "deliberation_synthesis",
        "deliberation_bad_synthesis", "judge synthesis_quality"], ["The minority view"]),
    ("04_knee_panel.bds", "care_explicit", ["panel_explicit"], ["different experts"]),
    ("05_adaptive_tutor.bds", "essay_paths", ["curriculum_review"],
     ["This is session 1 of 5", "Skill in focus: find a claim"]),
    ("06_cross_cultural.bds", "money_across_cultures", ["judge cultural_fit"],
     ["Cultural notes:"]),
]


@pytest.mark.parametrize("spec,dataset,names,texts", CASES)
def test_category_prompts(spec, dataset, names, texts):
    plan = compile_path(ROOT / "specs" / spec).plan
    job = next(j for j in plan.jobs if j.dataset == dataset and not j.context.novel)
    prompts = dict(preview_prompts(plan, job))
    assert set(names) <= set(prompts)
    everything = "\n".join(prompts.values())
    for text in texts:
        assert text in everything
    assert "/\\b" not in everything  # no rule reaches a model as a regex


def test_novel_scenario_jobs_show_the_scenario_prompt():
    plan = compile_path(ROOT / "specs/03_socratic_method.bds").plan
    job = next(j for j in plan.jobs if j.context.novel)
    assert "novel_scenario" in dict(preview_prompts(plan, job))
