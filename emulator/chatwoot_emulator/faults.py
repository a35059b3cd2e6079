"""Rate limiting (docs/chatwoot-behaviour.md#rate-limiting), deterministic fault injection and request statistics.

Fault model — how the sequence is derived (this is the contract the tests rely on):

* Every request that is *not* on the control plane (``/__emulator__/*``) and is *not* throttled is a
  "faultable request" and gets a sequence number n = 0, 1, 2, … in arrival order.
* There are four independent streams, each a ``random.Random`` seeded with the string
  ``f"{seed}/drop"``, ``f"{seed}/error"``, ``f"{seed}/lost"`` and ``f"{seed}/late"`` (string seeds
  are hashed with SHA-512 by CPython, so they are stable across runs and platforms).
* Request n consumes exactly one ``random()`` draw from *each* stream, always, whatever the rates are.
  Decision for request n, first match wins:
    1. drop   if draw_drop  < drop_rate           → socket closed, no response, handler NOT run
    2. error  if draw_error < error_rate          → 500 ``{"status":500,"error":"Internal Server Error"}``, handler NOT run
    3. lost   if draw_lost  < lost_response_rate  → handler runs (write committed), socket closed, no response
    4. late   if draw_late  < late_commit_rate, for a create (POST) of an inbox, team or portal only
              → "commit after the client has gone": the request body is read, nothing is answered,
              and ``late_commit_delay`` seconds later the handler runs (the write is committed) and
              the connection is closed. A client whose read timeout is shorter has given up by then,
              as with Rails, which finishes a request whose client went away.
    5. normal
* ``latency_ms`` is a fixed sleep before every faultable request (no jitter).
* Setting ``seed`` (CLI ``--fault-seed`` or ``POST /__emulator__/faults``) re-creates the three
  streams, i.e. restarts the sequence at n = 0.  Changing only rates keeps the position.

Rate limit (docs/chatwoot-behaviour.md#rate-limiting, rack-attack semantics): a fixed window per wall-clock minute (``floor(time/60)``),
``rate_limit`` requests allowed per window, the rest answered 429 ``text/plain`` ``Retry later`` without
``Retry-After``.  ``/health`` is never throttled.  ``rate_limit <= 0`` disables it.  Deviation: real
Chatwoot safelists 127.0.0.1; the emulator throttles loopback clients on purpose.
"""

from __future__ import annotations

import asyncio
import collections
import random
import re
import threading
import time
from dataclasses import asdict, dataclass, fields

from starlette.routing import Match

CONTROL_PREFIX = "/__emulator__"
# The creates of objects whose names Chatwoot does not keep unique (or that the client adopts by name).
LATE_COMMIT_PATHS = re.compile(r"/api/v1/accounts/\d+/(inboxes|teams|portals)/?")


@dataclass
class FaultConfig:
    latency_ms: float = 0.0
    rate_limit: int = 3000
    error_rate: float = 0.0
    drop_rate: float = 0.0
    lost_response_rate: float = 0.0
    seed: int = 0
    late_commit_rate: float = 0.0
    late_commit_delay: float = 5.0
    delete_delay: float = 2.0
    unknown_portal_status: int = 500

    def update(self, values: dict) -> None:
        names = {f.name: f.type for f in fields(self)}
        for key, value in values.items():
            if key not in names:
                raise ValueError(f"unknown fault setting: {key}")
            current = getattr(self, key)
            setattr(self, key, type(current)(value))


