"""Error hierarchy of the Chatwoot client.

Every failure of :class:`cwtenants.chatwoot.ChatwootClient` is a :class:`ChatwootError`
(configuration problems are :class:`ConfigError`, a ``ValueError``). Errors carry
``method``, ``path`` (the full URL path, without query string), ``status`` (``None``
when no HTTP response was received), ``message``, ``attributes`` (the field names of a
422), ``hint`` (an operator-oriented explanation, or ``None``) and ``attempts``.

Errors never contain an access token: messages built from server bodies and transport
exceptions are redacted by the client before the error is constructed, and no
``httpx.Request`` (whose headers carry the token) is attached or chained.

``str(err)`` looks like::

    POST /api/v1/accounts/1/teams → 422: Name has already been taken [name]
"""

from __future__ import annotations

import json
from typing import Any, Iterable

__all__ = [
    "ConfigError",
    "ChatwootError",
    "NotFound",
    "Unauthorized",
    "PaymentRequired",
    "Unprocessable",
    "RateLimited",
    "ServerError",
    "TransportError",
    "OutcomeUnknown",
    "error_for_status",
    "parse_error_body",
    "HINT_NOT_ADMIN",
    "HINT_BAD_TOKEN",
    "HINT_UNKNOWN_PORTAL",
]

HINT_NOT_ADMIN = (
    "Chatwoot answers 401 (not 403) when the token's user is not an administrator of "
    "the account; check the token's role"
)
HINT_BAD_TOKEN = "the API token is wrong or was regenerated"
HINT_BAD_PLATFORM_TOKEN = "the platform token (CHATWOOT_PLATFORM_TOKEN) is wrong or was regenerated"
HINT_NO_TOKEN = "no usable api_access_token header reached Chatwoot; check CHATWOOT_API_TOKEN"
HINT_NOT_MEMBER = (
    "the token's user is not a member of this account; check CHATWOOT_ACCOUNT_ID and the token"
)
HINT_SUSPENDED = "the account is suspended (Platform API: PATCH account status=active)"
HINT_NOT_PERMISSIBLE = (
    "the platform app may only touch objects it created (platform_app_permissibles); "
    "grant access in a Rails console or use an account-level token"
)
HINT_PAYMENT = "the account's inbox/agent limit is exceeded; raise `limits` via the Platform API"
HINT_UNKNOWN_PORTAL = (
    "Chatwoot ≤ 4.15.1 answers 500 for an unknown portal slug; the portal probably "
    "does not exist (list /portals to confirm)"
)
HINT_RATE_LIMITED = (
    "Chatwoot throttles per client IP (RACK_ATTACK_LIMIT, 3000/min by default); lower "
    "CWT_REQUESTS_PER_MINUTE or allow-list this host in RACK_ATTACK_ALLOWED_IPS"
)
HINT_OUTCOME_UNKNOWN = (
    "the request was sent but its response was lost; look the object up by its natural "
    "key before retrying"
)
HINT_POST_5XX = (
    "a create that fails with a server error is not retried (the write may have been committed); "
    "run `pulumi up` again: it converges — it looks the object up and adopts it if it exists, or creates it"
)


class ConfigError(ValueError):
    """Invalid or missing client configuration (e.g. an unset environment variable)."""


class ChatwootError(Exception):
    """Base class of every error raised by the Chatwoot client."""

    def __init__(
        self,
        method: str,
        path: str,
        status: int | None = None,
        message: str = "",
        attributes: Iterable[str] | None = None,
        hint: str | None = None,
        *,
        attempts: int = 1,
        unknown_portal_candidate: bool = False,
    ) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.message = message
        self.attributes: list[str] = [str(a) for a in (attributes or [])]
        self.hint = hint
        self.attempts = attempts
        self.unknown_portal_candidate = unknown_portal_candidate
        super().__init__(self.__str__())

    def _status_text(self) -> str:
        return str(self.status) if self.status is not None else "no response"

    def __str__(self) -> str:
        text = f"{self.method} {self.path} → {self._status_text()}"
        if self.message:
            text += f": {self.message}"
        if self.attributes:
            text += f" [{', '.join(self.attributes)}]"
        if self.hint:
            text += f" (hint: {self.hint})"
        return text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(method={self.method!r}, path={self.path!r}, "
            f"status={self.status!r}, message={self.message!r}, "
            f"attributes={self.attributes!r}, hint={self.hint!r}, attempts={self.attempts!r})"
        )

    def __reduce__(self):  # picklable despite the keyword-only arguments
        return (
            _rebuild,
            (
                type(self),
                self.method,
                self.path,
                self.status,
                self.message,
                self.attributes,
                self.hint,
                self.attempts,
                self.unknown_portal_candidate,
            ),
        )


