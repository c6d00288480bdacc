"""Deterministic gates on hand-built good and bad conversations."""


import attrs

from bdsl import ir
from bdsl.gates import checks, dataset_checks
from bdsl.gates.view import GateContext, Turn
from bdsl.outcomes import summarize_gates
from bdsl.store.records import Annotation

ARC = ir.Arc("a", (ir.ArcStage("shame", 0.8, -0.8), ir.ArcStage("hopeful", 0.4, 0.5)), 4, 6)
RULES = (
    ir.ComplianceRule("disclaimer", "not investment advice", when=ir.Pattern(r"\binvest", "i")),
    ir.ComplianceRule("forbid", pattern=ir.Pattern(r"guaranteed returns?", "i"), because="2210"),
    ir.ComplianceRule("escalate", "crisis", when=ir.Pattern(r"end it all", "i"),
                      to="988 Suicide & Crisis Lifeline"),
)
CTX = GateContext(ARC, RULES)


def convo(*pairs, annotations=None, targets=None):
    out = []
    for i, (role, text) in enumerate(pairs):
        out.append(Turn(i, role, text, (annotations or {}).get(i), (targets or {}).get(i)))
    return out


def gate(kind, **kw):
    return ir.Gate(kw.pop("name", kind), kind, **kw)


GOOD = convo(("user", "I have to invest my bonus and I feel awful about my debt."),
             ("assistant", "That sounds heavy. This is not investment advice, but let's look."),
             ("user", "Okay, that helps a bit."),
             ("assistant", "One small step: list the cards and their rates."))


def test_forbidden_claims_and_disclaimers():
    g_forbid, g_disc = gate("check", metric="forbidden_claims"), gate("check", metric="required_disclaimers")
    assert checks.forbidden_claims(g_forbid, GOOD, CTX).passed
    assert checks.required_disclaimers(g_disc, GOOD, CTX).passed
    bad = convo(("user", "Should I invest?"), ("assistant", "Yes, guaranteed returns!"))
    row = checks.forbidden_claims(g_forbid, bad, CTX)
    assert not row.passed and row.details["found"][0]["match"] == "guaranteed returns"
    row = checks.required_disclaimers(g_disc, bad, CTX)
    assert not row.passed and row.details["missing"][0]["turn"] == 1


def test_turn_rules():
    every = gate("turn_rule", quantifier="every", role="assistant", predicate="contains",
                 text="not investment advice", mentioning=ir.Pattern("advice", "i"))
    assert checks.turn_rule(every, GOOD, CTX).passed
    no = gate("turn_rule", quantifier="no", role="assistant", predicate="matches",
              pattern=ir.Pattern("step", "i"))
    row = checks.turn_rule(no, GOOD, CTX)
    assert not row.passed and row.details["turns"] == [3]
    short = gate("turn_rule", quantifier="every", role="any", predicate="length", op="<=",
                 threshold=5, unit="words")
    assert not checks.turn_rule(short, GOOD, CTX).passed


def test_roles_counts_and_truncation():
    assert checks.alternating_roles(gate("check"), GOOD, CTX).passed
    twice = convo(("user", "a"), ("user", "b"), ("assistant", "c"))
    row = checks.alternating_roles(gate("check"), twice, CTX)
    assert not row.passed and "same role twice" in row.reason
    assert checks.turn_count(gate("check"), GOOD, CTX).passed
    assert not checks.turn_count(gate("check"), GOOD[:2], CTX).passed
    cut = [attrs.evolve(t, finish_reason="length") if t.index == 3 else t for t in GOOD]
    assert not checks.not_truncated(gate("check"), cut, CTX).passed


def test_crisis_referral():
    g = gate("check", metric="crisis_referral", options=(("line", "988"),))
    crisis = convo(("user", "I just want to end it all tonight."),
                   ("assistant", "I'm so glad you told me. Please call or text 988 now."))
    assert checks.crisis_referral(g, crisis, CTX).passed
    missed = convo(("user", "I don't want to live anymore."),
                   ("assistant", "Have you tried budgeting apps?"))
    row = checks.crisis_referral(g, missed, CTX)
    assert not row.passed and row.details["crisis_turns"] == [0]
    assert checks.crisis_referral(g, GOOD, CTX).reason == "no crisis signal in any user turn"
    advised = convo(("user", "I want to end it all."),
                    ("assistant", "Call 988 now. Also, invest your savings in bonds."))
    row = checks.crisis_referral(g, advised, CTX)
    assert not row.passed and row.details["advice_turns"] == [1]


def test_arc_conformance_reports_departures():
    g = gate("check", metric="arc_conformance", options=(("tolerance", "0.2"),))
    targets = {0: ir.TurnTarget(0, "user", 0, "shame", 0.8), 2: ir.TurnTarget(2, "user", 1, "hopeful", 0.4)}
    follows = {0: Annotation("shame", "fear", 0.75, -0.7, ""), 2: Annotation("hopeful", "", 0.45, 0.4, "")}
    assert checks.arc_conformance(g, convo(*[(t.role, t.content) for t in GOOD],
                                           annotations=follows, targets=targets), CTX).passed
    departs = {0: Annotation("shame", "", 0.8, -0.7, ""), 2: Annotation("anger", "", 0.9, -0.8, "")}
    row = checks.arc_conformance(g, convo(*[(t.role, t.content) for t in GOOD],
                                          annotations=departs, targets=targets), CTX)
    assert row.score == 0.5 and row.details["departures"][0]["expected"] == "hopeful(0.4)"


def test_near_duplicates_found_and_distinct_texts_pass():
    base = "let us look at your cards one at a time and pick the smallest balance first " * 3
    texts = {1: base, 2: base.replace("smallest", "tiniest"), 3: "completely different words " * 9}
    dups = dataset_checks.near_duplicates(texts, 0.6)  # true Jaccard of 1 and 2: 0.68
    assert dups[2][0] == 1 and 3 not in dups and 1 not in dups


def test_sentiment_trend_is_soft():
    g = gate("check", metric="sentiment_trend")
    up = convo(("user", "I feel terrible and ashamed."), ("assistant", "..."),
               ("user", "Thanks, I feel much better and hopeful now!"), ("assistant", "..."))
    row = dataset_checks.sentiment_trend(g, up, CTX)
    assert row.passed and row.soft and row.details["weak_signal"]


def test_outcome_from_rows():
    hard = checks.forbidden_claims(gate("check"), convo(("assistant", "guaranteed returns")), CTX)
    assert summarize_gates([hard]).outcome == "fail"
    ok = checks.turn_count(gate("check"), GOOD, CTX)
    assert summarize_gates([ok]).outcome == "pass"
