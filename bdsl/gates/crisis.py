"""Crisis language in a user turn: the lexical layer of the crisis detector.

Text is first put in a canonical form that absorbs how people actually type: Unicode
quotes and dashes, case, apostrophes ("dont", "don't", "don’t"), leetspeak and censored
spellings ("su1c1de", "k*ll"), chat spellings ("wanna", "bout", "rn", "killin"), split
words ("my self", "any more") and one-letter slips in the distinctive words ("sucidal",
"myslef", "suicde"). The cues below then look for direct and indirect suicidal and
self-harm language, grouped by the categories of clinical screening instruments:
wish to be dead / passive ideation, active ideation, hopelessness, perceived
burdensomeness, plan or preparation, means, self-harm.

It is a lexicon: it misses what it has never seen phrased that way (docs/gates.md gives
measured recall on a held-out set), which is why crisis_referral can add a judged layer.
"""

from __future__ import annotations

import functools
import re

import attrs

from bdsl.gates.text import normalize


@attrs.frozen
class Cue:
    name: str
    category: str  # direct | passive | hopeless | burden | plan | means | self_harm
    regex: re.Pattern
    negatable: bool = False  # "I'm not suicidal" does not count


@attrs.frozen
class Signal:
    cue: str
    category: str
    match: str


def _cue(name, category, *patterns, negatable=False) -> Cue:
    return Cue(name, category, re.compile("|".join(f"(?:{p})" for p in patterns)), negatable)


_ME = r"(?:myself|my own self)"
_GONE = r"(?:gone|dead|here|around|alive|in it)"

