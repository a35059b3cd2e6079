"""Starlette application: Chatwoot 4.15.1 Application API, Platform API and the emulator control plane.

Section references (``§x.y``) point into the fact sheet /work/shared/chatwoot-api.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
import urllib.parse
import zoneinfo
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import views
from .bootstrap import bootstrap, new_account, new_token, new_user, read_tokens, write_tokens
from .faults import FaultConfig, FaultEngine, FaultMiddleware, Stats, config_dict
from .store import Store

log = logging.getLogger("chatwoot_emulator")
VERSION = "4.15.1"


# ====================================================================== errors (§4.1)
class ApiError(Exception):
    def __init__(self, status: int, body):
        super().__init__(status)
        self.status, self.body = status, body


def not_found():  # §4.1 record not found in the Application API
    return ApiError(404, {"error": "Resource could not be found"})


def server_error():  # §4.1 any unhandled exception
    return ApiError(500, {"status": 500, "error": "Internal Server Error"})


def unprocessable(errors: list[tuple[str, str]]):
    """§4.1 model validation failure: full messages joined by ', ' plus attribute names."""
    return ApiError(422, {"message": ", ".join(m for _, m in errors), "attributes": [a for a, _ in errors]})


def param_missing(root: str):  # §2&3 general rules / §4.1
    return ApiError(422, {"error": f"param is missing or the value is empty: {root}"})


def forbidden_action():  # §4.1 Pundit denial is 401, never 403
    return ApiError(401, {"error": "You are not authorized to do this action"})


def ok(body=None) -> Response:
    """§2&3: success is 200 everywhere; deletes answer 200 with an empty body."""
    if body is None:
        return Response(b"", status_code=200)
    return JSONResponse(body)


# ====================================================================== request bodies
def _parse_form(text: str) -> dict:
    """Rails-style form params: ``team[name]=x`` → {"team": {"name": "x"}}, ``ids[]=1`` → lists."""
    out: dict = {}
    for key, value in urllib.parse.parse_qsl(text, keep_blank_values=True):
        parts = re.findall(r"[^\[\]]+|\[\]", key)
        target = out
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            nxt = parts[i + 1] if not last else None
            if last:
                target[part] = value
            elif nxt == "[]":
                target.setdefault(part, []).append(value)
                break
            else:
                target = target.setdefault(part, {})
    return out


async def read_body(request: Request) -> tuple[dict, bool]:
    """Returns (params, is_json)."""
    raw = await request.body()
    ctype = request.headers.get("content-type", "")
    if "json" in ctype:
        if not raw.strip():
            return {}, True
        try:
            data = json.loads(raw)
        except ValueError:
            raise ApiError(400, {"status": 400, "error": "Bad Request"})
        return (data if isinstance(data, dict) else {"_json": data}), True
    if raw:
        return _parse_form(raw.decode("utf-8", "replace")), False
    return {}, False


def root_param(params: dict, is_json: bool, root: str, columns: tuple | None) -> dict:
    """§2&3 body root keys: ``params.require(root)`` with Rails JSON auto-wrapping.

    With a JSON content type, top-level keys are wrapped into ``root`` (only model ``columns``; all keys
    when ``columns`` is None).  Without JSON the root must be nested explicitly.
    """
    value = params.get(root)
    if isinstance(value, dict) and value:
        return value
    if is_json and root not in params:
        wrapped = {k: v for k, v in params.items() if columns is None or k in columns}
        if wrapped:
            return wrapped
    raise param_missing(root)


def permit(src: dict, keys) -> dict:
    """Strong parameters: unknown keys are dropped silently (§2&3)."""
    return {k: src[k] for k in keys if k in src}


def as_bool(v) -> bool:
    if isinstance(v, str):
        return v.strip().lower() in ("1", "true", "t", "yes", "on")
    return bool(v)


# ====================================================================== the emulator
class Emulator:
    def __init__(self, state_dir: str | Path, config: FaultConfig, url: str = ""):
        self.state_dir = Path(state_dir)
        self.config = config
        self.store = Store(self.state_dir)
        self.engine = FaultEngine(config)
        self.stats = Stats()
        self.url = url
        self.tokens = bootstrap(self.store, reuse=read_tokens(self.state_dir))
        write_tokens(self.state_dir, url, self.tokens)

    # ------------------------------------------------------------ async jobs (§4.3)
    def run_jobs(self, all_jobs: bool = False) -> int:
        n = 0
        for job in self.store.due_jobs(all_jobs):
            kind, target = job["kind"], job["target_id"]
            if kind == "inbox":
                self.store.destroy_inbox(target)
            elif kind == "account":
                self.store.destroy_account(target)
            elif kind == "user":
                self.store.destroy_user(target)
            elif kind == "orphan_user" and not self.store.account_users(user_id=target):
                self.store.destroy_user(target)
            self.store.finish_job(job["id"])
            n += 1
        return n

    async def job_loop(self) -> None:
        while True:
            await asyncio.sleep(0.1)
            try:
                self.run_jobs()
            except Exception:  # pragma: no cover - keep the worker alive
                log.exception("background job failed")

    # ------------------------------------------------------------ auth (§1.1, §4.1)
    def token_owner(self, request: Request):
        token = request.headers.get("api_access_token") or request.headers.get("api-access-token")
        if not token:
            return None, None
        owner = self.store.token_owner(token)
        return token, owner

    def user_auth(self, request: Request):
        token, owner = self.token_owner(request)
        if token is None:
            raise ApiError(401, {"errors": ["You need to sign in or sign up before continuing."]})
        if owner is None:
            raise ApiError(401, {"error": "Invalid Access Token"})
        if owner[0] != "User":
            raise ApiError(401, {"error": "Access to this endpoint is not authorized for bots"})
        user = self.store.get("users", owner[1])
        if user is None:
            raise ApiError(401, {"error": "Invalid Access Token"})
        return user

    def account_auth(self, request: Request, write: bool = False):
        """Returns (user, account, account_user, is_admin) or raises the §4.1 error."""
        user = self.user_auth(request)
        account = self.store.get("accounts", request.path_params["account_id"])
        if account is None:
            raise not_found()
        au = self.store.account_user(account["id"], user["id"])
        if au is None:
            raise ApiError(401, {"error": "You are not authorized to access this account"})
        if account["status"] == "suspended":
            raise ApiError(401, {"error": "Account is suspended"})
        is_admin = au["role"] == "administrator"
        if write and not is_admin:
            raise forbidden_action()
        return user, account, au, is_admin

    def platform_auth(self, request: Request) -> int:
        """§1.2: token must belong to a PlatformApp."""
        _, owner = self.token_owner(request)
        if owner is None or owner[0] != "PlatformApp":
            raise ApiError(401, {"error": "Invalid access_token"})
        return owner[1]

    def require_permissible(self, app_id: int, ptype: str, pid: int) -> None:
        if not self.store.is_permissible(app_id, ptype, pid):
            raise ApiError(401, {"error": "Non permissible resource"})


# ====================================================================== inboxes (§3.1)
INBOX_ATTRS = (
    "name", "greeting_enabled", "greeting_message", "enable_email_collect", "csat_survey_enabled", "csat_config",
    "enable_auto_assignment", "working_hours_enabled", "out_of_office_message", "timezone",
    "allow_messages_after_resolved", "lock_to_single_conversation", "portal_id", "sender_name_type",
    "business_name",
)
API_CHANNEL_ATTRS = ("webhook_url", "hmac_mandatory", "additional_attributes")
WIDGET_CHANNEL_ATTRS = (
    "website_url", "widget_color", "welcome_title", "welcome_tagline", "reply_time", "pre_chat_form_enabled",
    "pre_chat_form_options", "continuity_via_email", "hmac_mandatory", "allowed_domains", "selected_feature_flags",
)
CSAT_DEFAULTS = {  # §6: filled on update
    "display_type": "emoji", "message": "", "survey_rules": {"operator": "contains", "values": []},
    "button_text": "Please rate us", "language": "en",
}
BOOL_INBOX = {"greeting_enabled", "enable_email_collect", "csat_survey_enabled", "enable_auto_assignment",
              "working_hours_enabled", "allow_messages_after_resolved", "lock_to_single_conversation"}


def _inbox_attrs(emu: Emulator, params: dict) -> dict:
    # §3.1: top-level string "null" is converted to null before permitting
    attrs = {k: (None if v == "null" else v) for k, v in permit(params, INBOX_ATTRS).items()}
    for k in BOOL_INBOX & attrs.keys():
        attrs[k] = as_bool(attrs[k])
    if "sender_name_type" in attrs and attrs["sender_name_type"] not in ("friendly", "professional"):
        raise server_error()  # §3.1 enum → 500
    if attrs.get("portal_id") not in (None, ""):
        if emu.store.get("portals", attrs["portal_id"]) is None:
            raise server_error()  # §3.1/§4.2 FK violation → 500 (any account's portal is accepted)
        attrs["portal_id"] = int(attrs["portal_id"])
    elif "portal_id" in attrs:
        attrs["portal_id"] = None
    return attrs


def _validate_inbox(doc: dict) -> None:
    errors = []
    if not str(doc.get("name") or "").strip():
        errors.append(("name", "Name can't be blank"))
    for key, label in (("greeting_message", "Greeting message"), ("out_of_office_message", "Out of office message")):
        if doc.get(key) and len(str(doc[key])) > 10000:
            errors.append((key, f"{label} is too long (maximum is 10000 characters)"))
    try:
        zoneinfo.ZoneInfo(str(doc.get("timezone")))
    except Exception:
        errors.append(("timezone", "Timezone is not included in the list"))
    ch = doc["channel"]
    if ch.get("webhook_url") and len(ch["webhook_url"]) > 2048:
        errors.append(("webhook_url", "Webhook url is too long (maximum is 2048 characters)"))
    wt = (ch.get("additional_attributes") or {}).get("agent_reply_time_window")
    if wt is not None and not (isinstance(wt, (int, float)) and wt > 0):
        errors.append(("additional_attributes", "Additional attributes agent_reply_time_window must be greater than 0"))
    if ch["channel_type"] == "Channel::WebWidget" and not ch.get("website_url"):
        errors.append(("website_url", "Website url can't be blank"))
    if errors:
        raise unprocessable(errors)


def _render_inbox(emu: Emulator, doc: dict, is_admin: bool) -> dict:
    portal = emu.store.get("portals", doc["portal_id"]) if doc.get("portal_id") else None
    return views.inbox(doc, portal, is_admin)


async def inboxes_index(request: Request):
    emu: Emulator = request.app.state.emu
    user, account, au, is_admin = emu.account_auth(request)
    rows = emu.store.list_inboxes(account["id"])  # one SELECT (LEFT JOIN portals)
    if not is_admin:  # agents see only inboxes they are members of
        mine = set(emu.store.inboxes_of_user(user["id"]))
        rows = [r for r in rows if r[0]["id"] in mine]
    return ok({"payload": [views.inbox(doc, portal, is_admin) for doc, portal in rows]})


def _get_inbox(emu: Emulator, request: Request, account: dict, key: str = "inbox_id") -> dict:
    doc = emu.store.get("inboxes", request.path_params[key], account["id"])
    if doc is None:
        raise not_found()
    return doc


async def inboxes_show(request: Request):
    emu: Emulator = request.app.state.emu
    _, account, _, is_admin = emu.account_auth(request)
    return ok(_render_inbox(emu, _get_inbox(emu, request, account), is_admin))


def build_inbox_doc(store: Store, account_id: int, attrs: dict, channel: dict) -> dict:
    """A new inbox document with the §3.1/§6 defaults and generated channel values (not yet saved)."""
    ctype = channel.get("type")
    if ctype == "api":
        ch = permit(channel, API_CHANNEL_ATTRS)
        ch.update(channel_type="Channel::Api", identifier=new_token(), hmac_token=new_token(), secret=new_token())
        ch["hmac_mandatory"] = as_bool(ch.get("hmac_mandatory", False))
        ch.setdefault("webhook_url", None)
        ch.setdefault("additional_attributes", {})
    elif ctype == "web_widget":
        ch = permit(channel, WIDGET_CHANNEL_ATTRS)
        ch.update(channel_type="Channel::WebWidget", website_token=new_token(), hmac_token=new_token())
        ch["widget_color"] = ch.get("widget_color") or "#1f93ff"
        ch["hmac_mandatory"] = as_bool(ch.get("hmac_mandatory", False))
    else:
        # Deviation: only api and web_widget channels are emulated; other types behave like unknown types.
        raise unprocessable([("channel", "Channel must exist")])
    ch["id"] = store.next_channel_id()
    doc = {
        "name": None, "greeting_enabled": False, "greeting_message": None, "enable_email_collect": True,
        "csat_survey_enabled": False, "csat_config": {}, "enable_auto_assignment": True,
        "auto_assignment_config": {}, "working_hours_enabled": False, "out_of_office_message": None,
        "timezone": "UTC", "allow_messages_after_resolved": True, "lock_to_single_conversation": False,
        "portal_id": None, "sender_name_type": "friendly", "business_name": None,
    }
    doc.update(attrs)  # §6: csat_config stored as sent on create
    doc["channel"] = ch
    doc["working_hours"] = views.default_working_hours()  # §6; working_hours in the body is ignored on create
    doc["account_id"] = account_id
    return doc


async def inboxes_create(request: Request):
    emu: Emulator = request.app.state.emu
    _, account, _, is_admin = emu.account_auth(request, write=True)
    params, _ = await read_body(request)  # §2&3: inboxes read top-level keys; "inbox" root ignored
    channel = params.get("channel")
    if not isinstance(channel, dict):
        raise server_error()  # §3.1 body without channel → 500
    attrs = _inbox_attrs(emu, params)
    doc = build_inbox_doc(emu.store, account["id"], attrs, channel)
    _validate_inbox(doc)
    doc = emu.store.insert("inboxes", doc, account_id=account["id"])
    return ok(_render_inbox(emu, doc, is_admin))


def _apply_working_hours(doc: dict, rows) -> None:
    """§3.1/§6: per-day non-raising save — invalid rows are ignored; day outside 0–6 → 500."""
    if not isinstance(rows, list):
        return
    current = {r["day_of_week"]: r for r in doc["working_hours"]}
    for row in rows:
        if not isinstance(row, dict):
            continue
        try:
            day = int(row.get("day_of_week"))
        except (TypeError, ValueError):
            raise server_error()
        if day not in current:
            raise server_error()
        new = dict(current[day])
        for k in ("closed_all_day", "open_all_day"):
            if k in row:
                new[k] = as_bool(row[k])
        for k in ("open_hour", "open_minutes", "close_hour", "close_minutes"):
            if k in row:
                new[k] = None if row[k] in (None, "") else int(row[k])
        if new["open_all_day"]:
            new.update(open_hour=0, open_minutes=0, close_hour=23, close_minutes=59, closed_all_day=False)
        if not new["closed_all_day"]:
            hours = (new["open_hour"], new["open_minutes"], new["close_hour"], new["close_minutes"])
            if any(h is None for h in hours):
                continue
            if not (0 <= new["open_hour"] <= 23 and 0 <= new["close_hour"] <= 23
                    and 0 <= new["open_minutes"] <= 59 and 0 <= new["close_minutes"] <= 59):
                continue
            if (new["close_hour"], new["close_minutes"]) <= (new["open_hour"], new["open_minutes"]):
                continue
        current[day] = new
    doc["working_hours"] = [current[d] for d in sorted(current)]


async def inboxes_update(request: Request):
    emu: Emulator = request.app.state.emu
    _, account, _, is_admin = emu.account_auth(request, write=True)
    doc = _get_inbox(emu, request, account)
    params, _ = await read_body(request)
    attrs = _inbox_attrs(emu, params)
    if "csat_config" in attrs and isinstance(attrs["csat_config"], dict):
        merged = dict(CSAT_DEFAULTS)  # §6: missing keys filled on update
        merged.update(attrs["csat_config"])
        attrs["csat_config"] = merged
    doc.update(attrs)
    channel = params.get("channel")
    if isinstance(channel, dict):
        editable = API_CHANNEL_ATTRS if doc["channel"]["channel_type"] == "Channel::Api" else WIDGET_CHANNEL_ATTRS
        upd = permit(channel, editable)  # type is ignored: channel type cannot change
        if "hmac_mandatory" in upd:
            upd["hmac_mandatory"] = as_bool(upd["hmac_mandatory"])
        doc["channel"].update(upd)
    if "working_hours" in params:
        _apply_working_hours(doc, params["working_hours"])
    _validate_inbox(doc)
    emu.store.put("inboxes", doc)
    return ok(_render_inbox(emu, doc, is_admin))


async def inboxes_delete(request: Request):
    """§3.1/§4.3: asynchronous — enqueue, answer with a message; row stays until the job runs."""
    emu: Emulator = request.app.state.emu
    _, account, _, _ = emu.account_auth(request, write=True)
    doc = _get_inbox(emu, request, account)
    emu.store.enqueue("inbox", doc["id"], emu.config.delete_delay)
    return ok({"message": "Your inbox deletion request will be processed in some time."})


async def inboxes_reset_secret(request: Request):
    emu: Emulator = request.app.state.emu
    _, account, _, is_admin = emu.account_auth(request, write=True)
    doc = _get_inbox(emu, request, account)
    if doc["channel"]["channel_type"] != "Channel::Api":
        return Response(b"", status_code=404)
    doc["channel"]["secret"] = new_token()
    emu.store.put("inboxes", doc)
    return ok(_render_inbox(emu, doc, is_admin))


# ====================================================================== inbox members (§3.2)
def _agents(emu: Emulator, account_id: int, **kw) -> list[dict]:
    return [views.agent(u, au) for u, au in emu.store.list_agents(account_id, **kw)]


async def inbox_members_index(request: Request):
    emu: Emulator = request.app.state.emu
    _, account, _, _ = emu.account_auth(request)
    inbox = _get_inbox(emu, request, account)
    return ok({"payload": _agents(emu, account["id"], member_table="inbox_members", member_key=inbox["id"])})


async def _inbox_members_body(emu: Emulator, request: Request, account: dict, need_ids: bool = True):
    params, _ = await read_body(request)
    inbox = emu.store.get("inboxes", params.get("inbox_id"), account["id"])
    if inbox is None:
        raise not_found()
    user_ids = params.get("user_ids")
    if user_ids is None or not isinstance(user_ids, list):
        if need_ids:
            raise server_error()  # §3.2 missing user_ids → 500
        user_ids = []
    return inbox, user_ids


def _int_ids(ids: list) -> list[int]:
    out = []
    for x in ids:
        try:
            out.append(int(x))
        except (TypeError, ValueError):
            continue
    return out


def _add_inbox_members(emu: Emulator, inbox: dict, ids: list) -> None:
    """§3.2 raising create: unknown user → 422 "User must exist"; account membership not checked."""
    current = set(emu.store.members("inbox_members", inbox["id"]))
    wanted = [i for i in _int_ids(ids) if i not in current]
    for uid in wanted:
        if emu.store.get("users", uid) is None:
            raise unprocessable([("user", "User must exist")])
    emu.store.add_members("inbox_members", inbox["id"], wanted)


async def inbox_members_create(request: Request):
    emu: Emulator = request.app.state.emu
    _, account, _, _ = emu.account_auth(request, write=True)
    inbox, ids = await _inbox_members_body(emu, request, account)
    _add_inbox_members(emu, inbox, ids)
    return ok({"payload": _agents(emu, account["id"], member_table="inbox_members", member_key=inbox["id"])})


async def inbox_members_update(request: Request):
    emu: Emulator = request.app.state.emu
    _, account, _, _ = emu.account_auth(request, write=True)
    inbox, ids = await _inbox_members_body(emu, request, account)
    _add_inbox_members(emu, inbox, ids)
    keep = set(_int_ids(ids))
    current = emu.store.members("inbox_members", inbox["id"])
    emu.store.remove_members("inbox_members", inbox["id"], [u for u in current if u not in keep])
    return ok({"payload": _agents(emu, account["id"], member_table="inbox_members", member_key=inbox["id"])})


async def inbox_members_delete(request: Request):
    emu: Emulator = request.app.state.emu
    _, account, _, _ = emu.account_auth(request, write=True)
    inbox, ids = await _inbox_members_body(emu, request, account, need_ids=False)
    emu.store.remove_members("inbox_members", inbox["id"], _int_ids(ids))
    return ok()


# ====================================================================== teams (§3.3)
TEAM_COLUMNS = ("name", "description", "allow_auto_assign", "account_id")


def _team_name_errors(emu: Emulator, account_id: int, name, exclude_id: int | None = None) -> list:
    if not str(name or "").strip():
        return [("name", "Name must not be blank")]
    other = emu.store.find_by("teams", "name", name, account_id)
    if other and other["id"] != exclude_id:
        return [("name", "Name has already been taken")]
    return []


def _get_team(emu: Emulator, request: Request, account: dict) -> dict:
    doc = emu.store.get("teams", request.path_params["team_id"], account["id"])
    if doc is None:
        raise not_found()
    return doc


def _is_member(emu: Emulator, table: str, key: int, user_id: int) -> bool:
    return user_id in emu.store.members(table, key)


async def teams_index(request: Request):
    emu: Emulator = request.app.state.emu
    user, account, _, _ = emu.account_auth(request)
    return ok([views.team(t, mine) for t, mine in emu.store.list_teams(account["id"], user["id"])])


async def teams_show(request: Request):
    emu: Emulator = request.app.state.emu
    user, account, _, _ = emu.account_auth(request)
    team = _get_team(emu, request, account)
    return ok(views.team(team, _is_member(emu, "team_members", team["id"], user["id"])))


async def teams_create(request: Request):
    emu: Emulator = request.app.state.emu
    user, account, _, _ = emu.account_auth(request, write=True)
    params, is_json = await read_body(request)
    attrs = permit(root_param(params, is_json, "team", TEAM_COLUMNS), ("name", "description", "allow_auto_assign"))
    name = str(attrs.get("name") or "").lower()  # §3.3 downcased before validation
    errors = _team_name_errors(emu, account["id"], name)
    if errors:
        raise unprocessable(errors)
    doc = {"name": name, "description": attrs.get("description"),
           "allow_auto_assign": as_bool(attrs.get("allow_auto_assign", True)), "account_id": account["id"]}
    doc = emu.store.insert("teams", doc, account_id=account["id"])
    return ok(views.team(doc, False))


async def teams_update(request: Request):
    emu: Emulator = request.app.state.emu
    user, account, _, _ = emu.account_auth(request, write=True)
    team = _get_team(emu, request, account)
    params, is_json = await read_body(request)
    attrs = permit(root_param(params, is_json, "team", TEAM_COLUMNS), ("name", "description", "allow_auto_assign"))
    if "name" in attrs:
        attrs["name"] = str(attrs["name"] or "").lower()
        errors = _team_name_errors(emu, account["id"], attrs["name"], team["id"])
        if errors:
            raise unprocessable(errors)
    if "allow_auto_assign" in attrs:
        attrs["allow_auto_assign"] = as_bool(attrs["allow_auto_assign"])
    team.update(attrs)
    emu.store.put("teams", team)
    return ok(views.team(team, _is_member(emu, "team_members", team["id"], user["id"])))


async def teams_delete(request: Request):
    emu: Emulator = request.app.state.emu
    _, account, _, _ = emu.account_auth(request, write=True)
    team = _get_team(emu, request, account)
    emu.store.destroy_team(team["id"])  # §3.3 synchronous
    return ok()


# ====================================================================== team members (§3.4)
async def _team_member_ids(emu: Emulator, request: Request, account: dict) -> list:
    params, _ = await read_body(request)
    ids = params.get("user_ids")
    if not isinstance(ids, list):
        raise server_error()  # §3.4 missing user_ids → 500
    account_user_ids = {au["user_id"] for au in emu.store.account_users(account_id=account["id"])}
    for x in ids:  # §3.4 every id must be a user of the account, else 401
        try:
            ok_id = int(x) in account_user_ids
        except (TypeError, ValueError):
            ok_id = False
        if not ok_id:
            raise ApiError(401, {"error": "Invalid User IDs"})
    return ids


def _team_agents(emu: Emulator, account: dict, team: dict, only: list[int] | None = None) -> list[dict]:
    return _agents(emu, account["id"], member_table="team_members", member_key=team["id"], user_ids=only)


async def team_members_index(request: Request):
    emu: Emulator = request.app.state.emu
    _, account, _, _ = emu.account_auth(request)
    team = _get_team(emu, request, account)
    return ok(_team_agents(emu, account, team))


def _team_add(emu: Emulator, team: dict, ids: list) -> list[int]:
    """Set arithmetic with the raw request values: strings ("5") never equal integer ids (§3.4)."""
    current = emu.store.members("team_members", team["id"])
    to_add = [x for x in ids if x not in current]
    added = [x for x in to_add if isinstance(x, int) and not isinstance(x, bool)]  # non-raising create
    emu.store.add_members("team_members", team["id"], added)
    return added


async def team_members_create(request: Request):
    emu: Emulator = request.app.state.emu
    _, account, _, _ = emu.account_auth(request, write=True)
    team = _get_team(emu, request, account)
    ids = await _team_member_ids(emu, request, account)
    added = _team_add(emu, team, ids)
    return ok(_team_agents(emu, account, team, only=added))  # only the newly added


async def team_members_update(request: Request):
    emu: Emulator = request.app.state.emu
    _, account, _, _ = emu.account_auth(request, write=True)
    team = _get_team(emu, request, account)
    ids = await _team_member_ids(emu, request, account)
    current = emu.store.members("team_members", team["id"])
    _team_add(emu, team, ids)
    emu.store.remove_members("team_members", team["id"], [u for u in current if u not in ids])
    return ok(_team_agents(emu, account, team))  # all members after replace-set


async def team_members_delete(request: Request):
    emu: Emulator = request.app.state.emu
    _, account, _, _ = emu.account_auth(request, write=True)
    team = _get_team(emu, request, account)
    ids = await _team_member_ids(emu, request, account)
    current = emu.store.members("team_members", team["id"])
    emu.store.remove_members("team_members", team["id"], [u for u in current if u in ids])
    return ok()


# ====================================================================== agents (§3.5)
ROLES = ("agent", "administrator")
AVAILABILITY = ("online", "offline", "busy")


def _check_enums(attrs: dict) -> None:
    if "role" in attrs and attrs["role"] not in ROLES:
        raise server_error()  # §3.5 invalid role → 500 (enum)
    if "availability" in attrs and attrs["availability"] not in AVAILABILITY:
        raise server_error()


async def agents_index(request: Request):
    emu: Emulator = request.app.state.emu
    _, account, _, _ = emu.account_auth(request)
    return ok(_agents(emu, account["id"]))


async def agents_create(request: Request):
    emu: Emulator = request.app.state.emu
    caller, account, _, _ = emu.account_auth(request, write=True)
    params, is_json = await read_body(request)
    attrs = permit(root_param(params, is_json, "agent", None), ("name", "email", "role", "availability", "auto_offline"))
    _check_enums(attrs)
    email = str(attrs.get("email") or "").strip().lower()  # §6 emails lower-cased
    if not email or "@" not in email:
        raise unprocessable([("email", "Email is invalid" if email else "Email can't be blank")])
    user = emu.store.find_by("users", "email", email)
    if user is None:  # §3.5: new unconfirmed user; name defaults to the email local part (≥4.14.0)
        user = new_user(emu.store, attrs.get("name") or email.split("@")[0], email, confirmed=False)
    elif emu.store.account_user(account["id"], user["id"]):
        raise unprocessable([("user", "User has already been taken")])
    au = emu.store.upsert_account_user(account["id"], user["id"], attrs.get("role", "agent"),
                                       attrs.get("availability", "offline"),
                                       as_bool(attrs.get("auto_offline", False)), inviter_id=caller["id"])
    return ok(views.agent(user, au))


def _get_agent(emu: Emulator, request: Request, account: dict):
    user = emu.store.get("users", request.path_params["agent_id"])
    au = emu.store.account_user(account["id"], user["id"]) if user else None
    if au is None:
        raise not_found()
    return user, au


async def agents_update(request: Request):
    emu: Emulator = request.app.state.emu
    _, account, _, _ = emu.account_auth(request, write=True)
    user, au = _get_agent(emu, request, account)
    params, is_json = await read_body(request)
    attrs = permit(root_param(params, is_json, "agent", None), ("name", "role", "availability", "auto_offline"))
    _check_enums(attrs)
    if attrs.get("name"):
        user["name"] = attrs["name"]  # §3.5 name changes the global user
        emu.store.put("users", user)
    au = emu.store.upsert_account_user(
        account["id"], user["id"], attrs.get("role", au["role"]), attrs.get("availability"),
        None if "auto_offline" not in attrs else as_bool(attrs["auto_offline"]))
    return ok(views.agent(user, au))


async def agents_delete(request: Request):
    emu: Emulator = request.app.state.emu
    _, account, _, _ = emu.account_auth(request, write=True)
    user, _ = _get_agent(emu, request, account)
    emu.store.delete_account_user(account["id"], user["id"])
    emu.store.enqueue("orphan_user", user["id"], emu.config.delete_delay)  # deleted async if no other account
    return ok()


# ====================================================================== portals (§3.6)
PORTAL_COLUMNS = ("name", "slug", "custom_domain", "color", "header_text", "page_title", "homepage_link",
                  "archived", "config", "account_id", "channel_web_widget_id", "ssl_settings")
PORTAL_ATTRS = ("name", "slug", "custom_domain", "color", "header_text", "page_title", "homepage_link",
                "archived", "config")
CONFIG_KEYS = ("allowed_locales", "default_locale", "draft_locales", "layout", "social_profiles",
               "locale_translations")
COLOR_RE = re.compile(r"^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


def _unknown_portal(emu: Emulator):
    """§4.2: unknown slug → 500 in ≤4.15.1; 404 with --unknown-portal-status 404 (upstream PR #15798)."""
    if emu.config.unknown_portal_status == 404:
        return not_found()
    return server_error()


def _get_portal(emu: Emulator, request: Request, account: dict, status_404: bool = False) -> dict:
    doc = emu.store.find_by("portals", "slug", request.path_params["slug"], account["id"])
    if doc is None:
        raise not_found() if status_404 else _unknown_portal(emu)
    return doc


def _normalise_config(stored: dict, sent) -> dict:
    """§6 portal config: merge (≥4.14.1), de-duplicate locales, default_locale → first allowed."""
    cfg = dict(stored)
    if isinstance(sent, dict):
        cfg.update(permit(sent, CONFIG_KEYS))
    allowed = []
    for code in cfg.get("allowed_locales") or []:
        if code not in (None, "") and code not in allowed:
            allowed.append(code)
    if not allowed:
        allowed = [cfg.get("default_locale") or "en"]
    cfg["allowed_locales"] = allowed
    if cfg.get("default_locale") not in allowed:
        cfg["default_locale"] = allowed[0]
    drafts = [c for c in (cfg.get("draft_locales") or []) if c in allowed and c != cfg["default_locale"]]
    cfg["draft_locales"] = drafts
    return cfg


def _portal_validate(emu: Emulator, doc: dict) -> None:
    errors = []
    if not str(doc.get("name") or "").strip():
        errors.append(("name", "Name can't be blank"))
    if not str(doc.get("slug") or "").strip():
        errors.append(("slug", "Slug can't be blank"))
    else:  # §4.2 slug unique installation-wide (case-sensitive)
        other = emu.store.find_by("portals", "slug", doc["slug"])
        if other and other["id"] != doc.get("id"):
            errors.append(("slug", "Slug has already been taken"))
    if doc.get("custom_domain"):
        other = emu.store.find_by("portals", "custom_domain", doc["custom_domain"])
        if other and other["id"] != doc.get("id"):
            errors.append(("custom_domain", "Custom domain has already been taken"))
    if doc.get("color") and not COLOR_RE.match(str(doc["color"])):
        errors.append(("color", "Color must be a valid hexadecimal color code"))
    if errors:
        raise unprocessable(errors)


def _portal_attrs(params: dict, is_json: bool, required: bool) -> dict:
    try:
        attrs = root_param(params, is_json, "portal", PORTAL_COLUMNS)
    except ApiError:
        if required:
            raise
        return {}  # §3.6 update: without the portal key nothing changes
    attrs = permit(attrs, PORTAL_ATTRS)
    for key in ("custom_domain", "homepage_link"):
        if key in attrs and attrs[key] == "":
            attrs[key] = None  # §6 "" → null
    if "archived" in attrs:
        attrs["archived"] = as_bool(attrs["archived"])
    return attrs


def _link_widget(emu: Emulator, doc: dict, params: dict, account: dict) -> None:
    """§3.6: top-level inbox_id links a web-widget inbox of the account; "" detaches; others ignored."""
    if "inbox_id" not in params:
        return
    if params["inbox_id"] in ("", None):
        doc["channel_web_widget_inbox_id"] = None
        return
    inbox = emu.store.get("inboxes", params["inbox_id"], account["id"])
    if inbox and inbox["channel"]["channel_type"] == "Channel::WebWidget":
        doc["channel_web_widget_inbox_id"] = inbox["id"]


def _render_portal(emu: Emulator, doc: dict, is_admin: bool, locales=None) -> dict:
    cl, al = locales if locales is not None else emu.store.child_locales(doc["id"])
    out = views.portal(doc, cl, al)
    if doc.get("channel_web_widget_inbox_id"):
        inbox = emu.store.get("inboxes", doc["channel_web_widget_inbox_id"])
        if inbox:
            out["inbox"] = _render_inbox(emu, inbox, is_admin)
    return out


async def portals_index(request: Request):
    emu: Emulator = request.app.state.emu
    _, account, _, is_admin = emu.account_auth(request)
    rows = emu.store.list_portals(account["id"])  # one SELECT with correlated sub-selects
    payload = [_render_portal(emu, p, is_admin, (cl, al)) for p, cl, al in rows]
    return ok({"payload": payload, "meta": {"current_page": 1, "portals_count": len(payload)}})


async def portals_show(request: Request):
    emu: Emulator = request.app.state.emu
    _, account, _, is_admin = emu.account_auth(request)
    return ok(_render_portal(emu, _get_portal(emu, request, account), is_admin))


async def portals_create(request: Request):
    emu: Emulator = request.app.state.emu
    _, account, _, is_admin = emu.account_auth(request, write=True)
    params, is_json = await read_body(request)
    attrs = _portal_attrs(params, is_json, required=True)
    cd = attrs.get("custom_domain")
    if cd and re.match(r"^https?://", cd):  # §6: full URL reduced to the host on create only
        attrs["custom_domain"] = urllib.parse.urlparse(cd).hostname
    doc = {"name": None, "slug": None, "custom_domain": None, "color": None, "header_text": None,
           "page_title": None, "homepage_link": None, "archived": False, "account_id": account["id"]}
    doc.update({k: v for k, v in attrs.items() if k != "config"})
    doc["config"] = _normalise_config({"allowed_locales": ["en"]}, attrs.get("config"))
    _link_widget(emu, doc, params, account)
    _portal_validate(emu, doc)
    doc = emu.store.insert("portals", doc, account_id=account["id"])
    return ok(_render_portal(emu, doc, is_admin))


async def portals_update(request: Request):
    emu: Emulator = request.app.state.emu
    _, account, _, is_admin = emu.account_auth(request, write=True)
    doc = _get_portal(emu, request, account)
    params, is_json = await read_body(request)
    attrs = _portal_attrs(params, is_json, required=False)
    doc.update({k: v for k, v in attrs.items() if k != "config"})  # custom_domain stored verbatim on update
    if "config" in attrs:
        doc["config"] = _normalise_config(doc.get("config") or {}, attrs["config"])  # merge (≥4.14.1)
    _link_widget(emu, doc, params, account)
    _portal_validate(emu, doc)
    emu.store.put("portals", doc)
    return ok(_render_portal(emu, doc, is_admin))


async def portals_delete(request: Request):
    emu: Emulator = request.app.state.emu
    _, account, _, _ = emu.account_auth(request, write=True)
    doc = _get_portal(emu, request, account)
    emu.store.destroy_portal(doc["id"])
    return ok()


async def portals_archive(request: Request):
    """§3.6: PATCH …/archive is broken in 4.15.1 → 500."""
    emu: Emulator = request.app.state.emu
    emu.account_auth(request)
    raise server_error()


# ====================================================================== categories, articles (§3.7)
CATEGORY_ATTRS = ("name", "description", "position", "slug", "locale", "icon", "icon_color", "parent_category_id",
                  "associated_category_id")
ARTICLE_ATTRS = ("title", "slug", "position", "content", "description", "category_id", "author_id",
                 "associated_article_id", "status", "locale", "meta")


async def categories_index(request: Request):
    emu: Emulator = request.app.state.emu
    _, account, _, _ = emu.account_auth(request)
    portal = _get_portal(emu, request, account, status_404=True)  # §3.7: 404 since 4.12.0
    items = [views.category(c) for c in emu.store.list("categories", account["id"], portal["id"])]
    return ok({"payload": items, "meta": {"current_page": 1, "categories_count": len(items)}})


def _category_validate(emu: Emulator, portal: dict, doc: dict) -> None:
    errors = []
    if not str(doc.get("name") or "").strip():
        errors.append(("name", "Name can't be blank"))
    if not str(doc.get("slug") or "").strip():
        errors.append(("slug", "Slug can't be blank"))
    if doc.get("locale") not in portal["config"]["allowed_locales"]:
        errors.append(("locale", f"Locale {doc.get('locale')} of category is not part of portal's "
                                 f"{portal['config']['allowed_locales']}."))
    for other in emu.store.list("categories", portal["account_id"], portal["id"]):
        if other["id"] != doc.get("id") and other["slug"] == doc.get("slug") and other["locale"] == doc.get("locale"):
            errors.append(("slug", "Slug has already been taken"))
            break
    if errors:
        raise unprocessable(errors)


async def categories_create(request: Request):
    emu: Emulator = request.app.state.emu
    _, account, _, _ = emu.account_auth(request, write=True)
    portal = _get_portal(emu, request, account, status_404=True)
    params, is_json = await read_body(request)
    attrs = permit(root_param(params, is_json, "category", CATEGORY_ATTRS), CATEGORY_ATTRS)
    doc = {k: None for k in CATEGORY_ATTRS}
    doc.update(locale="en", position=None, portal_id=portal["id"], account_id=account["id"])
    doc.update(attrs)
    _category_validate(emu, portal, doc)
    doc = emu.store.insert("categories", doc, account_id=account["id"], parent_id=portal["id"])
    return ok({"payload": views.category(doc)})


async def categories_update(request: Request):
    emu: Emulator = request.app.state.emu
    _, account, _, _ = emu.account_auth(request, write=True)
    portal = _get_portal(emu, request, account, status_404=True)
    doc = emu.store.get("categories", request.path_params["item_id"], account["id"])
    if doc is None or doc["portal_id"] != portal["id"]:
        raise not_found()
    params, is_json = await read_body(request)
    doc.update(permit(root_param(params, is_json, "category", CATEGORY_ATTRS), CATEGORY_ATTRS))
    _category_validate(emu, portal, doc)
    emu.store.put("categories", doc)
    return ok({"payload": views.category(doc)})


async def articles_index(request: Request):
    emu: Emulator = request.app.state.emu
    user, account, _, _ = emu.account_auth(request)
    portal = _get_portal(emu, request, account, status_404=True)
    items = emu.store.list("articles", account["id"], portal["id"])
    page = max(1, int(request.query_params.get("page", 1) or 1))
    chunk = items[(page - 1) * 25: page * 25]  # Kaminari default 25/page
    meta = {
        "all_articles_count": len(items),
        "archived_articles_count": sum(1 for a in items if a["status"] == "archived"),
        "published_count": sum(1 for a in items if a["status"] == "published"),
        "draft_articles_count": sum(1 for a in items if a["status"] == "draft"),
        "mine_articles_count": sum(1 for a in items if a["author_id"] == user["id"]),
        "current_page": page,
    }
    return ok({"payload": [views.article(a) for a in chunk], "meta": meta})


def _article_validate(emu: Emulator, doc: dict) -> None:
    errors = []
    if doc.get("author_id") is None or emu.store.get("users", doc["author_id"]) is None:
        errors.append(("author", "Author must exist"))
    if not str(doc.get("title") or "").strip():
        errors.append(("title", "Title can't be blank"))
    if not str(doc.get("content") or "").strip():
        errors.append(("content", "Content can't be blank"))
    if doc.get("status") not in ("draft", "published", "archived"):
        raise server_error()  # enum
    if errors:
        raise unprocessable(errors)
    other = emu.store.find_by("articles", "slug", doc["slug"])
    if other and other["id"] != doc.get("id"):
        raise server_error()  # §3.7 slug unique installation-wide at DB level only → 500


async def articles_create(request: Request):
    emu: Emulator = request.app.state.emu
    _, account, _, _ = emu.account_auth(request, write=True)
    portal = _get_portal(emu, request, account, status_404=True)
    params, is_json = await read_body(request)
    attrs = permit(root_param(params, is_json, "article", ARTICLE_ATTRS), ARTICLE_ATTRS)
    doc = {k: None for k in ARTICLE_ATTRS}
    doc.update(status="draft", locale=portal["config"]["default_locale"], meta={}, views=0,
               portal_id=portal["id"], account_id=account["id"])
    doc.update(attrs)
    if not doc.get("slug"):  # "<unix-ts>-<title>"
        title = re.sub(r"[^a-z0-9]+", "-", str(doc.get("title") or "").lower()).strip("-")
        doc["slug"] = f"{int(time.time())}-{title}"
    _article_validate(emu, doc)
    doc = emu.store.insert("articles", doc, account_id=account["id"], parent_id=portal["id"])
    return ok({"payload": views.article(doc)})


async def articles_update(request: Request):
    emu: Emulator = request.app.state.emu
    _, account, _, _ = emu.account_auth(request, write=True)
    portal = _get_portal(emu, request, account, status_404=True)
    doc = emu.store.get("articles", request.path_params["item_id"], account["id"])
    if doc is None or doc["portal_id"] != portal["id"]:
        raise not_found()
    params, is_json = await read_body(request)
    doc.update(permit(root_param(params, is_json, "article", ARTICLE_ATTRS), ARTICLE_ATTRS))
    _article_validate(emu, doc)
    emu.store.put("articles", doc)
    return ok({"payload": views.article(doc)})


# ====================================================================== profile (§1.3)
def _memberships(emu: Emulator, user_id: int) -> list[tuple[dict, dict]]:
    out = []
    for au in emu.store.account_users(user_id=user_id):
        acc = emu.store.get("accounts", au["account_id"])
        if acc:
            out.append((acc, au))
    return out


async def profile(request: Request):
    emu: Emulator = request.app.state.emu
    user = emu.user_auth(request)
    token = emu.store.token_of("User", user["id"])
    return ok(views.profile(user, token, _memberships(emu, user["id"])))


# ====================================================================== Platform API (§3.8, §1.2)
PLATFORM_NOT_FOUND = ApiError(404, {"status": 404, "error": "Not Found"})
ACCOUNT_ATTRS = ("name", "locale", "domain", "support_email", "status", "features", "limits", "custom_attributes")


def _account_attrs(params: dict) -> dict:
    attrs = permit(params, ACCOUNT_ATTRS)
    if "status" in attrs and attrs["status"] not in ("active", "suspended"):
        raise server_error()  # enum
    if attrs.get("domain") and len(str(attrs["domain"])) > 100:
        raise unprocessable([("domain", "Domain is too long (maximum is 100 characters)")])
    return attrs


def _platform_account(emu: Emulator, request: Request, app_id: int, key: str = "account_id") -> dict:
    acc = emu.store.get("accounts", request.path_params[key])
    if acc is None:
        raise PLATFORM_NOT_FOUND
    emu.require_permissible(app_id, "Account", acc["id"])
    return acc


async def p_accounts_index(request: Request):
    emu: Emulator = request.app.state.emu
    app_id = emu.platform_auth(request)
    accs = [emu.store.get("accounts", i) for i in emu.store.permissible_ids(app_id, "Account")]
    return ok([views.account(a) for a in accs if a])


async def p_accounts_create(request: Request):
    emu: Emulator = request.app.state.emu
    app_id = emu.platform_auth(request)
    params, _ = await read_body(request)
    attrs = _account_attrs(params)
    if not str(attrs.get("name") or "").strip():
        raise unprocessable([("name", "Name can't be blank")])
    acc = new_account(emu.store, attrs.pop("name"), **attrs)
    emu.store.add_permissible(app_id, "Account", acc["id"])  # §1.2 created → permissible
    return ok(views.account(acc))


async def p_accounts_show(request: Request):
    emu: Emulator = request.app.state.emu
    return ok(views.account(_platform_account(emu, request, emu.platform_auth(request))))


async def p_accounts_update(request: Request):
    emu: Emulator = request.app.state.emu
    acc = _platform_account(emu, request, emu.platform_auth(request))
    params, _ = await read_body(request)
    attrs = _account_attrs(params)
    if "name" in attrs and not str(attrs["name"] or "").strip():
        raise unprocessable([("name", "Name can't be blank")])
    if "features" in attrs and isinstance(attrs["features"], dict):
        attrs["features"] = dict(acc.get("features") or {}, **attrs["features"])
    acc.update(attrs)
    emu.store.put("accounts", acc)
    return ok(views.account(acc))


async def p_accounts_delete(request: Request):
    emu: Emulator = request.app.state.emu
    acc = _platform_account(emu, request, emu.platform_auth(request))
    emu.store.enqueue("account", acc["id"], emu.config.delete_delay)  # §4.3 async via DeleteObjectJob
    return ok()


async def p_account_users_index(request: Request):
    emu: Emulator = request.app.state.emu
    acc = _platform_account(emu, request, emu.platform_auth(request))
    return ok(emu.store.account_users(account_id=acc["id"]))  # raw rows


async def p_account_users_create(request: Request):
    emu: Emulator = request.app.state.emu
    acc = _platform_account(emu, request, emu.platform_auth(request))
    params, _ = await read_body(request)
    role = params.get("role", "agent")
    if role not in ROLES:
        raise server_error()
    user = emu.store.get("users", params.get("user_id"))  # any user (§1.2: only the account is checked)
    if user is None:
        raise unprocessable([("user", "User must exist")])
    return ok(emu.store.upsert_account_user(acc["id"], user["id"], role))  # upsert


async def p_account_users_delete(request: Request):
    emu: Emulator = request.app.state.emu
    acc = _platform_account(emu, request, emu.platform_auth(request))
    params, _ = await read_body(request)
    try:
        uid = int(params.get("user_id"))
    except (TypeError, ValueError):
        return ok()
    emu.store.delete_account_user(acc["id"], uid)  # no-op if absent
    return ok()


PASSWORD_RE = re.compile(r"^(?=.*[a-z])(?=.*[A-Z])(?=.*\d)(?=.*[!@#$%^&*()_+\-=\[\]{}|']).{6,128}$")


def _platform_user(emu: Emulator, request: Request, app_id: int) -> dict:
    user = emu.store.get("users", request.path_params["user_id"])
    if user is None:
        raise PLATFORM_NOT_FOUND
    emu.require_permissible(app_id, "User", user["id"])
    return user


def _render_user(emu: Emulator, user: dict) -> dict:
    return views.user(user, emu.store.token_of("User", user["id"]), _memberships(emu, user["id"]))


async def p_users_create(request: Request):
    emu: Emulator = request.app.state.emu
    app_id = emu.platform_auth(request)
    params, _ = await read_body(request)
    email = str(params.get("email") or "").strip().lower()
    user = emu.store.find_by("users", "email", email) if email else None
    if user is None:
        errors = []
        if not str(params.get("name") or "").strip():
            errors.append(("name", "Name can't be blank"))
        if not email:
            errors.append(("email", "Email can't be blank"))
        elif "@" not in email:
            errors.append(("email", "Email is invalid"))
        pw = str(params.get("password") or "")
        if not pw:
            errors.append(("password", "Password can't be blank"))
        elif not PASSWORD_RE.match(pw):
            errors.append(("password", "Password must contain at least 1 uppercase letter, 1 lowercase letter, "
                                       "1 number, and 1 special character"))
        if errors:
            raise unprocessable(errors)
        user = new_user(emu.store, params["name"], email, confirmed=True, display_name=params.get("display_name"),
                        custom_attributes=params.get("custom_attributes") or {})
    emu.store.add_permissible(app_id, "User", user["id"])  # §1.2 find-or-create claims the user
    return ok(_render_user(emu, user))


async def p_users_show(request: Request):
    emu: Emulator = request.app.state.emu
    return ok(_render_user(emu, _platform_user(emu, request, emu.platform_auth(request))))


async def p_users_update(request: Request):
    emu: Emulator = request.app.state.emu
    user = _platform_user(emu, request, emu.platform_auth(request))
    params, _ = await read_body(request)
    for key in ("name", "display_name"):
        if key in params:
            user[key] = params[key]
    if params.get("email"):
        user["email"] = str(params["email"]).strip().lower()
    if isinstance(params.get("custom_attributes"), dict):
        user["custom_attributes"] = dict(user.get("custom_attributes") or {}, **params["custom_attributes"])
    if not str(user.get("name") or "").strip():
        raise unprocessable([("name", "Name can't be blank")])
    emu.store.put("users", user)
    return ok(_render_user(emu, user))


async def p_users_delete(request: Request):
    emu: Emulator = request.app.state.emu
    user = _platform_user(emu, request, emu.platform_auth(request))
    emu.store.enqueue("user", user["id"], emu.config.delete_delay)  # §4.3 async
    return ok()


async def p_users_token(request: Request):
    emu: Emulator = request.app.state.emu
    user = _platform_user(emu, request, emu.platform_auth(request))
    return ok({"access_token": emu.store.token_of("User", user["id"]), "expiry": None,
               "user": {k: user.get(k) for k in ("id", "name", "display_name", "email", "pubsub_token")}})


async def p_users_login(request: Request):
    emu: Emulator = request.app.state.emu
    user = _platform_user(emu, request, emu.platform_auth(request))
    return ok({"url": f"{emu.url}/app/login?email={user['email']}&sso_auth_token={new_token()}"})


# ====================================================================== probes (§8)
async def api_root(request: Request):
    # Deviation: the extra key "emulator": true lets clients tell the emulator from a real server.
    return ok({"version": VERSION, "timestamp": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()), "queue_services": "ok",
               "data_services": "ok", "emulator": True})


