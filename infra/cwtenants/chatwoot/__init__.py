"""Chatwoot HTTP client (httpx + tenacity only; no Pulumi).

    from cwtenants.chatwoot import ChatwootClient, Settings, errors
    with ChatwootClient(Settings.from_env()) as c:
        c.get("/inboxes")

See :mod:`cwtenants.chatwoot.client` for the retry policy and rate limiting.
"""

from . import errors
from .client import ChatwootClient, RequestStats
from .errors import (
    ChatwootError,
    ConfigError,
    NotFound,
    OutcomeUnknown,
    PaymentRequired,
    RateLimited,
    ServerError,
    TransportError,
    Unauthorized,
    Unprocessable,
)
from .ratelimit import SlidingWindowLimiter
from .settings import Settings, Timeouts

__all__ = [
    "ChatwootClient",
    "RequestStats",
    "Settings",
    "Timeouts",
    "SlidingWindowLimiter",
    "errors",
    "ChatwootError",
    "ConfigError",
    "NotFound",
    "OutcomeUnknown",
    "PaymentRequired",
    "RateLimited",
    "ServerError",
    "TransportError",
    "Unauthorized",
    "Unprocessable",
]