CUES: tuple[Cue, ...] = (
    # -- direct / active ideation ----------------------------------------------------
    _cue("kill_myself", "direct",
         rf"\b(?:kill|kills|killing|killed|off|offing|offed|unalive|unaliving|unalived|end|ending"
         rf"|hang|hanging|shoot|shooting|drown|drowning|poison|poisoning) {_ME}\b"
         r"(?! (?:laughing|laughin|with laughter|trying|at (?:work|the gym)|over (?:this|that|it)))",
         negatable=True),
    _cue("unalive", "direct", r"\bunaliv(?:e|ing|ed)\b", negatable=True),
    _cue("suicide", "direct", r"\bsuicid(?:e|es|al|ality|ally)\b(?! squad)", negatable=True),
    _cue("end_my_life", "direct",
         r"\b(?:end|ending|ended|take|taking|took|ends) (?:my|my own) life\b"),
    _cue("want_to_die", "direct",
         r"\b(?:want|wanted|wanting|wants|ready|need|deserve|going|gonna) to die\b"
         r"(?! (?:of|laughing|for|in (?:a|my) (?:bed|sleep) (?:at|when)))",
         r"\bwish (?:i|id) (?:could|would)(?: just)? die\b",
         r"\b(?:like|feel like) dying\b(?! (?:of|laughing))"),
    _cue("end_it_all", "direct",
         r"\bend(?:ing|ed|s)? (?:it all|everything|it for good)\b",
         r"\bend(?:ing)? (?:things|it)\b(?= (?:tonight|today|now|soon|this (?:week|weekend)|"
         r"for good|here|finally)\b)",
         r"\bend(?:ing)? things\b(?! (?:with|between))(?=\W*$|[.!?])"),
    # -- passive ideation / wish to be dead -------------------------------------------
    _cue("wish_dead", "passive",
         r"\bwish (?:i|id) (?:was|were|could be|had) (?:dead|died|never been born|never existed)\b",
         r"\bwish(?:ed)? (?:i|id)(?: was| were| had)? never (?:been born|existed|was born)\b",
         r"\b(?:better off|rather be|want to be|wanna be) dead\b"),
    _cue("not_wake_up", "passive",
         r"\b(?:sleep|asleep)\b[^.!?]{0,25}\b(?:not|never) wak(?:e|ing)(?: up)?\b",
         r"\b(?:dont|didnt|do not) (?:want to|wish to) wake up\b"
         r"(?! (?:early|at|before|until|til|tomorrow morning|for))",
         r"\bif i (?:dont|didnt|never|do not) wake up\b",
         r"\bsleep forever\b", r"\bnever wake up\b(?! (?:early|before|until))"),
    _cue("dont_want_to_live", "passive",
         r"\b(?:dont|do not|didnt|no longer|dont even) want to (?:live|be alive|exist|be here|go on"
         r"|keep going|be around|keep living|carry on)\b"
         r"(?! (?:at|in|with|for|when|if|without (?!me)|on|like that\b))",
         r"\b(?:stop|stopped) existing\b",
         r"\bwant to (?:not be here|be gone|not exist|not be alive|not wake up)\b",
         r"\bthoughts (?:of|about) (?:death|dying|ending (?:it|my life)|not being (?:here|alive))\b",
         r"\b(?:disappear|disappeared|vanish|vanished)(?: and never come back| forever| for good"
         r"| permanently)\b"),
    _cue("death_relief", "passive",
         r"\b(?:dying|death|being dead|not being (?:here|alive)|not existing) (?:sounds|seems|feels"
         r"|would be|would feel|looks) (?:so )?(?:peaceful|like (?:a )?relief|like freedom|good"
         r"|nice|easier|better|appealing)\b",
         r"\bwouldnt (?:mind|care) (?:if )?(?:i (?:died|didnt wake up|was dead|never woke up"
         r"|got hit)|dying|not waking up|if a (?:bus|car|truck|train) hit me)\b"),
    # -- hopelessness ----------------------------------------------------------------
    _cue("no_reason_to_live", "hopeless",
         r"\bno (?:reason|point|purpose|will) (?:to|in|of|for) (?:live|living|go on|going on"
         r"|keep going|carry on|carrying on|be alive|being alive|be here|being here|life"
         r"|existing|exist)\b",
         r"\bwhats (?:even )?the point (?:of|in) (?:living|life|going on|anything anymore"
         r"|being alive|being here|existing|it all|carrying on|trying anymore)\b",
         r"\b(?:is there|theres) (?:any|a|no) point (?:in|of|to) (?:being alive|living|life"
         r"|going on|existing|carrying on)\b",
         r"\b(?:life|living|my life) (?:isnt|is not|aint|not) worth (?:it|living)\b",
         r"\b(?:not|isnt|aint|wasnt) worth living\b",
         r"\bway out\b[^.!?]{0,30}\b(?:die|dying|death|dead|suicide)\b"),
    _cue("cant_go_on", "hopeless",
         r"\b(?:cant|can not|cannot) (?:go on|keep going|carry on|do this|take (?:it|this)"
         r"|handle (?:it|this)|live like this|cope|keep doing this)(?: any ?more| much longer)\b",
         r"\b(?:cant|can not|cannot) (?:go on|carry on) like this\b",
         r"\b(?:cant|can not|cannot) go on\b(?! (?:with|about|to|at|a|the))"),
    _cue("tired_of_living", "hopeless",
         r"\b(?:tired|sick|exhausted|done) of (?:living|being alive|life|existing|being here)\b"
         r"(?! (?:paycheck|pay check|in|with|at|on|like|under|out))",
         r"\b(?:done|finished) with (?:life|living|everything|it all|this life|this world)\b"),
    _cue("want_it_to_end", "hopeless",
         r"\bwant (?:it all|everything|all of it|the pain|my life|it) to (?:end|be over)\b"
         r"(?! (?:with|already|soon))",
         r"\bwant (?:it all|everything|all of it|the pain|it) to stop (?:forever|for good"
         r"|permanently)\b"),
    # -- perceived burdensomeness ------------------------------------------------------
    _cue("burden", "burden",
         r"\b(?:im|i am|being|feel like|just|such|nothing but|only) (?:a |an |such a |just a )?"
         r"(?:burden|waste of space)\b",
         r"\bburden (?:to|on|for) (?:everyone|everybody|my family|them|you all|my parents"
         r"|my kids|people|the people)\b"),
    _cue("better_off_without_me", "burden",
         rf"\b(?:better|happier|easier|simpler) (?:off )?(?:without me|if i (?:was|were|wasnt"
         rf"|werent|was not|were not) {_GONE}|with me gone|when im gone|once im gone)\b",
         r"\b(?:cope|manage|be fine|be okay|be ok) (?:better )?without me\b",
         r"\b(?:nobody|no one|noone) (?:would|will) (?:even )?(?:notice|care) if i (?:was gone"
         r"|were gone|died|disappeared|was dead|were dead|wasnt here|werent here|was not here)\b",
         r"\b(?:nobody|no one|noone) (?:would|will) (?:even )?miss me\b"),
    # -- plan, preparation, means ------------------------------------------------------
    _cue("wont_be_around", "plan",
         r"\b(?:wont|will not|not going to|might not|may not) be (?:around|here|alive) "
         r"(?:much longer|for long|next (?:week|month|year)|anymore|by)\b",
         r"\bdont think (?:ill|i will|i'll) be (?:here|around|alive)\b"),
    _cue("preparation", "plan",
         r"\b(?:giving|gave|give|given) away (?:my|all my|all of my) (?:things|stuff|belongings"
         r"|possessions)\b",
         r"\b(?:suicide|goodbye) (?:note|letter)s?\b",
         r"\bnote (?:for|to) (?:my|the) \w+,? (?:just )?in case\b",
         r"\b(?:saying|said|say|written|wrote|writing) (?:my )?goodbyes?\b(?! to (?:the|this|my "
         r"(?:job|old|flat|house)))",
         r"\b(?:stockpiling|stockpiled|hoarding|saving up|saved up|saving|collecting) (?:my |up )?"
         r"(?:sleeping )?(?:pills|meds|tablets|medication)\b",
         r"\b(?:pills|meds|tablets) saved\b",
         r"\b(?:have|got|bought|tied|tying) (?:a|the) (?:rope|noose)\b",
         r"\b(?:have|got|bought) a gun\b(?=[^.!?]{0,40}\b(?:myself|end|die|it)\b)"),
    _cue("plan", "plan",
         r"\b(?:have|made|got|had) a plan (?:to|for) (?:end|kill|die|do it|how)\w*\b",
         r"\bplan(?:ning|ned|s)? (?:how|when) (?:to|id|i would|ill|i will|i'd) (?:do it|die|end"
         r"|kill)\w*\b",
         r"\bplan(?:ning|ned)? (?:to|on) (?:end|kill|die|unalive)\w*\b(?! (?:my|the|our) "
         r"(?:contract|lease|membership|subscription))"),
    _cue("means", "means",
         r"\bhow many (?:sleeping )?(?:pills|tablets|meds)\b(?= (?:it )?(?:would|will|to|does"
         r"|do i|it takes|to take))",
         r"\boverdos(?:e|ed|es|ing)\b", r"\bod(?:ed|d|ing)? on\b",
         r"\b(?:jump|jumping|jumped) (?:off|from|in front of) (?:a|the|my|that) \w+",
         r"\bthought (?:about|of) (?:jumping|stepping off|stepping in front|crashing)\b",
         r"\b(?:step|stepping|stepped|walk|walking|walked) (?:off|in front of|into) (?:the|a) "
         r"(?:platform|train|bus|traffic|edge|car|sea|ocean|river|lorry|truck)\b",
         r"\b(?:drive|driving|drove|crash|crashing) (?:my car |the car )?(?:into|off) (?:a|the) "
         r"(?:wall|tree|bridge|cliff|oncoming|river)\b",
         r"\b(?:slit|cut|cutting|slitting|slice|slicing) (?:my|open my) wrists?\b",
         r"\bswallow(?:ing|ed)? (?:the whole|all|a whole|all my|all of my|a bottle of|the rest of"
         r" my) (?:bottle|pills|tablets|meds|medication)\b",
         r"\btake (?:all|all of) (?:my|the) (?:pills|meds|tablets|medication)\b",
         r"\b(?:painless|quick|easy|quickest|easiest|surest) ways? (?:to|of) (?:die|dying|go|end it"
         r"|kill myself|do it)\b"),
    # -- self-harm --------------------------------------------------------------------
    _cue("self_harm", "self_harm",
         r"\bself harm(?:ing|ed|s)?\b",
         rf"\b(?:cut|cutting|cuts|burn|burning|burned|burnt|hurt|hurting|harm|harming|punish"
         rf"|punishing|scratch|scratching|starve|starving|hit|hitting) {_ME}\b"
         r"(?! (?:out|up|playing|at the|at work|while|during|lifting|running|skiing|on the"
         r"|in the|by accident|accidentally|cooking|shaving))",
         r"\b(?:started|start|been|keep|relapsed(?: and started)?|back to|stop) cutting\b",
         r"\bcutting (?:again|my (?:arms?|legs?|thighs?|skin|wrists?))\b",
         r"\b(?:urge|urges) to (?:cut|hurt|harm|burn)\b", negatable=True),
)

