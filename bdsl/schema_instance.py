"""The smallest instance of a JSON schema: what `fake/echo` answers to structured output
and what `bdsc plan --estimate` assumes such a reply looks like (one definition for both).
Imports nothing heavy."""

from __future__ import annotations


def instance(schema: dict, text: str = "echo"):
    """A minimal instance of a JSON schema (the subset structured output uses): the first
    enum value, numbers at the middle of their range, `text` in every free string."""
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return instance(schema[key][0], text)
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        props = schema.get("properties", {})
        return {k: instance(v, text) for k, v in props.items()
                if k in schema.get("required", props.keys())}
    if kind == "array":
        return [instance(schema.get("items", {}), text)] * schema.get("minItems", 0)
    if kind in ("number", "integer"):
        lo = schema.get("minimum", 0)
        hi = schema.get("maximum", lo + 1)
        mid = (lo + hi) / 2
        return int(mid) if kind == "integer" else mid
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return text
