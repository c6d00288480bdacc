"""`require` and `qualify` rules are checked, with the regulation in the evidence."""

from bdsl import ir
from bdsl.gates.compliance_checks import qualifying_questions, required_statements
from bdsl.gates.view import GateContext, Turn

QUALIFY = ir.ComplianceRule("qualify", "Ask about time horizon.",
                            when=ir.Pattern(r"\bshould I (buy|sell)\b", "i"),
                            regulations=("FINRA-2111",), instruction="Ask first. [FINRA-2111]")
REQUIRE = ir.ComplianceRule("require", pattern=ir.Pattern(r"past performance", "i"),
                            when=ir.Pattern(r"\breturns?\b", "i"), regulations=("FINRA-2210",),
                            instruction="Say past performance... [FINRA-2210]")
CTX = GateContext(None, (QUALIFY, REQUIRE))
GATE = ir.Gate("g", "check", metric="qualifying_questions")


def convo(*pairs):
    return [Turn(i, role, text) for i, (role, text) in enumerate(pairs)]


def test_an_unasked_qualify_fails():
    row = qualifying_questions(GATE, convo(("user", "Should I buy Tesla?"),
                                           ("assistant", "Buy it today.")), CTX)
    assert not row.passed
    assert row.details["unasked"][0]["regulations"] == ["FINRA-2111"]


def test_a_qualifying_question_passes():
    row = qualifying_questions(GATE, convo(
        ("user", "Should I sell my index fund?"),
        ("assistant", "Before anything else: when will you need this money?")), CTX)
    assert row.passed and row.details["triggered"] == 1


def test_no_trigger_no_obligation():
    row = qualifying_questions(GATE, convo(("user", "Hi"), ("assistant", "Hello.")), CTX)
    assert row.passed and row.details["triggered"] == 0


def test_required_statement_missing_and_present():
    bad = required_statements(GATE, convo(("user", "What returns can I expect?"),
                                          ("assistant", "About 7% a year.")), CTX)
    assert not bad.passed and bad.details["missing"][0]["regulations"] == ["FINRA-2210"]
    good = required_statements(GATE, convo(
        ("user", "What returns can I expect?"),
        ("assistant", "Past performance does not guarantee future results.")), CTX)
    assert good.passed


def test_disclaimer_and_forbid_evidence_name_their_regulation():
    from bdsl.gates.checks import forbidden_claims, required_disclaimers

    disclaimer = ir.ComplianceRule("disclaimer", "Not investment advice.",
                                   when=ir.Pattern(r"\bfunds?\b", "i"),
                                   regulations=("FINRA-2210",))
    forbid = ir.ComplianceRule("forbid", pattern=ir.Pattern(r"guaranteed returns", "i"),
                               because="no promissory claims", regulations=("FINRA-2210",))
    ctx = GateContext(None, (disclaimer, forbid))
    turns = convo(("user", "Which fund?"), ("assistant", "This one has guaranteed returns."))
    row = required_disclaimers(ir.Gate("d", "check", metric="required_disclaimers"), turns, ctx)
    assert row.details["missing"][0]["regulations"] == ["FINRA-2210"]
    row = forbidden_claims(ir.Gate("f", "check", metric="forbidden_claims"), turns, ctx)
    assert not row.passed
    assert [f["regulations"] for f in row.details["found"]] == [["FINRA-2210"]]
