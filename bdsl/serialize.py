"""The one cattrs converter: the only path between IR/records and JSON."""

from __future__ import annotations

import json
from typing import Any, TypeVar

import cattrs

T = TypeVar("T")

converter = cattrs.Converter(forbid_extra_keys=True)
# Tuples round-trip through JSON lists.
converter.register_unstructure_hook(tuple, lambda t: [converter.unstructure(x) for x in t])


def to_data(obj: Any) -> Any:
    return converter.unstructure(obj)


def from_data(data: Any, cls: type[T]) -> T:
    return converter.structure(data, cls)


def to_json(obj: Any, indent: int | None = None) -> str:
    return json.dumps(to_data(obj), indent=indent, sort_keys=True, ensure_ascii=False,
                      separators=(",", ":") if indent is None else None)


def from_json(text: str, cls: type[T]) -> T:
    return from_data(json.loads(text), cls)


def canonical_hash(data: Any) -> str:
    """sha256 of the canonical JSON of plain data (dicts, lists, scalars)."""
    import hashlib

    blob = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()
