"""The shared limiter's window margin: requests arriving at the server stay within the budget
even when each one leaves a little after its grant (issue 9, docs/benchmarks.md)."""

from __future__ import annotations

import random

from cwtenants.chatwoot import ChatwootClient, Settings
from cwtenants.chatwoot.client import WINDOW_MARGIN_S
from cwtenants.chatwoot.ratelimit import SlidingWindowLimiter
from fake_clock import FakeClock, peak_60s


def arrivals(window: float, delays: list[float], budget: int) -> list[float]:
    clock = FakeClock(0.0)
    lim = SlidingWindowLimiter(budget, window, clock=clock, sleep=clock.sleep)
    out = []
    for d in delays:
        out.append(lim.acquire() + d)  # the request reaches the server d seconds after its grant
    return out


def test_shared_limiter_uses_the_margin():
    s = Settings(url="http://margin.test", api_token="t", account_id=1, requests_per_minute=77)
    c = ChatwootClient(s)
    try:
        assert c.limiter.window == 60.0 + WINDOW_MARGIN_S
        assert c.limiter.limit == 77
    finally:
        c.close()


def test_delayed_arrivals_break_an_exact_window_but_not_the_margin():
    budget = 50
    # the last request of the first burst is late (descheduled), all others leave at once
    delays = [0.0] * 400
    delays[budget - 1] = 0.5
    assert peak_60s(arrivals(60.0, delays, budget)) > budget
    assert peak_60s(arrivals(60.0 + WINDOW_MARGIN_S, delays, budget)) <= budget


def test_random_delays_below_the_margin_never_exceed_the_budget():
    rng = random.Random(9)
    for budget in (10, 37, 100):
        delays = [rng.uniform(0, WINDOW_MARGIN_S) for _ in range(budget * 6)]
        assert peak_60s(arrivals(60.0 + WINDOW_MARGIN_S, delays, budget)) <= budget