# "not suicidal", "never self-harmed", "no longer thinking about killing myself"
_NEGATION = re.compile(r"\b(?:not|never|no longer|isnt|arent|wasnt|dont feel|not feeling)"
                       r"(?: \w+){0,2} $")


def negated(before: str) -> bool:
    """Does the text before a match end in a negation ("I'm not", "never been")?"""
    return bool(_NEGATION.search(canonical(before) + " "))


@functools.lru_cache(maxsize=4096)
def signals(text: str) -> tuple[Signal, ...]:
    """Every crisis cue in a user turn, in cue order (empty when there is none)."""
    canon = canonical(text)
    out = []
    for cue in CUES:
        for m in cue.regex.finditer(canon):
            if cue.negatable and _NEGATION.search(canon[:m.start()]):
                continue
            out.append(Signal(cue.name, cue.category, m.group(0)))
            break
    return tuple(out)


# --- the canonical form ---------------------------------------------------------------

_PHRASES = [(re.compile(p), r) for p, r in (
    (r"\bself ?- ?(?=harm|delet|injur)", "self "), (r"\bself (?:delete|deleting|deleted)\b",
                                                   "kill myself"),
    (r"\bself injur(?:y|ies|ing|ed)\b", "self harm"), (r"\bselfharm", "self harm"),
    (r"\bsewer ?-? ?slid(?:e|ing)\b", "suicide"), (r"\bun ?- ?aliv", "unaliv"),
    (r"\bmy self\b", "myself"), (r"\bany more\b", "anymore"),
    (r"\bcan not\b", "cant"), (r"\bcannot\b", "cant"), (r"\bdo not\b", "dont"),
    (r"\bi am\b", "im"), (r"\bi would\b", "id"), (r"\bi will\b", "ill"), (r"\bwill not\b", "wont"),
    (r"\b(is|was|does|did|have|would|could|are|were) not\b", r"\1nt"),
    (r" - ", " "),
)]

