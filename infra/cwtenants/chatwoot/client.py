"""Synchronous Chatwoot HTTP client: auth, retries, client-side rate limit, typed errors.

It only speaks HTTP (httpx + tenacity + stdlib); it knows nothing about Pulumi or providers.

Paths
    ``get/post/patch/put/delete(path, ...)`` are relative to ``/api/v1/accounts/{account_id}``
    (e.g. ``"/inboxes"``, ``"/portals/acme-help"``) and use ``CHATWOOT_API_TOKEN``;
    ``platform_*`` are relative to ``/platform/api/v1`` and use ``CHATWOOT_PLATFORM_TOKEN``;
    ``api_version()`` is ``GET /api`` without any token. Both tokens travel in the
    ``api_access_token`` header. Paths must start with ``/`` (absolute URLs are refused so a
    token can never be sent to another host). Every request sends
    ``Accept: application/json``; requests with a body send ``Content-Type: application/json``.
    Successful responses return the parsed JSON, or ``None`` for an empty body.

Retry policy (tenacity; capped exponential backoff with full jitter: before retry *n* sleep
``uniform(0, min(backoff_cap, backoff_base * 2**n))``, 0.2 s / 5 s by default; at most
``max_retries`` retries, 5 by default; the sleep is injectable)::

    outcome of an attempt                         GET/PUT/PATCH/DELETE     POST
    --------------------------------------------  -----------------------  ------------------------------
    429 (rack-attack "Retry later")               retry → RateLimited      retry → RateLimited
    500/502/503/504                               retry → ServerError      no retry: ServerError (the
                                                                           write may be committed)
    500 on /portals/<slug>… (unknown slug ≤4.15.1) retry once → ServerError no retry: ServerError
                                                  (unknown_portal_candidate)
    other 5xx (501, 505, …)                       no retry: ServerError    no retry: ServerError
    ConnectError / ConnectTimeout / PoolTimeout   retry → TransportError   retry → TransportError
      (request never reached the server)
    ReadTimeout / ReadError / WriteError /        retry → TransportError   no retry: OutcomeUnknown
      WriteTimeout / RemoteProtocolError / …        (GET) or OutcomeUnknown  (look the object up by
      (sent, response lost)                         (PUT/PATCH/DELETE)       natural key before retrying)
    401/402/404/422/other 4xx, 3xx                no retry: typed error    no retry: typed error

"→ X" names the error raised once the retries are exhausted.

Client-side rate limit: a sliding-window limiter (``requests_per_minute``, default 2400,
0 disables it) is acquired before **every** attempt, retries included, so the client never
sends more than the budget in any 60-second window (the shared limiter's window is 60 s +
``WINDOW_MARGIN_S``, so requests *arriving* at the server respect it too); the 429 path is
only a safety net. By
default the limiter (and the optional ``max_concurrency`` semaphore) is shared process-wide
by all clients talking to the same Chatwoot URL; pass ``limiter=``/``clock=``/``sleep=`` for
a private one (tests).

Observability: ``client.stats`` counts attempts sent per HTTP method plus ``retries``;
``client.stats_snapshot()`` returns a plain dict. With ``logging.getLogger("cwtenants.http")``
at DEBUG each attempt logs method, path, status and elapsed time — never headers, bodies or
query strings. Tokens never appear in errors, reprs or log lines.
"""

from __future__ import annotations

import json as _json
import logging
import random
import re
import threading
import time
from collections import Counter
from typing import Any, Callable, Mapping

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception

from . import errors
from .errors import (
    ChatwootError,
    ConfigError,
    OutcomeUnknown,
    ServerError,
    TransportError,
    error_for_status,
    parse_error_body,
)
from .ratelimit import SlidingWindowLimiter, shared_gate
from .settings import Settings

__all__ = ["ChatwootClient", "RequestStats"]

log = logging.getLogger("cwtenants.http")

