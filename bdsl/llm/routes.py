"""Where a model is served: its endpoint and key, or several deployments sharing its load.

A dataset's `endpoint { api_base "http://gpu-1:8000/v1", api_key_env "VLLM_KEY" }` reaches a
self-hosted OpenAI-compatible server (vLLM, Ollama, llama.cpp) without litellm's global
environment variables; `deployments [...]` spreads one model over several servers through
litellm's Router. The key is read from the named environment variable at call time and
never written anywhere. Routes are transport, not content: they are not part of any job's
hash, so moving a model to another server regenerates nothing.
"""

from __future__ import annotations

import os

import attrs


@attrs.frozen
class Route:
    model: str
    api_base: str = ""
    api_key_env: str = ""
    deployments: tuple[str, ...] = ()  # one api_base per deployment

    def key(self) -> str | None:
        return os.environ.get(self.api_key_env) if self.api_key_env else None

    def bases(self) -> tuple[str, ...]:
        return self.deployments or ((self.api_base,) if self.api_base else ())

    def params(self) -> dict:
        out = {}
        if self.bases():
            out["api_base"] = self.bases()[0]
        if self.key() is not None:
            out["api_key"] = self.key()
        return out

    def router(self, litellm):
        """A litellm Router over the deployments; retries stay ours (num_retries=0)."""
        extra = {"api_key": self.key()} if self.key() is not None else {}
        model_list = [{"model_name": self.model,
                       "litellm_params": {"model": self.model, "api_base": base, **extra}}
                      for base in self.deployments]
        return litellm.Router(model_list=model_list, num_retries=0,
                              routing_strategy="simple-shuffle")


def routes_of(plan) -> dict[str, Route]:
    """model name -> its route, from every dataset that names an endpoint."""
    out = {}
    for d in plan.datasets:
        e = d.endpoint
        if e is not None:
            out[d.model.name] = Route(d.model.name, e.api_base, e.api_key_env, e.deployments)
    return out
