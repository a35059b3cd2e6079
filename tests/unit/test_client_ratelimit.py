"""Client-side rate limiting: never more than the budget in any 60 s window (fake clock)."""

from __future__ import annotations

import threading

import httpx
import pytest

from cwtenants.chatwoot import ChatwootClient, Settings, SlidingWindowLimiter
from fake_clock import FakeClock


def max_in_window(stamps: list[float], window: float = 60.0) -> int:
    """Largest number of stamps inside any half-open interval [t, t + window)."""
    stamps = sorted(stamps)
    best = 0
    j = 0
    for i, t in enumerate(stamps):
        while stamps[j] <= t - window:
            j += 1
        best = max(best, i - j + 1)
    return best


def test_max_in_window_helper_detects_violations():
    assert max_in_window([0, 1, 2], 60) == 3
    assert max_in_window([0, 60, 120], 60) == 1
    assert max_in_window([0, 59.9, 60], 60) == 2


def run_threads(n, target):
    threads = [threading.Thread(target=target) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
        assert not t.is_alive(), "limiter deadlocked"


def test_limiter_never_exceeds_budget_under_8_threads():
    clock = FakeClock()
    limiter = SlidingWindowLimiter(20, 60.0, clock=clock, sleep=clock.sleep)
    grants: list[float] = []
    lock = threading.Lock()

    def work():
        for _ in range(25):
            t = limiter.acquire()
            with lock:
                grants.append(t)

    run_threads(8, work)
    assert len(grants) == 200
    assert max_in_window(grants) == 20  # budget fully used, never exceeded
    # 200 grants at 20/min need at least 9 full windows after the first burst
    assert max(grants) - min(grants) >= 9 * 60
    assert limiter.waits > 0


def test_limiter_allows_burst_up_to_budget_without_waiting():
    clock = FakeClock()
    limiter = SlidingWindowLimiter(5, 60.0, clock=clock, sleep=clock.sleep)
    for _ in range(5):
        limiter.acquire()
    assert clock.slept == [] and limiter.in_window() == 5
    limiter.acquire()
    assert clock.slept == [60.0]


class RecordingLimiter(SlidingWindowLimiter):
    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.grants: list[float] = []
        self.glock = threading.Lock()

    def acquire(self) -> float:
        t = super().acquire()
        with self.glock:
            self.grants.append(t)
        return t


def test_client_respects_requests_per_minute_under_8_threads_including_retries():
    clock = FakeClock()
    sent = 0
    lock = threading.Lock()

    def handler(request):
        nonlocal sent
        with lock:
            sent += 1
            n = sent
        if n % 7 == 0:  # some retries, which must also consume budget
            return httpx.Response(503)
        return httpx.Response(200, json={"n": n})

    settings = Settings(url="http://chatwoot.test", api_token="tok-x", account_id=1, requests_per_minute=15)
    limiter = RecordingLimiter(settings.requests_per_minute, 60.0, clock=clock, sleep=clock.sleep)
    c = ChatwootClient(settings, httpx.MockTransport(handler), sleep=clock.sleep, clock=clock,
                       limiter=limiter)
    run_threads(8, lambda: [c.get("/teams") for _ in range(10)])
    snap = c.stats_snapshot()
    assert snap["by_method"]["GET"] == sent == len(limiter.grants)
    assert sent > 80  # retries happened and went through the limiter
    assert max_in_window(limiter.grants) <= 15
    assert snap["rate_limit_waits"] > 0


def test_client_uses_settings_budget_by_default():
    clock = FakeClock()
    settings = Settings(url="http://chatwoot.test", api_token="tok-x", account_id=1, requests_per_minute=3)
    c = ChatwootClient(settings, httpx.MockTransport(lambda r: httpx.Response(200, json={})),
                       sleep=clock.sleep, clock=clock)
    for _ in range(7):
        c.get("/teams")
    assert clock.slept == [60.0, 60.0]


def test_zero_budget_disables_limiter():
    settings = Settings(url="http://chatwoot.test", api_token="tok-x", account_id=1, requests_per_minute=0)
    c = ChatwootClient(settings, httpx.MockTransport(lambda r: httpx.Response(200, json={})),
                       sleep=lambda d: pytest.fail("must not sleep"))
    assert c.limiter is None
    for _ in range(50):
        c.get("/teams")


def test_default_limiter_is_shared_per_url():
    s = Settings(url="http://shared.test", api_token="tok-x", account_id=1, requests_per_minute=1100)
    t = httpx.MockTransport(lambda r: httpx.Response(200, json={}))
    a, b = ChatwootClient(s, t), ChatwootClient(s, t)
    assert a.limiter is b.limiter is not None


def test_injected_backoff_sleep_without_clock_does_not_drive_the_limiter():
    """A fake backoff sleep paired with the real clock would make the limiter busy-loop."""
    import time

    fake: list[float] = []
    settings = Settings(url="http://chatwoot.test", api_token="tok-x", account_id=1, requests_per_minute=2)
    c = ChatwootClient(settings, httpx.MockTransport(lambda r: httpx.Response(200, json={})), sleep=fake.append)
    assert c.limiter._sleep is time.sleep
    clock = FakeClock()
    c2 = ChatwootClient(settings, httpx.MockTransport(lambda r: httpx.Response(200, json={})),
                        sleep=clock.sleep, clock=clock)
    for _ in range(3):
        c2.get("/teams")
    assert clock.slept == [60.0]