async def health(request: Request):
    return ok({"status": "woot"})


# ====================================================================== control plane
def _loopback_only(request: Request) -> None:
    host = request.client.host if request.client else ""
    if host not in ("127.0.0.1", "::1", "localhost", "testclient"):
        raise ApiError(403, {"error": "control plane is loopback only"})


async def c_stats(request: Request):
    _loopback_only(request)
    return ok(request.app.state.emu.stats.snapshot())


async def c_stats_reset(request: Request):
    _loopback_only(request)
    request.app.state.emu.stats.reset()
    return ok({"ok": True})


async def c_faults(request: Request):
    _loopback_only(request)
    emu: Emulator = request.app.state.emu
    if request.method == "POST":
        params, _ = await read_body(request)
        seed = params.pop("seed", None)
        try:
            if params.get("unknown_portal_status", 500) not in (500, 404):
                raise ValueError("unknown_portal_status must be 500 or 404")
            seed = None if seed is None else int(seed)
            emu.config.update(params)
        except (ValueError, TypeError) as exc:
            raise ApiError(400, {"error": str(exc)})
        if seed is not None:
            emu.engine.reseed(seed)
    return ok(config_dict(emu.config))


async def c_jobs_run(request: Request):
    _loopback_only(request)
    return ok({"ran": request.app.state.emu.run_jobs(all_jobs=True)})


