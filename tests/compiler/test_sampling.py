"""`sample`: a share of cells is drawn per cell, so growing the matrix keeps every cell
already sampled (issue: adding a topic used to drop generated, reviewed conversations)."""

import pytest

from bdsl.compiler.pipeline import compile_path

SPEC = """
spec "s" version "1"
import std.arcs {{ confusion_to_clarity, fear_to_confidence }}
persona a : user {{ summary "a" }}
persona b : user {{ summary "b" }}
persona c : user {{ summary "c" }}
persona bot : assistant {{ summary "bot" }}
{topics}
dataset d {{
  model "fake/echo"
  assistant bot
  users [a, b, c]
  arcs [confusion_to_clarity, fear_to_confidence]
  topics [{names}]
  sample {sample}
}}
"""


def cells(tmp_path, n_topics: int, sample: str) -> set[str]:
    names = [f"t{i}" for i in range(n_topics)]
    text = SPEC.format(topics="\n".join(f'topic {n} "{n}"' for n in names),
                       names=", ".join(names), sample=sample)
    path = tmp_path / "s.bds"
    path.write_text(text)
    result = compile_path(path)
    assert result.ok, [d.message for d in result.diagnostics]
    return {j.key for j in result.plan.jobs}


def test_a_share_keeps_every_sampled_cell_as_the_matrix_grows(tmp_path):
    before = cells(tmp_path, 4, "40%")
    for grown in (5, 8, 12):
        after = cells(tmp_path, grown, "40%")
        assert before <= after
        assert len(after) > len(before)
        before = after
    # about 40% of 3 x 2 x 12 = 72 cells
    assert 18 <= len(before) <= 40


def test_a_count_takes_the_n_best_ranked_cells(tmp_path):
    three = cells(tmp_path, 4, "3")
    assert len(three) == 3
    assert three <= cells(tmp_path, 4, "5")  # a larger count only adds cells


@pytest.mark.parametrize("bad,code", [("0%", "E221"), ("99", "E221")])
def test_bad_samples_are_errors(tmp_path, bad, code):
    path = tmp_path / "s.bds"
    path.write_text(SPEC.format(topics='topic t0 "t0"', names="t0", sample=bad))
    assert code in {d.code for d in compile_path(path).diagnostics}
