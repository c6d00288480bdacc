"""Annotations run beside generation: a message's annotation is in flight while the next
message is generated, so a conversation of T messages takes about T + 1 latencies. The
dataset decides which roles are annotated, by which model, and per message or in one call."""

import asyncio
import time

import attrs

from bdsl.engine.executor import RunOptions, execute
from bdsl.store import Store, conversations
from tests.engine.plans import ScriptedCompleter, job, plan


class Timed(ScriptedCompleter):
    def __init__(self, latency):
        super().__init__(latency=latency)
        self.spans = []  # (kind, start, end)

    async def complete(self, request):
        start = time.monotonic()
        out = await super().complete(request)
        self.spans.append(("annotate" if request.json_schema else "text", start,
                           time.monotonic()))
        return out


def run(tmp_path, p, completer):
    store = Store.open(tmp_path)
    outcome = asyncio.run(execute(p, store, completer, RunOptions()))
    return outcome, list(conversations(store))


def test_annotations_overlap_the_next_message(tmp_path):
    latency = 0.2  # large against scheduling overheads, so a loaded machine cannot flip it
    completer = Timed(latency=latency)
    outcome, [conv] = run(tmp_path, plan(job("ds:a")), completer)
    assert outcome.status == "done"
    texts = [s for s in completer.spans if s[0] == "text"]
    notes = [s for s in completer.spans if s[0] == "annotate"]
    assert len(texts) == 4 and len(notes) == 4
    # the annotation of message k runs while message k+1 is being generated
    for (_, a_start, _), (_, _, t_end) in zip(notes, texts[1:], strict=False):
        assert a_start < t_end
    # critical path: 4 generations + the last annotation (5 latencies), not 4 + 4
    wall = max(s[2] for s in completer.spans) - min(s[1] for s in completer.spans)
    assert wall < 7 * latency
    assert all(t.annotation is not None for t in conv.turns)


def test_only_the_roles_the_dataset_names_are_annotated(tmp_path):
    p = plan(job("ds:a"))
    p = attrs.evolve(p, datasets=(attrs.evolve(p.datasets[0], annotate="user",
                                               annotate_model="fake/annotator"),))
    completer = ScriptedCompleter()
    _, [conv] = run(tmp_path, p, completer)
    assert [t.annotation is not None for t in conv.turns] == [True, False, True, False]
    annotations = [r for r in completer.requests if r.json_schema]
    assert len(annotations) == 2 and {r.model for r in annotations} == {"fake/annotator"}


def test_off_makes_no_annotation_calls(tmp_path):
    p = plan(job("ds:a"))
    p = attrs.evolve(p, datasets=(attrs.evolve(p.datasets[0], annotate="off"),))
    completer = ScriptedCompleter()
    _, [conv] = run(tmp_path, p, completer)
    assert not any(r.json_schema for r in completer.requests)
    assert all(t.annotation is None for t in conv.turns)


def test_per_conversation_is_one_call_for_every_message(tmp_path):
    p = plan(job("ds:a"))
    p = attrs.evolve(p, datasets=(attrs.evolve(p.datasets[0], annotate_mode="per_conversation"),))
    completer = ScriptedCompleter()
    _, [conv] = run(tmp_path, p, completer)
    [one] = [r for r in completer.requests if r.json_schema]
    assert one.json_schema["properties"]["annotations"]["minItems"] == 4
    assert all(t.annotation is not None for t in conv.turns)
    assert len({t.annotation_call_id for t in conv.turns}) == 1
