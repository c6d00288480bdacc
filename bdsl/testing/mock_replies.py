"""What the mock answers: bounded text or a schema instance, derived from the request.

The reply is a function of the request's content (model, messages, seed, sampling
parameters, response format), never of its size: three or four short sentences, so a
conversation that feeds replies back as history does not grow its replies. Tokens are
whitespace-separated words, for prompts and replies alike.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import uuid

# Sentences are put together from three parts (16 x 16 x 16 = 4096 of them), three or
# four to a reply: two conversations practically never share a reply, so a reply found
# in a later prompt tells which call that prompt depended on (the provider bench uses it).
_SUBJECTS = ("That", "What you describe", "This week", "The worry", "Your plan", "The first step",
             "A small change", "Your effort", "The feeling", "This choice", "The setback",
             "Tonight", "The next hour", "Your question", "The budget", "Asking for help")
_VERBS = ("sounds like", "can become", "is often", "might be", "deserves", "points to",
          "takes", "does not need", "could start with", "is part of", "asks for", "feels like",
          "can wait for", "leads to", "makes room for", "needs")
_OBJECTS = ("a lot to carry.", "one honest conversation.", "ten quiet minutes.",
            "more patience than you expect.", "a clear next move.", "a kinder way to see it.",
            "something you can name.", "a list of three things.", "time, and that is fine.",
            "a question worth asking.", "help from someone you trust.", "rest before anything.",
            "a plan on one page.", "a walk outside.", "a smaller first goal.",
            "a note to yourself.")

# Fields of a request that decide its reply (max_tokens only cuts it; stream is refused).
REPLY_FIELDS = ("model", "messages", "seed", "temperature", "top_p", "response_format", "n")


def canonical(value) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def body_hash(body) -> str:
    return hashlib.sha256(canonical(body).encode("utf-8")).hexdigest()


def reply_key(body: dict) -> str:
    return body_hash({k: body.get(k) for k in REPLY_FIELDS})


def count_tokens(text: str) -> int:
    return len(text.split())


def message_text(message: dict) -> str:
    content = message.get("content")
    if isinstance(content, list):  # content parts: count the text ones
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return content if isinstance(content, str) else ""


def prompt_tokens(messages: list) -> int:
    return sum(count_tokens(message_text(m)) for m in messages if isinstance(m, dict))


def text_reply(rng: random.Random) -> str:
    return " ".join(f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)}"
                    for _ in range(rng.randint(3, 4)))


def reply_content(body: dict, key: str) -> str:
    """The full (uncut) reply for a request: text, a JSON object, or a schema instance."""
    rng = random.Random(key)
    fmt = body.get("response_format") or {}
    kind = fmt.get("type") if isinstance(fmt, dict) else None
    if kind == "json_schema":
        schema = (fmt.get("json_schema") or {}).get("schema") or {}
        return json.dumps(SchemaInstance(schema, rng).make())
    if kind == "json_object":
        return json.dumps({"reply": text_reply(rng)})
    return text_reply(rng)


def reply_text(body: dict) -> str:
    """The content the server answers `body` with (after any max_tokens cut)."""
    return cut(reply_content(body, reply_key(body)), max_completion(body))[0]


def cut(text: str, max_tokens: int | None) -> tuple[str, int, str]:
    """(content, completion tokens, finish_reason) with the reply cut at max_tokens."""
    words = text.split()
    if max_tokens is not None and max_tokens < len(words):
        return " ".join(words[:max_tokens]), max_tokens, "length"
    return text, len(words), "stop"


def completion_body(body: dict, key: str, created: int) -> dict:
    content, completion, finish = cut(reply_content(body, key), max_completion(body))
    prompt = prompt_tokens(body.get("messages") or [])
    return {
        "id": f"chatcmpl-{key[:24]}",
        "object": "chat.completion",
        "created": created,
        "model": body.get("model"),
        "system_fingerprint": "bdsl-mock",
        "choices": [{"index": 0, "finish_reason": finish, "logprobs": None,
                     "message": {"role": "assistant", "content": content, "refusal": None}}],
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion,
                  "total_tokens": prompt + completion},
    }


def max_completion(body: dict) -> int | None:
    value = body.get("max_completion_tokens", body.get("max_tokens"))
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class SchemaError(ValueError):
    """The response_format schema uses something the mock cannot satisfy."""


class SchemaInstance:
    """A random valid instance of a JSON schema (the structured-output subset: types,
    enum/const, bounds, lengths, required, anyOf/oneOf/allOf, local $ref). `pattern` is
    not honoured; such strings are plain words."""

    MAX_DEPTH = 32

    def __init__(self, root: dict, rng: random.Random):
        self.root, self.rng = root, rng

    def make(self):
        return self.value(self.root, 0)

    def value(self, schema, depth: int):
        if depth > self.MAX_DEPTH:
            raise SchemaError("schema nests deeper than 32 levels (a $ref cycle?)")
        if not isinstance(schema, dict) or not schema:
            return self.rng.choice(["mock", 1, True])  # `{}` or `true`: anything is valid
        rng = self.rng
        if "$ref" in schema:
            return self.value(self.resolve(schema["$ref"]), depth + 1)
        if "enum" in schema:
            return rng.choice(schema["enum"])
        if "const" in schema:
            return schema["const"]
        for key in ("anyOf", "oneOf"):
            if key in schema:
                return self.value(rng.choice(schema[key]), depth + 1)
        if "allOf" in schema:
            merged = {k: v for k, v in schema.items() if k != "allOf"}
            for part in schema["allOf"]:
                merged = _merge(merged, part)
            return self.value(merged, depth + 1)
        kind = schema.get("type") or ("object" if "properties" in schema else "string")
        if isinstance(kind, list):
            real = [k for k in kind if k != "null"] or ["null"]
            kind = rng.choice(real)
        make = getattr(self, f"_{kind}", None)
        if make is None:
            raise SchemaError(f"unknown JSON schema type {kind!r}")
        return make(schema, depth)

    def resolve(self, ref: str) -> dict:
        if not ref.startswith("#"):
            raise SchemaError(f"only local $ref is supported, got {ref!r}")
        node = self.root
        for part in ref.lstrip("#/").split("/") if ref != "#" else []:
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or part not in node:
                raise SchemaError(f"$ref {ref!r} points nowhere")
            node = node[part]
        return node

    def _object(self, schema: dict, depth: int) -> dict:
        props = schema.get("properties", {})
        return {k: self.value(v, depth + 1) for k, v in props.items()}

    def _array(self, schema: dict, depth: int) -> list:
        lo = schema.get("minItems", 0)
        n = self.rng.randint(lo, max(lo, schema.get("maxItems", lo + 3)))
        prefix, items = schema.get("prefixItems", []), schema.get("items", {})
        return [self.value(prefix[i] if i < len(prefix) else items, depth + 1) for i in range(n)]

    def _integer(self, schema: dict, depth: int) -> int:
        lo = (math.ceil(schema["minimum"]) if "minimum" in schema else
              math.floor(schema["exclusiveMinimum"]) + 1 if "exclusiveMinimum" in schema else None)
        hi = (math.floor(schema["maximum"]) if "maximum" in schema else
              math.ceil(schema["exclusiveMaximum"]) - 1 if "exclusiveMaximum" in schema else None)
        lo = lo if lo is not None else (hi - 100 if hi is not None else 0)
        hi = hi if hi is not None else lo + 100
        if lo > hi:
            raise SchemaError(f"no integer lies within the bounds of {schema}")
        step = schema.get("multipleOf")
        if isinstance(step, int) and step > 0:
            first, last = -(-lo // step), hi // step
            if first > last:
                raise SchemaError(f"no multiple of {step} lies within the bounds of {schema}")
            return self.rng.randint(first, last) * step
        return self.rng.randint(lo, hi)

    def _number(self, schema: dict, depth: int) -> float:
        lo, hi = _bounds(schema, 0.0, 1.0)
        value = round(self.rng.uniform(lo, hi), 3)
        if not _inside(value, schema):
            value = (lo + hi) / 2
        return value

    def _string(self, schema: dict, depth: int) -> str:
        fmt = schema.get("format")
        if fmt == "date-time":
            return "2025-01-01T12:00:00Z"
        if fmt == "date":
            return "2025-01-01"
        if fmt == "email":
            return "someone@example.com"
        if fmt == "uuid":
            return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        text = " ".join(self.rng.choice(_OBJECTS).rstrip(".").split()[:3])
        lo, hi = schema.get("minLength", 0), schema.get("maxLength")
        text = text.ljust(lo, "x")
        return text[:hi] if hi is not None else text

    def _boolean(self, schema: dict, depth: int) -> bool:
        return self.rng.random() < 0.5

    def _null(self, schema: dict, depth: int) -> None:
        return None


def _bounds(schema: dict, lo: float, hi: float) -> tuple[float, float]:
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    if low is None and high is None:
        return lo, hi
    if low is None:
        low = high - (hi - lo)
    if high is None:
        high = low + (hi - lo)
    return low, high


def _inside(value: float, schema: dict) -> bool:
    checks = (("minimum", lambda b: value >= b), ("maximum", lambda b: value <= b),
              ("exclusiveMinimum", lambda b: value > b), ("exclusiveMaximum", lambda b: value < b))
    return all(test(schema[k]) for k, test in checks if k in schema)


def _merge(a: dict, b: dict) -> dict:
    out = dict(a)
    for k, v in b.items():
        if k == "properties":
            out[k] = {**out.get(k, {}), **v}
        elif k == "required":
            out[k] = sorted(set(out.get(k, [])) | set(v))
        else:
            out[k] = v
    return out


def error_body(message: str, type_: str = "invalid_request_error", code: str | None = None,
               param: str | None = None) -> dict:
    """OpenAI's error JSON."""
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}
