"""An account user (agent) declared by one or more providers (docs/chatwoot-behaviour.md#agents, #platform-api).

One resource per unique email in the whole catalog (declared at program level, not under a
provider), so the same person in two providers is ONE account user.

Natural key: the email, lower-cased (Chatwoot lower-cases it, docs/chatwoot-behaviour.md#defaults-and-normalisation). Pulumi id: the user id.

Inputs: ``email``, ``name``, ``role``, ``availability`` (None = not managed), and ``providers``
(the slugs declaring the person; informative, not compared).
Outputs also keep where the account user came from, recorded once at create time and carried
over by read/update:
- ``adopted``: the email was already an account user when the reconciler first saw it;
- ``role_before``: its role at that moment;
- ``user_created``: the reconciler created the Chatwoot user itself (see "Names" below).

Create: an existing account user with that email is adopted (and patched to the declared role
and availability). Otherwise ``POST /agents`` adds the person (Chatwoot creates a new user
unconfirmed and e-mails a confirmation link; an existing user of another account is only added).
Only for people declared ``manage_user: true`` and with a Platform token configured, the user is
found-or-created through the Platform API instead (random strong password, never stored;
confirmed, so no e-mail) and added with ``account_users`` (an upsert). The user access token
that the Platform API returns is dropped at once.

Names: a Chatwoot user's name is global (one user, every account), and Platform ``POST /users``
on an existing user confirms them. So the reconciler renames a user only when it created that
user (``user_created``) or the catalog says ``manage_user: true``; otherwise a different name in
the catalog is not applied, not compared, and the preview says so.

Delete (no provider declares the email any more) removes the account membership
(``DELETE /agents/<id>``), except — never lock the operator out — when the person
- was already an administrator before the catalog adopted them,
- is the user whose API token the reconciler runs with, or
- is the account's last administrator.
Those are kept and a line says so. A role change that would demote the token's own user is
refused for the same reason.
"""

from __future__ import annotations

import secrets
import string
from typing import Any

import pulumi
from pulumi.dynamic import DiffResult, ReadResult, Resource, UpdateResult

from ..chatwoot import ChatwootClient
from ..chatwoot.errors import NotFound, OutcomeUnknown, Unprocessable
from .base import (CHATWOOT_KEY, Gone, KindProvider, ObjectKind, Refused, changed_keys, chatwoot_marker,
                   client, guard_chatwoot, lists, say)

LIST = "agents"
ADMIN = "administrator"
ORIGIN_KEYS = ("adopted", "role_before", "custom_role_applied", "user_created")
FEATURE_OFF = ("the account does not have Chatwoot's custom_roles feature (Chatwoot answered custom_role_id "
               "null; `cwtenants doctor` checks the feature), so they keep the plain agent role")


def logical_name(email: str) -> str:
    """``agent-<email>`` with ``@`` → ``-at-`` and ``.`` → ``-`` (stable: the email is the key)."""
    return "agent-" + email.lower().replace("@", "-at-").replace(".", "-")


def desired(agent, providers: list[str] | None = None, custom_role_id: Any = None) -> dict[str, Any]:
    """AgentSpec or StaffSpec (merged across providers) → resource inputs.

    ``staff`` and ``providers`` say where the person comes from (shown, never compared);
    ``custom_role`` is the declared role's name (compared), ``custom_role_id`` its id (resolved
    at apply time from the CustomRole resource; not compared)."""
    custom_role = getattr(agent, "custom_role", None)
    return {
        "email": agent.email.lower(),
        "name": agent.name,
        "role": agent.role,
        "availability": agent.availability,
        "manage_user": bool(getattr(agent, "manage_user", False)),
        "providers": sorted(providers or []),
        "staff": bool(getattr(agent, "staff", False) or hasattr(agent, "source")),
        "custom_role": custom_role,
        "custom_role_id": custom_role_id if custom_role else None,
    }


def kept_admin(props: dict) -> bool:
    """An administrator from before the catalog adopted them: they stay administrator."""
    return bool(props.get("adopted")) and props.get("role_before") == ADMIN


def name_managed(props: dict) -> bool:
    """May the reconciler set this user's (global) name? Only for users it created, or on opt-in."""
    if props.get("manage_user") or props.get("user_created"):
        return True
    # state written before `user_created` existed: what the reconciler itself created stays managed
    return props.get("user_created") is None and props.get("adopted") is False