class FaultEngine:
    def __init__(self, config: FaultConfig):
        self.config = config
        self.lock = threading.Lock()
        self.reseed(config.seed)
        self.window = -1
        self.window_count = 0

    def reseed(self, seed) -> None:
        with self.lock:
            self.config.seed = seed
            self.streams = {name: random.Random(f"{seed}/{name}") for name in ("drop", "error", "lost", "late")}
            self.sequence = 0

    def throttled(self, path: str) -> bool:
        """docs/chatwoot-behaviour.md#rate-limiting fixed per-minute window; returns True when the request must get 429."""
        if path == "/health" or self.config.rate_limit <= 0:
            return False
        with self.lock:
            window = int(time.time() // 60)
            if window != self.window:
                self.window, self.window_count = window, 0
            self.window_count += 1
            return self.window_count > self.config.rate_limit

    def decide(self, method: str = "GET", path: str = "") -> str:
        """One draw per stream per faultable request; see module docstring."""
        with self.lock:
            draws = {name: rng.random() for name, rng in self.streams.items()}
            self.sequence += 1
        c = self.config
        if draws["drop"] < c.drop_rate:
            return "drop"
        if draws["error"] < c.error_rate:
            return "error"
        if draws["lost"] < c.lost_response_rate:
            return "lost"
        if draws["late"] < c.late_commit_rate and method == "POST" and LATE_COMMIT_PATHS.fullmatch(path):
            return "late"
        return "ok"


class Stats:
    """Request counts by method and by "METHOD path-template", the peak in any rolling 60 s, and the
    wall-clock time (epoch seconds) at which the last write (any method but GET) was answered — what a
    benchmark needs to tell when the objects a command creates exist, apart from when it returns."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.total = 0
            self.by_method: collections.Counter = collections.Counter()
            self.by_route: collections.Counter = collections.Counter()
            self.recent: collections.deque = collections.deque()
            self.peak_60s = 0
            self.last_write_at: float | None = None

    def write_answered(self) -> None:
        with self.lock:
            self.last_write_at = time.time()

    def record(self, method: str, template: str) -> None:
        now = time.monotonic()
        with self.lock:
            self.total += 1
            self.by_method[method] += 1
            self.by_route[f"{method} {template}"] += 1
            self.recent.append(now)
            while self.recent and self.recent[0] <= now - 60:
                self.recent.popleft()
            self.peak_60s = max(self.peak_60s, len(self.recent))

    def snapshot(self) -> dict:
        with self.lock:
            return {
                "total": self.total,
                "by_method": dict(self.by_method),
                "by_route": dict(sorted(self.by_route.items())),
                "peak_60s": self.peak_60s,
                "last_write_at": self.last_write_at,
            }


TRANSPORT_KEY = "chatwoot_emulator.transport"


async def drop_connection(scope) -> None:
    """Close the client socket without writing a response (see server.DroppableH11Protocol)."""
    transport = scope.get("extensions", {}).get(TRANSPORT_KEY)
    if transport is not None:
        transport.abort()
    await asyncio.sleep(0)  # let uvicorn observe connection_lost before the app returns


class FaultMiddleware:
    """Pure ASGI middleware: stats → rate limit → latency → fault decision → app."""

    def __init__(self, app, engine: FaultEngine, stats: Stats):
        self.app = app
        self.engine = engine
        self.stats = stats

    def template(self, scope) -> str:
        for route in getattr(self.app, "routes", []):
            match, _ = route.matches(scope)
            if match == Match.FULL:
                return route.path
        return scope["path"]  # unmatched: raw path

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)  # control plane: never counted, limited or faulted
            return
        self.stats.record(scope["method"], self.template(scope))
        if self.engine.throttled(scope["path"]):
            await send({"type": "http.response.start", "status": 429,
                        "headers": [(b"content-type", b"text/plain"), (b"content-length", b"11")]})
            await send({"type": "http.response.body", "body": b"Retry later"})
            return
        if self.engine.config.latency_ms > 0:
            await asyncio.sleep(self.engine.config.latency_ms / 1000.0)
        decision = self.engine.decide(scope["method"], scope["path"])
        if decision == "drop":
            await drop_connection(scope)
            return
        if decision == "error":
            body = b'{"status":500,"error":"Internal Server Error"}'
            await send({"type": "http.response.start", "status": 500,
                        "headers": [(b"content-type", b"application/json; charset=utf-8"),
                                    (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        if decision == "late":
            await self.commit_late(scope, receive)
            return
        if decision == "lost":
            async def swallow(message):  # the handler's response is discarded
                return None
            await self.app(scope, receive, swallow)  # the write is applied and committed here
            await drop_connection(scope)
            return
        await self.app(scope, receive, send)
        if scope["method"] != "GET":
            self.stats.write_answered()


    async def commit_late(self, scope, receive) -> None:
        """Fault "commit after the client has gone": answer nothing, run the handler after the delay."""
        body, more = b"", True
        while more:  # read the body now: after the client has gone, receive() only says "disconnect"
            message = await receive()
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            more = message.get("more_body", False)
        await asyncio.sleep(self.engine.config.late_commit_delay)
        replayed = False

        async def replay():
            nonlocal replayed
            if replayed:
                return {"type": "http.disconnect"}
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def swallow(message):  # nobody is listening any more
            return None

        await self.app(scope, replay, swallow)  # the write is committed here, late
        await drop_connection(scope)


def config_dict(config: FaultConfig) -> dict:
    return asdict(config)
