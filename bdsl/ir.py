"""The Plan IR: the contract between the compiler and everything that runs a plan.

A Plan is fully resolved: no job needs the spec, the stdlib or the file system
again. Entities (personas, arcs, ...) are stored once in tables on the Plan and
jobs name them, which keeps a 10,000-job plan small and fast to write; a job's
`content_hash` covers the full content of every entity it names, so a change to
a persona changes exactly the jobs that use it.

Every class is frozen attrs; bdsl.serialize holds the one cattrs converter.
"""

from __future__ import annotations

import attrs

from bdsl.kinds import GateKind, JobKind, PanelMode, Protocol, Role, RuleKind

PLAN_FORMAT = 1


# --- entities ---------------------------------------------------------------------

@attrs.frozen
class Pattern:
    regex: str
    flags: str = ""  # subset of "imsx"


@attrs.frozen
class EmotionPoint:
    emotion: str
    intensity: float


@attrs.frozen
class Emotion:
    name: str
    family: str  # one of the eight Plutchik families, or "complex"
    band: str  # low | mid | high | "" for complex states
    valence: float  # -1..1
    arousal: float  # 0..1
    description: str = ""
    blend: tuple[str, ...] = ()
    hash: str = ""


@attrs.frozen
class Trait:
    name: str
    value: float


@attrs.frozen
class Persona:
    name: str
    side: Role = attrs.field(converter=Role)
    summary: str
    display_name: str = ""
    baseline: EmotionPoint | None = None
    traits: tuple[Trait, ...] = ()
    voice: str = ""
    background: str = ""
    goals: tuple[str, ...] = ()
    triggers: tuple[str, ...] = ()
    signature_phrases: tuple[str, ...] = ()
    storytelling: str = ""
    humor: str = ""
    boundaries: tuple[str, ...] = ()  # what this persona never says or does
    principles: tuple[str, ...] = ()  # decision principles
    hash: str = ""


@attrs.frozen
class ArcStage:
    emotion: str
    intensity: float
    valence: float
    turns: tuple[int, int] | None = None  # explicit 1-based user-turn range, if given
    assistant: str = ""  # a strategy the stage binds for its assistant turns, if given


@attrs.frozen
class Arc:
    name: str
    stages: tuple[ArcStage, ...]
    min_turns: int
    max_turns: int
    description: str = ""
    opens: Role = attrs.field(default=Role.USER, converter=Role)
    closes: Role = attrs.field(default=Role.ASSISTANT, converter=Role)
    hash: str = ""


@attrs.frozen
class Topic:
    name: str
    title: str
    description: str = ""
    domain: str = ""
    tags: tuple[str, ...] = ()
    hash: str = ""


@attrs.frozen
class Strategy:
    name: str
    description: str
    min_intensity: float | None  # None: no band; used only where an arc stage binds it
    max_intensity: float | None
    techniques: tuple[str, ...] = ()
    avoid: tuple[str, ...] = ()
    protocol: Protocol | None = attrs.field(
        default=None, converter=attrs.converters.optional(Protocol))
    escalation: str = ""  # referral: the label of the escalate rules it refers to ("" = all)
    hash: str = ""

    @property
    def banded(self) -> bool:
        return self.min_intensity is not None


@attrs.frozen
class Culture:
    name: str
    locale: str
    language: str
    politeness: str = "medium"
    directness: str = "medium"
    formality: str = "medium"
    honorifics: tuple[str, ...] = ()
    taboo_topics: tuple[str, ...] = ()  # topic names or free-text subjects to avoid
    references: tuple[str, ...] = ()
    notes: str = ""
    hash: str = ""


@attrs.frozen
class ComplianceRule:
    """One rule of a compliance block."""

    kind: RuleKind = attrs.field(converter=RuleKind)
    text: str = ""
    when: Pattern | None = None  # trigger: the rule applies to turns matching this
    pattern: Pattern | None = None  # forbid/require: what must (not) appear
    to: str = ""  # escalate: who to refer to (e.g. "988 Suicide & Crisis Lifeline")
    because: str = ""
    regulations: tuple[str, ...] = ()  # the regulation id(s) the rule implements
    about: str = ""  # what the trigger is about, in words (given, or read off `when`)
    meaning: str = ""  # forbid/require: what the pattern stands for, as a verb phrase
    instruction: str = ""  # the sentence prompts and judges read (never a regex)


@attrs.frozen
class Compliance:
    name: str
    rules: tuple[ComplianceRule, ...]
    regulations: tuple[str, ...] = ()
    hash: str = ""


@attrs.frozen
class Perspective:
    name: str
    title: str
    role: str = ""
    focus: str = ""
    blind_spots: tuple[str, ...] = ()
    values: tuple[str, ...] = ()
    hash: str = ""


