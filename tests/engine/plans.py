"""Small hand-built Plans (IR constructors) and an in-test completer for engine tests."""

from __future__ import annotations

import asyncio
import json

import attrs

from bdsl import ir
from bdsl.engine.port import CallRequest, CallResult, CallTruncated
from bdsl.engine.prompts import std_templates
from bdsl.serialize import canonical_hash, to_data

EMOTIONS = (
    ir.Emotion("shame", "complex", "", -0.7, 0.5),
    ir.Emotion("hope", "complex", "", 0.6, 0.5),
    ir.Emotion("fear", "fear", "mid", -0.6, 0.7),
)
ELENA = ir.Persona("elena", "assistant", "A warm, direct money coach.", display_name="Elena",
                   traits=(ir.Trait("warmth", 0.9),), signature_phrases=("one step at a time",),
                   boundaries=("promise returns",), principles=("name the feeling first",))
AVOIDER = ir.Persona("avoider", "user", "Avoids opening statements; ashamed of debt.",
                     baseline=ir.EmotionPoint("shame", 0.8))
ARC = ir.Arc("shame_to_hope", (ir.ArcStage("shame", 0.8, -0.7), ir.ArcStage("hope", 0.5, 0.6)),
             4, 4)
TOPIC = ir.Topic("debt", "Credit card debt")
STRATEGIES = (ir.Strategy("validate", "Name and normalize the feeling.", 0.7, 1.0),
              ir.Strategy("plan", "Agree one small next step.", 0.0, 0.7))
CULTURE = ir.Culture("es_mx", "es-MX", "Spanish", politeness="high")
COMPLIANCE = ir.Compliance("finra", (
    ir.ComplianceRule("disclaimer", "Not a guarantee of future results.",
                      when=ir.Pattern("invest", "i"), about="investing",
                      instruction='Whenever the conversation touches on investing, include this '
                                  'disclaimer: "Not a guarantee of future results."'),
    ir.ComplianceRule("escalate", to="988 Suicide & Crisis Lifeline",
                      when=ir.Pattern("hopeless|suicid", "i"), about="hopelessness or suicide",
                      instruction="When the person mentions hopelessness or suicide, refer them "
                                  "to 988 Suicide & Crisis Lifeline."),
    ir.ComplianceRule("forbid", "promise returns", pattern=ir.Pattern("guaranteed", "i"),
                      meaning="promise guaranteed returns",
                      instruction="Never promise guaranteed returns.")))
PERSPECTIVES = (ir.Perspective("surgeon", "Orthopedic surgeon", focus="surgical outcomes",
                               blind_spots=("nutrition",)),
                ir.Perspective("physio", "Physiotherapist", focus="function"),
                ir.Perspective("nutritionist", "Nutritionist", focus="diet"))
DELIB = ir.Panel("knee", "deliberation", ("surgeon", "physio", "nutritionist"),
                 protect_minority=True)
EXPLICIT = ir.Panel("knee_explicit", "explicit", ("surgeon", "physio", "nutritionist"), show=2)
METHOD = ir.Methodology("socratic_money", "Questions before answers.", ("ask first",),
                        conventional="give a generic list of tips", contrastive=True,
                        meta_commentary=True)
CURRICULUM = ir.Curriculum("essay", 2, 0.2, 0.8, "thesis is arguable and specific",
                           skills=("find a claim", "narrow the claim"),
                           learner_states=("flow",), turns_per_session=(2, 2),
                           adapt=(("boredom", 0.2), ("flow", 0.2), ("mastered", 0.2),
                                  ("overload", -0.15), ("productive_struggle", 0.0)))
MODEL = ir.ModelConfig("fake/echo", temperature=0.7, max_tokens=64)

TWO = (ir.TurnTarget(0, "user", 0, "shame", 0.8, -0.7),
       ir.TurnTarget(1, "assistant", 0, strategy="validate"))
FOUR = TWO + (ir.TurnTarget(2, "user", 1, "hope", 0.5, 0.6),
              ir.TurnTarget(3, "assistant", 1, strategy="plan"))


def job(key: str, kind: str = "conversation", turns=FOUR, model=MODEL, seed: int = 7,
        **context) -> ir.Job:
    ctx = {"assistant": "elena", "user": "avoider", "arc": "shame_to_hope", "topic": "debt",
           "strategies": ("validate", "plan"), "compliance": ("finra",)}
    ctx.update(context)
    sessions = ()
    if kind == "curriculum":
        sessions = (ir.SessionPlan(0, 0.2, "flow", TWO),
                    ir.SessionPlan(1, 0.8, "flow", tuple(attrs.evolve(t, index=t.index + 2)
                                                         for t in TWO)))
        turns = ()
    j = ir.Job(key=key, dataset="ds", kind=kind, cell=(("users", "avoider"),), replicate=0,
               seed=seed, model=model, context=ir.JobContext(**ctx), turns=turns,
               sessions=sessions, templates=tuple(t.name for t in std_templates()))
    return attrs.evolve(j, content_hash=canonical_hash(to_data(j)))


def plan(*jobs: ir.Job, name: str = "demo") -> ir.Plan:
    jobs = jobs or tuple(job(f"ds:{i}", seed=i) for i in range(3))
    return ir.Plan(
        format=ir.PLAN_FORMAT,
        spec=ir.SpecInfo(name, "1.0.0", f"{name}.bds", (ir.Regulation("FINRA-2111", "2024-06"),)),
        datasets=(ir.DatasetInfo("ds", "conversation", MODEL, "", (), 1, len(jobs), len(jobs),
                                 1),),
        jobs=tuple(jobs), emotions=EMOTIONS, personas=(ELENA, AVOIDER), arcs=(ARC,),
        topics=(TOPIC,), strategies=STRATEGIES, cultures=(CULTURE,), compliance=(COMPLIANCE,),
        perspectives=PERSPECTIVES, panels=(DELIB, EXPLICIT), methodologies=(METHOD,),
        curricula=(CURRICULUM,), templates=std_templates(), spec_hash="spec-hash",
        plan_hash=canonical_hash([j.content_hash for j in jobs]))


GOOD_ANNOTATION = {"primary_emotion": "shame", "secondary_emotion": "fear", "intensity": 0.7,
                   "valence": -0.5, "strategy": "validate"}


class ScriptedCompleter:
    """Echo-like completer. `script(request, n)` may return a str (the reply), a CallResult,
    or raise; n counts calls with the same (step-defining) request prefix."""

    def __init__(self, script=None, latency: float = 0.0, cost: float | None = 0.001):
        self.script = script
        self.latency = latency
        self.cost = cost
        self.requests: list[CallRequest] = []

    async def complete(self, request: CallRequest) -> CallResult:
        self.requests.append(request)
        if self.latency:
            await asyncio.sleep(self.latency)
        out = self.script(request) if self.script else None
        if isinstance(out, CallResult):
            if out.finish_reason == "length":
                raise CallTruncated(out)
            return out
        if out is None:
            props = (request.json_schema or {}).get("properties", {})
            if "annotations" in props:  # one call for a whole conversation
                out = json.dumps({"annotations": [GOOD_ANNOTATION]
                                  * props["annotations"]["minItems"]})
            else:
                out = (json.dumps(GOOD_ANNOTATION) if request.json_schema
                       else f"echo: {request.messages[-1][1][-40:]}")
        return CallResult(out, "stop", 10, 5, self.cost, self.latency)
