"""The end of every ``pulumi up``: each provider of the stack owns exactly one inbox, team and portal.

Chatwoot does not keep inbox names unique, and a create whose client timed out can still be
committed by the server afterwards: a duplicate would then go unnoticed by later runs (they
adopt by name and the state holds one id). So once the run has settled every provider's inbox,
team and portal, the program lists the three kinds once (3 GETs whatever the number of
providers) and fails the run loudly when a name or slug is found more than once. A missing
object (deleted or renamed in the UI) is reported as a warning: `pulumi up --refresh` fixes it.
The program's client sends these calls from a small reserve of the request budget that the
provider process leaves free (``resources.base.budget_split``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from .catalog import ProviderSpec
from .chatwoot import ChatwootClient, Settings
from .resources.base import CONFIG_ENV
from .resources.inbox import API_CHANNEL, list_inboxes
from .resources.portal import list_portals


PLURAL = {"inbox": "inboxes", "team": "teams", "portal": "portals"}


@dataclass(frozen=True)
class Finding:
    duplicate: bool  # True: fails the run; False: a warning
    message: str


def settings_from(config: Mapping[str, object | None]) -> Settings:
    """Stack config (``cwtenants:*``, keys as in CONFIG_ENV) over the environment, like the providers."""
    env = dict(os.environ)
    for key, var in CONFIG_ENV.items():
        if config.get(key) not in (None, ""):
            env[var] = str(config[key])
    return Settings.from_env(env)


def findings(c: ChatwootClient, managed: list[tuple[ProviderSpec, object, object, object]]) -> list[Finding]:
    """``managed``: (spec, inbox id, team id, portal id) as in the state, per provider of this stack."""
    inboxes = [i for i in list_inboxes(c) if i.get("channel_type") == API_CHANNEL]
    teams = c.get("/teams") or []
    portals = list_portals(c)
    out: list[Finding] = []
    for spec, inbox_id, team_id, portal_id in managed:
        for kind, key, found, ours in (
            ("inbox", spec.inbox.name, [i for i in inboxes if i.get("name") == spec.inbox.name], inbox_id),
            ("team", spec.team.name.lower(),
             [t for t in teams if (t.get("name") or "").lower() == spec.team.name.lower()], team_id),
            ("portal", spec.portal.slug, [p for p in portals if p.get("slug") == spec.portal.slug], portal_id),
        ):
            ids = sorted(str(o.get("id")) for o in found)
            if len(found) > 1:
                extra = [i for i in ids if i != str(ours)]
                out.append(Finding(True, (
                    f"provider {spec.slug}: {len(found)} {PLURAL[kind]} '{key}' exist in Chatwoot (ids {', '.join(ids)}; "
                    f"this stack manages {ours}) — a duplicate, e.g. from a create the server finished after the "
                    f"client had given up. Move anything in {kind} {', '.join(extra)} over and delete it in "
                    "Chatwoot, then run `pulumi up` again")))
            elif not found:
                out.append(Finding(False, (
                    f"provider {spec.slug}: no {kind} '{key}' in Chatwoot although this stack manages {kind} "
                    f"{ours}: it was deleted or renamed there; `pulumi up --refresh` puts it back")))
    return out
