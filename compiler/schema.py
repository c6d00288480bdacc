"""What each declaration kind means: its fields, their types, which are required.

The grammar gives every declaration one shape; this table gives it meaning.
Types are small strings read by compiler/values.py:

  str  text  word (a bare name or a string)  int  num  unit (0..1)  signed (-1..1)  bool  percent  range  date  regex
  emotion_point (shame(0.8))   stages (a(0.8) -> b(0.5, turns: 3..4))   ramp (0.2 -> 0.8)
  choice:a|b|c   ref:KIND   list:T   map:T (a block of name: T)   block:KIND (nested fields)
"""

from __future__ import annotations

import attrs

from bdsl.export.formats import FORMATS
from bdsl.kinds import SESSION_OUTCOMES, JobKind, LearnerState, PanelMode, Protocol


@attrs.frozen
class FieldSpec:
    name: str
    type: str
    required: bool = False
    repeat: bool = False  # may appear several times (each occurrence is one rule)
    modifiers: tuple[str, ...] = ()  # allowed trailing `when/to/because/...` words
    doc: str = ""


@attrs.frozen
class KindSpec:
    name: str
    doc: str
    fields: tuple[FieldSpec, ...]
    qualifier: tuple[str, ...] = ()  # allowed `: x` values; empty = no qualifier
    qualifier_required: bool = False
    positional: tuple[str, ...] = ()  # header values map onto these fields, in order
    extendable: bool = False

    def field(self, name: str) -> FieldSpec | None:
        for f in self.fields:
            if f.name == name:
                return f
        return None


F = FieldSpec


def _choice(names) -> str:
    return "choice:" + "|".join(str(n) for n in names)


_PERSONA = (
    F("summary", "text", required=True, doc="who this is, in a sentence or two"),
    F("name", "str", doc="display name used in conversation (defaults to the identifier)"),
    F("baseline", "emotion_point", doc="resting emotional state, e.g. shame(0.8)"),
    F("traits", "map:unit", doc="trait scores in [0,1], e.g. Big Five or domain traits"),
    F("voice", "text", doc="how they sound: register, rhythm, vocabulary"),
    F("background", "text"),
    F("goals", "list:str"),
    F("triggers", "list:str", doc="what escalates their emotion"),
    F("signature_phrases", "list:str", doc="phrases the voice uses (fingerprint)"),
    F("storytelling", "text", doc="how they use stories and examples (fingerprint)"),
    F("humor", "text", doc="kind and amount of humour (fingerprint)"),
    F("boundaries", "list:str", doc="what this persona never says or does"),
    F("principles", "list:str", doc="decision principles the persona reasons from"),
)

