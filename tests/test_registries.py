"""Each extension point is one table; everything else derives from it. These tests keep
the tables complete (every entry loads) and the docs in step with them."""

import inspect
import re

from bdsl.compiler.schema import KINDS
from bdsl.engine.kinds import runner
from bdsl.export.formats import FORMATS, writer
from bdsl.gates.catalog import CHECKS, JUDGE_METRICS, Scope, check_function
from bdsl.kinds import JOB_KINDS, JobKind
from tests.conftest import ROOT


def test_every_job_kind_has_a_runner():
    assert set(JOB_KINDS) == set(JobKind)
    for kind in JobKind:
        assert inspect.iscoroutinefunction(runner(kind))


def test_schema_choices_come_from_the_tables():
    dataset = KINDS["dataset"]
    assert dataset.field("kind").type == "choice:" + "|".join(JobKind)
    assert dataset.field("export").type == "list:choice:" + "|".join(FORMATS)


def test_every_check_loads_and_is_documented():
    docs = (ROOT / "docs" / "gates.md").read_text(encoding="utf-8")
    for name, spec in CHECKS.items():
        fn = check_function(name)
        params = list(inspect.signature(fn).parameters)
        assert params == (["gate", "conversations"] if spec.scope == Scope.DATASET
                          else ["gate", "turns", "ctx"]), name
        assert f"`{name}" in docs, f"docs/gates.md does not describe `{name}`"
    for metric in JUDGE_METRICS:
        assert metric in docs, f"docs/gates.md does not name judged metric {metric}"


def test_every_judged_metric_has_a_rubric():
    from bdsl.gates.judge import rubrics

    assert set(JUDGE_METRICS) <= set(rubrics())


def test_every_format_loads_and_is_documented():
    docs = (ROOT / "docs" / "exports.md").read_text(encoding="utf-8")
    sections = set(re.findall(r"^### (\S+)", docs, re.M))
    for name in FORMATS:
        assert callable(writer(name))
        assert name in sections, f"docs/exports.md has no section for {name}"
