"""``cwtenants adopt``: provider YAML for Chatwoot objects that no provider file claims yet.

Live objects are grouped by the common stem of their names, the naming the catalog derives:

    inbox  "Acme Support"      -> stem "Acme"
    team   "acme team"         -> stem "acme"   (Chatwoot lower-cases team names)
    portal "Acme Help Center"  -> stem "Acme"   (its slug is written out as it is)

Objects with the same stem (case-insensitively) become one provider named after the stem. An
object whose name has no such suffix becomes a provider of its own, named after the object;
the parts it lacks would be created by the next ``pulumi up``. Every value that matters is
written explicitly (timezone, greeting, colour, locales ...) so that ``_defaults.yaml`` cannot
change the adopted objects. Values the catalog would reject (e.g. an unknown timezone) are
left out and listed in a comment at the top of the file.

Members are adopted too, so that the next ``pulumi up`` changes nobody's membership: the team's
and the inbox's members become ``agents:`` (with their live name and role) and ``membership`` is
written explicitly — ``authoritative`` when the team and inbox have the same people, otherwise
``additive`` with the people who are in both (nobody is then added or removed).

Objects the stack already manages (ids from the stack's outputs, see ``stackinfo``) are never
offered, even under another name: a team renamed in the Chatwoot UI still belongs to its provider.
Inboxes that share a name with another API inbox cannot be told apart; they are reported in
``skipped`` instead of being left out silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import yaml
from pydantic import ValidationError

from .catalog import Catalog, ProviderFile, slugify
from .catalog.models import derive_portal_slug
from .catalog.scaffold import SCHEMA_HEADER
from .plan import INBOX, PORTAL, LiveIndex

SUFFIXES = {"inbox": " support", "team": " team", "portal": " help center"}


@dataclass
class Group:
    stem: str
    inbox: dict | None = None
    team: dict | None = None
    portal: dict | None = None
    display: str = ""  # best-cased name (teams are lower-case in Chatwoot)
    team_members: list[dict] | None = None
    inbox_members: list[dict] | None = None


@dataclass
class Adopted:
    slug: str
    name: str
    text: str
    objects: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


def _stem(kind: str, name: str) -> str:
    suffix = SUFFIXES[kind]
    return name[: -len(suffix)].strip() if name.lower().endswith(suffix) and len(name) > len(suffix) else name.strip()


def group_unmanaged(catalog: Catalog | None, live: LiveIndex, owned: dict | None = None,
                    skipped: list[str] | None = None) -> list[Group]:
    """Groups of live objects no provider file claims and the stack does not manage.

    ``owned``: {"inbox"|"team"|"portal": {ids}} managed by the stack (from its outputs)."""
    providers = catalog.providers if catalog else []
    owned = owned or {}
    managed_inboxes = {p.inbox.name for p in providers}
    managed_teams = {p.team.name.lower() for p in providers}
    managed_portals = {p.portal.slug for p in providers}
    groups: dict[str, Group] = {}
    skipped = skipped if skipped is not None else []

    def mine(kind: str, obj: dict) -> bool:
        return obj.get("id") in owned.get(kind, set())

    def add(kind: str, obj: dict, name: str) -> None:
        stem = _stem(kind, name)
        g = groups.setdefault(stem.lower(), Group(stem))
        if getattr(g, kind) is not None:  # a second object with the same stem: its own group
            g = groups.setdefault(f"{stem.lower()}#{kind}{obj.get('id')}", Group(stem))
        setattr(g, kind, obj)
        if kind != "team" and not g.display:
            g.display = stem

    for p in sorted(live.portals.values(), key=lambda p: p.get("id") or 0):
        if p.get("slug") not in managed_portals and not mine("portal", p):
            add("portal", p, p.get("name") or p.get("slug"))
    for name, items in sorted(live.inboxes.items()):
        items = [i for i in items if not mine("inbox", i)]
        if name in managed_inboxes or not items:
            continue
        if len(items) > 1:  # duplicates cannot be told apart: say so, adopt none of them
            ids = ", ".join(str(i.get("id")) for i in items)
            skipped.append(f"inbox {name!r}: {len(items)} API inboxes have this name (ids {ids}); rename all "
                           "but one in Chatwoot, then run `cwtenants adopt` again")
            continue
        add("inbox", items[0], name)
    for name, t in sorted(live.teams.items()):
        if name not in managed_teams and not mine("team", t):
            add("team", t, t.get("name") or name)
    out = list(groups.values())
    for g in out:
        g.display = g.display or g.stem.title()
    return sorted(out, key=lambda g: g.display.lower())


def adopted_agents(g: Group, live: LiveIndex, catalog: Catalog | None) -> tuple[list[dict], str | None, list[str]]:
    """(agents entries, membership, comment lines) that keep the adopted members as they are."""
    sets = [{(m.get("email") or "").lower() for m in members}
            for members in (g.team_members, g.inbox_members) if members is not None]
    if not sets:
        return [], None, []
    people = set.intersection(*sets)
    membership, notes = "authoritative", []
    if len(sets) == 2 and sets[0] != sets[1]:
        membership = "additive"
        only = sorted(sets[0] ^ sets[1])
        notes.append(f"# The team and the inbox have different members ({', '.join(only)} in only one): "
                     "membership is additive, so nobody is added or removed.")
    known = {a.email.lower(): a for p in (catalog.providers if catalog else []) for a in p.agents}
    by_email = {}
    for members in (g.team_members or [], g.inbox_members or []):
        for m in members:
            by_email.setdefault((m.get("email") or "").lower(), m)
    out = []
    for email in sorted(people):
        if not email:
            continue
        a = known.get(email)
        src = live.agents.get(email) or by_email.get(email) or {}
        name = a.name if a else src.get("name")
        role = a.role if a else (src.get("role") or "agent")
        entry = {"email": email}
        if name:
            entry["name"] = name
        entry["role"] = role
        out.append(entry)
    return out, membership, notes


def provider_document(g: Group, slug: str, agents: list[dict] | None = None, membership: str | None = None,
                      portal_slug_prefix: str = "") -> tuple[dict, list[str]]:
    """The provider file's document (``agents``/``membership``: from ``adopted_agents``, None: not adopted)."""
    name = g.display
    doc: dict = {"slug": slug, "name": name}
    if g.inbox:
        live = INBOX.normalise(g.inbox)
        doc["inbox"] = {
            "name": live["name"],
            "timezone": live["timezone"],
            "greeting": live["greeting_message"] if live["greeting_enabled"] else None,
            "webhook_url": live["webhook_url"],
            "enable_auto_assignment": live["enable_auto_assignment"],
        }
        doc["inbox"] = {k: v for k, v in doc["inbox"].items() if v is not None or k == "greeting"}
    if g.team:
        doc["team"] = {"name": g.team.get("name"), "description": g.team.get("description") or None,
                       "allow_auto_assign": bool(g.team.get("allow_auto_assign", True))}
        doc["team"] = {k: v for k, v in doc["team"].items() if v is not None}
    if g.portal:
        live = PORTAL.normalise(g.portal)
        portal = {k: live[k] for k in ("slug", "name", "color", "locales", "header_text", "page_title",
                                       "homepage_link", "custom_domain")}
        doc["portal"] = {k: v for k, v in portal.items() if v is not None}
    else:  # like `cwtenants new`: the portal `pulumi up` will create gets its derived slug written out
        doc["portal"] = {"slug": derive_portal_slug(slug, portal_slug_prefix)}
    if membership:
        doc["agents"] = agents
        doc["membership"] = membership
    return _drop_invalid(doc)