def body(inputs: dict, create: bool, name: bool = True) -> dict:
    """Resource inputs → API body (root key ``agent``). Availability only when managed.

    Chatwoot's ``availability_status`` is presence-derived: with ``auto_offline`` true (the default
    for every new account user) it reads ``offline`` whenever the person has no live dashboard
    session, whatever was stored. A declared availability is therefore always sent together with
    ``auto_offline: false``, the only setting under which Chatwoot reports the stored value.
    ``name`` False: the user's (global) name is not ours to set (see ``name_managed``).

    ``custom_role_id`` is always sent on update: Chatwoot's enterprise code sets it from every
    request (an update without it clears it), so null means "no custom role"."""
    b: dict[str, Any] = {"name": inputs["name"]} if name or create else {}
    b["role"] = inputs.get("role") or "agent"
    if inputs.get("availability"):
        b["availability"] = inputs["availability"]
        b["auto_offline"] = False
    if create:
        b["email"] = inputs["email"]
    if inputs.get("custom_role"):
        b["custom_role_id"] = inputs.get("custom_role_id")
    return {"agent": b}


def live_availability(live: dict) -> str | None:
    """The availability as the catalog means it: the status the person keeps when not logged in.

    With ``auto_offline`` false Chatwoot reports the stored availability: that is the managed
    value. With ``auto_offline`` true the status follows the person's presence (``offline`` once
    they close the dashboard), so it is not a fixed value: it reads ``"<status> (auto_offline)"``,
    which never equals a declared value, and the next ``up`` sets ``auto_offline`` false again."""
    status = live.get("availability_status") or None
    if live.get("auto_offline") and status:
        return f"{status} (auto_offline)"
    return status


