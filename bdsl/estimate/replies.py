"""How long a model's reply is and how its tokens are counted, per provider, for the estimate.

The estimate cannot know what a model will say; it needs how long it says it, because
replies are billed as completion and then come back as history in every later prompt.

- `fake/*` (bdsl.llm.fake_provider): exactly what the provider does. A text reply is
  "echo: " + the first 24 words of the last user message (+ " ..." when longer); a JSON-schema
  reply is the schema's minimal instance. Tokens are words, as that provider counts them.
- `local/*` (bdsl.llm.local_provider): the plain-text grammar holds a reply to 1..4 complete
  sentences of up to 240 characters (MAX_SENTENCES), and the embedded model fills it,
  whatever the prompt asks: 4 sentences of LOCAL_SENTENCE_TOKENS, measured (docs/
  estimates.md). Tokens by litellm.token_counter (its default tokenizer; SmolLM2's own
  count was 4.6% higher on the measured prompts).
- API models: the prompt's own ask, at its middle; a prompt that states no length
  (the explicit panel's paragraphs) gets half of the call's max_tokens. Tokens by
  litellm.token_counter with the model's tokenizer; a structured call's JSON schema is
  counted as prompt, as providers bill it.
- `ceiling`: every local or API reply at its call's max_tokens (the most a call can bill
  before a retry); fake replies do not change.

Every string in a modeled structured reply is one sentence; arrays are empty unless the
schema needs items. A sentence is SENTENCE_TOKENS tokens.

Imports nothing heavy at module level: litellm is imported by the first token count.
"""

from __future__ import annotations

import json
import re

import attrs

from bdsl.schema_instance import instance

ECHO_WORDS = 24  # bdsl.llm.fake_provider.ECHO_WORDS (a test keeps them equal)
LOCAL_MAX_SENTENCES = 4  # bdsl.llm.local_provider.MAX_SENTENCES default (a test keeps them equal)
# A typical English sentence is 15-20 words and a word about 4/3 tokens (OpenAI's rule of
# thumb: 100 tokens ~ 75 words), so about 20 tokens.
SENTENCE_TOKENS = 20
# SmolLM2-135M under the sentence grammar writes 4 sentences in every reply, 36 tokens a
# sentence on average over 24 replies of two specs (bench/bench_estimate.py --local)
LOCAL_SENTENCE_TOKENS = 36
NO_ASK_FRACTION = 0.5  # an API reply whose prompt states no length: half of max_tokens
FILLER = "the"  # one token in every tokenizer litellm uses, and one word
ASK = re.compile(r"(\d+)\s*[-–]\s*(\d+)\s+sentences", re.I)


@attrs.frozen
class Reply:
    text: str  # stands in for the model's reply where it comes back into later prompts
    tokens: int  # completion tokens billed


def filler(tokens: int) -> str:
    return " ".join([FILLER] * max(0, tokens))


def asked_sentences(messages) -> float | None:
    """The middle of the last "N-M sentences" a prompt asks for, if it asks."""
    found = [m for _role, content in messages for m in ASK.finditer(content)]
    if not found:
        return None
    lo, hi = int(found[-1].group(1)), int(found[-1].group(2))
    return (lo + hi) / 2


class EchoReplies:
    """fake/*: the provider's own rule, counted in words."""

    kind = "fake"

    def describe(self) -> str:
        return (f"exact: \"echo: \" + at most {ECHO_WORDS} words of the last user message, a "
                "schema's minimal instance; tokens are words (as fake/echo counts them)")

    def prompt_tokens(self, messages, schema: dict | None = None) -> int:
        return sum(len(content.split()) for _role, content in messages)

    def text(self, messages, cap: int) -> Reply:
        last = next((c for role, c in reversed(messages) if role == "user"), "")
        words = last.split()
        text = "echo: " + " ".join(words[:ECHO_WORDS]) + (" ..." if len(words) > ECHO_WORDS
                                                           else "")
        return Reply(text, len(text.split()))

    def structured(self, schema: dict, cap: int) -> Reply:
        text = json.dumps(instance(schema, "echo"))
        return Reply(text, len(text.split()))