def _drop_invalid(doc: dict) -> tuple[dict, list[str]]:
    """Remove values the catalog would reject; returns (document, ["inbox.timezone: reason", ...])."""
    dropped: list[str] = []
    for _ in range(20):
        try:
            ProviderFile.model_validate(doc)
            return doc, dropped
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = [p for p in err["loc"] if isinstance(p, (str, int))]
            if len(loc) < 2 or loc[0] in ("slug", "name"):
                raise
            parent = doc
            for part in loc[:-1]:
                parent = parent[part]
            dropped.append(f"{'.'.join(map(str, loc))} = {parent.get(loc[-1])!r}: {err['msg']}")
            del parent[loc[-1]]
    raise RuntimeError("too many invalid values")


def render(doc: dict, objects: list[str], dropped: list[str], notes: list[str] | None = None) -> str:
    head = [SCHEMA_HEADER, f"# Adopted by `cwtenants adopt` from existing Chatwoot objects: {', '.join(objects)}."]
    head += notes or []
    missing = [k for k in ("inbox", "team", "portal") if not any(o.startswith(k + " ") for o in objects)]
    if missing:
        head.append(f"# Not found in Chatwoot, so `pulumi up` would create: {', '.join(missing)}.")
    for d in dropped:
        head.append(f"# Not adopted (the catalog rejects it): {d}")
    head.append("# The slug and portal.slug are keys of live Chatwoot objects: do not change them.")
    body = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)
    return "\n".join(head) + "\n" + body


def adopt(catalog: Catalog | None, live: LiveIndex,
          members_of: Callable[[str, dict], list[dict]] | None = None,
          owned: dict | None = None, skipped: list[str] | None = None,
          portal_slug_prefix: str = "") -> list[Adopted]:
    """One ``Adopted`` (slug, YAML text) per group of unmanaged objects.

    ``members_of(kind, obj)`` reads the live members of a team or inbox (None: members are not
    adopted); ``owned`` holds the ids the stack already manages; ``skipped`` collects what could
    not be adopted and why."""
    taken = set(catalog.slugs if catalog else [])
    out = []
    for g in group_unmanaged(catalog, live, owned, skipped):
        if members_of is not None:
            g.team_members = members_of("team", g.team) if g.team else None
            g.inbox_members = members_of("inbox", g.inbox) if g.inbox else None
        base = slugify(g.display) or "provider"
        if len(base) < 2:
            base = f"{base}-provider"
        slug, n = base, 2
        while slug in taken:
            slug, n = f"{base[:46]}-{n}", n + 1
        taken.add(slug)
        objects = [f"{kind} {obj.get('slug') if kind == 'portal' else obj.get('name')!r}"
                   for kind, obj in (("inbox", g.inbox), ("team", g.team), ("portal", g.portal)) if obj]
        agents, membership, notes = adopted_agents(g, live, catalog) if members_of is not None else ([], None, [])
        doc, dropped = provider_document(g, slug, agents, membership, portal_slug_prefix)
        out.append(Adopted(slug, g.display, render(doc, objects, dropped, notes), objects, dropped))
    return out
