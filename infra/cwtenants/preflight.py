"""Checks the read-only commands (``plan``, ``drift``, ``adopt``, ``doctor``) make before comparing.

- Settings come from the same place ``pulumi preview`` takes them: the selected stack's config
  (``cwtenants:url``, ``cwtenants:accountId``, secret ``cwtenants:apiToken``,
  ``cwtenants:platformToken`` ...) first, then the environment (``CHATWOOT_*``).
- The token must belong to an administrator of the account: an agent lists only its own inboxes,
  so a comparison would report every other inbox as missing.
- The stack must manage this Chatwoot URL and account (from its outputs), unless the stack config
  (``cwtenants:allowOtherChatwoot: true``) or ``CWT_ALLOW_OTHER_CHATWOOT=1`` says otherwise, as for
  ``pulumi up``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from . import stackinfo

from .resources.base import CONFIG_ENV  # stack config key -> environment variable, as the providers read it

ADMIN_HINT = ("use an administrator's access token (Profile settings -> Access Token), or make this user an "
              "administrator of the account (Settings -> Agents -> Edit -> Role)")


class PreflightError(Exception):
    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.message, self.hint = message, hint


def stack_config(cwd: Path | None, stack: str | None = None, timeout: float = 120) -> dict[str, str]:
    """The selected stack's ``cwtenants:*`` config with secrets decrypted ({} if there is none).

    The values stay in this process: they are never printed."""
    exe = shutil.which("pulumi")
    if not exe or cwd is None:
        return {}
    cmd = [exe, "config", "--json", "--show-secrets", "--non-interactive"] + (["--stack", stack] if stack else [])
    try:
        proc = subprocess.run(cmd, cwd=str(cwd), env=dict(os.environ), capture_output=True, text=True,
                              timeout=timeout)
    except (OSError, subprocess.SubprocessError):
        return {}
    if proc.returncode != 0:
        return {}
    try:
        data = json.loads(proc.stdout or "{}")
    except ValueError:
        return {}
    out = {}
    for key, entry in data.items():
        if key.startswith("cwtenants:") and isinstance(entry, dict) and entry.get("value") not in (None, ""):
            out[key.split(":", 1)[1]] = str(entry["value"])
    return out


def environment(providers_dir: Path, environ: dict | None = None) -> tuple[dict[str, str], list[str]]:
    """The environment for ``Settings.from_env``: stack config over ``CHATWOOT_*`` (as the program does).

    Returns (environment, names of the settings taken from stack config)."""
    env = dict(os.environ if environ is None else environ)
    config = stack_config(stackinfo.project_dir(providers_dir))
    used = []
    for key, var in CONFIG_ENV.items():
        if key in config:
            env[var] = config[key]
            used.append(f"cwtenants:{key}")
    return env, used


def token_role(client) -> str | None:
    """The token's user's role in the configured account (None: not a member)."""
    profile = client.request("GET", "/api/v1/profile", token=client.settings.api_token) or {}
    for account in profile.get("accounts") or []:
        if account.get("id") == client.settings.account_id:
            return account.get("role")
    return None


def require_administrator(client) -> None:
    role = token_role(client)
    if role == "administrator":
        return
    account = client.settings.account_id
    if role is None:
        raise PreflightError(f"the API token's user is not a member of account {account}",
                             "set CHATWOOT_ACCOUNT_ID (or cwtenants:accountId) to the account the token "
                             "belongs to; `cwtenants doctor` lists the user's accounts")
    raise PreflightError(
        f"the API token belongs to a user with role '{role}' in account {account}; an agent lists only the "
        "inboxes it is a member of, so the comparison would report every other inbox as missing (and "
        "false drift)", ADMIN_HINT)


def require_same_chatwoot(info: stackinfo.StackInfo | None, settings, environ: dict | None = None) -> None:
    env = os.environ if environ is None else environ
    allow = (env.get("CWT_ALLOW_OTHER_CHATWOOT") or "").strip().lower() in ("1", "true", "yes")
    if allow or stackinfo.same_chatwoot(info, settings.url, settings.account_id):
        return
    raise PreflightError(stackinfo.other_chatwoot_message(
        info, settings.url, settings.account_id,
        "set CWT_ALLOW_OTHER_CHATWOOT=1 (or cwtenants:allowOtherChatwoot) for that run"))


def checked_stack(client, providers_dir: Path) -> stackinfo.StackInfo | None:
    """Run the checks above; return what the stack manages (None without a readable stack)."""
    require_administrator(client)
    project = stackinfo.project_dir(providers_dir)
    info = stackinfo.read(project) if project else None
    if not stackinfo.same_chatwoot(info, client.settings.url, client.settings.account_id):
        # only then read the stack config again: does it allow the other Chatwoot (as the program does)?
        require_same_chatwoot(info, client.settings, environment(providers_dir)[0])
    return info


def members_reader(client):
    """``members_of(kind, obj)`` for ``cwtenants.adopt``: the live members of a team or an inbox."""
    from .resources.members import inbox_members_of, team_members_of

    def members_of(kind: str, obj: dict) -> list[dict]:
        return (team_members_of if kind == "team" else inbox_members_of)(client, obj["id"])
    return members_of
