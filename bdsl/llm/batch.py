"""Provider batch APIs through litellm: many chat requests in one file, answered within
hours at the provider's batch price (OpenAI and OpenAI-compatible servers, Azure, through
litellm; Anthropic's Message Batches through anthropic_batch.py, which litellm cannot create).

    client = BatchClient()    # openai/*, azure/*, anthropic/* models
    batch = await client.submit("openai/gpt-4o-mini", [("key1", req1), ("key2", req2)])
    state = await client.state(batch.id, model)        # submitted ... completed
    answers = await client.answers(state, model)       # custom id -> Answer

Custom ids are the journal's request hashes, so a batch found again after a restart maps
its lines back to the calls that asked them. Cost uses the cost map's batch prices
(`input_cost_per_token_batches`, `output_cost_per_token_batches`); a model without them
has an unknown cost, never a guessed one.
"""

from __future__ import annotations

import asyncio
import json

import attrs

from bdsl.llm.client import _kwargs, litellm_module
from bdsl.llm.types import ChatRequest, ChatResult

ENDPOINT = "/v1/chat/completions"
DONE = ("completed", "failed", "expired", "cancelled")
PROVIDERS = ("openai", "azure", "anthropic")  # litellm drives the first two


class BatchUnsupported(Exception):
    pass


@attrs.frozen
class BatchState:
    id: str
    status: str  # validating | in_progress | finalizing | completed | failed | ...
    input_file: str = ""
    output_file: str = ""
    error_file: str = ""


@attrs.frozen
class Answer:
    result: ChatResult | None  # None when the line failed
    error: str = ""
    status_code: int = 200


def provider_of(model: str) -> tuple[str, str]:
    """(provider, the model name the provider knows) for a litellm model name."""
    litellm = litellm_module()
    try:
        name, provider, _, _ = litellm.get_llm_provider(model)
    except Exception as e:
        raise BatchUnsupported(f"model `{model}`: {e}") from None
    if provider not in PROVIDERS:
        raise BatchUnsupported(f"model `{model}` is served by `{provider}`, whose batch API "
                               f"bdsc cannot drive; --batch works with {', '.join(PROVIDERS)} "
                               "and OpenAI-compatible endpoints (openai/<model> + api_base)")
    return provider, name


def batch_cost(model: str, prompt_tokens: int | None, completion_tokens: int | None
               ) -> float | None:
    """The batch price of one answered line; None when the cost map has no batch price."""
    litellm = litellm_module()
    _, name = provider_of(model)
    info = litellm.model_cost.get(model) or litellm.model_cost.get(name) or {}
    cin, cout = info.get("input_cost_per_token_batches"), info.get("output_cost_per_token_batches")
    if cin is None or cout is None or prompt_tokens is None or completion_tokens is None:
        return None
    return prompt_tokens * cin + completion_tokens * cout


