"""What the Pulumi stack already manages, read from its outputs (``pulumi stack output --json``).

The program exports, per provider, the Chatwoot ids of its inbox, team and portal
(``providers``), and which Chatwoot it manages (``chatwoot_url``, ``chatwoot_account_id``).
Reading them back lets
- the program refuse to run against another Chatwoot or account than the one the stack manages,
  and keep ``create()`` from adopting an object another provider of the stack owns;
- ``cwtenants plan``/``drift`` recognise an object renamed in the Chatwoot UI by its id;
- ``cwtenants adopt`` leave alone what the stack already manages.

Reading is best effort: without a ``pulumi`` on PATH, a selected stack or any outputs yet, the
answer is ``None`` and callers fall back to matching by natural key.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

KINDS = ("inbox", "team", "portal")


@dataclass
class StackInfo:
    url: str | None = None
    account_id: int | None = None
    # provider slug -> {"inbox": id, "team": id, "portal": id}
    providers: dict[str, dict[str, int]] = field(default_factory=dict)
    # provider slug -> offboarding recorded at the last run (retain | archive | delete)
    offboarding: dict[str, str] = field(default_factory=dict)

    def owned(self, except_slug: str | None = None) -> dict[str, dict[int, str]]:
        """{kind: {id: provider slug}} for every provider (but ``except_slug``)."""
        out: dict[str, dict[int, str]] = {k: {} for k in KINDS}
        for slug, ids in self.providers.items():
            if slug == except_slug:
                continue
            for kind in KINDS:
                if ids.get(kind) is not None:
                    out[kind][ids[kind]] = slug
        return out

    def owned_ids(self) -> dict[str, set[int]]:
        return {k: set(v) for k, v in self.owned().items()}


def _int(v) -> int | None:
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


def parse(outputs: dict) -> StackInfo:
    info = StackInfo(url=(outputs.get("chatwoot_url") or None), account_id=_int(outputs.get("chatwoot_account_id")))
    for slug, summary in (outputs.get("providers") or {}).items():
        if isinstance(summary, dict):
            info.providers[slug] = {k: _int(summary.get(f"{k}_id")) for k in KINDS}
            if summary.get("offboarding"):
                info.offboarding[slug] = str(summary["offboarding"])
    return info


def read(cwd: Path | str | None = None, stack: str | None = None, timeout: float = 120) -> StackInfo | None:
    """The stack's outputs, or None when they cannot be read (no pulumi, no stack, no outputs)."""
    outputs = read_outputs(cwd, stack, timeout)
    return parse(outputs) if outputs else None


def read_outputs(cwd: Path | str | None = None, stack: str | None = None, timeout: float = 120,
                 env: dict | None = None) -> dict | None:
    """``pulumi stack output --json`` as a dict ({} for a stack without outputs; secret values
    are the string "[secret]"), or None when it cannot be read (no pulumi, no stack, an error).
    ``env``: the environment of the call (default: this process's)."""
    exe = shutil.which("pulumi")
    if not exe:
        return None
    cmd = [exe, "stack", "output", "--json", "--non-interactive"]
    if stack:
        cmd += ["--stack", stack]
    try:
        proc = subprocess.run(cmd, cwd=str(cwd) if cwd else None, env=dict(os.environ if env is None else env),
                              capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode != 0:
        return None
    try:
        outputs = json.loads(proc.stdout or "{}")
    except ValueError:
        return None
    return outputs if isinstance(outputs, dict) else None


SECRET = "[secret]"  # how `pulumi stack output --json` shows a secret value


def without_secrets(outputs: dict) -> dict:
    """The outputs minus secret values: never shown, never exported again."""
    return {k: v for k, v in outputs.items() if v != SECRET}


def read_in_background(cwd: Path | str | None = None, stack: str | None = None, reader=None) -> Future:
    """Start :func:`read` (or ``reader``, e.g. :func:`read_outputs`) in a thread and return its
    future (``.result()`` is its answer).

    The ``pulumi stack output`` call loads the whole state (about 0.5 s at 1000 providers); the
    program starts it first and loads the catalog meanwhile instead of waiting for it."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stackinfo")
    try:
        return pool.submit(reader or read, cwd, stack)
    finally:
        pool.shutdown(wait=False)


def project_dir(providers_dir: Path) -> Path | None:
    """The Pulumi project of a providers folder: its parent, when that holds Pulumi.yaml.

    (The program reads ``providers/`` next to Pulumi.yaml; a folder elsewhere has no stack.)"""
    if os.environ.get("CWT_NO_STACK"):
        return None
    candidate = providers_dir.resolve().parent
    return candidate if (candidate / "Pulumi.yaml").is_file() else None


def same_chatwoot(info: StackInfo | None, url: str, account_id: int) -> bool:
    """True unless the stack recorded another Chatwoot URL or account id than these."""
    if info is None or not info.url or info.account_id is None:
        return True
    return info.url.rstrip("/") == url.rstrip("/") and info.account_id == account_id


def other_chatwoot_message(info: StackInfo, url: str, account_id: int, how: str) -> str:
    return (f"this stack manages Chatwoot {info.url} account {info.account_id}, but the settings point at "
            f"{url.rstrip('/')} account {account_id}; running against another Chatwoot or account would "
            f"create every provider again there (and its ids mean other objects). Check CHATWOOT_URL / "
            f"CHATWOOT_ACCOUNT_ID (or cwtenants:url / cwtenants:accountId); to move the stack on purpose, {how}")
