"""Prices come from litellm's offline cost map, never invented."""

import pytest

from bdsl.estimate.prices import price_of


def test_a_mapped_model_has_interactive_and_batch_prices():
    import litellm

    entry = litellm.model_cost["gpt-4o-mini"]
    p = price_of("gpt-4o-mini")
    assert p.cost(1000, 100) == pytest.approx(1000 * entry["input_cost_per_token"]
                                              + 100 * entry["output_cost_per_token"])
    assert p.cost(1000, 100, batch=True) == pytest.approx(
        1000 * entry["input_cost_per_token_batches"]
        + 100 * entry["output_cost_per_token_batches"])
    assert p.cost(1000, 100, batch=True) < p.cost(1000, 100) and p.note == ""


def test_no_batch_price_is_said_not_guessed():
    p = price_of("mistral/mistral-small-latest")
    assert p.cost(10, 10) is not None
    assert p.cost(10, 10, batch=True) is None and "no batch price" in p.note


def test_an_unmapped_model_has_no_price(capsys):
    p = price_of("acme/unknown-model-7")
    assert p.cost(10, 10) is None and p.cost(10, 10, batch=True) is None
    assert "not in litellm's cost map" in p.note
    assert capsys.readouterr().out == ""  # litellm's provider-list banner stays quiet


def test_local_and_fake_models_are_free():
    for model in ("local/smollm2", "fake/echo"):
        p = price_of(model)
        assert p.cost(10**6, 10**6) == 0.0 and p.cost(10**6, 10**6, batch=True) == 0.0
