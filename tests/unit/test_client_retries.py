"""Retry policy, request shape and stats of cwtenants.chatwoot.ChatwootClient (no network)."""

from __future__ import annotations

import json
import threading
import time

import httpx
import pytest

from cwtenants.chatwoot import ChatwootClient, Settings, errors

TOKEN = "tok-SECRET-retries-5d1e"
PLATFORM = "plat-SECRET-retries-77aa"


def resp(status: int, body=None, *, text: str | None = None, headers=None):
    def make(request: httpx.Request) -> httpx.Response:
        if text is not None:
            return httpx.Response(status, text=text, headers={"content-type": "text/plain", **(headers or {})})
        if body is None:
            return httpx.Response(status, headers=headers)
        return httpx.Response(status, json=body, headers=headers)
    return make


def boom(exc_cls):
    def make(request: httpx.Request) -> httpx.Response:
        raise exc_cls("scripted failure", request=request)
    return make


class Script:
    """MockTransport handler: plays the steps in order, the last one repeats."""

    def __init__(self, *steps):
        self.steps = list(steps)
        self.requests: list[httpx.Request] = []
        self.lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.requests.append(request)
            step = self.steps.pop(0) if len(self.steps) > 1 else self.steps[0]
        return step(request)


def make_client(script: Script, **settings_kw):
    sleeps: list[float] = []
    kw = dict(url="http://chatwoot.test", api_token=TOKEN, account_id=7, platform_token=PLATFORM)
    kw.update(settings_kw)
    client = ChatwootClient(Settings(**kw), httpx.MockTransport(script), sleep=sleeps.append,
                            rng=lambda: 1.0)
    return client, sleeps


# ---------------------------------------------------------------- idempotent methods

@pytest.mark.parametrize("status", [500, 502, 503, 504, 429])
def test_get_retried_on_5xx_and_429_then_succeeds(status):
    script = Script(resp(status, {"status": status, "error": "x"}), resp(200, {"id": 1}))
    c, sleeps = make_client(script)
    assert c.get("/inboxes/1") == {"id": 1}
    assert len(script.requests) == 2
    assert c.stats["GET"] == 2 and c.stats.retries == 1
    assert sleeps == [0.2]


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_idempotent_writes_retried_on_500(method):
    script = Script(resp(500, {"status": 500, "error": "Internal Server Error"}), resp(200, {"ok": True}))
    c, _ = make_client(script)
    assert getattr(c, method)("/teams/3", {"name": "x"}) == {"ok": True}
    assert [r.method for r in script.requests] == [method.upper()] * 2
    assert script.requests[1].content == b'{"name":"x"}'


@pytest.mark.parametrize("exc", [httpx.ReadTimeout, httpx.ReadError, httpx.RemoteProtocolError,
                                 httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout])
def test_get_retried_on_transport_errors(exc):
    script = Script(boom(exc), resp(200, []))
    c, _ = make_client(script)
    assert c.get("/teams") == []
    assert len(script.requests) == 2


def test_get_500_exhausted_raises_server_error_after_max_retries():
    script = Script(resp(500, {"status": 500, "error": "Internal Server Error"}))
    c, sleeps = make_client(script)
    with pytest.raises(errors.ServerError) as ei:
        c.get("/teams/1")
    assert len(script.requests) == 6  # 1 + max_retries(5)
    assert ei.value.attempts == 6 and ei.value.status == 500
    assert ei.value.message == "Internal Server Error"
    assert c.stats.retries == 5 and len(sleeps) == 5


def test_backoff_is_exponential_and_capped():
    script = Script(resp(503))
    c, sleeps = make_client(script, max_retries=8)
    with pytest.raises(errors.ServerError):
        c.get("/teams")
    assert sleeps == [0.2, 0.4, 0.8, 1.6, 3.2, 5.0, 5.0, 5.0]


def test_backoff_has_jitter():
    script = Script(resp(503))
    s = Settings(url="http://chatwoot.test", api_token=TOKEN, account_id=7, max_retries=3)
    sleeps: list[float] = []
    values = iter([0.5, 0.25, 0.0, 0.0])  # tenacity also computes a wait for the final attempt
    c = ChatwootClient(s, httpx.MockTransport(script), sleep=sleeps.append, rng=lambda: next(values))
    with pytest.raises(errors.ServerError):
        c.get("/teams")
    assert sleeps == [0.1, 0.1, 0.0]


def test_429_exhausted_raises_rate_limited():
    script = Script(resp(429, text="Retry later"))
    c, _ = make_client(script)
    with pytest.raises(errors.RateLimited) as ei:
        c.get("/teams")
    assert len(script.requests) == 6
    assert ei.value.message == "Retry later" and ei.value.status == 429
    assert "RACK_ATTACK" in ei.value.hint


