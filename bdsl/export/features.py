"""One column schema per Hugging Face export, inferred from all its records.

A split where a column is always null or empty (no curriculum in validation, no
reasoning on any message) would otherwise get another type than the split beside it, and
`datasets.load_dataset` refuses to combine them. So the card declares the features
(`dataset_info.features`) and every parquet file is written with the same schema.

Types: "null", "bool", "int64", "float64", "string", ("list", element),
("struct", {field: type}); null merges into anything, int64 into float64, structs by
field union. Nothing heavy is imported unless a parquet schema is asked for.
"""

from __future__ import annotations

SCALARS = {bool: "bool", int: "int64", float: "float64", str: "string"}


def infer(records, hints: dict | None = None) -> dict:
    """column -> type, over every record (columns in first-seen order). `hints` gives
    the types of columns that may hold only nulls or empty lists in an export."""
    columns: dict = {}
    for r in records:
        for key, value in r.items():
            columns[key] = merge(columns.get(key, "null"), type_of(value))
    for key, t in (hints or {}).items():
        if key in columns:
            columns[key] = merge(t, columns[key])
    return {k: concrete(t) for k, t in columns.items()}


def type_of(value):
    if value is None:
        return "null"
    if isinstance(value, dict):
        return ("struct", {k: type_of(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        elem = "null"
        for v in value:
            elem = merge(elem, type_of(v))
        return ("list", elem)
    for kind, name in SCALARS.items():  # bool before int: True is an int too
        if isinstance(value, kind):  # str subclasses too (the StrEnums of bdsl.kinds)
            return name
    raise TypeError(f"cannot store {type(value).__name__} in a dataset column")


def merge(a, b):
    if a == "null":
        return b
    if b == "null" or a == b:
        return a
    if isinstance(a, str) and isinstance(b, str) and {a, b} == {"int64", "float64"}:
        return "float64"
    if isinstance(a, tuple) and isinstance(b, tuple) and a[0] == b[0]:
        if a[0] == "list":
            return ("list", merge(a[1], b[1]))
        fields = dict(a[1])
        for k, t in b[1].items():
            fields[k] = merge(fields.get(k, "null"), t)
        return ("struct", fields)
    raise TypeError(f"a column holds both {a} and {b}")


def concrete(t):
    """A column nothing ever filled is a nullable string."""
    if t == "null":
        return "string"
    if isinstance(t, tuple):
        if t[0] == "list":
            return ("list", concrete(t[1]))
        return ("struct", {k: concrete(v) for k, v in t[1].items()})
    return t


def card_features(columns: dict) -> list[dict]:
    """The `dataset_info.features` list of a dataset card's YAML header."""
    return [{"name": name, **_yaml(t)} for name, t in columns.items()]


def _yaml(t) -> dict:
    if isinstance(t, str):
        return {"dtype": t}
    if t[0] == "struct":
        return {"struct": card_features(t[1])}
    elem = t[1]
    if isinstance(elem, str):
        return {"sequence": elem}
    if elem[0] == "struct":
        return {"list": card_features(elem[1])}
    return {"list": _yaml(elem)}


def arrow_schema(columns: dict):
    import pyarrow as pa

    def arrow(t):
        if isinstance(t, str):
            return {"bool": pa.bool_(), "int64": pa.int64(), "float64": pa.float64(),
                    "string": pa.string()}[t]
        if t[0] == "list":
            return pa.list_(arrow(t[1]))
        return pa.struct([(k, arrow(v)) for k, v in t[1].items()])

    return pa.schema([(k, arrow(t)) for k, t in columns.items()])