class BatchClient:
    def __init__(self, routes: dict | None = None):
        self.routes = dict(routes or {})

    def _where(self, model: str) -> dict:
        provider, _ = provider_of(model)
        route = self.routes.get(model)
        extra = route.params() if route is not None else {}
        return {"custom_llm_provider": provider, **extra}

    def _anthropic(self, model: str):
        """The Message Batches backend for an anthropic/* model, or None for the others."""
        if provider_of(model)[0] != "anthropic":
            return None
        from bdsl.llm.anthropic_batch import AnthropicBatches

        route = self.routes.get(model)
        where = route.params() if route is not None else {}
        return AnthropicBatches(where.get("api_base"), where.get("api_key"))

    async def submit(self, model: str, lines: list[tuple[str, ChatRequest]]) -> BatchState:
        if (api := self._anthropic(model)) is not None:
            return await _anthropic_submit(api, model, lines)
        litellm = litellm_module()
        _, name = provider_of(model)
        rows = []
        for custom_id, req in lines:
            body = _kwargs(req)
            body.pop("max_retries", None)
            body.pop("timeout", None)
            body["model"] = name
            rows.append(json.dumps({"custom_id": custom_id, "method": "POST", "url": ENDPOINT,
                                    "body": body}, ensure_ascii=False))
        data = ("\n".join(rows) + "\n").encode("utf-8")
        where = self._where(model)
        file = await litellm.acreate_file(file=("bdsl-batch.jsonl", data), purpose="batch",
                                          **where)
        batch = await litellm.acreate_batch(completion_window="24h", endpoint=ENDPOINT,
                                            input_file_id=file.id, **where)
        return BatchState(batch.id, batch.status, file.id)

    async def state(self, batch_id: str, model: str) -> BatchState:
        if (api := self._anthropic(model)) is not None:
            from bdsl.llm.anthropic_batch import status_of

            b = await api.retrieve(batch_id)
            return BatchState(b["id"], status_of(b), output_file=b.get("results_url") or "")
        litellm = litellm_module()
        b = await litellm.aretrieve_batch(batch_id=batch_id, **self._where(model))
        return BatchState(b.id, b.status, b.input_file_id or "", b.output_file_id or "",
                          b.error_file_id or "")

    async def cancel(self, batch_id: str, model: str) -> None:
        if (api := self._anthropic(model)) is not None:
            await api.cancel(batch_id)
            return
        litellm = litellm_module()
        await litellm.acancel_batch(batch_id=batch_id, **self._where(model))

    async def answers(self, state: BatchState, model: str) -> dict[str, Answer]:
        """Every line the batch answered or failed, by custom id."""
        out: dict[str, Answer] = {}
        if (api := self._anthropic(model)) is not None:
            from bdsl.llm.anthropic_batch import result_of

            def cost(prompt, completion):
                return batch_cost(model, prompt, completion)

            for row in await api.results(state.output_file) if state.output_file else []:
                out[row["custom_id"]] = Answer(*result_of(model, row, cost))
            return out
        for file_id in (state.output_file, state.error_file):
            if file_id:
                for row in await self._rows(file_id, model):
                    out[row["custom_id"]] = _answer(model, row)
        return out

    async def _rows(self, file_id: str, model: str) -> list[dict]:
        litellm = litellm_module()
        # the synchronous call on a thread: litellm 1.110's afile_content now and then
        # leaves a second, never-awaited coroutine behind, whose RuntimeWarning lands in
        # the user's terminal in the middle of the run's output
        content = await asyncio.to_thread(litellm.file_content, file_id=file_id,
                                          **self._where(model))
        text = content.content.decode("utf-8") if hasattr(content, "content") else str(content)
        return [json.loads(line) for line in text.splitlines() if line.strip()]


async def _anthropic_submit(api, model: str, lines: list[tuple[str, ChatRequest]]
                            ) -> BatchState:
    from bdsl.llm.anthropic_batch import params, status_of

    _, name = provider_of(model)
    info = {}
    try:
        info = litellm_module().get_model_info(model) or {}
    except Exception:  # not in the cost map: the documented default
        pass
    default = info.get("max_output_tokens") or info.get("max_tokens")
    kwargs = {"default_max_tokens": default} if default else {}
    b = await api.create([{"custom_id": custom_id, "params": params(req, name, **kwargs)}
                          for custom_id, req in lines])
    return BatchState(b["id"], status_of(b), output_file=b.get("results_url") or "")


def _answer(model: str, row: dict) -> Answer:
    response = row.get("response") or {}
    code = int(response.get("status_code") or 0)
    body = response.get("body") or {}
    if row.get("error") or code != 200 or not body.get("choices"):
        error = row.get("error") or body.get("error") or {}
        message = error.get("message") if isinstance(error, dict) else str(error)
        return Answer(None, message or f"status {code}", code or 500)
    choice = body["choices"][0]
    usage = body.get("usage") or {}
    prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
    return Answer(ChatResult((choice.get("message") or {}).get("content") or "",
                             choice.get("finish_reason") or "stop", prompt, completion,
                             batch_cost(model, prompt, completion), 0.0, model), "", code)
