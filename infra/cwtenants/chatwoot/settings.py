"""Connection settings of the Chatwoot client (see ``Settings.from_env``)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Mapping
from urllib.parse import urlsplit

from .errors import ConfigError

__all__ = ["Settings", "Timeouts", "DEFAULT_REQUESTS_PER_MINUTE"]

#: 80 % of Chatwoot's default rack-attack limit (3000 requests per minute per client IP): the
#: sliding window keeps every 60 s window (hence every fixed minute bucket) at or below it and
#: leaves 600/min for other clients behind the same IP (the `cwtenants` CLI, a second CI job,
#: people using the dashboard). Measured in docs/benchmarks.md.
DEFAULT_REQUESTS_PER_MINUTE = 2400
_MASK = "***"


@dataclass(frozen=True)
class Timeouts:
    """httpx timeouts in seconds (connect 5 s, read 30 s by default)."""

    connect: float = 5.0
    read: float = 30.0
    write: float = 30.0
    pool: float = 30.0


@dataclass(frozen=True, repr=False)
class Settings:
    """Where and how to reach Chatwoot.

    ``repr()``/``str()`` mask both tokens.
    """

    url: str
    api_token: str
    account_id: int
    platform_token: str | None = None
    requests_per_minute: int = DEFAULT_REQUESTS_PER_MINUTE
    timeout: Timeouts = field(default_factory=Timeouts)
    max_retries: int = 5
    #: optional cap on requests in flight at once (process-wide per Chatwoot URL); None = no cap
    max_concurrency: int | None = None
    #: capped exponential backoff with full jitter: sleep ~ U(0, min(cap, base * 2**n))
    backoff_base: float = 0.2
    backoff_cap: float = 5.0
    #: retries of a connection that could not be made at all (refused, connect timeout); None =
    #: max_retries. The read-only CLI commands use 0: a closed port fails at once, not after backoff.
    connect_retries: int | None = None

    def __post_init__(self) -> None:
        url = (self.url or "").strip().rstrip("/")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"CHATWOOT_URL must be an http(s) URL, got {url!r}")
        object.__setattr__(self, "url", url)
        if not self.api_token:
            raise ConfigError("CHATWOOT_API_TOKEN must not be empty")
        if isinstance(self.account_id, bool) or not isinstance(self.account_id, int) or self.account_id <= 0:
            raise ConfigError(f"CHATWOOT_ACCOUNT_ID must be a positive integer, got {self.account_id!r}")
        if self.platform_token == "":
            object.__setattr__(self, "platform_token", None)
        if not isinstance(self.requests_per_minute, int) or self.requests_per_minute < 0:
            raise ConfigError(
                "CWT_REQUESTS_PER_MINUTE must be a non-negative integer (0 disables the client-side limit), "
                f"got {self.requests_per_minute!r}"
            )
        if self.max_retries < 0:
            raise ConfigError("max_retries must be >= 0")
        if self.max_concurrency is not None and self.max_concurrency < 1:
            raise ConfigError("max_concurrency must be >= 1 or None")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides) -> "Settings":
        """Build settings from ``CHATWOOT_URL``, ``CHATWOOT_API_TOKEN``, ``CHATWOOT_ACCOUNT_ID``,
        ``CHATWOOT_PLATFORM_TOKEN`` (optional), ``CWT_REQUESTS_PER_MINUTE`` (optional,
        default 2400) and ``CWT_HTTP_TIMEOUT`` (optional, seconds to wait for a response, default 30). Raises :class:`ConfigError` naming the missing/invalid variable."""
        env = os.environ if environ is None else environ

        def required(name: str) -> str:
            value = (env.get(name) or "").strip()
            if not value:
                raise ConfigError(f"environment variable {name} is not set (required to reach Chatwoot)")
            return value

        url = required("CHATWOOT_URL")
        token = required("CHATWOOT_API_TOKEN")
        raw_account = required("CHATWOOT_ACCOUNT_ID")
        try:
            account_id = int(raw_account)
        except ValueError:
            raise ConfigError(
                f"environment variable CHATWOOT_ACCOUNT_ID must be an integer, got {raw_account!r}"
            ) from None
        platform = (env.get("CHATWOOT_PLATFORM_TOKEN") or "").strip() or None
        raw_rpm = (env.get("CWT_REQUESTS_PER_MINUTE") or "").strip()
        rpm = DEFAULT_REQUESTS_PER_MINUTE
        if raw_rpm:
            try:
                rpm = int(raw_rpm)
            except ValueError:
                raise ConfigError(
                    f"environment variable CWT_REQUESTS_PER_MINUTE must be an integer, got {raw_rpm!r}"
                ) from None
        kwargs = dict(url=url, api_token=token, account_id=account_id, platform_token=platform,
                      requests_per_minute=rpm)
        raw_timeout = (env.get("CWT_HTTP_TIMEOUT") or "").strip()
        if raw_timeout:  # seconds to wait for a response (read/write); default 30
            try:
                seconds = float(raw_timeout)
                if not 0 < seconds <= 600:
                    raise ValueError
            except ValueError:
                raise ConfigError(
                    f"environment variable CWT_HTTP_TIMEOUT must be a number of seconds (0-600], got {raw_timeout!r}"
                ) from None
            kwargs["timeout"] = Timeouts(read=seconds, write=seconds)
        kwargs.update(overrides)
        return cls(**kwargs)

    @property
    def account_prefix(self) -> str:
        return f"/api/v1/accounts/{self.account_id}"

    def secrets(self) -> tuple[str, ...]:
        """The token values, for redaction."""
        return tuple(t for t in (self.api_token, self.platform_token) if t)

    def __repr__(self) -> str:
        return (
            f"Settings(url={self.url!r}, api_token={_MASK!r}, account_id={self.account_id!r}, "
            f"platform_token={(_MASK if self.platform_token else None)!r}, "
            f"requests_per_minute={self.requests_per_minute!r}, timeout={self.timeout!r}, "
            f"max_retries={self.max_retries!r}, max_concurrency={self.max_concurrency!r})"
        )

    __str__ = __repr__
