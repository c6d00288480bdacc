"""Per-token prices from litellm's offline cost map (LITELLM_LOCAL_MODEL_COST_MAP=True):
interactive, and the providers' batch APIs where the map has a batch price
(`input_cost_per_token_batches`, `output_cost_per_token_batches`). Nothing is invented:
a model missing from the map, or without a batch price, has None and says why.
local/* and fake/* cost 0.0, as bdsl.llm.client bills them.
"""

from __future__ import annotations

import attrs

FREE_PROVIDERS = ("local/", "fake/")  # bdsl.llm.client.FREE_PROVIDERS


@attrs.frozen
class TokenPrice:
    input: float | None  # USD per prompt token
    output: float | None  # USD per completion token
    batch_input: float | None
    batch_output: float | None
    note: str = ""  # why a price is missing, or why it is zero

    def cost(self, prompt: int, completion: int, batch: bool = False) -> float | None:
        rate_in, rate_out = (self.batch_input, self.batch_output) if batch \
            else (self.input, self.output)
        if rate_in is None or rate_out is None:
            return None
        return prompt * rate_in + completion * rate_out


def price_of(model: str) -> TokenPrice:
    if model.startswith(FREE_PROVIDERS):
        return TokenPrice(0.0, 0.0, 0.0, 0.0, "free: runs on this machine" if
                          model.startswith("local/") else "free: the test provider")
    import os

    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    from bdsl.llm.client import litellm_module

    try:
        info = litellm_module().get_model_info(model)
    except Exception:  # litellm raises several kinds for an unmapped model
        return TokenPrice(None, None, None, None, "not in litellm's cost map: no price")
    rates = [info.get(k) for k in ("input_cost_per_token", "output_cost_per_token",
                                   "input_cost_per_token_batches",
                                   "output_cost_per_token_batches")]
    rates = [None if r is None else float(r) for r in rates]
    note = ""
    if rates[0] is None or rates[1] is None:
        note = "litellm's cost map has no per-token price"
    elif rates[2] is None or rates[3] is None:
        note = "no batch price in litellm's cost map"
    return TokenPrice(*rates, note)
