"""Training-file exports of a run store: only what bdsl.outcomes says is exportable, in the
formats trainers read, with a manifest of hashes. One module per format:

  select.py         which conversations, with reviewer edits applied, their split, and
                    their segments (a curriculum: one per session, its own system prompt)
  signals.py        what is stored beside a reply: hidden perspectives (reasoning),
                    meta-commentary, alternates
  pairs.py          preference pairs: contrastive, bad_synthesis, reviewer_edit
  provenance.py     the spec/regulation versions, hashes and model every record names
  openai.py         chat fine-tuning JSONL (+ openai_checks.py, the cookbook's checks)
  sharegpt.py       {"conversations": [{"from", "value"}]}
  hf.py             TRL conversational JSONL/parquet folder (+ hf_card.py, trl_checks.py,
                    hf_folder.py and features.py: one column schema for every split)
  dpo.py            TRL conversational preference pairs (+ dpo_card.py)
  openai_dpo.py     OpenAI preference fine-tuning JSONL
  brightrun.py      brightrun-v4: upstream's brightrun-lora-v4, field by field
                    (+ brightrun_schema.py and schemas/: its JSON Schema)
  stats.py          distributions, gate pass rates, review counts (cards and metadata)
  manifest.py       manifest.json;  changelog.py: CHANGELOG.md between two manifests
  formats.py        the table of formats;  writer.py: the output folder(s)
"""