KINDS: dict[str, KindSpec] = {k.name: k for k in (
    KindSpec("persona", "a user or assistant character", _PERSONA,
             qualifier=("user", "assistant"), qualifier_required=True, extendable=True),
    KindSpec("family", "one of Plutchik's eight emotion families with its three bands", (
        F("low", "ref:emotion", required=True), F("mid", "ref:emotion", required=True),
        F("high", "ref:emotion", required=True), F("opposite", "ref:family"),
        F("description", "text"),
    )),
    KindSpec("emotion", "a named emotional state", (
        F("family", "ref:family", doc="the Plutchik family; omit for complex states"),
        F("band", "choice:low|mid|high"),
        F("valence", "signed", required=True), F("arousal", "unit", required=True),
        F("blend", "list:ref:emotion", doc="components of a complex state"),
        F("description", "text"),
    ), extendable=True),
    KindSpec("arc", "an emotional trajectory across a conversation", (
        F("stages", "stages", required=True, doc="emotion(intensity[, turns: a..b][, "
          "assistant: strategy]) -> ..., keyless in the body"),
        F("turns", "range", required=True, doc="messages in the conversation, e.g. 6..8"),
        F("description", "text"),
        F("opens", "choice:user|assistant"), F("closes", "choice:user|assistant"),
    ), extendable=True),
    KindSpec("topic", "what a conversation is about", (
        F("title", "str", required=True), F("description", "text"), F("domain", "str"),
        F("tags", "list:str"),
    ), positional=("title",)),
    KindSpec("strategy", "a response strategy for a band of user intensity", (
        F("intensity", "range", doc="user intensity band, e.g. 0.7..1.0; without one the "
          "strategy is used only where an arc stage binds it (`assistant: name`)"),
        F("description", "text", required=True),
        F("techniques", "list:str"), F("avoid", "list:str"),
        F("protocol", _choice(Protocol), doc="what the turn must do: `referral` refers to "
          "the dataset's escalation resource (checked by the stage_protocols gate)"),
        F("escalation", "str", doc="referral: which `escalate` rules to refer to, by their "
          "label (e.g. \"crisis\"); default all of the dataset's"),
    )),
    KindSpec("perspective", "a viewpoint for panels", (
        F("title", "str", required=True), F("role", "str"), F("focus", "text"),
        F("blind_spots", "list:str"), F("values", "list:str"),
    ), positional=("title",)),
    KindSpec("panel", "a set of perspectives answering together", (
        F("mode", _choice(PanelMode), required=True),
        F("members", "list:ref:perspective", required=True),
        F("protect_minority", "bool", doc="the synthesis must keep the dissenting view "
          "(checked by the minority_kept gate)"),
        F("minority", "ref:perspective", doc="the member whose dissent must be kept; without "
          "it the deliberation names the dissenting member itself, turn by turn"),
        F("synthesis", "choice:decisive|balanced"),
        F("show", "int", doc="explicit mode: how many perspectives to show (2-3)"),
        F("bad_synthesis", "bool", doc="also produce a bad synthesis example (not trained on)"),
    ), positional=("mode", "members")),
    KindSpec("culture", "a culture pack: how conversations change across cultures", (
        F("locale", "str", required=True), F("language", "str", required=True),
        F("politeness", "choice:low|medium|high"), F("directness", "choice:low|medium|high"),
        F("formality", "choice:low|medium|high"), F("honorifics", "list:str"),
        F("taboo_topics", "list:str", doc="topic names (cells are excluded) or subjects to avoid"),
        F("references", "list:str"), F("notes", "text"),
    ), extendable=True),
    KindSpec("compliance", "rules a regulated assistant follows", (
        F("regulation", "list:str", doc="ids of `regulation` headers these rules implement"),
        F("disclaimer", "text", repeat=True, modifiers=("when", "about", "under")),
        F("forbid", "regex", repeat=True, modifiers=("meaning", "because", "under")),
        F("require", "regex", repeat=True,
          modifiers=("when", "about", "meaning", "because", "under")),
        F("escalate", "str", repeat=True, modifiers=("to", "when", "about", "under")),
        F("qualify", "text", repeat=True, modifiers=("when", "about", "under"),
          doc="ask a qualifying question before answering when the trigger matches"),
    )),
    KindSpec("methodology", "a named way of working to teach by example", (
        F("summary", "text", required=True), F("principles", "list:str"),
        F("conventional", "text", doc="the conventional approach it is contrasted with"),
        F("contrastive", "bool"), F("meta_commentary", "bool"), F("socratic", "bool"),
        F("novel_scenarios", "bool"),
    )),
    KindSpec("curriculum", "a learning path over several sessions", (
        F("sessions", "int", required=True), F("difficulty", "ramp", required=True),
        F("mastery", "text", required=True), F("skills", "list:str"),
        F("learner_states", "list:" + _choice(LearnerState),
          doc="states the first session may start in; later ones are measured"),
        F("turns", "range", doc="messages per session"),
        F("adapt", "map:signed", doc="difficulty change after a session, by its measured "
          "outcome: " + ", ".join(SESSION_OUTCOMES) + " (e.g. { mastered: 0.15, overload: -0.2 })"),
        F("mastered_at", "unit", doc="judged mastery score that counts as mastered (0.7)"),
    )),
    KindSpec("seeds", "approved example conversations: few-shot material for the cells "
             "they match (`bdsc seeds RUN_DIR` writes them from review)", (
        F("example", "block:example", repeat=True, required=True,
          doc="one example: the scaffolding it belongs to and its conversation"),
    )),
    KindSpec("template", "override of a stdlib jinja2 prompt template", (
        F("source", "text", required=True),
    ), positional=("source",)),
    KindSpec("dataset", "the matrix of jobs to generate", (
        F("model", "str", required=True, doc='litellm model name or "local/smollm2"'),
        F("endpoint", "block:endpoint", doc="where the model is served: api_base, api_key_env "
          "(the environment variable holding its key), deployments (several servers)"),
        F("params", "block:params"), F("judge_model", "str"),
        F("kind", _choice(JobKind)),
        F("assistant", "ref:persona", required=True),
        F("users", "list:ref:persona"), F("arcs", "list:ref:arc"), F("topics", "list:ref:topic"),
        F("cultures", "list:ref:culture"), F("strategies", "list:ref:strategy"),
        F("compliance", "list:ref:compliance"), F("panel", "ref:panel"),
        F("methodology", "ref:methodology"), F("curriculum", "ref:curriculum"),
        F("per_cell", "int"), F("seed", "int"),
        F("max_jobs", "int", doc="the most jobs the dataset may have (default 100000); "
          "`bdsc check` counts them from the axis sizes"),
        F("sample", "sample", doc="a share of the cells (30%: stable as the matrix grows) "
          "or a count (the N cells ranked first by a seeded hash)"),
        F("exclude", "block:exclude", repeat=True), F("gates", "list:gate_use"),
        F("review", "block:review"), F("export", "list:" + _choice(FORMATS)),
        F("budget", "block:budget"), F("train_on", "choice:all|skip_first"),
        F("edit_pairs", "bool", doc="reviewer edits become preference pairs (edit chosen, "
          "original rejected)"),
        F("annotate", "choice:both|user|assistant|off", doc="which messages get per-turn "
          "emotion annotations (default both); arc conformance needs user annotations"),
        F("annotate_model", "str", doc="model for annotations (default: the dataset's model)"),
        F("annotate_mode", "choice:per_message|per_conversation", doc="per_message: one call "
          "per message, beside generation (default); per_conversation: one call per "
          "conversation (or session) after it, annotating every message at once"),
        F("seeds", "list:ref:seeds", doc="seed sets whose examples guide generation"),
        F("few_shot", "int", doc="how many matching seed examples a job sees (default 2)"),
        F("variations", "int", doc="also generate N variations of every seed example"),
    )),
)}

