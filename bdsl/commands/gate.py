"""`bdsc gate SPEC --input conversations.jsonl`: a spec's gates on data made elsewhere.

Input: OpenAI chat JSONL (`{"messages": [...]}` per line); a message may carry
`finish_reason`, and so may the record (it then describes the last message). Output: each
record with `bdsl_gates: {outcome, failing, results, annotation_source}` added (and
`bdsl_annotations` with --annotate). Conversation gates, the arcs' open/close rules and
dataset gates (near-duplicates across the whole file, and against `--against` data) all
apply, as under `bdsc run`. Exit 0 when every conversation passes, 1 when any fails or
needs review, 2 on bad input or options.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import click

from bdsl.commands._common import EXIT_SPEC, EXIT_USAGE, compile_or_exit


def read_conversations(path: str) -> dict[str, dict]:
    """{key: {"messages": [...]}} of any file bdsl.ingest reads (OpenAI chat JSONL, Bright
    Run v4 JSON or JSONL): key "line N" or the file's conversation id. Bad input is a usage
    error naming where."""
    from bdsl.ingest import IngestError, read_file

    try:
        convs = read_file(path)
    except IngestError as e:
        raise click.UsageError(str(e)) from None
    records = {}
    for c in convs:
        key = f"line {c.line}" if c.source_format == "openai" else c.source_id
        messages = [{"role": "system", "content": c.system}] if c.system else []
        messages += [{"role": str(m.role), "content": m.content,
                      **({"finish_reason": m.finish_reason} if m.finish_reason else {})}
                     for m in c.messages]
        records[key] = {"id": c.source_id, "messages": messages}
    return records


def read_against(path: str) -> dict:
    """Earlier conversations to compare with: a run directory or an OpenAI JSONL export."""
    from bdsl.gates.external import turns_of_store
    from bdsl.gates.view import turns_from_messages

    p = Path(path)
    if p.is_dir():
        if not (p / "store.sqlite").exists():
            raise click.UsageError(f"--against {path}: a directory must be a run directory "
                                   "(no store.sqlite)")
        return turns_of_store(path)
    return {f"{path}:{key.split()[-1]}": turns_from_messages(rec["messages"])
            for key, rec in read_conversations(path).items()}


@click.command("gate")
@click.argument("spec", type=click.Path())
@click.option("--input", "input_path", type=click.Path(dir_okay=False, exists=True), required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Scored JSONL (default: <input>.scored.jsonl).")
@click.option("--dataset", default=None, help="Whose gates to apply (default: the first).")
@click.option("--arc", "arc_name", default=None,
              help="The arc to check against when the dataset has several.")
@click.option("--against", "against_path", type=click.Path(exists=True), default=None,
              help="An earlier export (JSONL) or run directory the input must not duplicate.")
@click.option("--annotate", is_flag=True,
              help="Annotate per-turn emotions with the judge model, so arc_conformance and "
                   "sentiment_trend score the input.")
@click.option("--judge-model", default=None, help="Override the dataset's judge model.")
def gate_cmd(spec, input_path, output, dataset, arc_name, against_path, annotate,
             judge_model) -> None:
    """Apply a spec's gates to conversations made elsewhere (OpenAI chat JSONL, Bright Run v4)."""
    from bdsl.gates import external, screen
    from bdsl.kinds import GateKind

    plan = compile_or_exit(spec).plan
    try:
        s = external.setup(plan, dataset, arc_name, annotate)
    except external.SetupError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(EXIT_USAGE)
    records = read_conversations(input_path)
    against = read_against(against_path) if against_path else None
    journal = None
    if annotate or screen.wants_screen(s.gates) or any(g.kind == GateKind.JUDGE
                                                        for g in s.gates):
        from bdsl.engine.llm_adapter import LLMCompleter

        journal = external.DirectJournal(LLMCompleter())
    scored = asyncio.run(external.score_records(s, records, journal, judge_model, annotate,
                                                against))
    out = Path(output or Path(input_path).with_suffix(".scored.jsonl"))
    counts = {"pass": 0, "fail": 0, "needs_review": 0, "unscored": 0}
    source = f"tool:{judge_model or s.dataset.judge_model}" if annotate else "none"
    with out.open("w", encoding="utf-8") as fh:
        for item in scored:
            summary = item.summary
            counts[summary.outcome] += 1
            rec = dict(records[item.key], bdsl_gates={
                "outcome": summary.outcome, "failing": list(summary.failing),
                "annotation_source": source,
                "results": [{"gate": r.gate, "passed": r.passed, "score": r.score,
                             "threshold": r.threshold, "reason": r.reason,
                             "details": r.details} for r in summary.results]})
            if annotate:
                rec["bdsl_annotations"] = external.annotations_of(item.turns)
            fh.write(json.dumps(rec, ensure_ascii=False, sort_keys=True) + "\n")
    click.echo(f"{len(records)} conversations: {counts['pass']} pass, {counts['needs_review']} "
               f"need review, {counts['fail']} fail -> {out}")
    if any(g.kind == GateKind.CHECK and g.metric == "arc_conformance" for g in s.gates) \
            and not annotate:
        click.echo("note: arc_conformance needs per-turn annotations; add --annotate "
                   "--judge-model MODEL to score it", err=True)
    sys.exit(EXIT_SPEC if counts["fail"] or counts["needs_review"] else 0)