class ModeledReplies:
    """local/* and API models: reply lengths from the prompt's ask (or the cap, as a
    ceiling), tokens by litellm's counter for the model."""

    def __init__(self, model: str, ceiling: bool = False):
        self.model, self.ceiling = model, ceiling
        self.kind = "local" if model.startswith("local/") else "api"
        self.tokenizer = tokenizer_model(model)
        self._counts: dict[str, int] = {}  # system prompts and history repeat: count once
        self._framing: tuple[int, int] | None = None

    def describe(self) -> str:
        counted = "litellm.token_counter" if self.tokenizer else \
            "tiktoken (this model's tokenizer would be a download)"
        if self.ceiling:
            return "every reply at its call's max_tokens"
        if self.kind == "local":
            return (f"the local grammar's {LOCAL_MAX_SENTENCES} sentences, "
                    f"{LOCAL_SENTENCE_TOKENS} tokens each (measured with local/smollm2); "
                    f"tokens by {counted}")
        return (f"the prompt's \"N-M sentences\" at its middle, {SENTENCE_TOKENS} tokens a "
                f"sentence (no ask: {NO_ASK_FRACTION:g} x max_tokens), never above max_tokens; "
                f"tokens by {counted}, JSON schemas counted as prompt")

    def prompt_tokens(self, messages, schema: dict | None = None) -> int:
        """litellm.token_counter's count of the chat messages: each content counted, plus the
        chat format's tokens per request and per message (found once, by probing)."""
        per_request, per_message = self.framing()
        n = per_request + sum(per_message + self.count(content) for _role, content in messages)
        if schema is not None and self.kind == "api":  # local: a grammar, not prompt text
            n += self.count(json.dumps(schema))
        return n

    def framing(self) -> tuple[int, int]:
        if self._framing is None:
            def chat(n: int) -> int:
                return _litellm().token_counter(model=self.tokenizer, messages=[
                    {"role": "user", "content": "x"}] * n) - n * self.count("x")
            one, two = chat(1), chat(2)
            self._framing = (one - (two - one), two - one)
        return self._framing

    def count(self, text: str) -> int:
        n = self._counts.get(text)
        if n is None:
            n = self._counts[text] = _litellm().token_counter(model=self.tokenizer, text=text)
        return n

    def text(self, messages, cap: int) -> Reply:
        if self.ceiling:
            return Reply(filler(cap), cap)
        if self.kind == "local":
            tokens = LOCAL_MAX_SENTENCES * LOCAL_SENTENCE_TOKENS
        else:
            ask = asked_sentences(messages)
            tokens = ask * SENTENCE_TOKENS if ask else cap * NO_ASK_FRACTION
        tokens = min(cap, round(tokens))
        return Reply(filler(tokens), tokens)

    def structured(self, schema: dict, cap: int) -> Reply:
        text = json.dumps(instance(schema, filler(SENTENCE_TOKENS)))
        return Reply(text, cap if self.ceiling else min(cap, self.count(text)))


def _litellm():
    from bdsl.llm.client import litellm_module  # quiet, offline cost map

    return litellm_module()


def tokenizer_model(model: str) -> str:
    """The model name to count with: the model's own, unless litellm would fetch its
    tokenizer from the Hugging Face hub (llama, cohere); then "" (tiktoken, bundled)."""
    kind_of = getattr(_litellm().utils, "huggingface_tokenizer_kind", None)
    if kind_of is None:  # an older litellm: its hub tokenizers are llama's and cohere's
        return "" if any(x in model.lower() for x in ("llama", "command-r", "replicate")) \
            else model
    return model if kind_of(model) in (None, "anthropic", "deepseek") else ""


def replies_for(model: str, ceiling: bool = False):
    if model.startswith("fake/"):
        return EchoReplies()
    return ModeledReplies(model, ceiling)
