"""Preference pairs: two replies to exactly the same context, one to prefer.

Sources (each pair names its own):
  contrastive    the methodology's reply (chosen) vs the conventional reply (rejected)
  bad_synthesis  the deliberation's synthesis (chosen) vs the deliberately bad one
  reviewer_edit  a reviewer's edit (chosen) vs the generated original (rejected), only
                 for datasets with `edit_pairs true`

The prompt is the segment's system prompt and the conversation before the reply *as
generated*: the context both replies were produced for (a reviewer's edit of an earlier
turn is not in it). The chosen text is the exported one, so a reviewer's edit of the
method reply or the synthesis replaces it (`chosen_edited`). A turn the spec says not to
train on (`train_on skip_first`) gives no pair; those are counted, not written.
"""

from __future__ import annotations

from collections import Counter
from enum import StrEnum

import attrs

from bdsl.export.provenance import record_provenance
from bdsl.export.signals import signals


class PairSource(StrEnum):
    CONTRASTIVE = "contrastive"
    BAD_SYNTHESIS = "bad_synthesis"
    REVIEWER_EDIT = "reviewer_edit"


# alternate label -> the pair source it makes
ALTERNATE_SOURCES = {"conventional": PairSource.CONTRASTIVE,
                     "bad_synthesis": PairSource.BAD_SYNTHESIS}


@attrs.frozen
class PreferencePair:
    source: PairSource
    item: object  # ExportItem
    segment: object  # Segment
    position: int  # index of the reply among the segment's messages
    prompt: tuple[dict, ...]  # system + history as generated, {"role", "content"}
    chosen: str
    rejected: str
    chosen_edited: bool
    explanation: str | None  # the turn's meta-commentary, when there is one

    @property
    def message(self):
        return self.segment.messages[self.position]

    @property
    def pair_id(self) -> str:
        return f"{self.item.job.key}#{self.message.seq}:{self.source}"


def item_pairs(item, edit_pairs: bool) -> tuple[list[PreferencePair], Counter]:
    """The item's pairs, and per source how many were left out as untrained turns."""
    sig = signals(item)
    pairs, untrained = [], Counter()
    for seg in item.segments:
        history = [{"role": "system", "content": seg.system}]
        for pos, m in enumerate(seg.messages):
            if m.role == "assistant":
                found = [(ALTERNATE_SOURCES[label], text)
                         for label, text in sig.alternates.get(m.idx, {}).items()
                         if label in ALTERNATE_SOURCES]
                if edit_pairs and m.edited and m.content != m.generated:
                    found.append((PairSource.REVIEWER_EDIT, m.generated))
                for source, rejected in found:
                    if not m.train:
                        untrained[source] += 1
                        continue
                    chosen_edited = m.edited and source != PairSource.REVIEWER_EDIT
                    pairs.append(PreferencePair(
                        source, item, seg, pos, tuple(history), m.content, rejected,
                        chosen_edited, sig.explanations.get(m.idx)))
            history.append({"role": m.role, "content": m.generated or m.content})
    return pairs, untrained


def all_pairs(items, ctx) -> tuple[list[PreferencePair], dict]:
    """Every pair of the items, and counts for the manifest: written per source, left out
    (untrained) per source, pairs whose two texts are identical (no preference signal)."""
    pairs, untrained = [], Counter()
    for item in items:
        got, skipped = item_pairs(item, ctx.edit_pairs(item))
        pairs += got
        untrained += skipped
    report = {"pairs": len(pairs),
              "by_source": dict(sorted(Counter(p.source.value for p in pairs).items())),
              "left_out_untrained": dict(sorted((k.value, v) for k, v in untrained.items())),
              "identical_texts": sum(1 for p in pairs if p.chosen.strip() == p.rejected.strip())}
    return pairs, report


def pair_metadata(pair: PreferencePair) -> dict:
    """What every pair says about itself, beside the texts."""
    item, seg = pair.item, pair.segment
    return {
        "pair_id": pair.pair_id, "source": pair.source.value, "job_key": item.job.key,
        "dataset": item.job.dataset, "kind": item.job.kind,
        "turn_index": pair.message.idx,
        # index of the reply in the segment's record (0 is the system message)
        "message_index": pair.position + 1,
        "curriculum_id": item.job.key if seg.session is not None else None,
        "session": seg.session,
        "chosen_edited": pair.chosen_edited, "explanation": pair.explanation,
        "gate_outcome": item.gates.outcome, "review_state": item.review.state,
        "human_reviewed": item.review.human_reviewed,
        **{k: v for k, v in record_provenance(item).items() if k != "job_key"},
    }


def no_pairs_message(fmt: str, report: dict) -> str:
    skipped = sum(report["left_out_untrained"].values())
    return (f"nothing to write as {fmt}: the exported conversations hold no preference pairs "
            "(they come from contrastive jobs, deliberations with a bad synthesis, and "
            "reviewer edits in datasets with `edit_pairs true`)"
            + (f"; {skipped} pairs were on turns the spec does not train on" if skipped else ""))
