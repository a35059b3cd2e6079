"""Shared machinery of the cassette tests: modes, scrubbing, matching, provenance, secret scan.

Kept free of pytest fixtures so the hygiene tests and ``scripts/record-cassettes.sh`` can use
the same functions the recording hooks use.

Modes (``CWT_RECORD``):

* unset — **replay**: no server, network blocked, pytest-recording record mode ``none``. The
  client talks to ``http://chatwoot.invalid`` with placeholder tokens; every request must match
  a recorded one (method + path + query + JSON body for writes) and every recorded interaction
  must be played.
* ``1`` — **record** (or, with ``--disable-recording``, **live**): the server named by
  ``CHATWOOT_URL`` / ``CHATWOOT_API_TOKEN`` / ``CHATWOOT_ACCOUNT_ID`` / ``CHATWOOT_PLATFORM_TOKEN``.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parents[2]
FAKE_URL = "http://chatwoot.invalid"
FAKE_HOST = "chatwoot.invalid"
REDACTED = "REDACTED"
#: placeholder tokens used in replay (they never reach a cassette: the header is redacted)
REPLAY_API_TOKEN = "cwt-replay-api-token"
REPLAY_PLATFORM_TOKEN = "cwt-replay-platform-token"

#: JSON fields whose values are secrets or per-installation identifiers (docs/chatwoot-behaviour.md#authentication, #inboxes)
SECRET_FIELDS = frozenset({
    "access_token", "hmac_token", "secret", "inbox_identifier", "pubsub_token", "website_token",
    "web_widget_script", "imap_password", "smtp_password", "provider_config", "api_access_token",
    "mfa_token", "password",
})
#: request headers kept in a cassette (everything else is dropped); the token header is redacted
KEPT_REQUEST_HEADERS = frozenset({"accept", "content-type", "user-agent"})
TOKEN_HEADERS = frozenset({"api_access_token", "api-access-token", "authorization"})
#: response headers kept in a cassette (Date, Server, Content-Length, cookies ... are volatile or noisy)
KEPT_RESPONSE_HEADERS = frozenset({"content-type"})
#: the project's emulator marks every answer with this header (real Chatwoot has none); never kept
EMULATOR_HEADER = "x-chatwoot-emulator"

EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
SAFE_EMAIL_DOMAIN = "example.invalid"
#: Rails has_secure_token / emulator tokens: 24 base58 characters
TOKEN_RE = re.compile(r"(?<![A-Za-z0-9_-])[1-9A-HJ-NP-Za-km-z]{24}(?![A-Za-z0-9_-])")
URL_RE = re.compile(r"https?://([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\])(?::\d+)?")
SECRET_FIELD_RE = re.compile(
    r'"(' + "|".join(sorted(SECRET_FIELDS)) + r')"\s*:\s*("(?:[^"\\]|\\.)*"|\{[^{}]*\}|\[[^\]]*\]|[^,}\]\s]+)'
)


def recording() -> bool:
    return os.environ.get("CWT_RECORD", "") not in ("", "0", "false", "no")


def cassette_root() -> Path:
    """Where cassettes live: ``cassettes/`` in the repo, or ``CWT_CASSETTE_DIR`` (used by --check)."""
    override = os.environ.get("CWT_CASSETTE_DIR")
    return Path(override).resolve() if override else REPO / "cassettes"


def provenance_path(root: Path | None = None) -> Path:
    return (root or cassette_root()) / "PROVENANCE.json"


def rec_name(test_name: str, suffix: str = "") -> str:
    """Deterministic, collision-free object name for a test: ``cwt-rec-<test>[-suffix]``."""
    base = test_name.removeprefix("test_").replace("_", "-").lower()
    name = f"cwt-rec-{base}"
    return f"{name}-{suffix}" if suffix else name


# ------------------------------------------------------------------------------------------
# Scrubbing (applied by vcr to requests before recording AND before matching, and to responses
# before recording AND when a cassette is loaded — so every step must be idempotent)


#: keys of the Scrubbers whose recorded answers carried the emulator's identity header
_SAW_EMULATOR: set[str] = set()


class Scrubber:
    """Per-cassette scrubber. ``real_url`` is the server being recorded (None in replay)."""

    def __init__(self, real_url: str | None, extra_secrets: Iterable[str] = ()):
        self.real_url = real_url.rstrip("/") if real_url else None
        self.secrets = [s for s in extra_secrets if s]
        self.emails: dict[str, str] = {}
        # vcr deep-copies its hooks (and so this object): what the copies see is noted under this key
        self.key = uuid.uuid4().hex

    # -- text level ------------------------------------------------------------------------
    def _email(self, match: re.Match) -> str:
        email = match.group(0)
        if email.lower().endswith("@" + SAFE_EMAIL_DOMAIN) or email.lower().endswith("." + SAFE_EMAIL_DOMAIN):
            return email
        key = email.lower()
        if key not in self.emails:
            self.emails[key] = f"user-{len(self.emails) + 1}@{SAFE_EMAIL_DOMAIN}"
        return self.emails[key]

    def text(self, text: str) -> str:
        if self.real_url:
            parts = urlsplit(self.real_url)
            text = text.replace(self.real_url, FAKE_URL)
            text = text.replace(parts.netloc, FAKE_HOST)
            if parts.hostname:
                text = text.replace(parts.hostname, FAKE_HOST)
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return EMAIL_RE.sub(self._email, text)

    def value(self, value: Any) -> Any:
        if isinstance(value, dict):
            out = {}
            for k, v in value.items():
                if k in SECRET_FIELDS and v not in (None, "", REDACTED):
                    out[k] = REDACTED
                else:
                    out[k] = self.value(v)
            return out
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, str):
            return self.text(value)
        return value

    def body(self, raw: bytes | str | None) -> bytes | str | None:
        if raw in (None, b"", ""):
            return raw
        as_text = raw.decode("utf-8") if isinstance(raw, (bytes, bytearray)) else raw
        try:
            data = json.loads(as_text)
        except ValueError:
            scrubbed = self.text(as_text)
        else:
            # compact and key-order preserving, like the client's own encoding
            scrubbed = json.dumps(self.value(data), ensure_ascii=False, separators=(",", ":"))
        return scrubbed.encode("utf-8") if isinstance(raw, (bytes, bytearray)) else scrubbed

    # -- vcr hooks -------------------------------------------------------------------------
    def request(self, request):
        parts = urlsplit(request.uri)
        request.uri = urlunsplit(("http", FAKE_HOST, parts.path, parts.query, ""))
        headers = {}
        for name, value in request.headers.items():
            low = name.lower()
            if low in TOKEN_HEADERS:
                headers[name] = REDACTED
            elif low in KEPT_REQUEST_HEADERS:
                headers[name] = value
        request.headers = headers
        if request.body:
            request.body = self.body(request.body)
        return request

    def response(self, response: dict) -> dict | None:
        if response["status"]["code"] == 429:
            return None  # rack-attack noise: the client retried; never replay it (cf. Auth0)
        raw_headers = response.get("headers", {})
        if any(k.lower() == EMULATOR_HEADER for k in raw_headers):
            _SAW_EMULATOR.add(self.key)
        headers = {k: v for k, v in raw_headers.items() if k.lower() in KEPT_RESPONSE_HEADERS}
        response["headers"] = headers
        body = response.get("body", {}).get("string")
        if body:
            response["body"]["string"] = self.body(body)
        return response


# ------------------------------------------------------------------------------------------
# Matching: method + path + query (matchers built into vcr) + this body matcher


def _parsed_body(request) -> Any:
    raw = request.body
    if raw in (None, b"", ""):
        return None
    if isinstance(raw, (bytes, bytearray)):
        raw = raw.decode("utf-8", "replace")
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def json_body_matcher(r1, r2) -> None:
    """Writes (anything but GET/HEAD) must carry the same JSON body (parsed: key order is free)."""
    if r1.method.upper() in ("GET", "HEAD"):
        return
    b1, b2 = _parsed_body(r1), _parsed_body(r2)
    assert b1 == b2, (
        f"{r1.method} {r1.path}: request body differs from the recording\n"
        f"  sent:     {json.dumps(b1, sort_keys=True)}\n  recorded: {json.dumps(b2, sort_keys=True)}"
    )


MATCH_ON = ("method", "path", "query", "cw_json_body")


def vcr_config_for(scrubber: Scrubber) -> dict:
    return {
        "match_on": MATCH_ON,
        "before_record_request": scrubber.request,
        "before_record_response": scrubber.response,
        "decode_compressed_response": True,
        "allow_playback_repeats": False,
        "record_on_exception": False,
    }


# ------------------------------------------------------------------------------------------
# Provenance


def server_kind(scrubber: Scrubber) -> str:
    """'emulator' if the recorded server sent the emulator's identity header, else 'chatwoot'."""
    return "emulator" if scrubber.key in _SAW_EMULATOR else "chatwoot"


