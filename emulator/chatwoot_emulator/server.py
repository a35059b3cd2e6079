"""uvicorn wiring.

The listening socket is bound here, before anything else: a port already in use is one clear error
(``PortInUse``), and with ``--port 0`` the kernel picks a free port. ``tokens.json`` is written only
once uvicorn listens on that socket, with the URL actually served, and a line
``chatwoot emulator listening on <url> (instance <id>)`` goes to stdout.

Dropping a connection without any response needs the socket: uvicorn does not expose the transport to
ASGI apps, so ``DroppableH11Protocol`` (a thin subclass of uvicorn's h11 protocol, passed as
``Config(http=...)``) puts its asyncio transport into ``scope["extensions"]``.  The fault middleware
calls ``transport.abort()`` and returns; uvicorn sees the disconnect and writes nothing, so a client
gets ``httpx.RemoteProtocolError: Server disconnected without sending a response`` — not a 500.
"""

from __future__ import annotations

import errno
import logging
import socket

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from .app import create_app
from .faults import TRANSPORT_KEY, FaultConfig


class PortInUse(Exception):
    """The address cannot be bound (another process listens there, or it is not a local address)."""


class DroppableH11Protocol(H11Protocol):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        inner = self.app
        protocol = self

        async def app_with_transport(scope, receive, send):
            scope.setdefault("extensions", {})[TRANSPORT_KEY] = protocol.transport
            await inner(scope, receive, send)

        self.app = app_with_transport


def bind(host: str, port: int) -> socket.socket:
    """A bound (not yet listening) TCP socket, like uvicorn's own (SO_REUSEADDR: a port in TIME_WAIT is fine,
    one another process listens on is not)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise PortInUse(f"port {port} on {host} is already in use (another server listens there); "
                            "choose another with --port N, or --port 0 for a free one") from None
        raise PortInUse(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


def serve(state_dir: str, host: str, port: int, config: FaultConfig, log_level: str = "info",
          instance_id: str | None = None) -> None:
    sock = bind(host, port)
    port = sock.getsockname()[1]
    url = f"http://{host if ':' not in host else f'[{host}]'}:{port}"
    app, emu = create_app(state_dir, config, url, instance_id)

    class EmulatorServer(uvicorn.Server):
        async def startup(self, sockets=None):
            await super().startup(sockets=sockets)
            if not self.should_exit:  # listening: only now do the tokens name this URL
                emu.publish_tokens()
                logging.getLogger("chatwoot_emulator").info("chatwoot emulator on %s (state in %s)", url, state_dir)
                print(f"chatwoot emulator listening on {url} (instance {emu.instance_id})", flush=True)

    uv = uvicorn.Config(app, host=host, port=port, http=DroppableH11Protocol, lifespan="on",
                        log_level=log_level, access_log=True)
    EmulatorServer(uv).run(sockets=[sock])
