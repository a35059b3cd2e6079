"""``cwtenants verify-isolation``: can a provider's person reach another provider's corner?

Read-only and independent of Pulumi state. What a person can reach in Chatwoot comes from
- their **role**: an ``administrator`` reaches every inbox, team and portal of the account;
- **inbox membership**: an ``agent`` sees the inboxes (and their conversations) they are a member of;
- **team membership**: team conversations are assigned to the team's members.

A provider's people are the emails its file lists. A person is in the wrong place (a *finding*,
exit code 2) when they
- are an administrator while a provider lists them and ``_defaults.yaml`` does not declare them staff;
- are a member of the inbox or team of a provider that does not list them.
Staff (declared in ``_defaults.yaml``) and people listed with ``shared: true`` by several providers
are declared decisions: reported, never findings. Account users no provider lists who are members
of a provider's inbox or team are reported as "not in the catalog" (informational: additive
membership allows them).

The token must be an administrator's (one profile read checks it first). Cost: three list calls
(``GET /inboxes``, ``/teams``, ``/agents``) plus one member read per
provider inbox (``GET /inbox_members/<id>``) and one per provider team
(``GET /teams/<id>/team_members``), whatever the number of agents.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Callable

from .catalog import Catalog
from .chatwoot import ChatwootClient
from .resources import inbox as inbox_res
from .resources.members import inbox_members_of, team_members_of

ADMIN = "administrator"


@dataclass
class Finding:
    email: str
    providers: list[str]  # the providers that list the person ([] = none)
    reaches: str  # "every inbox (administrator)" or "<kind> of provider <slug>"
    message: str


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    account_wide: list[dict] = field(default_factory=list)  # administrators and where that comes from
    shared: list[dict] = field(default_factory=list)  # declared staff/shared people in several corners
    not_in_catalog: list[dict] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # provider objects not found in Chatwoot
    requests: int = 0

    @property
    def isolated(self) -> bool:
        return not self.findings

    def to_json(self) -> dict:
        return {"isolated": self.isolated, "findings": [asdict(f) for f in self.findings],
                "account_wide": self.account_wide, "shared": self.shared,
                "not_in_catalog": self.not_in_catalog, "missing": self.missing, "requests": self.requests}


def account_wide(catalog: Catalog, live_agents) -> list[dict]:
    """Everyone who holds (or, once applied, will hold) account-wide rights, and where that comes from:
    live administrators, and staff declared administrator who are not yet."""
    listed_by: dict[str, list[str]] = {}
    for p in catalog.providers:
        for a in p.agents:
            listed_by.setdefault(a.email, []).append(p.slug)
    staff = {s.email: s for s in catalog.staff}
    out, seen = [], set()
    for a in sorted(live_agents, key=lambda a: (a.get("email") or "").lower()):
        email = (a.get("email") or "").lower()
        if a.get("role") != ADMIN:
            continue
        seen.add(email)
        slugs = listed_by.get(email, [])
        if email in staff and staff[email].role == ADMIN:
            source = f"staff ({staff[email].source})"
        elif email in staff:
            source = (f"staff declared with role '{staff[email].role}' ({staff[email].source}), but administrator "
                      "in Chatwoot")
        elif slugs:
            source = (f"listed by {', '.join(slugs)} and administrator in Chatwoot (kept if they were an "
                      "administrator before the catalog adopted them; otherwise `pulumi up` makes them agent)")
        else:
            source = "not in the catalog (an administrator from before the catalog; kept)"
        out.append({"email": email, "user_id": a.get("id"), "source": source, "live": True})
    for s in catalog.staff:
        if s.role == ADMIN and s.email not in seen:
            out.append({"email": s.email, "user_id": None, "live": False,
                        "source": f"staff ({s.source}); `pulumi up` makes them administrator"})
    return out


def check(catalog: Catalog, c: ChatwootClient, progress: Callable[[str], None] = lambda _m: None) -> Report:
    before = c.stats_snapshot()["total"]
    report = Report()
    progress("listing inboxes, teams and agents")
    inboxes = [i for i in inbox_res.list_inboxes(c) if i.get("channel_type") == inbox_res.API_CHANNEL]
    teams = {(t.get("name") or "").lower(): t for t in c.get("/teams") or []}
    agents = {(a.get("email") or "").lower(): a for a in c.get("/agents") or []}

    listed_by: dict[str, list[str]] = {}
    for p in catalog.providers:
        for a in p.agents:
            listed_by.setdefault(a.email, []).append(p.slug)
    staff = {s.email: s for s in catalog.staff}

    # 1. roles: who reaches everything
    report.account_wide = account_wide(catalog, agents.values())
    for a in report.account_wide:
        email = a["email"]
        slugs = listed_by.get(email, [])
        if a["live"] and slugs and email not in staff:
            report.findings.append(Finding(
                email, slugs, "every inbox (administrator)",
                f"{email} is listed by {', '.join(slugs)} but is an administrator: they can read every "
                "provider's conversations and change every inbox, team and portal. Make them 'agent' in Chatwoot "
                "(Settings -> Agents) or declare them staff in _defaults.yaml"))

    # 2. membership: who is in whose inbox and team
    by_name: dict[str, list[dict]] = {}
    for i in inboxes:
        by_name.setdefault(i.get("name") or "", []).append(i)
    for n, p in enumerate(catalog.providers, 1):
        progress(f"members {n}/{len(catalog.providers)}: {p.slug}")
        corners = []
        found = by_name.get(p.inbox.name, [])
        if len(found) == 1:
            corners.append(("inbox", p.inbox.name, inbox_members_of(c, found[0]["id"])))
        else:
            report.missing.append(f"inbox {p.inbox.name!r} of {p.slug}: "
                                  + ("not found" if not found else f"{len(found)} API inboxes have this name"))
        team = teams.get(p.team.name.lower())
        if team is not None:
            corners.append(("team", p.team.name.lower(), team_members_of(c, team["id"])))
        else:
            report.missing.append(f"team {p.team.name.lower()!r} of {p.slug}: not found")
        for kind, name, members in corners:
            for m in members:
                email = (m.get("email") or "").lower()
                slugs = listed_by.get(email, [])
                if p.slug in slugs:
                    continue
                where = f"{kind} {name!r} of provider {p.slug}"
                if email in staff:
                    report.shared.append({"email": email, "reaches": where, "why": f"staff ({staff[email].source})"})
                elif not slugs:
                    report.not_in_catalog.append({"email": email, "reaches": where})
                else:
                    report.findings.append(Finding(
                        email, slugs, where,
                        f"{email} (listed by {', '.join(slugs)}) is a member of the {where}, which does not list "
                        f"them: they {'see its conversations' if kind == 'inbox' else 'get its team conversations'}. "
                        f"Remove them there (`pulumi up --refresh` does for authoritative membership), or list "
                        f"them in {p.slug} with `shared: true`"))
    for email, slugs in sorted(listed_by.items()):
        if len(slugs) > 1:
            why = "staff" if email in staff else "shared: true"
            report.shared.append({"email": email, "reaches": "providers " + ", ".join(slugs), "why": why})
    report.requests = c.stats_snapshot()["total"] - before
    return report


def rights_lines(rights: list[dict]) -> list[str]:
    return [f"  {a['email']}" + (f" (user {a['user_id']})" if a["user_id"] is not None else "") + f": {a['source']}"
            for a in rights] or ["  nobody"]


def render_text(r: Report) -> str:
    lines = []
    for f in r.findings:
        lines.append(f"FOUND {f.message}")
    lines.append("account-wide rights (administrator):")
    lines += rights_lines(r.account_wide)
    if r.shared:
        lines.append("declared to reach several providers:")
        lines += [f"  {s['email']}: {s['reaches']} ({s['why']})" for s in r.shared]
    if r.not_in_catalog:
        lines.append("members no provider lists (allowed by additive membership; check them):")
        lines += [f"  {s['email']}: {s['reaches']}" for s in r.not_in_catalog]
    if r.missing:
        lines.append("not checked (not found in Chatwoot; run `pulumi up`):")
        lines += [f"  {m}" for m in r.missing]
    verdict = ("isolated: no provider's person can reach another provider's inbox or team" if r.isolated else
               f"NOT isolated: {len(r.findings)} finding{'s' if len(r.findings) != 1 else ''}")
    lines.append(f"{verdict}; {r.requests} API requests.")
    return "\n".join(lines) + "\n"


def command(providers_dir, as_json: bool = False, quiet: bool = False) -> None:
    """Body of `cwtenants verify-isolation` (registered in cli.py)."""
    import json

    import typer

    from .chatwoot import ChatwootError
    from .cli import EXIT_DRIFT, EXIT_OK, Progress, client_from_env, fail, load_or_exit, out
    from .preflight import PreflightError, require_administrator

    catalog = load_or_exit(providers_dir)
    client = client_from_env(providers_dir)
    try:
        with client:
            # an agent's token lists only its own inboxes (and is refused the others' member lists):
            # the other providers would show as "not found" under an "isolated" verdict
            require_administrator(client)
            report = check(catalog, client, Progress(quiet, "verify-isolation: "))
    except PreflightError as exc:
        raise fail(exc.message, exc.hint) from None
    except ChatwootError as exc:
        raise fail(f"reading Chatwoot failed: {exc}", (getattr(exc, "hint", "") or "")
                   + " (`cwtenants doctor` checks the connection)") from None
    out(json.dumps(report.to_json(), indent=2, default=str) if as_json else render_text(report).rstrip("\n"))
    raise typer.Exit(EXIT_OK if report.isolated else EXIT_DRIFT)


# ---------------------------------------------------------------------------------------------
# Custom roles: is the feature on? (`cwtenants doctor`)

FEATURE = "custom_roles"


def custom_roles_feature(c: ChatwootClient) -> tuple[bool | None, str]:
    """(on?, where that was read). None: could not be read.

    The account's enabled features are listed by the Platform API (``GET /platform/api/v1/accounts/<id>``,
    with a platform token) and by the account itself (``GET /api/v1/accounts/<id>``); an account without
    the feature does not list it (or lists it false)."""
    from .chatwoot import ChatwootError

    readers = []
    if c.settings.platform_token:
        readers.append(("Platform API account", lambda: c.platform_get(f"/accounts/{c.settings.account_id}")))
    readers.append(("account settings", lambda: c.request("GET", c.settings.account_prefix,
                                                          token=c.settings.api_token)))
    for where, read in readers:
        try:
            features = (read() or {}).get("features")
        except ChatwootError:
            continue
        if isinstance(features, dict):
            return bool(features.get(FEATURE)), where
    return None, "no answer listed the account's features"
