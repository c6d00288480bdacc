"""Compliance rules reach prompts as sentences (never regexes) and carry the regulation
they implement, also in blocks that cite several."""

from bdsl.compiler.pipeline import compile_path
from bdsl.compiler.rule_words import regex_phrases

SPEC = '''
spec "c" version "1"
regulation "FINRA-2111" version "2024-06"
regulation "FINRA-2210" version "2023-11"
import std.arcs { confusion_to_clarity }
persona u : user { summary "u" }
persona bot : assistant { summary "bot" }
compliance rules {
  regulation ["FINRA-2111", "FINRA-2210"]
  forbid /\\bguaranteed? (returns?|profits?)\\b/i because "no promises" under "FINRA-2210"
  qualify "Ask about their time horizon." when /\\bshould I (buy|sell)\\b/i under "FINRA-2111"
  disclaimer "Not advice." when /\\b(stocks?|funds?)\\b/i
  %s
}
dataset d {
  model "fake/echo"
  assistant bot
  users [u]
  arcs [confusion_to_clarity]
  compliance [rules]
}
'''


def compile_text(tmp_path, extra=""):
    path = tmp_path / "c.bds"
    path.write_text(SPEC % extra)
    return compile_path(path)


def test_rules_are_sentences_with_their_regulation(tmp_path):
    result = compile_text(tmp_path)
    [block] = result.plan.compliance
    forbid, qualify, disclaimer = [next(r for r in block.rules if r.kind == k)
                                   for k in ("forbid", "qualify", "disclaimer")]
    assert forbid.regulations == ("FINRA-2210",)
    assert forbid.instruction == ('Never use wording like "guaranteed returns" or "guaranteed '
                                  'profits" (because no promises). [FINRA-2210]')
    assert qualify.regulations == ("FINRA-2111",)
    assert qualify.instruction.startswith("Before you answer anything about should I buy or "
                                          "should I sell, ask qualifying questions first.")
    # no `under` in a block citing two: both named, and a warning says so
    assert disclaimer.regulations == ("FINRA-2111", "FINRA-2210")
    assert [d.code for d in result.diagnostics] == ["W273"]
    for rule in block.rules:
        assert "/" not in rule.instruction and "\\\\b" not in rule.instruction


def test_under_must_name_a_cited_regulation(tmp_path):
    result = compile_text(tmp_path, 'forbid /x/ under "FINRA-2112"')
    [e] = [d for d in result.diagnostics if d.code == "E271"]
    assert "did you mean `FINRA-2111`" in e.hint


def test_unreadable_trigger_asks_for_words(tmp_path):
    result = compile_text(tmp_path, 'escalate "x" to "a lawyer" when /(?<=a)b+[^c]/ '
                                    'under "FINRA-2111"')
    assert "W272" in {d.code for d in result.diagnostics}
    worded = compile_text(tmp_path, 'escalate "x" to "a lawyer" when /(?<=a)b+[^c]/ '
                                    'about "lawsuits" under "FINRA-2111"')
    assert "W272" not in {d.code for d in worded.diagnostics}
    rule = next(r for r in worded.plan.compliance[0].rules if r.kind == "escalate")
    assert rule.instruction == ("When the person mentions lawsuits, refer them to a lawyer (x). "
                                "[FINRA-2111]")


def test_regex_phrases():
    assert regex_phrases(r"\b(invest\w*|stocks?|etf)\b") == ["invest", "stocks", "etf"]
    assert regex_phrases(r"\b(can't|cannot) lose\b") == ["can't lose", "cannot lose"]
    assert regex_phrases(r"(?=x).") is None
