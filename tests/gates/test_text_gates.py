"""Truncation, normalization, disclaimers, claims and safe regexes on hand-built
conversations (issue 8, bullets 2, 5 and 7)."""

import asyncio

import attrs
import pytest

from bdsl import ir
from bdsl.gates import checks, judge, saferegex, truncation
from bdsl.gates.text import digits, loose, normalize
from bdsl.gates.view import GateContext, Turn, turns_from_messages
from bdsl.store.records import CallRecord

FINANCE = ir.ComplianceRule("disclaimer", "This is general information, not financial advice.",
                            when=ir.Pattern(r"\b(invest\w*|stocks?|funds?|crypto)\b", "i"))
MEDICAL = ir.ComplianceRule("disclaimer", "I'm not a doctor, and this isn't medical advice.",
                            when=ir.Pattern(r"\b(medication|dose)\b", "i"))
FORBID = ir.ComplianceRule("forbid", pattern=ir.Pattern(r"\bguaranteed? (returns?|profits?)\b",
                                                        "i"), because="promissory")
CTX = GateContext(None, (FINANCE, MEDICAL, FORBID))


def gate(metric, **options):
    return ir.Gate(metric, "check", metric=metric, options=tuple(options.items()))


def chat(*texts):
    roles = ("user", "assistant")
    return [Turn(i, roles[i % 2], t) for i, t in enumerate(texts)]


# --- truncation -------------------------------------------------------------------------

def test_finish_reason_length_fails_per_message_and_per_record():
    msgs = [{"role": "user", "content": "hi"},
            {"role": "assistant", "content": "Sure. Here is the plan.", "finish_reason": "length"}]
    row = checks.not_truncated(gate("not_truncated"), turns_from_messages(msgs), CTX)
    assert not row.passed and not row.soft and row.details["turns"] == [1]
    msgs = [{"role": "system", "content": "s"}, {"role": "user", "content": "hi"},
            {"role": "assistant", "content": "Sure. Here is the plan."}]
    turns = turns_from_messages(msgs, finish_reason="length")  # record-level: the last message
    assert [t.finish_reason for t in turns] == ["", "length"]
    assert not checks.not_truncated(gate("not_truncated"), turns, CTX).passed


def test_stop_is_trusted_and_missing_reason_reads_the_text():
    cut = "That sounds really hard. One thing that might help is to"
    turns = chat("I lost my job.", cut)
    row = checks.not_truncated(gate("not_truncated"), turns, CTX)
    assert not row.passed and row.soft and row.details["suspected"][0]["turn"] == 1
    stopped = [attrs.evolve(t, finish_reason="stop") for t in turns]
    assert checks.not_truncated(gate("not_truncated"), stopped, CTX).passed


@pytest.mark.parametrize("text,style,why", [
    ("That sounds hard. Have you thought about your", None, "ends on 'your'"),
    ("Here are some ideas:", None, "ends with ':'"),
    ("Try this (it helps", None, "unclosed bracket"),
    ("He said \"call me", None, "unclosed quotation"),
    ("That sounds hard. Maybe talk to someone you", None,
     "last sentence has no closing punctuation"),
    ("It sounds like you'", True, "no closing punctuation, unlike the speaker's other turns"),
    ("It sounds like you'", None, None),  # one fragment, nothing to compare with
    ("It sounds like you'", False, None),  # a speaker who never closes sentences
])
def test_mid_sentence_endings(text, style, why):
    assert truncation.looks_cut(text, speaker_punctuates=style) == why


@pytest.mark.parametrize("text", [
    "That sounds hard.", "Could you tell me more?", "I'm here for you 💙", "Take care :)",
    "Ideas:\n- take a walk\n- call a friend", "He said \"stop.\"", "See you soon…",
])
def test_finished_endings(text):
    assert truncation.looks_cut(text, speaker_punctuates=True) is None


def test_a_casual_speaker_is_not_flagged_for_missing_full_stops():
    casual = chat("i lost my job", "Oh no, I'm sorry to hear that. How are you holding up",
                  "not great", "I hear you. Have you talked to anyone about it")
    assert checks.not_truncated(gate("not_truncated"), casual, CTX).passed
    punctuated = chat("i lost my job", "I'm sorry to hear that. How are you holding up?",
                      "not great", "I hear you. Have you talked to")
    assert not checks.not_truncated(gate("not_truncated"), punctuated, CTX).passed


