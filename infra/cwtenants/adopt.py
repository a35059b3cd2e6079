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
"""

from __future__ import annotations

from dataclasses import dataclass, field

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


def group_unmanaged(catalog: Catalog | None, live: LiveIndex) -> list[Group]:
    providers = catalog.providers if catalog else []
    managed_inboxes = {p.inbox.name for p in providers}
    managed_teams = {p.team.name.lower() for p in providers}
    managed_portals = {p.portal.slug for p in providers}
    groups: dict[str, Group] = {}

    def add(kind: str, obj: dict, name: str) -> None:
        stem = _stem(kind, name)
        g = groups.setdefault(stem.lower(), Group(stem))
        if getattr(g, kind) is not None:  # a second object with the same stem: its own group
            g = groups.setdefault(f"{stem.lower()}#{kind}{obj.get('id')}", Group(stem))
        setattr(g, kind, obj)
        if kind != "team" and not g.display:
            g.display = stem

    for p in sorted(live.portals.values(), key=lambda p: p.get("id") or 0):
        if p.get("slug") not in managed_portals:
            add("portal", p, p.get("name") or p.get("slug"))
    for name, items in sorted(live.inboxes.items()):
        if name not in managed_inboxes and len(items) == 1:  # duplicates cannot be told apart
            add("inbox", items[0], name)
    for name, t in sorted(live.teams.items()):
        if name not in managed_teams:
            add("team", t, t.get("name") or name)
    out = list(groups.values())
    for g in out:
        g.display = g.display or g.stem.title()
    return sorted(out, key=lambda g: g.display.lower())


def provider_document(g: Group, slug: str, portal_slug_prefix: str = "") -> tuple[dict, list[str]]:
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


def render(doc: dict, objects: list[str], dropped: list[str]) -> str:
    head = [SCHEMA_HEADER, f"# Adopted by `cwtenants adopt` from existing Chatwoot objects: {', '.join(objects)}."]
    missing = [k for k in ("inbox", "team", "portal") if not any(o.startswith(k + " ") for o in objects)]
    if missing:
        head.append(f"# Not found in Chatwoot, so `pulumi up` would create: {', '.join(missing)}.")
    for d in dropped:
        head.append(f"# Not adopted (the catalog rejects it): {d}")
    head.append("# The slug and portal.slug are keys of live Chatwoot objects: do not change them.")
    body = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)
    return "\n".join(head) + "\n" + body


def adopt(catalog: Catalog | None, live: LiveIndex, portal_slug_prefix: str = "") -> list[Adopted]:
    """One ``Adopted`` (slug, YAML text) per group of unmanaged objects."""
    taken = set(catalog.slugs if catalog else [])
    out = []
    for g in group_unmanaged(catalog, live):
        base = slugify(g.display) or "provider"
        if len(base) < 2:
            base = f"{base}-provider"
        slug, n = base, 2
        while slug in taken:
            slug, n = f"{base[:46]}-{n}", n + 1
        taken.add(slug)
        objects = [f"{kind} {obj.get('slug') if kind == 'portal' else obj.get('name')!r}"
                   for kind, obj in (("inbox", g.inbox), ("team", g.team), ("portal", g.portal)) if obj]
        doc, dropped = provider_document(g, slug, portal_slug_prefix)
        out.append(Adopted(slug, g.display, render(doc, objects, dropped), objects, dropped))
    return out
