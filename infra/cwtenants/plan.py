"""Read-only comparison of the catalog with live Chatwoot (``cwtenants plan`` / ``cwtenants drift``).

Independent of Pulumi state: it lists what Chatwoot has and matches it to the catalog by natural
key — inbox name, lower-cased team name, portal slug, agent email.

Cost: a constant number of HTTP calls whatever the number of providers — ``GET /inboxes``,
``/teams``, ``/portals`` and ``/agents`` once each. Team and inbox *members* can only be read one
object at a time (``GET /teams/<id>/team_members``, ``GET /inbox_members/<id>``), so comparing
them is opt-in (``members=True``) and costs two more calls per provider.

With the stack's outputs (``cwtenants.stackinfo``: the ids each provider's inbox, team and
portal have), an object is matched by its id first, so one renamed in the Chatwoot UI shows as
``renamed`` (``pulumi up`` gives it back its declared name), not as "would be created" plus an
unmanaged object; objects the stack manages are never listed as unmanaged.

Desired and live values are compared in the same normal form the reconciler uses
(``InboxKind``, ``TeamKind``, ``PortalKind`` and ``desired(spec)`` of ``cwtenants.resources``),
so "in sync" here means "``pulumi up`` would change nothing".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Callable

from deepdiff import DeepDiff

from .catalog import Catalog, ProviderSpec
from .chatwoot import ChatwootClient
from .resources import agent as agent_resource
from .resources import inbox as inbox_res
from .resources import portal as portal_res
from .resources import team as team_res
from .resources.members import inbox_members_of, team_members_of

INBOX, TEAM, PORTAL = inbox_res.InboxKind(), team_res.TeamKind(), portal_res.PortalKind()
AGENT = agent_resource.AgentKind()

IN_SYNC, CREATE, UPDATE, AMBIGUOUS, RENAMED = "in-sync", "create", "update", "ambiguous", "renamed"
# Help Center content no file claims (plan_content.py): deleted by `pulumi up` (authoritative) or kept (additive)
DELETE, UNCLAIMED = "delete", "unclaimed"


@dataclass
class Change:
    field: str
    live: Any
    desired: Any


@dataclass
class ObjectPlan:
    kind: str  # inbox | team | portal | agent | team-members | inbox-members | category | article
    key: str  # natural key: inbox name, team name, portal slug, agent email, <locale>/<category slug>, article slug
    status: str  # in-sync | create | update | ambiguous | renamed | delete | unclaimed
    changes: list[Change] = field(default_factory=list)
    note: str = ""

    @property
    def drift(self) -> bool:
        return self.status not in (IN_SYNC, UNCLAIMED)


@dataclass
class ProviderPlan:
    slug: str
    source: str
    objects: list[ObjectPlan] = field(default_factory=list)

    @property
    def drift(self) -> bool:
        return any(o.drift for o in self.objects)


@dataclass
class Unmanaged:
    kind: str
    key: str
    id: Any


@dataclass
class Plan:
    providers: list[ProviderPlan]
    unmanaged: list[Unmanaged]
    members_compared: bool
    requests: int = 0
    content_compared: bool = True
    rights: list[dict] = field(default_factory=list)  # who holds account-wide rights, and why
    shared: list[dict] = field(default_factory=list)  # people listed by several providers, and why allowed

    @property
    def drift(self) -> bool:
        return any(p.drift for p in self.providers)

    def counts(self) -> dict[str, int]:
        out = {IN_SYNC: 0, CREATE: 0, UPDATE: 0, AMBIGUOUS: 0, RENAMED: 0, DELETE: 0, UNCLAIMED: 0}
        agents = set()  # an agent listed by several providers is one Chatwoot user: counted once
        for p in self.providers:
            for o in p.objects:
                if o.kind == "agent":
                    if o.key in agents:
                        continue
                    agents.add(o.key)
                out[o.status] += 1
        return out

    def to_json(self) -> dict:
        return {
            "drift": self.drift,
            "counts": self.counts(),
            "members_compared": self.members_compared,
            "content_compared": self.content_compared,
            "requests": self.requests,
            "providers": [
                {"slug": p.slug, "source": p.source, "drift": p.drift,
                 "objects": [asdict(o) for o in p.objects]}
                for p in self.providers
            ],
            "unmanaged": [asdict(u) for u in self.unmanaged],
            "account_wide_rights": self.rights,
            "shared_people": self.shared,
        }


# ---------------------------------------------------------------------------------------------
# Comparison


def changes(live: dict, desired: dict) -> list[Change]:
    """Top-level keys whose values differ, found with deepdiff (order of lists matters)."""
    diff = DeepDiff(live, desired, view="tree", ignore_order=False)
    keys: list[str] = []
    for items in diff.values():
        for item in items:
            path = item.path(output_format="list")
            key = str(path[0]) if path else "<root>"
            if key not in keys:
                keys.append(key)
    order = list(desired) + [k for k in live if k not in desired]
    keys.sort(key=lambda k: order.index(k) if k in order else len(order))
    return [Change(k, live.get(k), desired.get(k)) for k in keys]


def compare(kind: str, key: str, live: dict | None, want: dict, live_norm: Callable[[dict], dict]) -> ObjectPlan:
    if live is None:
        return ObjectPlan(kind, key, CREATE, [Change(k, None, v) for k, v in want.items()])
    return _compared(kind, key, live_norm(live), want)


def _compared(kind: str, key: str, have: dict, want: dict) -> ObjectPlan:
    found = changes(have, want)
    return ObjectPlan(kind, key, UPDATE if found else IN_SYNC, found)


def _members(kind: str, key: str, live_emails: set[str], spec: ProviderSpec) -> ObjectPlan:
    wanted = {a.email for a in spec.agents}
    missing = sorted(wanted - live_emails)
    extra = sorted(live_emails - wanted) if spec.membership == "authoritative" else []
    out = []
    if missing:
        out.append(Change("add", None, missing))
    if extra:
        out.append(Change("remove", extra, None))
    return ObjectPlan(kind, key, UPDATE if out else IN_SYNC, out,
                      note=f"membership: {spec.membership}")


class LiveIndex:
    """The four lists, indexed by natural key."""

    def __init__(self, inboxes: list[dict], teams: list[dict], portals: list[dict], agents: list[dict]):
        self.inboxes: dict[str, list[dict]] = {}
        for i in inboxes:
            if i.get("channel_type") == inbox_res.API_CHANNEL:
                self.inboxes.setdefault(i.get("name") or "", []).append(i)
        self.other_inboxes = [i for i in inboxes if i.get("channel_type") != inbox_res.API_CHANNEL]
        self.teams = {(t.get("name") or "").lower(): t for t in teams}
        self.portals = {p.get("slug"): p for p in portals}
        self.agents = {(a.get("email") or "").lower(): a for a in agents}
        self.by_id = {"inbox": {i.get("id"): i for i in inboxes}, "team": {t.get("id"): t for t in teams},
                      "portal": {p.get("id"): p for p in portals}}
        self.custom_roles: dict[int, str] = {}  # id → name, read only when the catalog declares custom roles
        self.custom_roles_on: bool | None = None

    def recorded(self, kind: str, ids: dict | None) -> dict | None:
        """The live inbox, team or portal with the id the stack recorded for the provider (``ids``:
        {"inbox"|"team"|"portal": id} from its outputs); None without an id or when it is gone."""
        return self.by_id[kind].get((ids or {}).get(kind))

    def matched(self, kind: str, ids: dict | None, spec: ProviderSpec) -> dict | None:
        """The provider's live inbox, team or portal: by the id the stack recorded, else by natural key
        (None: not found, or several API inboxes with its name)."""
        obj = self.recorded(kind, ids)
        if obj is not None:
            return obj
        if kind == "portal":
            return self.portals.get(spec.portal.slug)
        if kind == "team":
            return self.teams.get(spec.team.name.lower())
        matches = self.inboxes.get(spec.inbox.name, [])
        return matches[0] if len(matches) == 1 else None

    def custom_role_name(self, live_agent: dict, declared: str | None) -> str | None:
        """The live custom role as the catalog names it; a declared role that cannot take effect (no
        custom_roles feature, Chatwoot answers null) counts as in place, like the Agent resource does."""
        rid = live_agent.get("custom_role_id")
        if rid is None:
            return declared if declared and self.custom_roles_on is False else None
        return self.custom_roles.get(rid, f"custom role id {rid}")

    @classmethod
    def fetch(cls, c: ChatwootClient, progress: Callable[[str], None] = lambda _m: None) -> "LiveIndex":
        progress("listing inboxes")
        inboxes = inbox_res.list_inboxes(c)
        progress("listing teams")
        teams = c.get("/teams") or []
        progress("listing portals")
        portals = portal_res.list_portals(c)
        progress("listing agents")
        agents = c.get("/agents") or []
        return cls(inboxes, teams, portals, agents)


def _by_id(kind: str, live: LiveIndex, ids: dict | None, key_field: str,
           want: dict, norm: Callable[[dict], dict]) -> ObjectPlan | None:
    """Match by the id the stack recorded; a different natural key then means "renamed"."""
    obj = live.recorded(kind, ids)
    if obj is None:
        return None
    have = norm(obj)
    plan = _compared(kind, want[key_field], have, want)
    if have.get(key_field) != want.get(key_field):
        plan.status = RENAMED
        plan.note = (f"id {obj.get('id')} of this stack, now {have.get(key_field)!r} in Chatwoot; "
                     "`pulumi up` gives it back its declared " + ("slug" if kind == "portal" else "name"))
    return plan


def plan_provider(spec: ProviderSpec, live: LiveIndex, ids: dict | None = None,
                  slug_taken: Callable[[str], bool | None] | None = None) -> ProviderPlan:
    """``ids``: {"inbox"|"team"|"portal": id} from the stack's outputs, when known;
    ``slug_taken(slug)``: is a portal slug used by another account (one read per portal to create)."""
    pp = ProviderPlan(spec.slug, spec.source)

    want = PORTAL.normalise_inputs(portal_res.desired(spec))
    portal_plan = (_by_id("portal", live, ids, "slug", want, PORTAL.normalise)
                   or compare("portal", spec.portal.slug, live.portals.get(spec.portal.slug), want,
                               PORTAL.normalise))
    if portal_plan.status == CREATE and slug_taken and slug_taken(spec.portal.slug):
        portal_plan.status = AMBIGUOUS
        portal_plan.note = portal_res.slug_taken_message(spec.portal.slug, spec.slug)
    pp.objects.append(portal_plan)

    want = TEAM.normalise_inputs(team_res.desired(spec))
    pp.objects.append(_by_id("team", live, ids, "name", want, TEAM.normalise)
                      or compare("team", want["name"], live.teams.get(want["name"]), want, TEAM.normalise))

    want = INBOX.normalise_inputs(inbox_res.desired(spec))
    matches = live.inboxes.get(spec.inbox.name, [])
    by_id = _by_id("inbox", live, ids, "name", want, INBOX.normalise)
    if by_id is not None:
        pp.objects.append(by_id)
    elif len(matches) > 1:
        ids = ", ".join(str(i.get("id")) for i in matches)
        pp.objects.append(ObjectPlan("inbox", spec.inbox.name, AMBIGUOUS,
                                     note=f"{len(matches)} API inboxes have this name (ids {ids}); "
                                          "rename or delete the extra ones in Chatwoot"))
    else:
        pp.objects.append(compare("inbox", spec.inbox.name, matches[0] if matches else None, want,
                                   INBOX.normalise))

    for a in spec.agents:
        # the same normalisation as the Agent resource (availability compared only when declared;
        # the global user name only with `manage_user`: without state, plan cannot tell a user
        # cwtenants created from one it found, and it never renames the latter)
        want = AGENT.normalise_inputs(agent_resource.desired(a))
        found = live.agents.get(a.email)

        def norm(live_agent, managed=a.availability is not None, spec_agent=a):
            have = AGENT.normalise(live_agent, managed, live.custom_role_name(live_agent, spec_agent.custom_role))
            if not spec_agent.manage_user:
                have["name"] = spec_agent.name
            return have
        obj = compare("agent", a.email, found, want, norm)
        if found is not None and found.get("role") == agent_resource.ADMIN and a.role != agent_resource.ADMIN:
            obj.note = ("an administrator from before the catalog adopted them keeps that role; one the catalog "
                        "made administrator becomes agent")
        if a.custom_role and live.custom_roles_on is False:
            obj.note = "custom role not in effect: the account has no custom_roles feature"
        pp.objects.append(obj)
    return pp


def compute_plan(catalog: Catalog, c: ChatwootClient, members: bool = False,
                 progress: Callable[[str], None] = lambda _m: None, stack=None, content: bool = True) -> Plan:
    """Compare every provider of ``catalog`` with Chatwoot (read-only).

    ``stack``: a ``stackinfo.StackInfo`` (the stack's outputs) or None (natural keys only);
    ``content``: also compare Help Center categories and articles (plan_content.py)."""
    from .plan_content import plan_content

    before = c.stats_snapshot()["total"]
    live = LiveIndex.fetch(c, progress)
    if catalog.custom_roles:  # two more reads, only for catalogs that use custom roles
        from .isolation import custom_roles_feature

        progress("listing custom roles")
        live.custom_roles = {r.get("id"): r.get("name") for r in c.get("/custom_roles") or []}
        live.custom_roles_on = custom_roles_feature(c)[0]
    providers = []
    owned = stack.owned_ids() if stack else {}
    for n, spec in enumerate(catalog.providers, 1):
        ids = stack.providers.get(spec.slug) if stack else None
        pp = plan_provider(spec, live, ids, lambda slug: portal_res.slug_used_elsewhere(c, slug))
        if content:
            portal = live.matched("portal", ids, spec)
            if pp.objects[0].status == AMBIGUOUS:
                portal = None  # the slug is another account's: nothing of ours to read
            progress(f"Help Center content {n}/{len(catalog.providers)}: {spec.slug}")
            pp.objects += plan_content(c, spec, portal)
        if members:
            progress(f"members {n}/{len(catalog.providers)}: {spec.slug}")
            team = live.matched("team", ids, spec)
            if team is not None:
                emails = {(m.get("email") or "").lower() for m in team_members_of(c, team["id"])}
                pp.objects.append(_members("team-members", spec.team.name.lower(), emails, spec))
            inbox = live.matched("inbox", ids, spec)
            if inbox is not None:
                emails = {(m.get("email") or "").lower() for m in inbox_members_of(c, inbox["id"])}
                pp.objects.append(_members("inbox-members", spec.inbox.name, emails, spec))
        providers.append(pp)

    managed_inboxes = {p.inbox.name for p in catalog.providers}
    managed_teams = {p.team.name.lower() for p in catalog.providers}
    managed_portals = {p.portal.slug for p in catalog.providers}
    mine = {k: owned.get(k, set()) for k in ("inbox", "team", "portal")}
    unmanaged = [Unmanaged("inbox", name, i.get("id"))
                 for name, items in sorted(live.inboxes.items()) if name not in managed_inboxes for i in items
                 if i.get("id") not in mine["inbox"]]
    unmanaged += [Unmanaged("team", name, t.get("id"))
                  for name, t in sorted(live.teams.items())
                  if name not in managed_teams and t.get("id") not in mine["team"]]
    unmanaged += [Unmanaged("portal", slug, p.get("id"))
                  for slug, p in sorted(live.portals.items(), key=lambda kv: kv[0] or "")
                  if slug not in managed_portals and p.get("id") not in mine["portal"]]
    from .isolation import account_wide

    listed: dict[str, list[str]] = {}
    for p in catalog.providers:
        for a in p.agents:
            listed.setdefault(a.email, []).append(p.slug)
    staff = {s.email for s in catalog.staff}
    shared = [{"email": e, "providers": slugs, "why": "staff" if e in staff else "shared: true"}
              for e, slugs in sorted(listed.items()) if len(slugs) > 1]
    return Plan(providers, unmanaged, members, requests=c.stats_snapshot()["total"] - before,
                rights=account_wide(catalog, live.agents.values()), shared=shared, content_compared=content)


# ---------------------------------------------------------------------------------------------
# Text rendering

SYMBOL = {IN_SYNC: "=", CREATE: "+", UPDATE: "~", AMBIGUOUS: "!", RENAMED: "~", DELETE: "-", UNCLAIMED: "?"}
VERB = {IN_SYNC: "in sync", CREATE: "would be created", UPDATE: "would be updated",
        AMBIGUOUS: "cannot be matched", RENAMED: "was renamed in Chatwoot", DELETE: "would be deleted",
        UNCLAIMED: "is in Chatwoot only"}


def _value(v: Any) -> str:
    if v is None:
        return "(none)"
    if isinstance(v, str):
        return repr(v) if len(v) <= 80 else repr(v[:77] + "...")
    return repr(v) if not isinstance(v, list) else "[" + ", ".join(_value(x) for x in v) + "]"


def render_text(plan: Plan, *, verbose: bool = False, style: Callable[[str, str], str] = lambda s, _c: s) -> str:
    """Readable per-provider, per-object report. ``style(text, colour)`` adds colour (or not)."""
    from .plan_content import body_diff

    colour = {IN_SYNC: "green", CREATE: "green", UPDATE: "yellow", AMBIGUOUS: "red", RENAMED: "yellow",
              DELETE: "red", UNCLAIMED: "reset"}
    lines: list[str] = []
    for p in plan.providers:
        head = "drift" if p.drift else "in sync"
        lines.append(style(f"provider {p.slug}", "bold") + f" ({p.source}): {head}")
        for o in p.objects:
            if not o.drift and not verbose:
                continue
            label = f"  {SYMBOL[o.status]} {o.kind} {o.key!r} {VERB[o.status]}"
            if o.note:
                label += f" ({o.note})"
            lines.append(style(label, colour[o.status]))
            if o.status == CREATE:
                continue
            for ch in o.changes:
                if o.kind.endswith("-members"):
                    val = ch.desired if ch.field == "add" else ch.live
                    lines.append(f"      {ch.field}: {', '.join(val)}")
                elif o.kind == "article" and ch.field == "content":
                    lines += [f"      {ln}" for ln in body_diff(ch.live, ch.desired)]
                else:
                    lines.append(f"      {ch.field}: {_value(ch.live)} -> {_value(ch.desired)}  (live -> catalog)")
    if plan.unmanaged:
        lines.append("")
        lines.append(style("unmanaged (in Chatwoot, in no provider file; informational — "
                           "`cwtenants adopt` writes provider files for them):", "bold"))
        for u in plan.unmanaged:
            lines.append(f"  ? {u.kind} {u.key!r} (id {u.id})")
    from .isolation import rights_lines

    lines.append("")
    lines.append(style("account-wide rights (administrator: every provider's conversations, inboxes, teams "
                       "and portals):", "bold"))
    lines += rights_lines(plan.rights)
    if plan.shared:
        lines.append(style("people in several providers' inboxes (they see all those conversations):", "bold"))
        lines += [f"  {s['email']}: {', '.join(s['providers'])} ({s['why']})" for s in plan.shared]
    c = plan.counts()
    keys = [o.key for p in plan.providers for o in p.objects if o.kind == "agent"]
    shared = len(keys) != len(set(keys))
    lines.append("")
    n = len(plan.providers)
    lines.append(f"{n} provider{'' if n == 1 else 's'}: {c[IN_SYNC]} objects in sync, {c[CREATE]} to create, "
                 f"{c[UPDATE]} to update" + (f", {c[RENAMED]} renamed" if c[RENAMED] else "")
                 + (f", {c[AMBIGUOUS]} ambiguous" if c[AMBIGUOUS] else "")
                 + (f", {c[DELETE]} to delete" if c[DELETE] else "")
                 + (f", {c[UNCLAIMED]} Help Center objects no file claims (kept)" if c[UNCLAIMED] else "")
                 + f"; {len(plan.unmanaged)} unmanaged; {plan.requests} API request{'' if plan.requests == 1 else 's'}"
                 + (" (an agent listed by several providers counts once)." if shared else "."))
    if not plan.content_compared:
        lines.append("Help Center categories and articles were not compared (--no-content).")
    if not plan.members_compared:
        lines.append("Team and inbox members were not compared (use --members; one extra request per team "
                     "and inbox).")
    return "\n".join(lines) + "\n"
