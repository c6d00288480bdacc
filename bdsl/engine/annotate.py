"""Per-turn annotations: the JSON schema asked for, and parsing with repair and
range validation. Values are what the model said or nothing: never clamped."""

from __future__ import annotations

import json
import math
import re

from bdsl.store.records import Annotation

SCHEMA_NAME = "turn_annotation"
ANNOTATION_SCHEMA = {
    "type": "object",
    "properties": {
        "primary_emotion": {"type": "string"},
        "secondary_emotion": {"type": "string"},
        "intensity": {"type": "number", "minimum": 0, "maximum": 1},
        "valence": {"type": "number", "minimum": -1, "maximum": 1},
        "strategy": {"type": "string"},
    },
    "required": ["primary_emotion", "secondary_emotion", "intensity", "valence", "strategy"],
    "additionalProperties": False,
}


def annotation_schema(emotions: list[str], strategies: list[str]) -> dict:
    """The schema with the plan's vocabulary as enums: grammar-constrained local models
    can then only name emotions and strategies that exist; API models are validated."""
    schema = json.loads(json.dumps(ANNOTATION_SCHEMA))
    props = schema["properties"]
    if emotions:
        props["primary_emotion"]["enum"] = list(emotions)
        props["secondary_emotion"]["enum"] = list(emotions) + ["none"]
    if strategies:
        props["strategy"]["enum"] = list(strategies) + ["none"]
    return schema


class InvalidAnnotation(ValueError):
    pass


def parse_annotation(text: str) -> Annotation:
    """Parse a model reply into an Annotation; repairs common JSON damage (code fences,
    prose around the object, trailing commas, single quotes) and rejects bad values."""
    return annotation_from(_load_json_object(text))


def conversation_schema(one: dict, count: int) -> dict:
    """The schema of one call annotating `count` messages at once (annotate_mode
    per_conversation): {"annotations": [one per message, in order]}."""
    return {"type": "object", "additionalProperties": False, "required": ["annotations"],
            "properties": {"annotations": {"type": "array", "items": one,
                                           "minItems": count, "maxItems": count}}}


def parse_annotations(text: str, count: int) -> list[Annotation]:
    data = _load_json_object(text)
    items = data.get("annotations")
    if not isinstance(items, list) or len(items) != count:
        raise InvalidAnnotation(f"expected {count} annotations, got "
                                f"{len(items) if isinstance(items, list) else 'none'}")
    return [annotation_from(x if isinstance(x, dict) else {}) for x in items]


def annotation_from(data: dict) -> Annotation:
    missing = [k for k in ANNOTATION_SCHEMA["required"] if k not in data]
    if missing:
        raise InvalidAnnotation(f"missing fields: {', '.join(missing)}")
    intensity = _number(data, "intensity", 0.0, 1.0)
    valence = _number(data, "valence", -1.0, 1.0)
    primary = _text(data, "primary_emotion")
    if not primary:
        raise InvalidAnnotation("primary_emotion is empty")
    return Annotation(primary, _text(data, "secondary_emotion"), intensity, valence,
                      _text(data, "strategy"))


def _load_json_object(text: str) -> dict:
    candidates = [text.strip()]
    fenced = re.search(r"```(?:json)?\s*(.*?)```", text, re.S)
    if fenced:
        candidates.append(fenced.group(1).strip())
    start, end = text.find("{"), text.rfind("}")
    if start != -1 and end > start:
        candidates.append(text[start:end + 1])
    for cand in list(candidates):
        fixed = re.sub(r",\s*([}\]])", r"\1", cand)
        if "'" in fixed and '"' not in fixed:
            fixed = fixed.replace("'", '"')
        candidates.append(fixed)
    for cand in candidates:
        try:
            data = json.loads(cand)
        except (json.JSONDecodeError, ValueError):
            continue
        if isinstance(data, dict):
            return data
    raise InvalidAnnotation(f"not a JSON object: {text[:80]!r}")


def _number(data: dict, key: str, lo: float, hi: float) -> float:
    value = data[key]
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise InvalidAnnotation(f"{key} is not a number: {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise InvalidAnnotation(f"{key} is not a number: {value!r}")
    if not lo <= value <= hi:
        raise InvalidAnnotation(f"{key} {value} is outside {lo}..{hi}")
    return float(value)


def _text(data: dict, key: str) -> str:
    value = data[key]
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidAnnotation(f"{key} is not a string: {value!r}")
    return value.strip()
