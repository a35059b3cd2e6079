"""One request budget for the two processes of a `pulumi up` that call Chatwoot.

The dynamic-provider process sends every resource's requests; the program process sends the
ownership check's list calls at the end of every `up`. Each has its own limiter, so together they
must stay within the budget in every 60 s window (the N=1000 benchmark saw 2,403 for 2,400 when
both limiters had the whole budget).
"""

from __future__ import annotations

import httpx
import pytest

from cwtenants import ownership, program
from cwtenants.chatwoot import ChatwootClient, Settings
from cwtenants.chatwoot.errors import ConfigError
from cwtenants.chatwoot.ratelimit import SlidingWindowLimiter
from cwtenants.resources import base
from fake_clock import FakeClock, peak_60s

BUDGET = 2400


def grants(limiter: SlidingWindowLimiter, n: int) -> list[float]:
    return [limiter.acquire() for _ in range(n)]


def fake_clock_twin(real: SlidingWindowLimiter, clock: FakeClock) -> SlidingWindowLimiter:
    """A limiter with the same budget and window as ``real``, on a fake clock."""
    return SlidingWindowLimiter(real.limit, real.window, clock=clock, sleep=clock.sleep)


@pytest.fixture
def limits(monkeypatch):
    """The limiters the two processes really build: the provider's client (resources.base.client)
    and the program's ownership client (program.ownership_client), for a budget of 2400."""
    env = {"CHATWOOT_URL": "http://budget-split.test", "CHATWOOT_API_TOKEN": "t",
           "CHATWOOT_ACCOUNT_ID": "1", "CWT_REQUESTS_PER_MINUTE": str(BUDGET)}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setattr(base, "_client", None)
    monkeypatch.setattr(base, "_config", {})
    monkeypatch.setattr(base, "_token_refused", None)
    provider = base.client()
    prog = program.ownership_client(ownership.settings_from({}))
    try:
        yield provider.limiter, prog.limiter
    finally:
        provider.close()
        prog.close()
        base._client = None


def ownership_requests() -> int:
    """How many requests the program's ownership check sends (counted on a fake transport)."""
    sent = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.path)
        return httpx.Response(200, json={"payload": []} if not request.url.path.endswith("/teams") else [])

    s = Settings(url="http://count.test", api_token="t", account_id=1, requests_per_minute=0)
    with ChatwootClient(s, httpx.MockTransport(handler)) as c:
        ownership.findings(c, [])
    assert sent, "the ownership check sent nothing: the count below would prove nothing"
    return len(sent)


def test_the_ownership_check_fits_in_the_program_reserve():
    # its calls never wait for the program's limiter; if this grows, raise PROGRAM_RESERVE
    assert ownership_requests() <= base.PROGRAM_RESERVE


@pytest.mark.parametrize("program_start", [0.0, 0.5, 30.0, 60.5, 61.0, 90.0, 150.0])
@pytest.mark.parametrize("program_attempts", [3, 18])  # the 3 list calls; each retried 5 times
def test_provider_and_program_together_stay_within_the_budget(limits, program_start, program_attempts):
    provider_real, program_real = limits
    # the provider process sends as fast as its limiter lets it for three minutes
    provider = fake_clock_twin(provider_real, FakeClock(0.0))
    provider_stamps = grants(provider, provider_real.limit * 3)
    # meanwhile, in its own process, the program runs the ownership check (and its retries)
    prog = fake_clock_twin(program_real, FakeClock(program_start))
    program_stamps = grants(prog, program_attempts)
    assert peak_60s(provider_stamps) <= provider_real.limit
    assert peak_60s(provider_stamps + program_stamps) <= BUDGET


def test_the_split_keeps_the_budget_and_gives_the_program_a_share():
    for rpm in (2, 3, 7, 12, 13, 300, 2400):
        prov, prog = base.budget_split(rpm)
        assert prov + prog == rpm and prov >= 1 and prog >= 1
    assert base.budget_split(2400) == (2400 - base.PROGRAM_RESERVE, base.PROGRAM_RESERVE)
    assert base.budget_split(0) == (0, 0)  # 0 = no client-side limit, in both processes


def test_a_budget_of_one_cannot_be_split():
    with pytest.raises(ConfigError, match="at least 2"):
        base.budget_split(1)
