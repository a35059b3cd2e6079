"""ASGI assembly: the routes of every resource module (``routes/``), Chatwoot's error answers and the fault
middleware around them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse

from .core import IDENTITY_HEADER, Emulator
from .errors import ApiError
from .faults import FaultConfig, FaultMiddleware
from .routes import ROUTES

log = logging.getLogger("chatwoot_emulator")


async def _api_error(request: Request, exc: ApiError):
    return JSONResponse(exc.body, status_code=exc.status)


async def _not_found(request: Request, exc):
    # Rails routing error for unknown paths
    return JSONResponse({"status": 404, "error": "Not Found"}, status_code=404)


async def _crash(request: Request, exc: Exception):
    log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path)
    return JSONResponse({"status": 500, "error": "Internal Server Error"}, status_code=500)


class IdentityHeader:
    """Adds ``X-Chatwoot-Emulator: <instance id>`` to every response, injected faults (429, 500) included."""

    def __init__(self, app, instance_id: str):
        self.app = app
        self.header = (IDENTITY_HEADER.encode(), instance_id.encode())

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_header(message):
            if message["type"] == "http.response.start":
                message = dict(message, headers=[*message.get("headers", []), self.header])
            await send(message)

        await self.app(scope, receive, send_with_header)


def create_app(state_dir: str | Path, config: FaultConfig | None = None, url: str = "",
               instance_id: str | None = None):
    """Build the ASGI app: IdentityHeader(FaultMiddleware(Starlette routes))."""
    config = config or FaultConfig()
    emu = Emulator(state_dir, config, url, instance_id)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        task = asyncio.create_task(emu.job_loop())
        try:
            yield
        finally:
            task.cancel()

    app = Starlette(
        routes=ROUTES,
        exception_handlers={ApiError: _api_error, 404: _not_found, 405: _not_found, Exception: _crash},
        lifespan=lifespan,
    )
    app.state.emu = emu
    return IdentityHeader(FaultMiddleware(app, emu.engine, emu.stats), emu.instance_id), emu
