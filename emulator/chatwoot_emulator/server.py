"""uvicorn wiring.

Dropping a connection without any response needs the socket: uvicorn does not expose the transport to
ASGI apps, so ``DroppableH11Protocol`` (a thin subclass of uvicorn's h11 protocol, passed as
``Config(http=...)``) puts its asyncio transport into ``scope["extensions"]``.  The fault middleware
calls ``transport.abort()`` and returns; uvicorn sees the disconnect and writes nothing, so a client
gets ``httpx.RemoteProtocolError: Server disconnected without sending a response`` — not a 500.
"""

from __future__ import annotations

import logging

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from .app import create_app
from .faults import TRANSPORT_KEY, FaultConfig


class DroppableH11Protocol(H11Protocol):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        inner = self.app
        protocol = self

        async def app_with_transport(scope, receive, send):
            scope.setdefault("extensions", {})[TRANSPORT_KEY] = protocol.transport
            await inner(scope, receive, send)

        self.app = app_with_transport


def serve(state_dir: str, host: str, port: int, config: FaultConfig, log_level: str = "info") -> None:
    url = f"http://{host if ':' not in host else f'[{host}]'}:{port}"
    app, _emu = create_app(state_dir, config, url)
    logging.getLogger("chatwoot_emulator").info("chatwoot emulator on %s (state in %s)", url, state_dir)
    uv = uvicorn.Config(app, host=host, port=port, http=DroppableH11Protocol, lifespan="on",
                        log_level=log_level, access_log=True)
    uvicorn.Server(uv).run()
