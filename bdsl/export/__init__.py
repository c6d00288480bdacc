"""Training-file exports of a run store: only what bdsl.outcomes says is exportable, in the
formats trainers read, with a manifest of hashes. One module per format:

  select.py         which conversations, with reviewer edits applied and their split
  provenance.py     the spec/regulation versions, hashes and model every record names
  openai.py         chat fine-tuning JSONL (+ openai_checks.py, the cookbook's checks)
  sharegpt.py       {"conversations": [{"from", "value"}]}
  hf.py             TRL conversational JSONL/parquet folder (+ hf_card.py, trl_checks.py)
  brightrun.py      brightrun-v4, the per-turn training-pair format
  stats.py          distributions, gate pass rates, review counts (cards and metadata)
  manifest.py       manifest.json;  changelog.py: CHANGELOG.md between two manifests
  writer.py         the format registry and the output folder
"""