def test_user_turns_are_not_read_for_truncation():
    turns = chat("ok so basically my boss", "I'm sorry. What happened?")
    assert checks.not_truncated(gate("not_truncated"), turns, CTX).passed


# --- normalization and disclaimers --------------------------------------------------------

def test_normalization_forms():
    assert normalize("I’m  “fine” — really\u200b") == "i'm \"fine\" - really"
    assert loose("This is general information — not financial advice!") == \
        "this is general information not financial advice"
    assert digits("call nine-eight-eight or 9 8 8") == "call 988 or 988"


@pytest.mark.parametrize("disclaimer", [
    "I’m not a doctor, and this isn’t medical advice.",     # curly apostrophes (the issue)
    "I'm not a doctor – and this isn't medical advice.",   # en dash for the comma
    "I'M NOT A DOCTOR, AND THIS ISN'T MEDICAL ADVICE",     # case, no full stop
])
def test_disclaimer_written_differently_counts(disclaimer):
    turns = chat("Can I change my dose?", f"Ask whoever prescribed it. {disclaimer}")
    assert checks.required_disclaimers(gate("required_disclaimers"), turns, CTX).passed


def test_domain_words_outside_the_trigger_go_to_review():
    turns = chat("What should I do with my bonus?", "An ETF that tracks the whole market is a "
                 "sensible start.")
    row = checks.required_disclaimers(gate("required_disclaimers"), turns, CTX)
    assert not row.passed and row.soft
    assert row.details["inferred"][0]["because"] == "domain word `etf`"
    everyday = chat("My sister and I argue.", "The bonds between siblings can take time to heal.")
    assert checks.required_disclaimers(gate("required_disclaimers"), everyday, CTX).passed


def test_trigger_word_without_disclaimer_fails_hard():
    turns = chat("Should I buy stocks?", "Stocks can be fine long term.")
    row = checks.required_disclaimers(gate("required_disclaimers"), turns, CTX)
    assert not row.passed and not row.soft and row.details["missing"][0]["turn"] == 1


def test_reworded_disclaimer_goes_to_review():
    turns = chat("Should I invest?", "Maybe. This is general info and not financial advice.")
    row = checks.required_disclaimers(gate("required_disclaimers"), turns, CTX)
    assert not row.passed and row.soft and row.details["reworded"]


# --- forbidden claims ---------------------------------------------------------------------

@pytest.mark.parametrize("reply,context", [
    ("No investment offers guaranteed returns, so be careful.", "warned"),
    ("There are no guaranteed returns in the stock market.", "negated"),
    ("I can't promise guaranteed returns; nobody honestly can.", "negated"),
    ("If anyone promises you guaranteed returns, treat it as a red flag.", "warned"),
])
def test_negated_and_warned_claims_are_ignored(reply, context):
    row = checks.forbidden_claims(gate("forbidden_claims"), chat("Is it safe?", reply), CTX)
    assert row.passed and row.details["ignored"][0]["context"] == context


@pytest.mark.parametrize("reply", [
    "Your cousin said the scheme has “guaranteed returns” – what did he mean?",
    "When the ad says 'guaranteed profit', how does that make you feel?",
])
def test_quoted_and_reported_claims_go_to_review(reply):
    row = checks.forbidden_claims(gate("forbidden_claims"), chat("Is it safe?", reply), CTX)
    assert not row.passed and row.soft and row.details["review"]


@pytest.mark.parametrize("reply", [
    "This fund has guaranteed returns of 8% a year.",
    "You’ll see guaranteed   returns if you hold it.",   # spacing
    "That’s a guaranteed\nreturn on your money.",        # newline
])
def test_asserted_claims_fail_in_any_spacing(reply):
    row = checks.forbidden_claims(gate("forbidden_claims"), chat("Is it safe?", reply), CTX)
    assert not row.passed and not row.soft


class Journal:
    def __init__(self, reply):
        self.reply = reply

    async def call(self, job_key, content_hash, step, turn_index, attempt, request):
        return CallRecord("h", step, turn_index, attempt, request.model, "{}", self.reply,
                          "stop", "ok", 1, 1, 0.0, 0.0, id=7), False