@attrs.frozen
class Panel:
    name: str
    mode: PanelMode = attrs.field(converter=PanelMode)
    members: tuple[str, ...]  # perspective names
    protect_minority: bool = False
    synthesis: str = "decisive"  # decisive | balanced
    show: int = 3  # explicit mode: how many perspectives to show
    bad_synthesis: bool = True  # also produce a deliberately bad synthesis (weight 0)
    minority: str = ""  # the member whose dissent must be kept ("": found per turn)
    hash: str = ""


@attrs.frozen
class Methodology:
    name: str
    summary: str
    principles: tuple[str, ...] = ()
    conventional: str = ""  # the conventional approach the contrastive side shows
    contrastive: bool = False
    meta_commentary: bool = False
    socratic: bool = False
    novel_scenarios: bool = False
    hash: str = ""


@attrs.frozen
class Curriculum:
    name: str
    sessions: int
    difficulty_start: float
    difficulty_end: float
    mastery: str
    skills: tuple[str, ...] = ()
    learner_states: tuple[str, ...] = ()
    turns_per_session: tuple[int, int] = (4, 6)
    # difficulty change after a session, by measured outcome (mastered or a learner state)
    adapt: tuple[tuple[str, float], ...] = ()
    mastered_at: float = 0.7
    hash: str = ""


@attrs.frozen
class Gate:
    """A quality gate. kind: judge | turn_rule | check.

    judge:     metric op threshold (+ rubric, judge model)
    turn_rule: quantifier role [mentioning] predicate operand
    check:     a built-in deterministic check with options (not_truncated, ...)
    """

    name: str
    kind: GateKind = attrs.field(converter=GateKind)
    metric: str = ""
    op: str = ">="
    threshold: float | None = None
    rubric: str = ""
    quantifier: str = ""
    role: str = ""
    mentioning: Pattern | None = None
    predicate: str = ""
    text: str = ""
    pattern: Pattern | None = None
    unit: str = ""
    options: tuple[tuple[str, str], ...] = ()  # check options, values as canonical text
    hash: str = ""


@attrs.frozen
class SeedExample:
    """An approved example conversation. `name` is "<seed set>#<n>"; the axes it names
    (plan names, "" = any) decide which jobs it guides."""

    name: str
    messages: tuple[tuple[str, str], ...]  # (role, content)
    arc: str = ""
    user: str = ""
    topic: str = ""
    culture: str = ""
    source: str = ""
    hash: str = ""


@attrs.frozen
class Template:
    name: str
    source: str
    origin: str  # "std" or the spec path that overrides it
    hash: str = ""


@attrs.frozen
class Regulation:
    id: str
    version: str = ""
    effective: str = ""
    title: str = ""


# --- jobs ---------------------------------------------------------------------------

@attrs.frozen
class ModelConfig:
    name: str
    temperature: float | None = None
    max_tokens: int | None = None
    top_p: float | None = None


@attrs.frozen
class TurnTarget:
    """What one message should do. User turns carry the arc's emotional target;
    assistant turns carry the strategy chosen for the user's intensity before them."""

    index: int  # 0-based position in the conversation
    role: Role = attrs.field(converter=Role)
    stage: int  # arc stage index (-1 when the job has no arc)
    emotion: str = ""
    intensity: float | None = None
    valence: float | None = None
    strategy: str = ""
    train: bool = True  # assistant turns only: weight in training exports
    protocol: Protocol | None = attrs.field(  # what this assistant turn must do, if anything
        default=None, converter=attrs.converters.optional(Protocol))


@attrs.frozen
class SessionPlan:
    """A session as planned. Only the first session's difficulty and learner state are
    used as given; later ones are decided at run time from the previous session's measured
    outcome (see bdsl.engine.kinds.curriculum). `difficulty` is the ramp's planned value."""

    index: int
    difficulty: float
    learner_state: str
    turns: tuple[TurnTarget, ...]


@attrs.frozen
class JobContext:
    """Names into the Plan's entity tables; empty when the axis does not apply."""

    assistant: str
    user: str = ""
    arc: str = ""
    topic: str = ""
    culture: str = ""
    panel: str = ""
    methodology: str = ""
    curriculum: str = ""
    compliance: tuple[str, ...] = ()
    strategies: tuple[str, ...] = ()
    novel: bool = False  # the topic is a novel scenario the engine invents (methodology)
    examples: tuple[str, ...] = ()  # seed examples (few-shot) this job's prompts show
    variation_of: str = ""  # the seed example this job is a variation of


