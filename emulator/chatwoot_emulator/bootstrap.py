"""First-start bootstrap and tokens.json (docs/ARCHITECTURE.md "Emulator contract").

Creates account 1 "Marketplace", an administrator, an agent and a platform app that is permissible on
account 1 and both users (docs/chatwoot-behaviour.md#platform-apps).  Tokens are written to ``<state-dir>/tokens.json`` with mode 0600
and never printed or logged.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from .store import Store, now_iso

TOKENS_FILE = "tokens.json"
ADMIN_EMAIL = "admin@marketplace.example"
AGENT_EMAIL = "agent@marketplace.example"
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def new_token(length: int = 24) -> str:
    """Like Rails has_secure_token: 24 base58 characters (docs/chatwoot-behaviour.md#authentication)."""
    return "".join(secrets.choice(_B58) for _ in range(length))


# Feature flags a new account gets: every flag config/features.yml enables by default, in its order, as
# a real 4.15.1 server lists them for a new Platform account (disabled flags are not listed).
DEFAULT_FEATURES = (
    "inbound_emails", "channel_email", "channel_facebook", "help_center", "agent_bots", "macros",
    "agent_management", "team_management", "inbox_management", "labels", "custom_attributes", "automations",
    "canned_responses", "integrations", "voice_recorder", "channel_website", "campaigns", "reports", "crm",
    "auto_resolve_conversations", "chatwoot_v4", "contact_chatwoot_support_team", "channel_instagram",
    "assignment_v2", "channel_tiktok", "captain_tasks",
)


def default_features() -> dict:
    return {name: True for name in DEFAULT_FEATURES}


def new_account(store: Store, name: str, **extra) -> dict:
    doc = {
        "name": name, "locale": extra.get("locale") or "en", "domain": extra.get("domain"),
        "support_email": extra.get("support_email"), "status": extra.get("status") or "active",
        "features": dict(default_features(), **(extra.get("features") or {})),
        "limits": extra.get("limits") or {}, "custom_attributes": extra.get("custom_attributes") or {},
    }
    return store.insert("accounts", doc)


def new_user(store: Store, name: str, email: str, confirmed: bool = True, token: str | None = None, **extra) -> dict:
    doc = {
        "name": name, "email": email.strip().lower(), "display_name": extra.get("display_name"),
        "confirmed": confirmed, "pubsub_token": new_token(), "custom_attributes": extra.get("custom_attributes") or {},
        "created_at": now_iso(),
    }
    user = store.insert("users", doc)
    store.add_token(token or new_token(), "User", user["id"])
    return user


def bootstrap(store: Store, reuse: dict | None = None) -> dict:
    """Create the initial objects if the database is empty; return the token dict (without url)."""
    admin = store.get("users", 1)
    if admin is None:
        reuse = reuse or {}
        account = new_account(store, "Marketplace")
        admin = new_user(store, "Marketplace Admin", ADMIN_EMAIL, token=reuse.get("admin_token"))
        agent = new_user(store, "Marketplace Agent", AGENT_EMAIL, token=reuse.get("agent_token"))
        store.upsert_account_user(account["id"], admin["id"], "administrator")
        store.upsert_account_user(account["id"], agent["id"], "agent")
        app = store.insert("platform_apps", {"name": "cwtenants"})
        store.add_token(reuse.get("platform_token") or new_token(), "PlatformApp", app["id"])
        store.add_permissible(app["id"], "Account", account["id"])
        store.add_permissible(app["id"], "User", admin["id"])
        store.add_permissible(app["id"], "User", agent["id"])
    return {
        "account_id": 1,
        "admin_token": store.token_of("User", 1),
        "agent_token": store.token_of("User", 2),
        "platform_token": store.token_of("PlatformApp", 1),
        "admin_email": ADMIN_EMAIL,
        "agent_email": AGENT_EMAIL,
    }


def write_tokens(state_dir: str | Path, url: str, tokens: dict) -> Path:
    path = Path(state_dir) / TOKENS_FILE
    tmp = path.with_suffix(".tmp")
    data = dict(tokens, url=url)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh, indent=2)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return path


def read_tokens(state_dir: str | Path) -> dict:
    path = Path(state_dir) / TOKENS_FILE
    return json.loads(path.read_text()) if path.exists() else {}
