"""Writing a Hugging Face dataset folder's data files: `<split>.jsonl`, and the same as
`<split>.parquet` when pyarrow is installed, every split with one column schema
(bdsl/export/features.py) that the dataset card also declares."""

from __future__ import annotations

from bdsl.export import features

# columns that can be empty or null in a whole export, with the type they hold
HINTS = {
    "judge_scores": ("list", ("struct", {"metric": "string", "score": "float64"})),
    "regulations": ("list", ("struct", {"id": "string", "version": "string"})),
    "explanations": ("list", ("struct", {"message_index": "int64", "text": "string"})),
    "untrained_turns": ("list", "int64"), "edited_turns": ("list", "int64"),
    "session": "int64", "turn_index": "int64", "message_index": "int64",
}


def write_splits(ctx, out, records_by_split: dict[str, list[dict]]
                 ) -> tuple[list[str], dict[str, int], dict]:
    """(file names, records per split, the column types) for the non-empty splits."""
    columns = features.infer((r for records in records_by_split.values() for r in records),
                             HINTS)
    parquet = _pyarrow()
    schema = features.arrow_schema(columns) if parquet is not None else None
    files, counts = [], {}
    for split, records in records_by_split.items():
        if not records:
            continue
        counts[split] = len(records)
        files.append(ctx.write_jsonl(out / f"{split}.jsonl", records))
        if parquet is not None:
            import pyarrow

            table = pyarrow.Table.from_pylist(records, schema=schema)
            parquet.write_table(table, out / f"{split}.parquet")
            files.append(f"{split}.parquet")
    return files, counts, columns


def has_parquet() -> bool:
    return _pyarrow() is not None


def _pyarrow():
    try:
        import pyarrow.parquet
    except ImportError:
        return None
    return pyarrow.parquet