PROVENANCE_ABOUT = (
    "Which server produced each cassette. Written by tests/cassette/conftest.py when recording (CWT_RECORD=1); "
    "checked by tests/cassette/test_cw_provenance.py. 'emulator' = chatwoot_emulator (tests only), "
    "'chatwoot' = a real Chatwoot. 'descriptions' says what the server was (kept when re-recording; "
    "update it by hand when recording against a different server)."
)
EMULATOR_DESCRIPTION = "chatwoot_emulator from this repository, fresh state, started by scripts/record-cassettes.sh --emulator."


def load_provenance(root: Path | None = None) -> dict:
    path = provenance_path(root)
    if not path.exists():
        return {"cassettes": {}}
    return json.loads(path.read_text())


def write_provenance(entries: dict[str, dict], root: Path | None = None) -> None:
    """Merge ``entries`` (cassette path relative to the root → facts) into PROVENANCE.json."""
    data = load_provenance(root)
    cassettes = dict(data.get("cassettes", {}))
    cassettes.update(entries)
    kinds = sorted({e["server"] for e in cassettes.values()})
    descriptions = dict(data.get("descriptions", {}))
    descriptions.setdefault("emulator", EMULATOR_DESCRIPTION)
    data = {
        "about": PROVENANCE_ABOUT,
        # a real server is described by hand after recording (docs/recording.md); kept across re-recordings
        "descriptions": {k: descriptions.get(k, "TODO: describe this server") for k in kinds},
        "servers": kinds,
        "cassettes": dict(sorted(cassettes.items())),
    }
    path = provenance_path(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")


# ------------------------------------------------------------------------------------------
# Secret scan


def find_secrets(text: str, extra: Iterable[str] = ()) -> list[str]:
    """Everything in ``text`` that looks like a secret or a real address; [] when clean."""
    found: list[str] = []
    for value in extra:
        if value and value in text:
            found.append(f"environment token value {value[:3]}… present")
    for m in TOKEN_RE.finditer(text):
        tok = m.group(0)
        if re.search(r"\d", tok) and re.search(r"[a-z]", tok) and re.search(r"[A-Z]", tok):
            found.append(f"token-like string {tok[:4]}…")
    for m in SECRET_FIELD_RE.finditer(text):
        field, raw = m.group(1), m.group(2).strip()
        value = raw.strip("[]").strip('"') if raw.startswith("[") else raw.strip('"')
        if value not in (REDACTED, "", "null", "None", "{}"):
            found.append(f"unscrubbed {field}: {value[:4]}…")
    for m in re.finditer(r"(?im)^\s*(api_access_token|api-access-token|authorization):\s*\n\s*-\s*(\S+)", text):
        if m.group(2) != REDACTED:
            found.append(f"unscrubbed header {m.group(1)}")
    for m in EMAIL_RE.finditer(text):
        email = m.group(0).lower()
        if not (email.endswith("@" + SAFE_EMAIL_DOMAIN) or email.endswith("." + SAFE_EMAIL_DOMAIN)):
            found.append(f"e-mail address outside {SAFE_EMAIL_DOMAIN}: {email.split('@')[0][:2]}…@{email.split('@')[1]}")
    for m in URL_RE.finditer(text):
        host = m.group(1).lower()
        if not (host == "invalid" or host.endswith(".invalid")):
            found.append(f"real host in URL: {host}")
    return found
