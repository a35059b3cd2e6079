"""Who is in the provider's team and inbox (docs/chatwoot-behaviour.md#team-members team members, #inbox-members inbox members).

Two resource types, one of each per provider: ``TeamMembers`` and ``InboxMembers``.
Pulumi id: the team / inbox id.

Inputs:
- ``members``: the declared agents' emails, sorted — the only compared key, so the preview
  names who joins and who leaves;
- ``user_ids``: email → Chatwoot user id (from the Agent resources; shown in the diff by email);
- ``target_id``: the team / inbox id (an output of that resource; not compared);
- ``membership`` (authoritative | additive), ``provider_slug``, ``offboarding``: local.

Modes:
- authoritative: the members ARE the declared list. Read (refresh) reports every live member,
  so someone added by hand shows up as a change; create/update send one PATCH (replace-set)
  with the declared ids as JSON integers (a string id never matches in Chatwoot and would
  empty the team, docs/chatwoot-behaviour.md#team-members). An empty list empties the team: that is what "authoritative" means.
- additive: declared people are ensured, others left alone. Read reports only the declared
  people who are present; update POSTs the newcomers and DELETEs only people this resource
  declared before and no longer declares.

Delete (the provider's file is removed) changes nothing: the team and inbox follow the
provider's offboarding, and people no longer declared anywhere lose their account membership
through the Agent resource (which takes them out of every team and inbox).
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import ReadResult, Resource, UpdateResult

from ..chatwoot import ChatwootClient
from ..chatwoot.errors import NotFound
from .base import (CHATWOOT_KEY, Gone, KindProvider, ObjectKind, ReconcileError, chatwoot_marker, client,
                   created_empty, guard_chatwoot, say, vanished)
from .inbox import InboxKind
from .team import TeamKind

AUTHORITATIVE = "authoritative"


def team_members_of(c: ChatwootClient, team_id: Any) -> list[dict]:
    """``GET /teams/<id>/team_members``: a bare array of agents."""
    return c.get(f"/teams/{team_id}/team_members") or []


def inbox_members_of(c: ChatwootClient, inbox_id: Any) -> list[dict]:
    """``GET /inbox_members/<id>``: ``{"payload": [agent, ...]}`` (an agent's token: its own inboxes only)."""
    return (c.get(f"/inbox_members/{inbox_id}") or {}).get("payload") or []


def desired(spec, target_id: Any, user_ids: Any, target_name: str | None = None) -> dict[str, Any]:
    """ProviderSpec + the team/inbox id + {email: user id Output} → resource inputs.

    ``target_name`` (the declared team / inbox name; not compared) lets a preview find an existing
    team or inbox that the run will adopt, and name the people who would leave it."""
    return {
        "provider_slug": spec.slug,
        "offboarding": spec.offboarding,
        "membership": spec.membership,
        "target_id": target_id,
        "members": sorted({a.email.lower() for a in spec.agents}),
        "user_ids": user_ids,
        "target_name": target_name,
    }


def ids_for(emails, user_ids: dict) -> list[int]:
    """Emails → JSON integer user ids (sorted). A missing id is a bug upstream: fail loudly."""
    missing = [e for e in emails if user_ids.get(e) in (None, "")]
    if missing:
        raise RuntimeError(f"no Chatwoot user id known for {', '.join(missing)}")
    return sorted(int(user_ids[e]) for e in emails)


def observe(live: list[dict], props: dict) -> dict:
    """Live members (agent JSON) → ``members`` / ``user_ids`` as the resource state sees them.

    authoritative: everyone; additive: only the people this resource declares.
    """
    by_email = {(a.get("email") or "").lower(): int(a["id"]) for a in live}
    if (props.get("membership") or AUTHORITATIVE) != AUTHORITATIVE:
        declared = set(props.get("members") or [])
        by_email = {e: i for e, i in by_email.items() if e in declared}
    return {"members": sorted(by_email), "user_ids": dict(sorted(by_email.items()))}


def plan(olds: dict, news: dict) -> tuple[str, list[str], list[str]]:
    """What an update does: ("patch", keep, []) or ("add/remove", to_add, to_remove) in additive mode."""
    want = sorted(set(news.get("members") or []))
    if (news.get("membership") or AUTHORITATIVE) == AUTHORITATIVE:
        return "patch", want, []
    have = set(olds.get("members") or [])
    return "add/remove", sorted(set(want) - have), sorted(have - set(want))


def _call(c: ChatwootClient, method: str, path: str, json: dict) -> Any:
    """POST adds, PATCH replaces the set, DELETE removes (docs/chatwoot-behaviour.md#inbox-members, #team-members); ids are JSON integers."""
    if any(type(i) is not int for i in json["user_ids"]):
        raise TypeError(f"{method} {path}: user ids must be JSON integers, got {json['user_ids']!r}")
    return {"POST": c.post, "PATCH": c.patch, "DELETE": c.delete}[method](path, json)


class MembersKind(ObjectKind):
    """Shared by team and inbox; subclasses say how to list / patch / post / delete."""

    what: str = ""
    compared = ("members",)
    local = ("provider_slug", "membership", "offboarding")

    def normalise_inputs(self, inputs: dict) -> dict:
        return {"members": sorted({(e or "").lower() for e in inputs.get("members") or []})}

    def normalise(self, live: Any) -> dict:
        return {"members": sorted((a.get("email") or "").lower() for a in live)}

    # per target
    def list(self, c: ChatwootClient, target: int) -> list[dict]:
        raise NotImplementedError

    def send(self, c: ChatwootClient, method: str, target: int, ids: list[int]) -> Any:
        raise NotImplementedError

    def apply(self, c: ChatwootClient, target: int, olds: dict, news: dict) -> None:
        op, add, remove = plan(olds, news)
        ids = news.get("user_ids") or {}
        who = f"{self.what} {target} of provider {news.get('provider_slug')}"
        if op == "patch":
            self.send(c, "PATCH", target, ids_for(add, ids))
            return
        if add:
            self.send(c, "POST", target, ids_for(add, ids))
        if remove:
            gone = {**(olds.get("user_ids") or {}), **ids}
            known = [e for e in remove if gone.get(e) not in (None, "")]
            if known:
                self.send(c, "DELETE", target, ids_for(known, gone))
        if add or remove:
            say(f"{who}: added {', '.join(add) or 'nobody'}; removed {', '.join(remove) or 'nobody'} (additive)")

    def create(self, c: ChatwootClient, inputs: dict) -> tuple[str, dict]:
        target = int(inputs["target_id"])
        # A team/inbox this process has just created has no members: no need to read them.
        fresh = (self.what, target) in created_empty
        current = observe([] if fresh else self.list(c, target), inputs)
        if self.normalise_inputs(current) != self.normalise_inputs(inputs):
            line = change_line(self.what, current, inputs)
            if line:  # an adopted team/inbox: whoever leaves it is named in the run output
                say(line + f" ({self.what} {target} adopted; membership: {inputs.get('membership')})")
            self.apply(c, target, current, inputs)
        return str(target), {}

    def find_target(self, c: ChatwootClient, name: str) -> int | None:
        """The id of the existing team / inbox a create would adopt (None: it would be created)."""
        raise NotImplementedError

    def preview_create(self, c: ChatwootClient, inputs: dict) -> str | None:
        """For a preview of a membership resource that is new in the stack: who would leave?"""
        target = inputs.get("target_id")
        try:
            target = int(target)
        except (TypeError, ValueError):  # unknown during a preview: the team / inbox is new in the stack
            name = inputs.get("target_name")
            target = self.find_target(c, name) if name else None
        if target is None or (self.what, target) in created_empty:
            return None
        current = observe(self.list(c, target), inputs)
        line = change_line(self.what, current, inputs)
        return line and line + f" ({self.what} {target} exists and is adopted; membership: {inputs.get('membership')})"

    def read(self, c: ChatwootClient, id_: str, props: dict) -> list[dict]:
        try:
            return self.list(c, int(id_))
        except NotFound:
            raise Gone() from None

    def update(self, c: ChatwootClient, id_: str, olds: dict, news: dict) -> dict:
        target = int(news.get("target_id") or id_)
        try:
            if (news.get("membership") or AUTHORITATIVE) == AUTHORITATIVE != (olds.get("membership") or AUTHORITATIVE):
                # additive -> authoritative: the state knew only the declared people; everyone else leaves
                olds = {**olds, **observe(self.list(c, target), news)}
            line = change_line(self.what, olds, news)
            if line:  # the run output names whoever joins or leaves, as the preview did
                say(line)
            self.apply(c, target, olds, news)
        except NotFound:
            raise vanished(f"{self.what} {id_} of provider {news.get('provider_slug')}") from None
        return {}

    def delete(self, c: ChatwootClient, id_: str, props: dict) -> None:
        say(f"{self.what} {id_} of provider {props.get('provider_slug')}: members left as they are "
            f"(the {self.what} follows offboarding: {props.get('offboarding')})")


class TeamMembersKind(MembersKind):
    name = "team_members"
    what = "team"

    def list(self, c: ChatwootClient, target: int) -> list[dict]:
        return team_members_of(c, target)

    def find_target(self, c: ChatwootClient, name: str) -> int | None:
        team = TeamKind().find(c, name)
        return int(team["id"]) if team is not None else None

    def send(self, c: ChatwootClient, method: str, target: int, ids: list[int]) -> Any:
        return _call(c, method, f"/teams/{target}/team_members", {"user_ids": ids})


class InboxMembersKind(MembersKind):
    name = "inbox_members"
    what = "inbox"

    def list(self, c: ChatwootClient, target: int) -> list[dict]:
        return inbox_members_of(c, target)

    def find_target(self, c: ChatwootClient, name: str) -> int | None:
        try:
            inbox = InboxKind().find(c, name)
        except ReconcileError:  # several API inboxes with this name: a create adopts none of them
            return None
        return int(inbox["id"]) if inbox is not None else None

    def send(self, c: ChatwootClient, method: str, target: int, ids: list[int]) -> Any:
        return _call(c, method, "/inbox_members", {"inbox_id": int(target), "user_ids": ids})


def change_line(what: str, olds: dict, news: dict) -> str | None:
    """"team of provider acme: joins a@x; leaves b@y" (None when nobody changes)."""
    have, want = set(olds.get("members") or []), set(news.get("members") or [])
    joins, leaves = sorted(want - have), sorted(have - want)
    if not joins and not leaves:
        return None
    parts = [f"joins {', '.join(joins)}"] if joins else []
    parts += [f"leaves {', '.join(leaves)}"] if leaves else []
    return f"{what} of provider {news.get('provider_slug')}: {'; '.join(parts)}"


class _MembersProvider(KindProvider):
    def check(self, olds: dict, news: dict):
        if not olds:  # new in the stack: if it adopts an existing team/inbox, name who would leave
            try:
                line = self.kind.preview_create(client(), news)
            except Exception:  # noqa: BLE001 - informative only; create() reports what it does
                line = None
            if line:
                say(line)
        return super().check(olds, news)

    def diff(self, id_: str, olds: dict, news: dict):
        result = super().diff(id_, olds, news)
        line = change_line(self.kind.what, olds, news)
        if line:
            say(line)  # the preview names people by email, not only by id
        return result

    def read(self, id_: str, props: dict) -> ReadResult:
        guard_chatwoot(props, f"{self.kind.what} {id_} members")
        try:
            live = self.kind.read(client(), id_, props)
        except Gone:
            return ReadResult("", {})
        state = {k: props.get(k) for k in (*self.kind.local, "target_id", "target_name") if k in props}
        state.update(observe(live, props))
        return ReadResult(id_, {**state, CHATWOOT_KEY: chatwoot_marker()}, state)

    def update(self, id_: str, olds: dict, news: dict) -> UpdateResult:
        guard_chatwoot(olds, f"{self.kind.what} {id_} members")
        if self.api_changes(olds, news) or olds.get("membership") != news.get("membership"):
            self.kind.update(client(), id_, olds, news)
        return UpdateResult({**{k: v for k, v in news.items() if not k.startswith("__")},
                             CHATWOOT_KEY: chatwoot_marker()})


class TeamMembersProvider(_MembersProvider):
    kind = TeamMembersKind()


class InboxMembersProvider(_MembersProvider):
    kind = InboxMembersKind()


class TeamMembers(Resource, module="cwtenants", name="TeamMembers"):
    members: pulumi.Output[list]

    def __init__(self, name: str, inputs: dict, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TeamMembersProvider(), name, inputs, opts)


class InboxMembers(Resource, module="cwtenants", name="InboxMembers"):
    members: pulumi.Output[list]

    def __init__(self, name: str, inputs: dict, opts: pulumi.ResourceOptions | None = None):
        super().__init__(InboxMembersProvider(), name, inputs, opts)