async def c_reset(request: Request):
    """Wipe all state and bootstrap again with the same tokens (tokens.json stays valid)."""
    _loopback_only(request)
    emu: Emulator = request.app.state.emu
    tokens = dict(emu.tokens)
    emu.store.wipe()
    emu.tokens = bootstrap(emu.store, reuse=tokens)
    emu.stats.reset()
    return ok({"ok": True})


# ====================================================================== routing
A = "/api/v1/accounts/{account_id}"
P = "/platform/api/v1"
RW = ["PATCH", "PUT"]

ROUTES = [
    Route("/api", api_root, methods=["GET"]),
    Route("/health", health, methods=["GET"]),
    Route("/api/v1/profile", profile, methods=["GET"]),
    Route(f"{A}/inboxes", inboxes_index, methods=["GET"]),
    Route(f"{A}/inboxes", inboxes_create, methods=["POST"]),
    Route(f"{A}/inboxes/{{inbox_id}}", inboxes_show, methods=["GET"]),
    Route(f"{A}/inboxes/{{inbox_id}}", inboxes_update, methods=RW),
    Route(f"{A}/inboxes/{{inbox_id}}", inboxes_delete, methods=["DELETE"]),
    Route(f"{A}/inboxes/{{inbox_id}}/reset_secret", inboxes_reset_secret, methods=["POST"]),
    Route(f"{A}/inbox_members/{{inbox_id}}", inbox_members_index, methods=["GET"]),
    Route(f"{A}/inbox_members", inbox_members_create, methods=["POST"]),
    Route(f"{A}/inbox_members", inbox_members_update, methods=RW),
    Route(f"{A}/inbox_members", inbox_members_delete, methods=["DELETE"]),
    Route(f"{A}/teams", teams_index, methods=["GET"]),
    Route(f"{A}/teams", teams_create, methods=["POST"]),
    Route(f"{A}/teams/{{team_id}}", teams_show, methods=["GET"]),
    Route(f"{A}/teams/{{team_id}}", teams_update, methods=RW),
    Route(f"{A}/teams/{{team_id}}", teams_delete, methods=["DELETE"]),
    Route(f"{A}/teams/{{team_id}}/team_members", team_members_index, methods=["GET"]),
    Route(f"{A}/teams/{{team_id}}/team_members", team_members_create, methods=["POST"]),
    Route(f"{A}/teams/{{team_id}}/team_members", team_members_update, methods=RW),
    Route(f"{A}/teams/{{team_id}}/team_members", team_members_delete, methods=["DELETE"]),
    Route(f"{A}/agents", agents_index, methods=["GET"]),
    Route(f"{A}/agents", agents_create, methods=["POST"]),
    Route(f"{A}/agents/{{agent_id}}", agents_update, methods=RW),
    Route(f"{A}/agents/{{agent_id}}", agents_delete, methods=["DELETE"]),
    Route(f"{A}/portals", portals_index, methods=["GET"]),
    Route(f"{A}/portals", portals_create, methods=["POST"]),
    Route(f"{A}/portals/{{slug}}/archive", portals_archive, methods=RW),
    Route(f"{A}/portals/{{slug}}/categories", categories_index, methods=["GET"]),
    Route(f"{A}/portals/{{slug}}/categories", categories_create, methods=["POST"]),
    Route(f"{A}/portals/{{slug}}/categories/{{item_id}}", categories_update, methods=RW),
    Route(f"{A}/portals/{{slug}}/articles", articles_index, methods=["GET"]),
    Route(f"{A}/portals/{{slug}}/articles", articles_create, methods=["POST"]),
    Route(f"{A}/portals/{{slug}}/articles/{{item_id}}", articles_update, methods=RW),
    Route(f"{A}/portals/{{slug}}", portals_show, methods=["GET"]),
    Route(f"{A}/portals/{{slug}}", portals_update, methods=RW),
    Route(f"{A}/portals/{{slug}}", portals_delete, methods=["DELETE"]),
    Route(f"{P}/accounts", p_accounts_index, methods=["GET"]),
    Route(f"{P}/accounts", p_accounts_create, methods=["POST"]),
    Route(f"{P}/accounts/{{account_id}}", p_accounts_show, methods=["GET"]),
    Route(f"{P}/accounts/{{account_id}}", p_accounts_update, methods=RW),
    Route(f"{P}/accounts/{{account_id}}", p_accounts_delete, methods=["DELETE"]),
    Route(f"{P}/accounts/{{account_id}}/account_users", p_account_users_index, methods=["GET"]),
    Route(f"{P}/accounts/{{account_id}}/account_users", p_account_users_create, methods=["POST"]),
    Route(f"{P}/accounts/{{account_id}}/account_users", p_account_users_delete, methods=["DELETE"]),
    Route(f"{P}/users", p_users_create, methods=["POST"]),
    Route(f"{P}/users/{{user_id}}", p_users_show, methods=["GET"]),
    Route(f"{P}/users/{{user_id}}", p_users_update, methods=RW),
    Route(f"{P}/users/{{user_id}}", p_users_delete, methods=["DELETE"]),
    Route(f"{P}/users/{{user_id}}/token", p_users_token, methods=["POST"]),
    Route(f"{P}/users/{{user_id}}/login", p_users_login, methods=["GET"]),
    Route("/__emulator__/stats", c_stats, methods=["GET"]),
    Route("/__emulator__/stats/reset", c_stats_reset, methods=["POST"]),
    Route("/__emulator__/faults", c_faults, methods=["GET", "POST"]),
    Route("/__emulator__/jobs/run", c_jobs_run, methods=["POST"]),
    Route("/__emulator__/reset", c_reset, methods=["POST"]),
]


async def _api_error(request: Request, exc: ApiError):
    return JSONResponse(exc.body, status_code=exc.status)


async def _not_found(request: Request, exc):
    # Rails routing error for unknown paths
    return JSONResponse({"status": 404, "error": "Not Found"}, status_code=404)


async def _crash(request: Request, exc: Exception):
    log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path)
    return JSONResponse({"status": 500, "error": "Internal Server Error"}, status_code=500)


def create_app(state_dir: str | Path, config: FaultConfig | None = None, url: str = ""):
    """Build the ASGI app: FaultMiddleware(Starlette routes)."""
    config = config or FaultConfig()
    emu = Emulator(state_dir, config, url)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        task = asyncio.create_task(emu.job_loop())
        try:
            yield
        finally:
            task.cancel()

    app = Starlette(
        routes=ROUTES,
        exception_handlers={ApiError: _api_error, 404: _not_found, 405: _not_found, Exception: _crash},
        lifespan=lifespan,
    )
    app.state.emu = emu
    return FaultMiddleware(app, emu.engine, emu.stats), emu
