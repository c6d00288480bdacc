"""What the mock answers, without a server: bounded deterministic text, valid schema
instances, truncation at max_tokens, word-count usage."""

import random

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bdsl.testing.mock_replies import (
    SchemaError,
    SchemaInstance,
    completion_body,
    cut,
    reply_content,
    reply_key,
    reply_text,
)


def body(text="hello", **extra):
    return {"model": "mock-chat", "messages": [{"role": "user", "content": text}], **extra}


def test_text_is_deterministic_bounded_and_follows_seed():
    a, b = reply_text(body(seed=1)), reply_text(body(seed=1))
    assert a == b
    assert reply_text(body(seed=2)) != a
    assert 3 <= a.count(".") <= 4 and len(a.split()) <= 60


def test_reply_does_not_grow_with_the_prompt():
    sizes = []
    history = "start"
    for _ in range(30):  # feed each reply back, as a conversation does
        reply = reply_text(body(history))
        history += " " + reply
        sizes.append(len(reply.split()))
    assert max(sizes) <= 60
    assert len(history.split()) > 30 * 15  # the prompt did grow


def test_max_tokens_cuts_the_reply_with_finish_length():
    full = reply_text(body())
    short = completion_body(body(max_tokens=3), reply_key(body(max_tokens=3)), 0)
    choice = short["choices"][0]
    assert choice["finish_reason"] == "length"
    assert choice["message"]["content"] == " ".join(full.split()[:3])
    assert short["usage"]["completion_tokens"] == 3
    roomy = completion_body(body(max_tokens=500), reply_key(body(max_tokens=500)), 0)
    assert roomy["choices"][0]["finish_reason"] == "stop"
    assert cut("a b c", 3) == ("a b c", 3, "stop")


def test_usage_counts_words_of_prompt_and_reply():
    b = {"model": "m", "messages": [{"role": "system", "content": "one two"},
                                    {"role": "user", "content": [{"type": "text",
                                                                  "text": "three four five"}]}]}
    out = completion_body(b, reply_key(b), 0)
    text = out["choices"][0]["message"]["content"]
    assert out["usage"] == {"prompt_tokens": 5, "completion_tokens": len(text.split()),
                            "total_tokens": 5 + len(text.split())}


ANNOTATION = {
    "type": "object",
    "properties": {
        "primary_emotion": {"type": "string", "enum": ["shame", "hope"]},
        "secondary_emotion": {"type": "string", "enum": ["shame", "hope", "none"]},
        "intensity": {"type": "number", "minimum": 0, "maximum": 1},
        "valence": {"type": "number", "minimum": -1, "maximum": 1},
        "strategy": {"type": "string"},
    },
    "required": ["primary_emotion", "secondary_emotion", "intensity", "valence", "strategy"],
    "additionalProperties": False,
}

SCHEMAS = [
    ANNOTATION,
    {"type": "integer", "exclusiveMinimum": 3, "exclusiveMaximum": 6},
    {"type": "integer", "minimum": 10, "maximum": 100, "multipleOf": 7},
    {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 0.001},
    {"type": "number", "minimum": -5},
    {"type": "array", "items": {"type": "boolean"}, "minItems": 2, "maxItems": 4},
    {"type": "string", "minLength": 40, "maxLength": 45},
    {"type": "string", "format": "uuid"},
    {"type": ["string", "null"], "maxLength": 3},
    {"const": "fixed"},
    {"anyOf": [{"type": "integer", "maximum": -1}, {"type": "string", "enum": ["x"]}]},
    {"allOf": [{"type": "object", "properties": {"a": {"type": "integer"}}},
               {"properties": {"b": {"type": "boolean"}}, "required": ["a", "b"]}]},
    {"$defs": {"node": {"type": "object", "properties": {"v": {"type": "integer"}},
                        "required": ["v"]}},
     "type": "object", "properties": {"items": {"type": "array", "items": {"$ref": "#/$defs/node"},
                                                "minItems": 1}},
     "required": ["items"]},
]


@pytest.mark.parametrize("schema", SCHEMAS, ids=range(len(SCHEMAS)))
def test_schema_instances_are_valid(schema):
    for seed in range(25):
        value = SchemaInstance(schema, random.Random(seed)).make()
        jsonschema.validate(value, schema)


def test_schema_instances_vary_and_respect_enums():
    seen = {SchemaInstance(ANNOTATION, random.Random(s)).make()["primary_emotion"]
            for s in range(40)}
    assert seen == {"shame", "hope"}


@settings(max_examples=200, deadline=None)
@given(lo=st.floats(-1e6, 1e6), width=st.floats(0, 1e6), seed=st.integers(0, 2 ** 32))
def test_numbers_stay_inside_any_bounds(lo, width, seed):
    schema = {"type": "number", "minimum": lo, "maximum": lo + width}
    jsonschema.validate(SchemaInstance(schema, random.Random(seed)).make(), schema)


def test_unsatisfiable_or_unsupported_schemas_are_reported():
    with pytest.raises(SchemaError, match="no integer"):
        SchemaInstance({"type": "integer", "minimum": 5, "maximum": 4}, random.Random()).make()
    with pytest.raises(SchemaError, match="local"):
        SchemaInstance({"$ref": "http://x/y"}, random.Random()).make()
    with pytest.raises(SchemaError, match="deeper"):
        SchemaInstance({"$ref": "#"}, random.Random()).make()


def test_json_schema_reply_is_json_of_the_schema():
    import json

    b = body(response_format={"type": "json_schema",
                              "json_schema": {"name": "a", "schema": ANNOTATION}})
    jsonschema.validate(json.loads(reply_content(b, reply_key(b))), ANNOTATION)
    obj = body(response_format={"type": "json_object"})
    assert set(json.loads(reply_content(obj, reply_key(obj)))) == {"reply"}
