"""The brightrun-lora-v4 JSON Schema (schemas/brightrun-lora-v4.schema.json: upstream's
structure, strict) and the variant bdsl's output always meets.

The variant differs only where a general tool cannot honestly write upstream's value:
  NULLABLE  values nothing measured or recorded (a confidence no annotator gives, a
            quality score no judge gave, a consultant's years of experience): null
  ANY_TEXT  upstream pins its own vertical and its own conversation phases; bdsl writes
            the spec's name and the arc stage
`upstream_gaps(data)` validates a file against the strict schema and says, per field,
which upstream constraints it does not meet and how often (the manifest lists them).
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections import Counter
from importlib import resources

SCHEMA_FILE = "brightrun-lora-v4.schema.json"

# (path of a properties map in the schema, property names that may be null)
NULLABLE = (
    ("properties/training_file_metadata/properties/quality_summary/properties",
     ("avg_quality_score", "min_quality_score", "max_quality_score")),
    ("properties/consultant_profile/properties", ("business", "expertise", "years_experience")),
    ("properties/consultant_profile/properties/core_philosophy/properties",
     tuple(f"principle_{i}" for i in range(1, 6))),
    ("properties/consultant_profile/properties/communication_style/properties", ("tone",)),
    ("$defs/scaffolding/properties", ("persona_key", "persona_name", "emotional_arc_key",
                                      "emotional_arc", "training_topic_key", "training_topic")),
    ("$defs/pair_conversation_metadata/properties",
     ("client_persona", "persona_archetype", "client_background", "emotional_arc",
      "emotional_arc_key", "training_topic", "training_topic_key", "session_context",
      "conversation_phase", "expected_outcome")),
    ("$defs/history_turn/properties", ("emotional_state",)),
    ("$defs/training_pair/properties", ("current_user_input",)),
    ("$defs/training_pair/properties/emotional_context/properties", ("detected_emotions",)),
    ("$defs/detected_emotions/properties", ("primary_confidence", "secondary",
                                            "secondary_confidence")),
    ("$defs/quality_criteria/properties", ("empathy_score", "clarity_score",
                                           "appropriateness_score", "brand_voice_alignment")),
    ("$defs/training_metadata/properties",
     ("difficulty_level", "key_learning_objective", "emotional_progression_target",
      "quality_score", "generate_variations_count")),
)
ANY_TEXT = (
    ("properties/training_file_metadata/properties", "vertical"),
    ("$defs/pair_conversation_metadata/properties", "conversation_phase"),
)


@functools.cache
def strict_schema() -> dict:
    text = resources.files("bdsl.export").joinpath("schemas", SCHEMA_FILE).read_text("utf-8")
    return json.loads(text)


@functools.cache
def bdsl_schema() -> dict:
    """The strict schema with NULLABLE values allowed null and ANY_TEXT any string."""
    schema = copy.deepcopy(strict_schema())
    schema["$id"] = schema["$id"] + ":bdsl"
    for path, name in ANY_TEXT:
        _at(schema, path)[name] = {"type": "string"}
    for path, names in NULLABLE:
        props = _at(schema, path)
        for name in names:
            props[name] = {"anyOf": [props[name], {"type": "null"}]}
    return schema


def _at(schema: dict, path: str) -> dict:
    node = schema
    for part in path.split("/"):
        node = node[part]
    return node


def validator(schema: dict):
    import jsonschema

    cls = jsonschema.Draft202012Validator
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def pair_schema(schema: dict) -> dict:
    """The schema of one JSONL line: a training pair (refs resolved in the full schema)."""
    return {**{k: v for k, v in schema.items() if k not in ("properties", "required",
                                                              "additionalProperties")},
            "$ref": "#/$defs/training_pair"}


def meta_line_schema(schema: dict) -> dict:
    return {**{k: v for k, v in schema.items() if k not in ("properties", "required",
                                                              "additionalProperties")},
            "$ref": "#/$defs/jsonl_meta"}


def errors(schema: dict, data) -> list:
    """Every validation error of a whole file (slow on big files: see grouped_errors)."""
    return sorted(validator(schema).iter_errors(data), key=lambda e: list(e.absolute_path))


def upstream_gaps(data: dict) -> list[dict]:
    """Where a file does not meet upstream's strict schema, grouped by field and reason:
    [{"field", "constraint", "count"}], most frequent first."""
    return [{"field": f, "constraint": c, "count": n}
            for (f, c), n in grouped_errors(strict_schema(), data)]


def grouped_errors(schema: dict, data: dict) -> list[tuple[tuple[str, str], int]]:
    """((field with [*] for indexes, constraint), count), most frequent first: the same
    as validating the whole file, but each training pair and conversation header is
    validated once per *shape* (values replaced by representatives that pass and fail
    exactly the schema's checks), which makes a 10,000-conversation file take seconds."""
    counts: Counter = Counter()
    top = dict(data, conversations=[])
    for e in validator(schema).iter_errors(top):
        if e.json_path != "$.conversations":  # the list is validated piece by piece below
            counts[(_field(e.json_path), _constraint(e))] += 1
    units = (("$.conversations[*].conversation_metadata", _part(schema, "conversation_metadata"),
              [c.get("conversation_metadata") for c in data.get("conversations", [])]),
             ("$.conversations[*].training_pairs[*]", _part(schema, "training_pair"),
              [p for c in data.get("conversations", []) for p in c.get("training_pairs", [])]))
    for prefix, part, values in units:
        shapes = Counter(json.dumps(_shape(v), sort_keys=True) for v in values)
        check = validator(part)
        for shape, n in shapes.items():
            for e in check.iter_errors(json.loads(shape)):
                counts[(prefix + _field(e.json_path)[1:], _constraint(e))] += n
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def _part(schema: dict, name: str) -> dict:
    return {k: v for k, v in schema.items() if k in ("$schema", "$id", "$defs")} | {
        "$ref": f"#/$defs/{name}"}


def _field(json_path: str) -> str:
    return re.sub(r"\[\d+\]", "[*]", json_path)


# keys whose string values the schema constrains (enum, const, format); other strings only
# need to be strings
ENUM_KEYS = {"role", "valence", "conversation_phase", "quality_tier"}
UUID_KEYS = {"conversation_id", "batch_id"}
DATE_KEYS = {"created_date"}
_ZERO_UUID = "00000000-0000-0000-0000-000000000000"


def _shape(value, key: str = ""):
    """A representative of `value` that every check of the schema treats the same way."""
    if isinstance(value, dict):
        return {k: _shape(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(v, key) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str):
        if key in ENUM_KEYS:
            return value
        if key in UUID_KEYS:
            return _ZERO_UUID if _is_uuid(value) else value
        if key in DATE_KEYS:
            return "2000-01-01" if _is_date(value) else value
        return ""
    if isinstance(value, int | float):
        return _number(value)
    return value


def _number(x):
    """The schema compares numbers with 0, 1, 5 and 100 (ranges) and checks integers:
    one representative per interval, integral exactly when x is."""
    if x in (0, 1, 5, 100):
        return x
    rep = -1 if x < 0 else 0.5 if x < 1 else 3 if x < 5 else 50 if x < 100 else 200
    if isinstance(x, int):
        return int(rep)
    if float(x).is_integer():
        return float(rep)
    return rep + 0.25 if float(rep).is_integer() else rep


def _is_uuid(text: str) -> bool:
    import uuid

    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return all(text[i] == "-" for i in (8, 13, 18, 23))  # as jsonschema's uuid format


def _is_date(text: str) -> bool:
    from datetime import date

    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) is not None


def _constraint(e) -> str:
    if e.instance is None:
        return f"null (nothing measured or recorded) where upstream requires {_wants(e)}"
    if e.validator == "const":
        return f"{e.instance!r} where upstream requires {e.validator_value!r}"
    if e.validator == "enum":
        return f"{e.instance!r} is not one of upstream's {len(e.validator_value)} values"
    return e.message


def _wants(e) -> str:
    schema = e.schema
    kind = schema.get("type")
    if not isinstance(kind, str):
        return f"one of {kind}"
    article = "an" if kind[0] in "aeiou" else "a"
    if "minimum" in schema and "maximum" in schema:
        return f"{article} {kind} {schema['minimum']}..{schema['maximum']}"
    if "minimum" in schema:
        return f"{article} {kind} >= {schema['minimum']}"
    return f"{article} {kind}"