def test_connect_error_exhausted_raises_transport_error():
    script = Script(boom(httpx.ConnectError))
    c, _ = make_client(script)
    with pytest.raises(errors.TransportError) as ei:
        c.get("/teams")
    assert len(script.requests) == 6
    assert ei.value.status is None
    assert not isinstance(ei.value, errors.OutcomeUnknown)


@pytest.mark.parametrize("exc", [httpx.ConnectError, httpx.ConnectTimeout])
def test_connect_retries_zero_fails_at_once_other_errors_still_retried(exc):
    """What the read-only CLI uses: a closed port is one attempt and no sleep, not ~5 s of backoff."""
    script = Script(boom(exc))
    c, sleeps = make_client(script, connect_retries=0)
    with pytest.raises(errors.TransportError):
        c.get("/teams")
    assert len(script.requests) == 1 and sleeps == []
    script = Script(resp(503), resp(200, []))
    c, sleeps = make_client(script, connect_retries=0)
    assert c.get("/teams") == [] and len(script.requests) == 2


def test_patch_with_lost_responses_exhausted_is_outcome_unknown():
    script = Script(boom(httpx.ReadTimeout))
    c, _ = make_client(script)
    with pytest.raises(errors.OutcomeUnknown):
        c.patch("/teams/1", {"name": "x"})
    assert len(script.requests) == 6


def test_max_retries_zero_means_single_attempt():
    script = Script(resp(500), resp(200, {}))
    c, sleeps = make_client(script, max_retries=0)
    with pytest.raises(errors.ServerError):
        c.get("/teams")
    assert len(script.requests) == 1 and sleeps == []


@pytest.mark.parametrize("status,cls", [(401, errors.Unauthorized), (402, errors.PaymentRequired),
                                        (404, errors.NotFound), (422, errors.Unprocessable),
                                        (400, errors.ChatwootError), (501, errors.ServerError)])
def test_client_errors_are_not_retried(status, cls):
    script = Script(resp(status, {"error": "nope"}), resp(200, {}))
    c, _ = make_client(script)
    with pytest.raises(cls):
        c.get("/inboxes/1")
    assert len(script.requests) == 1


def test_unknown_portal_500_retried_only_once():
    script = Script(resp(500, {"status": 500, "error": "Internal Server Error"}))
    c, _ = make_client(script)
    with pytest.raises(errors.ServerError) as ei:
        c.get("/portals/acme-help")
    assert len(script.requests) == 2
    assert ei.value.unknown_portal_candidate is True


# ---------------------------------------------------------------- POST

@pytest.mark.parametrize("exc", [httpx.ReadTimeout, httpx.ReadError, httpx.RemoteProtocolError,
                                 httpx.WriteError, httpx.WriteTimeout])
def test_post_with_lost_response_raises_outcome_unknown_after_one_request(exc):
    script = Script(boom(exc), resp(200, {"id": 1}))
    c, sleeps = make_client(script)
    with pytest.raises(errors.OutcomeUnknown) as ei:
        c.post("/teams", {"name": "support"})
    assert len(script.requests) == 1
    assert sleeps == [] and c.stats.retries == 0
    assert ei.value.method == "POST" and ei.value.path == "/api/v1/accounts/7/teams"
    assert "natural key" in ei.value.hint


@pytest.mark.parametrize("exc", [httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout])
def test_post_retried_when_request_never_reached_server(exc):
    script = Script(boom(exc), resp(200, {"id": 9}))
    c, _ = make_client(script)
    assert c.post("/teams", {"name": "support"}) == {"id": 9}
    assert len(script.requests) == 2


def test_post_429_retried():
    script = Script(resp(429, text="Retry later"), resp(429, text="Retry later"), resp(200, {"id": 3}))
    c, sleeps = make_client(script)
    assert c.post("/inboxes", {"name": "n"}) == {"id": 3}
    assert len(script.requests) == 3 and len(sleeps) == 2
    assert c.stats_snapshot()["retries"] == 2


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_post_5xx_not_retried(status):
    script = Script(resp(status, {"status": status, "error": "Internal Server Error"}), resp(200, {"id": 3}))
    c, sleeps = make_client(script)
    with pytest.raises(errors.ServerError) as ei:
        c.post("/teams", {"name": "n"})
    assert len(script.requests) == 1 and sleeps == []
    assert "may have been committed" in ei.value.hint


def test_platform_post_follows_post_rules():
    script = Script(boom(httpx.ReadTimeout))
    c, _ = make_client(script)
    with pytest.raises(errors.OutcomeUnknown):
        c.platform_post("/users", {"email": "a@b.c"})
    assert len(script.requests) == 1


# ---------------------------------------------------------------- request shape