# Nested blocks that are not declarations.
BLOCKS: dict[str, tuple[FieldSpec, ...]] = {
    "params": (F("temperature", "num"), F("max_tokens", "int"), F("top_p", "unit")),
    "review": (F("sample", "percent"), F("roles", "list:word"),
               F("require", "choice:all|any"), F("min_approvals", "int"),
               F("reviewers", "map:list:word", doc="who may hold which role, e.g. "
                 "{ ana: [clinical, brand], bo: [compliance] }; without it anyone may take "
                 "any of the `roles`")),
    "budget": (F("usd", "num"), F("tokens", "int")),
    "endpoint": (F("api_base", "str"), F("api_key_env", "str"), F("deployments", "list:str")),
    "exclude": (F("users", "list:ref:persona"), F("arcs", "list:ref:arc"),
                F("topics", "list:ref:topic"), F("cultures", "list:ref:culture")),
    # axis values are plan names as strings: a seeds file written from a run is imported
    # by the spec, so it cannot refer to the spec's own declarations
    "example": (F("arc", "str"), F("user", "str"), F("topic", "str"), F("culture", "str"),
                F("source", "str"), F("conversation", "text", required=True)),
}

# Dataset axes: field -> (entity kind, job context attribute).
AXES = {"users": "persona", "arcs": "arc", "topics": "topic", "cultures": "culture"}