@attrs.frozen
class Job:
    """One unit of generation.

    kind: see bdsl.kinds.JOB_KINDS.
    `key` is stable across spec edits (dataset + cell + replicate), `content_hash`
    changes whenever anything that determines the generated text changes, and
    `gates_hash` whenever only the scoring changes.
    """

    key: str
    dataset: str
    kind: JobKind = attrs.field(converter=JobKind)
    cell: tuple[tuple[str, str], ...]
    replicate: int
    seed: int
    model: ModelConfig
    context: JobContext
    turns: tuple[TurnTarget, ...] = ()
    sessions: tuple[SessionPlan, ...] = ()
    templates: tuple[str, ...] = ()  # template names this job renders
    gates: tuple[str, ...] = ()  # gate names (resolved in Plan.gates)
    gate_thresholds: tuple[tuple[str, float], ...] = ()  # per-dataset threshold overrides
    gate_ops: tuple[tuple[str, str], ...] = ()  # overrides that also changed the operator
    content_hash: str = ""
    gates_hash: str = ""


@attrs.frozen
class ReviewPolicy:
    sample: float = 0.0  # fraction of passed conversations routed to review
    roles: tuple[str, ...] = ()
    require: str = "all"  # all | any: which roles must approve
    min_approvals: int = 1
    # who may hold which role: (reviewer, roles), sorted; empty = anyone may take any role
    reviewers: tuple[tuple[str, tuple[str, ...]], ...] = ()


@attrs.frozen
class Budget:
    usd: float | None = None
    tokens: int | None = None


@attrs.frozen
class Endpoint:
    """Where the dataset's model is served (transport only: in no job's hash)."""

    api_base: str = ""
    api_key_env: str = ""  # the environment variable holding the key (never the key)
    deployments: tuple[str, ...] = ()  # several servers sharing the model's load


@attrs.frozen
class DatasetInfo:
    name: str
    kind: JobKind = attrs.field(converter=JobKind)
    model: ModelConfig
    judge_model: str
    axes: tuple[tuple[str, tuple[str, ...]], ...]
    cells: int
    per_cell: int
    jobs: int
    seed: int
    excluded_cells: int = 0  # removed by `exclude` blocks and taboo topics
    unsampled_cells: int = 0  # left out by `sample N`
    review: ReviewPolicy = ReviewPolicy()
    exports: tuple[str, ...] = ()
    budget: Budget = Budget()
    train_on: str = "all"
    edit_pairs: bool = False  # reviewer edits become preference pairs in exports
    annotate: str = "both"  # both | user | assistant | off: which messages are annotated
    annotate_model: str = ""  # "" = the dataset's model
    annotate_mode: str = "per_message"  # per_message | per_conversation
    endpoint: Endpoint | None = None


@attrs.frozen
class SpecInfo:
    name: str
    version: str
    path: str
    regulations: tuple[Regulation, ...] = ()


@attrs.frozen
class Plan:
    format: int
    spec: SpecInfo
    datasets: tuple[DatasetInfo, ...]
    jobs: tuple[Job, ...]
    emotions: tuple[Emotion, ...] = ()
    personas: tuple[Persona, ...] = ()
    arcs: tuple[Arc, ...] = ()
    topics: tuple[Topic, ...] = ()
    strategies: tuple[Strategy, ...] = ()
    cultures: tuple[Culture, ...] = ()
    compliance: tuple[Compliance, ...] = ()
    perspectives: tuple[Perspective, ...] = ()
    panels: tuple[Panel, ...] = ()
    methodologies: tuple[Methodology, ...] = ()
    curricula: tuple[Curriculum, ...] = ()
    gates: tuple[Gate, ...] = ()
    templates: tuple[Template, ...] = ()
    seeds: tuple[SeedExample, ...] = ()
    spec_hash: str = ""  # hash of every source file that went into the plan
    plan_hash: str = ""  # hash of the plan content itself

    def index(self) -> PlanIndex:
        return PlanIndex(self)


class PlanIndex:
    """Name lookups into a Plan's entity tables (built once, not serialized)."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self.emotion = {e.name: e for e in plan.emotions}
        self.persona = {p.name: p for p in plan.personas}
        self.arc = {a.name: a for a in plan.arcs}
        self.topic = {t.name: t for t in plan.topics}
        self.strategy = {s.name: s for s in plan.strategies}
        self.culture = {c.name: c for c in plan.cultures}
        self.compliance = {c.name: c for c in plan.compliance}
        self.perspective = {p.name: p for p in plan.perspectives}
        self.panel = {p.name: p for p in plan.panels}
        self.methodology = {m.name: m for m in plan.methodologies}
        self.curriculum = {c.name: c for c in plan.curricula}
        self.gate = {g.name: g for g in plan.gates}
        self.template = {t.name: t for t in plan.templates}
        self.seed = {s.name: s for s in plan.seeds}
        self.dataset = {d.name: d for d in plan.datasets}
