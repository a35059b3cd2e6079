"""Probes: ``GET /api`` and ``GET /health``."""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.routing import Route

from ..errors import ok

VERSION = "4.15.1"


async def api_root(request: Request):
    # Exactly the keys of a real server; the emulator is told apart by its X-Chatwoot-Emulator header.
    return ok({"version": VERSION, "timestamp": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()), "queue_services": "ok",
               "data_services": "ok"})


async def health(request: Request):
    return ok({"status": "woot"})


ROUTES = [
    Route("/api", api_root, methods=["GET"]),
    Route("/health", health, methods=["GET"]),
]