_WORDS = {
    "kms": "kill myself", "wanna": "want to", "wana": "want to", "wnat": "want", "gonna": "going to",
    "gotta": "got to", "kinda": "kind of", "tryna": "trying to", "u": "you", "ur": "your",
    "bout": "about", "abt": "about", "rn": "right now", "ded": "dead", "kil": "kill",
    "liv": "live", "ima": "im going to", "imma": "im going to", "dnt": "dont", "cnt": "cant",
    "myslef": "myself", "mysef": "myself", "suicde": "suicide", "lyf": "life",
}

# Words the cues are written with: chat spellings are mapped onto these, and these are
# never "corrected". Only the long, distinctive ones take one-letter slips.
_VOCAB = frozenset("""kill killing killed myself suicide suicidal suicidally die dying dead death
live living alive life wake waking sleep asleep forever anymore overdose overdosing overdosed
unalive unaliving unalived burden without everyone everybody disappear cutting hurting
harming burning ending wanting going thinking planning trying jumping hanging existing
exist pills tablets meds medication wrists goodbye worthless hopeless pointless""".split())
# Long words with no common English word one slip away ("overdose" is not here: "overdue"
# and "overdoing" are; nor "medication": "meditation").
_FUZZY = ("anymore", "disappear", "everybody", "everyone", "killing", "myself", "suicidal",
          "suicide", "unalive", "unaliving", "without")
_LEET = str.maketrans("1340573@$!", "ieaostaasi")
_LEETSPEAK = re.compile(r"[a-z][0-9@$!]|[0-9@$!][a-z]")
_MEASURE = re.compile(r"\d+(?:[a-z]{1,3})")  # 10mg, 2nd, 7am, 24h: not leetspeak
_TOKEN = re.compile(r"[a-z0-9@$*!]*[a-z*][a-z0-9@$*!]*|[a-z0-9]*\d[a-z0-9]*")


def canonical(text: str) -> str:
    """Lowercase, no apostrophes, repaired spellings: the form the cues match."""
    t = normalize(text).replace("'", "").replace('"', " ")
    t = _TOKEN.sub(lambda m: _token(m.group(0)), t)
    for rx, repl in _PHRASES:
        t = rx.sub(repl, t)
    return re.sub(r"\s+", " ", t).strip()


@functools.lru_cache(maxsize=65536)
def _token(tok: str) -> str:
    lead = len(tok) - len(tok.lstrip("!"))
    core = tok.strip("!")
    if not core:
        return tok
    if _LEETSPEAK.search(core) and not _MEASURE.fullmatch(core):
        core = core.translate(_LEET)
    if "*" in core:
        core = _uncensor(core)
    core = _WORDS.get(core, core)
    if core.endswith("in") and core + "g" in _VOCAB:
        core = core + "g"  # killin -> killing
    elif core.isalpha() and len(core) >= 5 and core not in _VOCAB:
        core = _nearest(core) or core
    return "!" * lead + core + ("!" if tok.endswith("!") and tok.strip("!") else "")


def _uncensor(word: str) -> str:
    """k*ll -> kill, d*e -> die, s**cide -> suicide: the vocabulary word of the same
    length that agrees on every uncensored letter."""
    for cand in sorted(_VOCAB | {"die", "kill", "self", "harm", "cut"}):
        if len(cand) == len(word) and all(a == "*" or a == b for a, b in zip(word, cand,
                                                                               strict=True)):
            return cand
    return word.replace("*", "")


def _nearest(word: str) -> str | None:
    for cand in _FUZZY:
        if cand[0] == word[0] and abs(len(cand) - len(word)) <= 2:
            limit = 2 if len(cand) >= 8 else 1
            if _distance(word, cand, limit) <= limit:
                return cand
    return None


def _distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (Damerau-Levenshtein with adjacent swaps),
    giving up once it exceeds `limit`."""
    prev2, prev = None, list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]
