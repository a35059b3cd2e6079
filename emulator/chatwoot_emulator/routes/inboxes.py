"""Inboxes: ``/api/v1/accounts/:account_id/inboxes`` (list, show, create, update, delete, reset_secret)."""

from __future__ import annotations

import zoneinfo

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import policy, views
from ..bootstrap import new_token
from ..core import Emulator
from ..errors import not_found, ok, server_error, unprocessable
from ..params import as_bool, permit, read_body
from ..store import Store


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
CSAT_DEFAULTS = {  # docs/chatwoot-behaviour.md#defaults-and-normalisation: filled on update
    "display_type": "emoji", "message": "", "survey_rules": {"operator": "contains", "values": []},
    "button_text": "Please rate us", "language": "en",
}
BOOL_INBOX = {"greeting_enabled", "enable_email_collect", "csat_survey_enabled", "enable_auto_assignment",
              "working_hours_enabled", "allow_messages_after_resolved", "lock_to_single_conversation"}


def _inbox_attrs(emu: Emulator, params: dict) -> dict:
    # docs/chatwoot-behaviour.md#inboxes: top-level string "null" is converted to null before permitting
    attrs = {k: (None if v == "null" else v) for k, v in permit(params, INBOX_ATTRS).items()}
    for k in BOOL_INBOX & attrs.keys():
        attrs[k] = as_bool(attrs[k])
    if "sender_name_type" in attrs and attrs["sender_name_type"] not in ("friendly", "professional"):
        raise server_error()  # docs/chatwoot-behaviour.md#inboxes enum → 500
    if attrs.get("portal_id") not in (None, ""):
        if emu.store.get("portals", attrs["portal_id"]) is None:
            raise server_error()  # docs/chatwoot-behaviour.md#inboxes/#duplicates-and-missing-objects FK violation → 500 (any account's portal is accepted)
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


def render_inbox(emu: Emulator, doc: dict, is_admin: bool) -> dict:
    portal = emu.store.get("portals", doc["portal_id"]) if doc.get("portal_id") else None
    return views.inbox(doc, portal, is_admin)


async def inboxes_index(request: Request):
    emu: Emulator = request.app.state.emu
    user, account, au, is_admin = emu.account_auth(request)
    rows = emu.store.list_inboxes(account["id"])  # one SELECT (LEFT JOIN portals)
    if not is_admin:  # agents see only inboxes they are members of
        mine = policy.visible_inbox_ids(emu.store, user["id"])
        rows = [r for r in rows if r[0]["id"] in mine]
    return ok({"payload": [views.inbox(doc, portal, is_admin) for doc, portal in rows]})


def get_inbox(emu: Emulator, request: Request, account: dict, key: str = "inbox_id") -> dict:
    doc = emu.store.get("inboxes", request.path_params[key], account["id"])
    if doc is None:
        raise not_found()
    return doc


async def inboxes_show(request: Request):
    emu: Emulator = request.app.state.emu
    _, account, au, is_admin = emu.account_auth(request)
    doc = get_inbox(emu, request, account)
    policy.require_inbox_read(emu.store, au, doc)  # an agent reading an inbox it is not a member of → 401
    return ok(render_inbox(emu, doc, is_admin))


def build_inbox_doc(store: Store, account_id: int, attrs: dict, channel: dict) -> dict:
    """A new inbox document with the docs/chatwoot-behaviour.md#inboxes/#defaults-and-normalisation defaults and generated channel values (not yet saved)."""
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
    doc.update(attrs)  # docs/chatwoot-behaviour.md#defaults-and-normalisation: csat_config stored as sent on create
    doc["channel"] = ch
    doc["working_hours"] = views.default_working_hours()  # docs/chatwoot-behaviour.md#defaults-and-normalisation; working_hours in the body is ignored on create
    doc["account_id"] = account_id
    return doc