def _rebuild(cls, method, path, status, message, attributes, hint, attempts, portal):
    return cls(
        method,
        path,
        status,
        message,
        attributes,
        hint,
        attempts=attempts,
        unknown_portal_candidate=portal,
    )


class NotFound(ChatwootError):
    """404."""


class Unauthorized(ChatwootError):
    """401 — bad token *or* insufficient role (Chatwoot never answers 403)."""


class PaymentRequired(ChatwootError):
    """402 — account inbox/agent limit exceeded."""


class Unprocessable(ChatwootError):
    """422 — validation failure; ``attributes`` lists the offending fields."""


class RateLimited(ChatwootError):
    """429 that persisted after all retries."""


class ServerError(ChatwootError):
    """5xx (after retries for idempotent methods; immediately for POST)."""


class TransportError(ChatwootError):
    """No HTTP response was obtained.

    For POST this is only raised when the request certainly never reached the server
    (connect error/timeout, pool timeout); for idempotent methods it is raised when all
    retries failed without a response.
    """

    def _status_text(self) -> str:
        return "transport error"


class OutcomeUnknown(ChatwootError):
    """A non-idempotent write was sent but its response was lost.

    The write may or may not have been committed; the caller must look the object up by
    its natural key before retrying.
    """

    def _status_text(self) -> str:
        return "outcome unknown"


_STATUS_CLASSES: dict[int, type[ChatwootError]] = {
    401: Unauthorized,
    402: PaymentRequired,
    404: NotFound,
    422: Unprocessable,
    429: RateLimited,
}


def error_for_status(status: int) -> type[ChatwootError]:
    """The error class for an HTTP status (base class for unmapped statuses)."""
    if status in _STATUS_CLASSES:
        return _STATUS_CLASSES[status]
    if 500 <= status <= 599:
        return ServerError
    return ChatwootError


def _flatten(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "; ".join(_flatten(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k} {_flatten(v)}" for k, v in value.items())
    return json.dumps(value, ensure_ascii=False, default=str)


def parse_error_body(content: bytes, content_type: str = "", reason: str = "") -> tuple[str, list[str]]:
    """Extract ``(message, attributes)`` from any Chatwoot error body.

    Handled shapes (chatwoot-api docs/chatwoot-behaviour.md#errors): ``{"message", "attributes"}``; ``{"message"}``;
    ``{"error": "..."}`` (incl. Rails' ``{"status": 500, "error": "..."}``);
    ``{"error": {field: [msgs]}}`` (portal errors before 4.5.0); ``{"errors": [...]}``
    (devise) and ``{"errors": {field: [...]}}``; any non-JSON body (rack-attack's
    ``text/plain`` "Retry later"); an empty body (falls back to the reason phrase).
    """
    text = content.decode("utf-8", errors="replace").strip()
    if not text:
        return reason, []
    try:
        data = json.loads(text)
    except ValueError:
        snippet = " ".join(text.split())
        if len(snippet) > 200:
            snippet = snippet[:200] + "…"
        return snippet, []
    if not isinstance(data, dict):
        return _flatten(data)[:500], []

    attributes: list[str] = []
    raw_attrs = data.get("attributes")
    if isinstance(raw_attrs, list):
        attributes = [str(a) for a in raw_attrs]

    message = ""
    if isinstance(data.get("message"), str) and data["message"]:
        message = data["message"]
    elif "error" in data and data["error"] not in (None, ""):
        err = data["error"]
        if isinstance(err, dict):
            message = _flatten(err)
            if not attributes:
                attributes = [str(k) for k in err]
        else:
            message = _flatten(err)
    elif "errors" in data and data["errors"]:
        errs = data["errors"]
        message = _flatten(errs)
        if isinstance(errs, dict) and not attributes:
            attributes = [str(k) for k in errs]
    else:
        message = _flatten(data)[:500]
    return message, attributes