IDEMPOTENT_METHODS = frozenset({"GET", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
RETRYABLE_STATUSES = frozenset({500, 502, 503, 504})
#: a 500 on a portal item path is most likely Chatwoot ≤4.15.1's "unknown slug" bug: retry it
#: only this many times, not max_retries, so a missing portal is reported quickly.
UNKNOWN_PORTAL_RETRIES = 1

# errors where the request certainly never reached the server
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError)
# errors raised before anything is sent because the request itself is invalid: never retried
_NOT_RETRYABLE_LOCAL = (httpx.UnsupportedProtocol, httpx.LocalProtocolError)

_PORTAL_ITEM = re.compile(r"^/portals/[^/?#]+")

_POOL_SIZE = 8  # ~8 worker threads (Pulumi's default parallelism is higher, but we cap it)

#: The shared limiter counts grants over 60 s + this margin. A grant is taken just before the
#: request is sent, and the server counts the request when it arrives: a thread descheduled
#: between the two (GIL, a loaded machine) shifts arrivals against grants. With an exact 60 s
#: window the benchmark saw 2404 requests in one server-side 60 s window at a 2400 budget
#: (docs/benchmarks.md); the margin absorbs grant-to-arrival delays up to 1 s for ~1.6 % of
#: throughput when the budget is the bottleneck.
WINDOW_MARGIN_S = 1.0


class RequestStats(Counter):
    """Counter of attempts sent per HTTP method (``stats["GET"]``) plus ``.retries``.

    Thread-safe for the client's own updates; ``snapshot()`` returns a plain dict.
    """

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self.retries = 0
        self.rate_limit_waits = 0

    def _sent(self, method: str) -> None:
        with self._lock:
            self[method] += 1

    def _retry(self) -> None:
        with self._lock:
            self.retries += 1

    def _waited(self) -> None:
        with self._lock:
            self.rate_limit_waits += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            by_method = {k: v for k, v in sorted(self.items()) if v}
            return {
                "by_method": by_method,
                "total": sum(by_method.values()),
                "retries": self.retries,
                "rate_limit_waits": self.rate_limit_waits,
            }

    def reset(self) -> None:
        with self._lock:
            self.clear()
            self.retries = 0
            self.rate_limit_waits = 0

    def __reduce__(self):  # Counter's reduce would lose the lock
        return (RequestStats, ())


class _Attempt(Exception):
    """Internal carrier: a typed error plus whether tenacity may retry it."""

    def __init__(self, error: ChatwootError, retryable: bool, max_attempts: int) -> None:
        super().__init__(error.message)
        self.error = error
        self.retryable = retryable
        self.max_attempts = max_attempts


class ChatwootClient:
    """Thread-safe synchronous client for one Chatwoot account (see module docstring)."""

    def __init__(
        self,
        settings: Settings,
        transport: httpx.BaseTransport | None = None,
        *,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] | None = None,
        limiter: SlidingWindowLimiter | None = None,
        semaphore: threading.Semaphore | None = None,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.settings = settings
        self._sleep = sleep or time.sleep
        self._clock = clock or time.monotonic
        self._rng = rng
        self._secrets = settings.secrets()
        private = sleep is not None or clock is not None
        rpm = settings.requests_per_minute
        if limiter is None and rpm:
            if private:
                # the limiter must wait on the same time base it measures: an injected sleep
                # (for backoff) without an injected clock would otherwise busy-loop
                limiter_sleep = self._sleep if clock is not None else time.sleep
                limiter = SlidingWindowLimiter(rpm, 60.0, clock=self._clock, sleep=limiter_sleep)
            else:
                limiter = shared_gate(("limiter", settings.url, rpm),
                                      lambda: SlidingWindowLimiter(rpm, 60.0 + WINDOW_MARGIN_S))
        self.limiter = limiter
        if semaphore is None and settings.max_concurrency:
            n = settings.max_concurrency
            if private:
                semaphore = threading.BoundedSemaphore(n)
            else:
                semaphore = shared_gate(("semaphore", settings.url, n), lambda: threading.BoundedSemaphore(n))
        self._semaphore = semaphore
        t = settings.timeout
        self._http = httpx.Client(
            base_url=settings.url,
            transport=transport,
            timeout=httpx.Timeout(connect=t.connect, read=t.read, write=t.write, pool=t.pool),
            limits=httpx.Limits(max_connections=_POOL_SIZE + 2, max_keepalive_connections=_POOL_SIZE),
            headers={"Accept": "application/json", "User-Agent": "cwtenants-chatwoot-client"},
            follow_redirects=False,
            trust_env=True,
        )
        self.stats = RequestStats()
        self._closed = False

    # ------------------------------------------------------------------ lifecycle
    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._http.close()

    def __enter__(self) -> "ChatwootClient":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ChatwootClient(url={self.settings.url!r}, account_id={self.settings.account_id!r})"

    def stats_snapshot(self) -> dict[str, Any]:
        return self.stats.snapshot()

    # ------------------------------------------------------------------ account API
    def get(self, path: str, params: Mapping[str, Any] | None = None, *, json: Any = None) -> Any:
        return self._account("GET", path, json, params)

    def post(self, path: str, json: Any = None, params: Mapping[str, Any] | None = None) -> Any:
        return self._account("POST", path, json, params)

    def patch(self, path: str, json: Any = None, params: Mapping[str, Any] | None = None) -> Any:
        return self._account("PATCH", path, json, params)

    def put(self, path: str, json: Any = None, params: Mapping[str, Any] | None = None) -> Any:
        return self._account("PUT", path, json, params)

    def delete(self, path: str, json: Any = None, params: Mapping[str, Any] | None = None) -> Any:
        return self._account("DELETE", path, json, params)

    def api_version(self) -> Any:
        """``GET /api`` (no auth): ``{"version", "timestamp", "queue_services", "data_services"}``."""
        return self.request("GET", "/api", token=None)

    # ------------------------------------------------------------------ platform API
    def platform_get(self, path: str, params: Mapping[str, Any] | None = None, *, json: Any = None) -> Any:
        return self._platform("GET", path, json, params)

    def platform_post(self, path: str, json: Any = None, params: Mapping[str, Any] | None = None) -> Any:
        return self._platform("POST", path, json, params)

    def platform_patch(self, path: str, json: Any = None, params: Mapping[str, Any] | None = None) -> Any:
        return self._platform("PATCH", path, json, params)

    def platform_put(self, path: str, json: Any = None, params: Mapping[str, Any] | None = None) -> Any:
        return self._platform("PUT", path, json, params)

    def platform_delete(self, path: str, json: Any = None, params: Mapping[str, Any] | None = None) -> Any:
        return self._platform("DELETE", path, json, params)

    # ------------------------------------------------------------------ internals
    def _account(self, method: str, path: str, json: Any, params: Any) -> Any:
        return self.request(method, self.settings.account_prefix + _relative(path), json=json,
                            params=params, token=self.settings.api_token, relative=_relative(path))

    def _platform(self, method: str, path: str, json: Any, params: Any) -> Any:
        if not self.settings.platform_token:
            raise ConfigError(
                "CHATWOOT_PLATFORM_TOKEN is not set; the Platform API (/platform/api/v1) needs it"
            )
        return self.request(method, "/platform/api/v1" + _relative(path), json=json, params=params,
                            token=self.settings.platform_token, platform=True)

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            if secret and secret in text:
                text = text.replace(secret, "***")
        return text

    def request(
        self,
        method: str,
        full_path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        token: str | None,
        relative: str | None = None,
        platform: bool = False,
    ) -> Any:
        """Send ``method full_path`` with retries; ``full_path`` is absolute on the server."""
        if self._closed:
            raise RuntimeError("ChatwootClient is closed")
        method = method.upper()
        full_path = _relative(full_path)
        headers = {}
        if token:
            headers["api_access_token"] = token
        content = None
        if json is not None:
            content = _json.dumps(json, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            headers["Content-Type"] = "application/json"
        ctx = _Ctx(method, full_path, relative, platform)

        def wait(state: RetryCallState) -> float:
            n = state.attempt_number  # 1 after the first failure
            ceiling = min(self.settings.backoff_cap, self.settings.backoff_base * (2 ** (n - 1)))
            return self._rng() * ceiling

        def stop(state: RetryCallState) -> bool:
            exc = state.outcome.exception() if state.outcome else None
            limit = self.settings.max_retries + 1
            if isinstance(exc, _Attempt):
                limit = min(limit, exc.max_attempts)
            return state.attempt_number >= limit

        def before_sleep(state: RetryCallState) -> None:
            self.stats._retry()
            exc = state.outcome.exception() if state.outcome else None
            reason = exc.error._status_text() if isinstance(exc, _Attempt) else "?"
            log.debug("retry %s %s after %s (attempt %d, sleeping %.2fs)", method, full_path,
                      reason, state.attempt_number, state.upcoming_sleep)

        retrying = Retrying(
            retry=retry_if_exception(lambda e: isinstance(e, _Attempt) and e.retryable),
            stop=stop,
            wait=wait,
            sleep=self._sleep,
            before_sleep=before_sleep,
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    return self._attempt(ctx, headers, content, params, attempt.retry_state.attempt_number)
        except _Attempt as carrier:
            error = carrier.error
        raise error  # outside the except block: no chained context holding httpx objects

    def _attempt(self, ctx: "_Ctx", headers: dict, content: bytes | None, params: Any, number: int) -> Any:
        method, path = ctx.method, ctx.path
        if self.limiter is not None:
            before = self.limiter.waits
            self.limiter.acquire()
            if self.limiter.waits != before:
                self.stats._waited()
        sem = self._semaphore
        if sem is not None:
            sem.acquire()
        failure: _Attempt | None = None
        response: httpx.Response | None = None
        started = time.perf_counter()
        try:
            self.stats._sent(method)
            try:
                response = self._http.request(method, path, content=content, params=params, headers=headers)
            except httpx.HTTPError as exc:
                failure = self._transport_failure(ctx, exc, number)
        finally:
            if sem is not None:
                sem.release()
        elapsed_ms = (time.perf_counter() - started) * 1000
        if failure is not None:
            log.debug("%s %s -> %s in %.1fms (attempt %d)", method, path, type(failure.error).__name__,
                      elapsed_ms, number)
            raise failure
        assert response is not None
        log.debug("%s %s -> %d in %.1fms (attempt %d)", method, path, response.status_code, elapsed_ms, number)
        return self._handle(ctx, response, number)

    def _transport_failure(self, ctx: "_Ctx", exc: httpx.HTTPError, number: int) -> _Attempt:
        detail = self._redact(f"{type(exc).__name__}: {exc}".rstrip(": "))
        max_attempts = self.settings.max_retries + 1
        if isinstance(exc, _NOT_RETRYABLE_LOCAL):
            return _Attempt(TransportError(ctx.method, ctx.path, None, detail, attempts=number), False, 1)
        if isinstance(exc, _NEVER_SENT):
            msg = f"could not connect ({detail})"
            hint = "check CHATWOOT_URL and that Chatwoot is reachable" if not isinstance(exc, httpx.PoolTimeout) \
                else "all pooled connections were busy; lower concurrency or raise the pool timeout"
            connect = self.settings.connect_retries
            return _Attempt(TransportError(ctx.method, ctx.path, None, msg, hint=hint, attempts=number),
                            True, max_attempts if connect is None or isinstance(exc, httpx.PoolTimeout)
                            else connect + 1)
        # the request was (possibly) sent and the response was lost
        msg = f"request sent, response lost ({detail})"
        if ctx.method not in IDEMPOTENT_METHODS:
            return _Attempt(OutcomeUnknown(ctx.method, ctx.path, None, msg, hint=errors.HINT_OUTCOME_UNKNOWN,
                                           attempts=number), False, 1)
        if ctx.method == "GET":
            err: ChatwootError = TransportError(ctx.method, ctx.path, None, msg, attempts=number)
        else:
            err = OutcomeUnknown(ctx.method, ctx.path, None, msg,
                                 hint="an idempotent write was sent but its response was lost on every attempt; "
                                      "re-read the object before continuing", attempts=number)
        return _Attempt(err, True, max_attempts)

    def _handle(self, ctx: "_Ctx", response: httpx.Response, number: int) -> Any:
        status = response.status_code
        content = response.content
        if 200 <= status < 300:
            if not content.strip():
                return None
            try:
                return _json.loads(content)
            except ValueError:
                snippet = self._redact(" ".join(content.decode("utf-8", "replace").split())[:120])
                raise _Attempt(ChatwootError(ctx.method, ctx.path, status, f"response is not JSON: {snippet}",
                                             hint="is CHATWOOT_URL the Chatwoot base URL?", attempts=number),
                               False, 1) from None
        reason = httpx.codes.get_reason_phrase(status)
        message, attributes = parse_error_body(content, response.headers.get("content-type", ""), reason)
        message = self._redact(message)
        attributes = [self._redact(a) for a in attributes]
        cls = error_for_status(status)
        portal_candidate = (status == 500 and not ctx.platform and ctx.relative is not None
                            and bool(_PORTAL_ITEM.match(ctx.relative)))
        hint = self._hint(ctx, status, message, portal_candidate, response)
        error = cls(ctx.method, ctx.path, status, message, attributes, hint, attempts=number,
                    unknown_portal_candidate=portal_candidate)
        max_attempts = self.settings.max_retries + 1
        if status == 429:
            retryable = True  # rack-attack rejects before the request is processed
        elif status in RETRYABLE_STATUSES and ctx.method in IDEMPOTENT_METHODS:
            retryable = True
            if portal_candidate:
                max_attempts = min(max_attempts, 1 + UNKNOWN_PORTAL_RETRIES)
        else:
            retryable = False
        raise _Attempt(error, retryable, max_attempts)

    def _hint(self, ctx: "_Ctx", status: int, message: str, portal_candidate: bool,
              response: httpx.Response) -> str | None:
        low = message.lower()
        if status == 401:
            if "invalid access" in low:
                return errors.HINT_BAD_PLATFORM_TOKEN if ctx.platform else errors.HINT_BAD_TOKEN
            if "sign in or sign up" in low:
                return errors.HINT_NO_TOKEN
            if "access this account" in low:
                return errors.HINT_NOT_MEMBER
            if "suspended" in low:
                return errors.HINT_SUSPENDED
            if "non permissible" in low:
                return errors.HINT_NOT_PERMISSIBLE
            if "not authorized for bots" in low:
                return "a Platform-App token was sent to the Application API; use a user's token"
            # reads too: an agent's token lists only its own inboxes and is refused the others
            return errors.HINT_NOT_ADMIN
        if status == 402:
            return errors.HINT_PAYMENT
        if status == 404 and not ctx.platform and ctx.relative is not None:
            segments = [s for s in ctx.relative.split("?")[0].split("/") if s]
            if len(segments) <= 1:  # account root or a collection: only the account can be missing
                return (f"account {self.settings.account_id} was not found or is not visible to this token; "
                        "check CHATWOOT_ACCOUNT_ID")
            return None
        if status == 429:
            return errors.HINT_RATE_LIMITED
        if portal_candidate:
            return errors.HINT_UNKNOWN_PORTAL
        if 500 <= status <= 599 and ctx.method not in IDEMPOTENT_METHODS:
            return errors.HINT_POST_5XX
        if 300 <= status < 400:
            location = response.headers.get("location", "")
            return self._redact(f"unexpected redirect to {location!r}; check CHATWOOT_URL "
                                "(and that installation onboarding is finished)")
        return None


class _Ctx:
    __slots__ = ("method", "path", "relative", "platform")

    def __init__(self, method: str, path: str, relative: str | None, platform: bool) -> None:
        self.method = method
        self.path = path
        self.relative = relative
        self.platform = platform


def _relative(path: str) -> str:
    if not isinstance(path, str):
        raise TypeError("path must be a string")
    if path == "":
        return ""
    if not path.startswith("/") or path.startswith("//") or "://" in path.split("?")[0]:
        raise ValueError(f"path must be relative and start with '/': {path!r}")
    return path
