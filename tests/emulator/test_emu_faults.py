"""Rate limiting (docs/chatwoot-behaviour.md#rate-limiting), deterministic fault injection, stats and the control plane.

The fault sequence contract is documented in chatwoot_emulator/faults.py.
"""

from __future__ import annotations

import random
import time

import httpx
import pytest

from cw_emu_helpers import A1

EMULATOR_OPTS = {"delete_delay": 30, "rate_limit": 0}
NEUTRAL = {"latency_ms": 0, "rate_limit": 0, "error_rate": 0, "drop_rate": 0, "lost_response_rate": 0,
           "late_commit_rate": 0, "seed": 0}


@pytest.fixture(autouse=True)
def neutral_faults(emu):
    emu.control("POST", "faults", json=NEUTRAL)
    yield
    emu.control("POST", "faults", json=NEUTRAL)


def _outcomes(emu, n: int) -> list:
    out = []
    with httpx.Client(base_url=emu.url, timeout=5.0) as c:
        for _ in range(n):
            try:
                out.append(c.get("/api").status_code)
            except httpx.TransportError:
                out.append("drop")
    return out


def test_same_seed_same_sequence(emu):
    """docs/chatwoot-behaviour.md#rate-limiting / fault model: same seed → same fault sequence (run twice, compare); differs from another seed."""
    rates = {"error_rate": 0.3, "drop_rate": 0.15, "lost_response_rate": 0.15}
    emu.control("POST", "faults", json=dict(rates, seed=42))
    first = _outcomes(emu, 40)
    emu.control("POST", "faults", json=dict(rates, seed=42))
    second = _outcomes(emu, 40)
    assert first == second
    assert {200, 500, "drop"} <= set(first)
    emu.control("POST", "faults", json=dict(rates, seed=43))
    assert _outcomes(emu, 40) != first


def test_sequence_matches_documented_derivation(emu):
    """Fault model: streams are random.Random(f"{seed}/drop|error|lost"), one draw each per request."""
    rates = {"error_rate": 0.25, "drop_rate": 0.1, "lost_response_rate": 0.2}
    emu.control("POST", "faults", json=dict(rates, seed=7))
    got = _outcomes(emu, 30)
    streams = {k: random.Random(f"7/{k}") for k in ("drop", "error", "lost")}
    expected = []
    for _ in range(30):
        d, e, lost = streams["drop"].random(), streams["error"].random(), streams["lost"].random()
        expected.append("drop" if d < 0.1 else 500 if e < 0.25 else "drop" if lost < 0.2 else 200)
    assert got == expected


def test_rate_limit_429_plain_text_no_retry_after(emu):
    """docs/chatwoot-behaviour.md#rate-limiting: throttled → 429 text/plain "Retry later", no Retry-After; /health never throttled."""
    if time.time() % 60 > 57:  # stay inside one fixed wall-clock window
        time.sleep(60 - time.time() % 60 + 0.1)
    emu.control("POST", "faults", json={"rate_limit": 5})
    with httpx.Client(base_url=emu.url) as c:
        statuses = [c.get("/api").status_code for _ in range(5)]
        r = c.get("/api")
        assert statuses == [200] * 5
        assert r.status_code == 429
        assert r.text == "Retry later"
        assert r.headers["content-type"] == "text/plain"
        assert "retry-after" not in r.headers
        assert c.get("/health").status_code == 200
        assert c.get("/__emulator__/stats").status_code == 200  # control plane never limited


def test_injected_500(emu, admin):
    """docs/chatwoot-behaviour.md#errors shape for injected 500s; the write is NOT applied."""
    emu.control("POST", "faults", json={"error_rate": 1.0})
    r = admin.post(f"{A1}/teams", json={"name": "never created"})
    assert r.status_code == 500 and r.json() == {"status": 500, "error": "Internal Server Error"}
    emu.control("POST", "faults", json={"error_rate": 0})
    assert "never created" not in [t["name"] for t in admin.get(f"{A1}/teams").json()]


def test_dropped_connection_is_transport_error(emu, admin):
    """Fault model: drop closes the socket without any response (client sees a transport error, not 500).

    The abort can reach httpx as "disconnected without a response" or, when the kernel answers
    the unread request bytes with a reset, as ReadError: both mean no response at all."""
    emu.control("POST", "faults", json={"drop_rate": 1.0})
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        admin.post(f"{A1}/teams", json={"name": "dropped team"})
    emu.control("POST", "faults", json={"drop_rate": 0})
    assert "dropped team" not in [t["name"] for t in admin.get(f"{A1}/teams").json()]