def strong_password(length: int = 24) -> str:
    """Random password meeting Chatwoot's complexity rule (upper, lower, digit, special). Never stored."""
    pools = [string.ascii_lowercase, string.ascii_uppercase, string.digits, "!@#$%^&*()_+-=[]{}|"]
    chars = [secrets.choice(p) for p in pools]
    chars += [secrets.choice("".join(pools)) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


class AgentKind(ObjectKind):
    name = "agent"
    compared = ("email", "name", "role", "availability", "custom_role")
    replaces = ("email",)

    def normalise_inputs(self, inputs: dict) -> dict:
        return {
            "email": (inputs.get("email") or "").lower(),
            "name": inputs.get("name"),
            "role": inputs.get("role") or "agent",
            "availability": inputs.get("availability") or None,
            "custom_role": inputs.get("custom_role") or None,
        }

    def normalise(self, live: dict, manage_availability: bool = True, custom_role: str | None = None) -> dict:
        """Agent JSON → compared keys. Unmanaged availability (declared None) stays None.

        The live object carries only ``custom_role_id``; ``custom_role`` is the name the caller
        resolved it to (None when the agent has none)."""
        return {
            "email": (live.get("email") or "").lower(),
            "name": live.get("name"),
            "role": live.get("role") or "agent",
            "availability": live_availability(live) if manage_availability else None,
            "custom_role": custom_role,
        }

    def matches(self, live: dict, inputs: dict, name: bool = True) -> bool:
        wanted = self.normalise_inputs(inputs)
        have = self.normalise(live, bool(wanted["availability"]))
        if not name:
            have["name"] = wanted["name"]
        have["custom_role"] = wanted["custom_role"] if live.get("custom_role_id") == (
            inputs.get("custom_role_id") if wanted["custom_role"] else None) else "?"
        return have == wanted

    def server_outputs(self, live: dict) -> dict:
        return {"user_id": live["id"], "confirmed": live.get("confirmed")}

    # ---------------------------------------------------------------- lookups
    def _all(self, c: ChatwootClient, fresh: bool = False) -> list[dict]:
        return lists.get(LIST, lambda: c.get("/agents") or [], fresh=fresh)

    def find(self, c: ChatwootClient, email: str, fresh: bool = False) -> dict | None:
        key = email.lower()
        for a in self._all(c, fresh):
            if (a.get("email") or "").lower() == key:
                return a
        return None

    def operator_id(self, c: ChatwootClient) -> int | None:
        """The user id that owns the API token (GET /api/v1/profile)."""
        try:
            return (c.request("GET", "/api/v1/profile", token=c.settings.api_token) or {}).get("id")
        except Exception:  # noqa: BLE001 - a guard, not a requirement: fall back to the other rules
            return None

    # ---------------------------------------------------------------- CRUD
    def _post_agent(self, c: ChatwootClient, inputs: dict) -> dict:
        try:
            return c.post("/agents", body(inputs, create=True))
        except (OutcomeUnknown, Unprocessable) as exc:
            # committed but the answer was lost, or "User has already been taken" (a concurrent run)
            live = self.find(c, inputs["email"], fresh=True)
            if live is not None:
                return live
            if isinstance(exc, Unprocessable):
                raise
            return c.post("/agents", body(inputs, create=True))

    def _platform_create(self, c: ChatwootClient, inputs: dict) -> dict:
        # find-or-create (an existing user with this email is returned, its name/password ignored,
        # and confirmed: only done for people the catalog opted in with `manage_user: true`)
        user = c.platform_post("/users", {"name": inputs["name"], "email": inputs["email"],
                                          "password": strong_password()})
        user_id = int(user["id"])
        del user  # it carries the user's access token: never kept, never logged
        # upsert: safe to repeat after a lost response
        c.platform_post(f"/accounts/{c.settings.account_id}/account_users",
                        {"user_id": user_id, "role": inputs.get("role") or "agent"})
        live = self.find(c, inputs["email"], fresh=True)
        if live is None:
            raise RuntimeError(f"agent {inputs['email']}: created through the Platform API but not listed by GET /agents")
        return live

    def create_with_origin(self, c: ChatwootClient, inputs: dict) -> tuple[str, dict, dict]:
        live = self.find(c, inputs["email"])
        if live is not None:
            origin = {"adopted": True, "role_before": live.get("role"), "user_created": False}
            say(f"agent {inputs['email']} (user {live['id']}, {live.get('role')}) is already an account user: adopting it")
            if kept_admin(origin) and (inputs.get("role") or "agent") != ADMIN:
                say(f"agent {inputs['email']} was an administrator before the catalog adopted them: they stay "
                    "administrator (account-wide rights; `cwtenants plan` lists them, `cwtenants "
                    "verify-isolation` reports them). Demote them in Chatwoot if they should not have those rights.")
        else:
            if c.settings.platform_token and inputs.get("manage_user"):
                live = self._platform_create(c, inputs)
            else:
                live = self._post_agent(c, inputs)
            # POST /agents makes a new user unconfirmed with the name we sent; an existing user
            # (a member of another account) keeps its own name and confirmation.
            created = not live.get("confirmed") and live.get("name") == inputs["name"]
            origin = {"adopted": False, "role_before": None, "user_created": created}
        lists.upsert(LIST, live)
        rename = name_managed({**inputs, **origin})
        if not rename and live.get("name") != inputs["name"]:
            say(name_kept_line(inputs["email"], live.get("name"), inputs["name"]))
        if not self.matches(live, self.effective(inputs, origin), name=rename):
            live = self.update(c, str(live["id"]), origin, inputs, current=live)
        origin["custom_role_applied"] = self.applied(inputs, live)
        return str(live["id"]), live, origin

    @staticmethod
    def effective(inputs: dict, origin: dict) -> dict:
        """The inputs as they are applied: a kept administrator stays administrator."""
        if kept_admin(origin) and (inputs.get("role") or "agent") != ADMIN:
            return {**inputs, "role": ADMIN}
        return inputs

    @staticmethod
    def applied(inputs: dict, live: dict) -> bool | None:
        """Whether a declared custom role took effect (None: none declared)."""
        if not inputs.get("custom_role"):
            return None
        ok = live.get("custom_role_id") is not None and live.get("custom_role_id") == inputs.get("custom_role_id")
        if not ok:
            say(f"agent {inputs['email']}: custom role {inputs['custom_role']!r} was not applied: {FEATURE_OFF}")
        return ok

    def read(self, c: ChatwootClient, id_: str, props: dict) -> dict:
        for a in self._all(c):
            if str(a.get("id")) == id_:
                return a
        raise Gone()

    def update(self, c: ChatwootClient, id_: str, olds: dict, news: dict, current: dict | None = None) -> dict:
        news = self.effective(news, olds)
        role = news.get("role") or "agent"
        was_admin = (current or {}).get("role", olds.get("role")) == ADMIN
        if role != ADMIN and was_admin and self.operator_id(c) == int(id_):
            raise Refused(
                f"agent {news['email']} is the user whose API token the reconciler uses; declaring them "
                f"'{role}' would remove the operator's administrator rights. Declare them 'administrator'."
            )
        try:
            live = c.patch(f"/agents/{id_}", body(news, create=False, name=name_managed({**olds, **news})))
        except NotFound:
            raise Refused(
                f"agent {news['email']} (user {id_}) is no longer an account user; run `pulumi refresh` "
                "(or `pulumi up --refresh`) so it is added again"
            ) from None
        lists.upsert(LIST, live)
        return live

    def keep_reason(self, c: ChatwootClient, id_: str, props: dict) -> str | None:
        """Why the account membership must not be removed (None: it may be)."""
        if props.get("adopted") and props.get("role_before") == ADMIN:
            return "was an administrator before the catalog declared them"
        if self.operator_id(c) == int(id_):
            return "owns the API token the reconciler uses"
        admins = [a for a in self._all(c, fresh=True) if a.get("role") == ADMIN]
        if [str(a.get("id")) for a in admins] == [id_]:
            return "is the account's last administrator"
        return None

    def delete(self, c: ChatwootClient, id_: str, props: dict) -> None:
        who = f"agent {props.get('email')} (user {id_})"
        reason = self.keep_reason(c, id_, props)
        if reason:
            say(f"{who} is no longer declared by any provider but stays an account user: {reason}")
            return
        try:
            c.delete(f"/agents/{id_}")
        except NotFound:
            pass
        lists.drop(LIST, int(id_))


def origin_of(props: dict) -> dict:
    return {k: props.get(k) for k in ORIGIN_KEYS}


def name_kept_line(email: str, live_name: Any, declared: Any) -> str:
    return (f"agent {email}: name {declared!r} not applied, the Chatwoot user keeps {live_name!r} — a user's "
            "name is shared by every account and cwtenants did not create this user "
            "(`manage_user: true` in the catalog allows renaming them)")


def live_custom_role(live: dict, props: dict, feature_on=lambda: False) -> str | None:
    """The declared custom role's name when the live id matches it; also when the account has no
    custom_roles feature and Chatwoot answered null (noticed and reported at apply time: not drift) —
    until the feature is switched on (``feature_on()``, read once per run): then it is drift, and
    `pulumi up --refresh` assigns the role."""
    want = props.get("custom_role")
    live_id = live.get("custom_role_id")
    if want and live_id is not None and live_id == props.get("custom_role_id"):
        return want
    if want and live_id is None and props.get("custom_role_applied") is False and not feature_on():
        return want
    return None if live_id is None else f"custom role id {live_id}"


def custom_roles_feature_on(c: ChatwootClient) -> bool:
    """Whether the account has the custom_roles feature (one read per deployment, cached)."""
    from ..isolation import custom_roles_feature

    hit = lists.get("custom_roles_feature", lambda: [{"on": bool(custom_roles_feature(c)[0])}])
    return hit[0]["on"]


class AgentProvider(KindProvider):
    kind = AgentKind()

    def create(self, props: dict):
        from pulumi.dynamic import CreateResult

        id_, live, origin = self.kind.create_with_origin(client(), props)
        return CreateResult(id_, {**self._outs(props, live), **origin})

    def read(self, id_: str, props: dict) -> ReadResult:
        guard_chatwoot(props, f"agent {props.get('email')} (user {id_})")
        try:
            live = self.kind.read(client(), id_, props)
        except Gone:
            return ReadResult("", {})
        state = {k: props.get(k) for k in ("providers", "staff", "custom_role_id")}
        state["providers"] = state["providers"] or []
        state["manage_user"] = bool(props.get("manage_user"))
        state.update(self.kind.normalise(live, manage_availability=bool(props.get("availability")),
                                         custom_role=live_custom_role(
                                             live, props, lambda: custom_roles_feature_on(client()))))
        if kept_admin(props) and state["role"] == ADMIN:
            state["role"] = props.get("role") or "agent"  # kept on purpose: not drift
        if not name_managed(props):
            state["name"] = props.get("name")  # not ours to set: someone's own name is not drift
        return ReadResult(id_, {**state, **self.kind.server_outputs(live), **origin_of(props),
                                CHATWOOT_KEY: chatwoot_marker()}, state)

    def diff(self, id_: str, olds: dict, news: dict):
        if kept_admin(olds):
            say(f"agent {news.get('email')} holds account-wide rights: administrator before the catalog adopted "
                "them (kept)")
        if news.get("custom_role") and olds.get("custom_role_applied") is False:
            say(f"agent {news.get('email')}: custom role {news.get('custom_role')!r} is declared but not in "
                "effect (the account has no custom_roles feature)")
        guard_chatwoot(olds, f"agent {olds.get('email')} (user {id_})")
        keys = changed_keys(self.kind, olds, news)
        if "name" in keys and not name_managed({**olds, "manage_user": news.get("manage_user")}):
            keys.remove("name")
            say(name_kept_line(news.get("email"), olds.get("name"), news.get("name")))
        if news.get("manage_user") and not olds.get("manage_user"):
            keys.append("manage_user")
        return DiffResult(changes=bool(keys), replaces=[k for k in keys if k in self.kind.replaces],
                          delete_before_replace=False)

    def update(self, id_: str, olds: dict, news: dict) -> UpdateResult:
        guard_chatwoot(olds, f"agent {olds.get('email')} (user {id_})")
        live = self.kind.update(client(), id_, olds, news)
        origin = {**origin_of(olds), "custom_role_applied": self.kind.applied(news, live)}
        return UpdateResult({**self._outs(news, live), **origin})


class Agent(Resource, module="cwtenants", name="Agent"):
    user_id: pulumi.Output[int]
    email: pulumi.Output[str]

    def __init__(self, name: str, inputs: dict, opts: pulumi.ResourceOptions | None = None):
        outs = {"user_id": None, "confirmed": None, "adopted": None, "role_before": None,
                "custom_role_applied": None, "user_created": None}
        super().__init__(AgentProvider(), name, {**outs, **inputs}, opts)
