"""The mock's dice, latency distributions, rate limiter and config checks (no server)."""

import math
import statistics

import pytest

from bdsl.testing.mock_config import Fault, MockConfig, parse_fault
from bdsl.testing.mock_faults import RateLimiter, TokenBucket, draw, pick_fault, sample_latency


def test_draws_depend_only_on_their_arguments():
    assert draw(1, "fault", "abc", 0) == draw(1, "fault", "abc", 0)
    assert draw(1, "fault", "abc", 0) != draw(1, "fault", "abc", 1)
    assert draw(1, "fault", "abc", 0) != draw(2, "fault", "abc", 0)
    values = [draw(0, "x", str(i)) for i in range(5000)]
    assert 0 <= min(values) and max(values) < 1
    assert abs(statistics.mean(values) - 0.5) < 0.02


def test_faults_come_at_their_rates():
    cfg = MockConfig(faults={"429": 0.1, "500": 0.05, "hang": 0.15}, seed=3)
    picks = [pick_fault(cfg, f"body{i}", 0) for i in range(20000)]
    share = {f: picks.count(f) / len(picks) for f in (Fault.RATE_LIMIT, Fault.SERVER_ERROR,
                                                      Fault.HANG)}
    assert abs(share[Fault.RATE_LIMIT] - 0.1) < 0.01
    assert abs(share[Fault.SERVER_ERROR] - 0.05) < 0.01
    assert abs(share[Fault.HANG] - 0.15) < 0.01
    assert picks.count(None) / len(picks) == pytest.approx(0.7, abs=0.015)
    assert pick_fault(MockConfig(), "body", 0) is None


@pytest.mark.parametrize("distribution,spread,mean", [
    ("fixed", 0.0, 0.2), ("uniform", 0.1, 0.2), ("exponential", 0.0, 0.2),
    ("lognormal", 0.5, 0.2 * math.exp(0.125)),
])
def test_latency_distributions(distribution, spread, mean):
    cfg = MockConfig(latency=0.2, distribution=distribution, spread=spread, seed=5)
    samples = [sample_latency(cfg, f"b{i}", 0) for i in range(20000)]
    assert min(samples) >= 0
    assert statistics.mean(samples) == pytest.approx(mean, rel=0.05)
    if distribution == "uniform":
        assert 0.1 <= min(samples) and max(samples) <= 0.3
    if distribution == "lognormal":
        assert statistics.median(samples) == pytest.approx(0.2, rel=0.05)
    assert samples == [sample_latency(cfg, f"b{i}", 0) for i in range(20000)]


def test_token_bucket_refills_at_its_rate():
    bucket = TokenBucket(rate=2.0, capacity=2.0, now=0.0)
    assert bucket.wait_for(1, 0.0) == 0
    bucket.take(1)
    bucket.take(1)
    assert bucket.wait_for(1, 0.0) == pytest.approx(0.5)
    assert bucket.wait_for(1, 0.25) == pytest.approx(0.25)
    assert bucket.wait_for(1, 0.5) == 0
    assert bucket.wait_for(3, 10.0) == math.inf  # more than it can ever hold


def test_rate_limiter_charges_both_limits_or_neither():
    limiter = RateLimiter(MockConfig(requests_per_second=10, tokens_per_minute=600), now=0.0)
    assert limiter.admit(500, 0.0) == (0.0, "")
    wait, which = limiter.admit(200, 0.0)  # 100 tokens left, 10 per second
    assert which == "tokens" and wait == pytest.approx(10.0)
    assert limiter.requests.level == pytest.approx(9)  # the refused call took no request
    assert limiter.admit(100, 0.0) == (0.0, "")
    burst = RateLimiter(MockConfig(requests_per_second=3), now=0.0)
    results = [burst.admit(1, 0.0)[1] for _ in range(5)]
    assert results == ["", "", "", "requests", "requests"]
    assert RateLimiter(MockConfig(), 0.0).admit(10 ** 9, 0.0) == (0.0, "")


def test_config_rejects_impossible_settings():
    with pytest.raises(ValueError, match="add up to 1.2"):
        MockConfig(faults={"429": 0.6, "500": 0.6})
    with pytest.raises(ValueError, match="within 0..1"):
        MockConfig(faults={"hang": 1.5})
    with pytest.raises(ValueError, match="latency must be >= 0"):
        MockConfig(latency=-1)
    with pytest.raises(ValueError, match="requests_per_second must be > 0"):
        MockConfig(requests_per_second=0)
    with pytest.raises(ValueError):
        MockConfig(distribution="gaussian")
    assert MockConfig(faults={"500": 0.2, "429": 0.1}).faults == (
        (Fault.RATE_LIMIT, 0.1), (Fault.SERVER_ERROR, 0.2))


def test_parse_fault():
    assert parse_fault("503=0.25") == (Fault.UNAVAILABLE, 0.25)
    with pytest.raises(ValueError, match="unknown fault `418`; choose from 429, 500"):
        parse_fault("418=0.1")
    with pytest.raises(ValueError, match="needs a rate"):
        parse_fault("hang")
