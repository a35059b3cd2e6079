"""The local Chatwoot emulator as the CLI sees it: how to tell it apart from a real Chatwoot.

The emulator (package ``chatwoot_emulator``, never imported here) answers every request with an
``X-Chatwoot-Emulator`` header whose value is a nonce chosen at each start; a real Chatwoot sends no such
header. ``GET /api`` itself has exactly the keys of a real server.
"""

from __future__ import annotations

import httpx

IDENTITY_HEADER = "x-chatwoot-emulator"


def emulator_instance(url: str, timeout: float = 2.0) -> str | None:
    """The emulator instance answering at ``url`` (its nonce), or None for a real Chatwoot / no answer."""
    try:
        response = httpx.get(url.rstrip("/") + "/api", timeout=timeout)
    except httpx.HTTPError:
        return None
    return response.headers.get(IDENTITY_HEADER) or None
