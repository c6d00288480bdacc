"""reply_language fails a reply in the wrong language (the model replied in English to a
Hindi culture pack and nothing noticed)."""

from bdsl import ir
from bdsl.gates.language import reply_language
from bdsl.gates.view import GateContext, Turn

HI = ir.Culture("hi_in", "hi-IN", "Hindi")
GATE = ir.Gate("reply_language", "check", metric="reply_language")


def convo(reply: str):
    return [Turn(0, "user", "मुझे पैसों की बहुत चिंता है।"), Turn(1, "assistant", reply)]


def test_an_english_reply_to_a_hindi_pack_fails():
    row = reply_language(GATE, convo("I understand how hard this is; let's look at your budget "
                                     "together, one step at a time."), GateContext(culture=HI))
    assert not row.passed and not row.soft
    assert row.details["wrong"][0]["detected"] == "english"


def test_a_hindi_reply_passes():
    row = reply_language(GATE, convo("मैं समझता हूँ कि यह आपके लिए कितना कठिन है। चलिए साथ मिलकर "
                                     "आपके बजट को एक-एक कदम देखते हैं।"), GateContext(culture=HI))
    assert row.passed and row.details["expected"] == "hindi"


def test_short_replies_are_skipped_not_guessed():
    row = reply_language(GATE, convo("Ok."), GateContext(culture=HI))
    assert row.passed and row.soft and row.details["skipped"] == [1]


def test_no_culture_is_not_applicable():
    assert reply_language(GATE, convo("Hello there, how are you?"), GateContext()).passed
