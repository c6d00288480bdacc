"""The one table of export formats.

The schema's `export [...]` choices, `bdsc export --format`, the writer and the docs test
all derive from FORMATS. A new format is its module (with `write(items, ctx, out) ->
[file names]`) plus one line here.

Imports nothing heavy: `bdsc check` reads this table.
"""

from __future__ import annotations

import functools
import importlib

import attrs


@attrs.frozen
class FormatSpec:
    name: str
    module: str  # defines write(items, ctx, out) -> list of written file names
    doc: str
    # how the format can carry a deliberation's hidden perspectives (--reasoning)
    reasoning: tuple[str, ...] = ("none",)


FORMATS: dict[str, FormatSpec] = {f.name: f for f in (
    FormatSpec("openai", "bdsl.export.openai", "OpenAI chat fine-tuning JSONL (+ meta sidecar)",
               ("none", "think")),
    FormatSpec("sharegpt", "bdsl.export.sharegpt", "ShareGPT conversations JSONL",
               ("none", "think")),
    FormatSpec("hf", "bdsl.export.hf", "Hugging Face folder: TRL conversational JSONL/parquet, "
               "dataset card, axolotl and LLaMA-Factory snippets", ("none", "think", "field")),
    FormatSpec("dpo", "bdsl.export.dpo", "TRL conversational preference pairs (prompt, chosen, "
               "rejected): Hugging Face folder with a dataset card"),
    FormatSpec("openai-dpo", "bdsl.export.openai_dpo", "OpenAI preference fine-tuning JSONL "
               "(input, preferred_output, non_preferred_output) + meta sidecar"),
    FormatSpec("brightrun-v4", "bdsl.export.brightrun", "Bright Run brightrun-lora-v4 training "
               "file (full JSON and JSONL)"),
)}

DEFAULT_FORMATS = ("openai",)


@functools.cache
def writer(name: str):
    return importlib.import_module(FORMATS[name].module).write