async def inboxes_create(request: Request):
    emu: Emulator = request.app.state.emu
    _, account, _, is_admin = emu.account_auth(request, write=True)
    params, _ = await read_body(request)  # docs/chatwoot-behaviour.md#general-rules: inboxes read top-level keys; "inbox" root ignored
    channel = params.get("channel")
    if not isinstance(channel, dict):
        raise server_error()  # docs/chatwoot-behaviour.md#inboxes body without channel → 500
    attrs = _inbox_attrs(emu, params)
    doc = build_inbox_doc(emu.store, account["id"], attrs, channel)
    _validate_inbox(doc)
    doc = emu.store.insert("inboxes", doc, account_id=account["id"])
    return ok(render_inbox(emu, doc, is_admin))


def _apply_working_hours(doc: dict, rows) -> None:
    """docs/chatwoot-behaviour.md#inboxes/#defaults-and-normalisation: per-day non-raising save — invalid rows are ignored; day outside 0–6 → 500."""
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
    doc = get_inbox(emu, request, account)
    params, _ = await read_body(request)
    attrs = _inbox_attrs(emu, params)
    if "csat_config" in attrs and isinstance(attrs["csat_config"], dict):
        merged = dict(CSAT_DEFAULTS)  # docs/chatwoot-behaviour.md#defaults-and-normalisation: missing keys filled on update
        merged.update(attrs["csat_config"])
        attrs["csat_config"] = merged
    doc.update(attrs)
    if "working_hours" in params:
        _apply_working_hours(doc, params["working_hours"])
    channel = params.get("channel")
    if isinstance(channel, dict) and "type" in channel:
        # Chatwoot saves the inbox attributes and working hours first, then hands `type` on to the channel's
        # update, which has no such attribute: an unhandled error → 500, the channel keeps its old values.
        _validate_inbox(doc)
        emu.store.put("inboxes", doc)
        raise server_error()
    if isinstance(channel, dict):
        editable = API_CHANNEL_ATTRS if doc["channel"]["channel_type"] == "Channel::Api" else WIDGET_CHANNEL_ATTRS
        upd = permit(channel, editable)
        if "hmac_mandatory" in upd:
            upd["hmac_mandatory"] = as_bool(upd["hmac_mandatory"])
        doc["channel"].update(upd)
    _validate_inbox(doc)
    emu.store.put("inboxes", doc)
    return ok(render_inbox(emu, doc, is_admin))


async def inboxes_delete(request: Request):
    """docs/chatwoot-behaviour.md#inboxes/#asynchronous-deletion: asynchronous — enqueue, answer with a message; row stays until the job runs."""
    emu: Emulator = request.app.state.emu
    _, account, _, _ = emu.account_auth(request, write=True)
    doc = get_inbox(emu, request, account)
    emu.store.enqueue("inbox", doc["id"], emu.config.delete_delay)
    return ok({"message": "Your inbox deletion request will be processed in some time."})


async def inboxes_reset_secret(request: Request):
    emu: Emulator = request.app.state.emu
    _, account, _, is_admin = emu.account_auth(request, write=True)
    doc = get_inbox(emu, request, account)
    if doc["channel"]["channel_type"] != "Channel::Api":
        return Response(b"", status_code=404)
    doc["channel"]["secret"] = new_token()
    emu.store.put("inboxes", doc)
    return ok(render_inbox(emu, doc, is_admin))


A = "/api/v1/accounts/{account_id}"
RW = ["PATCH", "PUT"]

ROUTES = [
    Route(f"{A}/inboxes", inboxes_index, methods=["GET"]),
    Route(f"{A}/inboxes", inboxes_create, methods=["POST"]),
    Route(f"{A}/inboxes/{{inbox_id}}", inboxes_show, methods=["GET"]),
    Route(f"{A}/inboxes/{{inbox_id}}", inboxes_update, methods=RW),
    Route(f"{A}/inboxes/{{inbox_id}}", inboxes_delete, methods=["DELETE"]),
    Route(f"{A}/inboxes/{{inbox_id}}/reset_secret", inboxes_reset_secret, methods=["POST"]),
]
