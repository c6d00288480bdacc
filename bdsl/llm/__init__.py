"""The only place that talks to LLMs.

    client = LLMClient()
    result = await client.complete(ChatRequest(model="local/smollm2", messages=(...)))

Model names are litellm's (`gpt-4o-mini`, `anthropic/...`, `ollama/...`) plus two
in-process providers registered here: `local/<name or path.gguf>` (xllamacpp, the
embedded default) and `fake/echo` (tests and benchmarks; see fake_provider.py).
Importing this package is cheap; litellm loads on the first call.
"""

from bdsl.llm.client import LLMClient
from bdsl.llm.types import (
    ChatRequest,
    ChatResult,
    LLMError,
    ModelNotInstalled,
    ProviderError,
    RateLimited,
    Timeout,
    TruncatedError,
)

__all__ = ["LLMClient", "ChatRequest", "ChatResult", "LLMError", "ModelNotInstalled",
           "ProviderError", "RateLimited", "Timeout", "TruncatedError"]