def test_paraphrased_claims_reach_review_only_through_the_judged_layer():
    import json

    from bdsl.gates import screen

    turns = chat("Is it safe?", "You literally cannot lose money with this fund. "
                 "This is general information, not financial advice.")
    lexical = checks.forbidden_claims(gate("forbidden_claims"), turns, CTX)
    assert lexical.passed  # out of reach of the regex, and the docs say so
    verdict = json.dumps({"crisis_turns": [], "claim_turns": [
        {"turn": 1, "rule": 0, "evidence": "cannot lose money"}]})
    s = asyncio.run(screen.screen(turns, CTX.compliance, "m", Journal(verdict), "k", "h"))
    row = checks.forbidden_claims(gate("forbidden_claims", screen="judged"), turns,
                                  attrs.evolve(CTX, screen=s))
    assert not row.passed and row.soft
    assert row.details["review"][0] == {"turn": 1, "match": "cannot lose money",
                                        "because": "promissory", "context": "paraphrase",
                                        "layer": "judge"}


# --- safe regexes and the judge operator ------------------------------------------------

def test_a_catastrophic_regex_times_out_into_a_soft_result(monkeypatch):
    monkeypatch.setattr(saferegex, "REGEX_TIMEOUT_S", 0.05)
    rule = ir.Gate("words", "turn_rule", quantifier="every", role="user", predicate="matches",
                   pattern=ir.Pattern(r"(a|aa)+$"))
    turns = chat("a" * 40 + "b", "ok.")
    row = checks.turn_rule(rule, turns, CTX)
    assert not row.passed and row.soft and row.details["regex_timeout"] == "(a|aa)+$"


def test_the_issue_regex_finishes_fast():
    rule = ir.Gate("words", "turn_rule", quantifier="every", role="user", predicate="matches",
                   pattern=ir.Pattern(r"^(\w+\s?)+$"))
    sentence = "I feel like nobody at work listens to me and I am so tired now!!"
    assert len(sentence) > 60
    row = checks.turn_rule(rule, chat(sentence, "ok."), CTX)
    assert not row.passed and not row.soft  # answered (no match), not timed out


def test_user_regex_sees_normalized_text_too():
    rule = ir.Gate("r", "turn_rule", quantifier="no", role="assistant", predicate="matches",
                   pattern=ir.Pattern(r"don't worry"))
    assert not checks.turn_rule(rule, chat("hi", "Don’t worry, don’t worry."), CTX).passed


@pytest.mark.parametrize("op,score,passed", [(">", 0.8, False), (">=", 0.8, True),
                                             (">", 0.81, True)])
def test_judge_operator_is_the_one_written(op, score, passed):
    g = ir.Gate("empathy", "judge", metric="empathy", op=op, threshold=0.8)
    from tests.gates.test_judge import INPUT

    row = asyncio.run(judge.judge(g, 0.8, chat("hi", "hello."), INPUT, "m",
                                  Journal(f'{{"score": {score}, "reason": "r"}}'), "k", "h"))
    assert row.passed is passed


SPEC = """spec "w" version "1.0.0"
persona coach : assistant {{ summary "A coach." }}
persona u : user {{ summary "Someone." }}
topic t "T"
compliance c {{ forbid /(a+)+b/ because "x" }}
gate words_only: every user turn matches /^(\\w+\\s?)+$/
gate safety: crisis_referral line "988" screen "{screen}"
dataset d {{
  model "fake/echo"
  assistant coach
  users [u]
  arcs [std.arcs.confusion_to_clarity]
  topics [t]
  compliance [c]
  gates [words_only, safety]
}}
"""


def test_check_warns_about_nested_quantifiers_and_checks_screen_values(tmp_path):
    from bdsl.compiler.pipeline import check_path

    path = tmp_path / "s.bds"
    path.write_text(SPEC.format(screen="judged"))
    result = check_path(str(path))
    assert result.ok
    warned = sorted((d.code, d.span.line) for d in result.diagnostics if d.code == "W229")
    assert warned == [("W229", 5), ("W229", 6)]
    path.write_text(SPEC.format(screen="magic"))
    result = check_path(str(path))
    assert not result.ok
    [bad] = [d for d in result.diagnostics if d.code == "E221"]
    assert bad.message == '`screen` is one of "lexical", "judged"'