def test_lost_response_after_commit_really_committed(emu, admin):
    """Fault model: lost response — the write is committed, then the connection closes without a response."""
    emu.control("POST", "faults", json={"lost_response_rate": 1.0})
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        admin.post(f"{A1}/teams", json={"name": "Committed Anyway"})
    emu.control("POST", "faults", json={"lost_response_rate": 0})
    assert "committed anyway" in [t["name"] for t in admin.get(f"{A1}/teams").json()]


def test_late_commit_after_the_client_has_gone(emu, admin):
    """Fault model: "commit after the client has gone" — a create of an inbox/team/portal gets no answer;
    the client times out, the object does not exist yet, and it is committed once the delay is over."""
    emu.control("POST", "faults", json={"late_commit_rate": 1.0, "late_commit_delay": 1.5})
    with httpx.Client(base_url=emu.url, headers={"api_access_token": emu.tokens["admin_token"]},
                      timeout=0.5) as impatient:
        with pytest.raises(httpx.ReadTimeout):
            impatient.post(f"{A1}/teams", json={"name": "Late Team"})
    assert "late team" not in [t["name"] for t in admin.get(f"{A1}/teams").json()]  # not yet
    assert admin.get(f"{A1}/teams").status_code == 200  # reads are not delayed
    deadline = time.monotonic() + 30  # a hang guard, not a speed check
    while "late team" not in [t["name"] for t in admin.get(f"{A1}/teams").json()]:
        assert time.monotonic() < deadline, "the late create was never committed"
        time.sleep(0.2)
    emu.control("POST", "faults", json={"late_commit_rate": 0})


def test_latency(emu, anon):
    """Fault model: fixed latency per request (a lower bound only: a loaded machine may be slower,
    never faster). The control plane bypasses every fault (test_control_plane_never_faulted)."""
    emu.control("POST", "faults", json={"latency_ms": 300})
    t0 = time.monotonic()
    assert anon.get("/api").status_code == 200
    assert time.monotonic() - t0 >= 0.3


def test_control_plane_never_faulted(emu):
    """Control plane /__emulator__/* is never faulted."""
    emu.control("POST", "faults", json={"error_rate": 1.0, "drop_rate": 1.0})
    for _ in range(5):
        assert "total" in emu.control("GET", "stats")


def test_stats_counts_and_reset(emu, admin):
    """Stats: counts by method, by "METHOD path-template", total, peak in a rolling 60 s window, and
    when the last write was answered (reads do not move it)."""
    emu.control("POST", "stats/reset")
    assert emu.control("GET", "stats")["last_write_at"] is None
    admin.get(f"{A1}/teams")
    admin.get(f"{A1}/teams")
    before = time.time()
    admin.post(f"{A1}/teams", json={"name": "stats team"})
    after = time.time()
    admin.get(f"{A1}/inboxes/12345")
    s = emu.control("GET", "stats")
    assert s["total"] == 4
    assert s["by_method"] == {"GET": 3, "POST": 1}
    assert s["by_route"] == {
        "GET /api/v1/accounts/{account_id}/teams": 2,
        "POST /api/v1/accounts/{account_id}/teams": 1,
        "GET /api/v1/accounts/{account_id}/inboxes/{inbox_id}": 1,
    }
    assert s["peak_60s"] == 4
    assert before <= s["last_write_at"] <= after
    emu.control("POST", "stats/reset")
    assert emu.control("GET", "stats") == {"total": 0, "by_method": {}, "by_route": {}, "peak_60s": 0,
                                           "last_write_at": None}


def test_faults_endpoint_rejects_unknown_setting(emu):
    """Control plane: unknown fault setting → 400; GET returns the current config."""
    r = httpx.post(f"{emu.url}/__emulator__/faults", json={"bogus": 1})
    assert r.status_code == 400
    cfg = emu.control("GET", "faults")
    assert set(cfg) == {"latency_ms", "rate_limit", "error_rate", "drop_rate", "lost_response_rate", "seed",
                        "late_commit_rate", "late_commit_delay", "delete_delay", "unknown_portal_status"}


def test_cli_fault_flags(tmp_path):
    """CLI: --error-rate/--fault-seed at start produce the same sequence as the control plane."""
    from chatwoot_emulator.testing import EmulatorProcess

    with EmulatorProcess(tmp_path / "cli", error_rate=0.5, fault_seed=3) as e:
        got = _outcomes(e, 20)
    rng = random.Random("3/error")
    expected = []
    for _ in range(20):
        expected.append(500 if rng.random() < 0.5 else 200)
    assert got == expected