def test_account_requests_carry_token_accept_and_json_body():
    script = Script(resp(200, {"id": 1}))
    c, _ = make_client(script)
    c.post("/teams", {"name": "Ünïcode"})
    c.get("/inboxes", params={"page": 2})
    post, get = script.requests
    assert post.url == "http://chatwoot.test/api/v1/accounts/7/teams"
    assert post.headers["api_access_token"] == TOKEN
    assert post.headers["accept"] == "application/json"
    assert post.headers["content-type"] == "application/json"
    assert json.loads(post.content) == {"name": "Ünïcode"}
    assert get.url.path == "/api/v1/accounts/7/inboxes" and get.url.params["page"] == "2"
    assert "content-type" not in get.headers


def test_delete_with_body_and_empty_response_returns_none():
    script = Script(resp(200))
    c, _ = make_client(script)
    assert c.delete("/teams/1/team_members", {"user_ids": [4]}) is None
    req = script.requests[0]
    assert req.method == "DELETE" and json.loads(req.content) == {"user_ids": [4]}
    assert req.headers["content-type"] == "application/json"


def test_platform_requests_use_platform_token_and_prefix():
    script = Script(resp(200, [{"id": 1}]))
    c, _ = make_client(script)
    assert c.platform_get("/accounts") == [{"id": 1}]
    req = script.requests[0]
    assert req.url.path == "/platform/api/v1/accounts"
    assert req.headers["api_access_token"] == PLATFORM


def test_platform_without_token_raises_config_error():
    script = Script(resp(200, {}))
    c, _ = make_client(script, platform_token=None)
    with pytest.raises(errors.ConfigError, match="CHATWOOT_PLATFORM_TOKEN"):
        c.platform_get("/accounts")
    assert script.requests == []


def test_api_version_is_unauthenticated():
    script = Script(resp(200, {"version": "4.15.1", "timestamp": "x"}))
    c, _ = make_client(script)
    assert c.api_version()["version"] == "4.15.1"
    req = script.requests[0]
    assert req.url.path == "/api" and "api_access_token" not in req.headers


@pytest.mark.parametrize("path", ["http://evil.test/steal", "//evil.test/x", "inboxes"])
def test_absolute_or_unrooted_paths_refused(path):
    script = Script(resp(200, {}))
    c, _ = make_client(script)
    with pytest.raises(ValueError):
        c.get(path)
    assert script.requests == []


def test_context_manager_closes_client():
    script = Script(resp(200, {}))
    with make_client(script)[0] as c:
        c.get("/teams")
    with pytest.raises(RuntimeError):
        c.get("/teams")


def test_non_json_success_body_is_an_error():
    script = Script(lambda r: httpx.Response(200, text="<html>onboarding</html>"))
    c, _ = make_client(script)
    with pytest.raises(errors.ChatwootError) as ei:
        c.get("/teams")
    assert ei.value.status == 200 and "CHATWOOT_URL" in ei.value.hint


# ---------------------------------------------------------------- stats, concurrency, logging

def test_stats_count_attempts_per_method_thread_safely():
    script = Script(resp(200, {}))
    c, _ = make_client(script)

    def work():
        for _ in range(50):
            c.get("/teams")
            c.post("/teams", {})

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    snap = c.stats_snapshot()
    assert snap == {"by_method": {"GET": 400, "POST": 400}, "total": 800, "retries": 0, "rate_limit_waits": 0}
    assert c.stats["GET"] == 400
    assert isinstance(snap, dict) and type(snap["by_method"]) is dict


def test_max_concurrency_semaphore_caps_in_flight_requests():
    in_flight = 0
    peak = 0
    lock = threading.Lock()

    def handler(request):
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        time.sleep(0.005)
        with lock:
            in_flight -= 1
        return httpx.Response(200, json={})

    s = Settings(url="http://chatwoot.test", api_token=TOKEN, account_id=7, max_concurrency=2)
    c = ChatwootClient(s, httpx.MockTransport(handler), sleep=lambda d: None)
    threads = [threading.Thread(target=lambda: [c.get("/teams") for _ in range(5)]) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert c.stats["GET"] == 40
    assert 1 <= peak <= 2


def test_debug_log_has_method_path_status_elapsed_only(caplog):
    script = Script(resp(500, {"status": 500, "error": "Internal Server Error"}), resp(200, {"secret_body": 1}))
    c, _ = make_client(script)
    with caplog.at_level("DEBUG", logger="cwtenants.http"):
        c.get("/teams", params={"q": "query-marker"})
    lines = [r.getMessage() for r in caplog.records if r.name == "cwtenants.http"]
    assert any("GET /api/v1/accounts/7/teams -> 500" in l for l in lines)
    assert any("GET /api/v1/accounts/7/teams -> 200" in l and "ms" in l for l in lines)
    text = "\n".join(lines)
    for forbidden in (TOKEN, "query-marker", "secret_body", "api_access_token"):
        assert forbidden not in text
