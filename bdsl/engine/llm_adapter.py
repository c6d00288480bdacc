"""Adapt bdsl.llm (the only module that talks to models) to the engine's Completer."""

from __future__ import annotations

from bdsl.engine.port import CallFailed, CallRequest, CallResult, CallTruncated

DEFAULT_TIMEOUT_S = 120.0


class LLMCompleter:
    def __init__(self, client=None, timeout_s: float = DEFAULT_TIMEOUT_S, **client_options):
        from bdsl import llm

        self.llm = llm
        self.client = client or llm.LLMClient(**client_options)
        self.timeout_s = timeout_s

    @property
    def retry_causes(self):
        return getattr(self.client, "retry_causes", None)

    async def complete(self, request: CallRequest) -> CallResult:
        llm = self.llm
        chat = llm.ChatRequest(
            model=request.model,
            messages=tuple({"role": r, "content": c} for r, c in request.messages),
            temperature=request.temperature, max_tokens=request.max_tokens,
            top_p=request.top_p, seed=request.seed, json_schema=request.json_schema,
            schema_name=request.schema_name or "output", timeout_s=self.timeout_s)
        try:
            res = await self.client.complete(chat)
        except llm.TruncatedError as e:
            raise CallTruncated(_result(e.result)) from None
        except Exception as e:  # after the client's retries, any provider error fails the job
            raise CallFailed(f"{type(e).__name__}: {e}", getattr(e, "kind", None)) from None
        return _result(res)


def _result(res) -> CallResult:
    return CallResult(res.text, res.finish_reason, res.prompt_tokens, res.completion_tokens,
                      res.cost, res.latency_s)
