"""Help Center portals (categories: categories.py, articles: articles.py) under ``/api/v1/accounts/:account_id/portals``."""

from __future__ import annotations

import re
import urllib.parse

from starlette.requests import Request
from starlette.routing import Route

from .. import views
from ..core import Emulator
from ..errors import ApiError, not_found, ok, server_error, unprocessable
from ..params import as_bool, permit, read_body, root_param
from .inboxes import render_inbox


PORTAL_COLUMNS = ("name", "slug", "custom_domain", "color", "header_text", "page_title", "homepage_link",
                  "archived", "config", "account_id", "channel_web_widget_id", "ssl_settings")
PORTAL_ATTRS = ("name", "slug", "custom_domain", "color", "header_text", "page_title", "homepage_link",
                "archived", "config")
CONFIG_KEYS = ("allowed_locales", "default_locale", "draft_locales", "layout", "social_profiles",
               "locale_translations")
COLOR_RE = re.compile(r"^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


def _unknown_portal(emu: Emulator):
    """docs/chatwoot-behaviour.md#duplicates-and-missing-objects: unknown slug → 500 in ≤4.15.1; 404 with --unknown-portal-status 404 (upstream PR #15798)."""
    if emu.config.unknown_portal_status == 404:
        return not_found()
    return server_error()


def _get_portal(emu: Emulator, request: Request, account: dict, status_404: bool = False) -> dict:
    doc = emu.store.find_by("portals", "slug", request.path_params["slug"], account["id"])
    if doc is None:
        raise not_found() if status_404 else _unknown_portal(emu)
    return doc


def _normalise_config(stored: dict, sent) -> dict:
    """docs/chatwoot-behaviour.md#defaults-and-normalisation portal config: merged into the stored one (≥4.14.1), locales de-duplicated; default_locale is the
    merged value when there is one (a stored default survives an update whose allowed_locales leave it out,
    as on a real server), else the first allowed locale."""
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
    cfg["default_locale"] = cfg.get("default_locale") or allowed[0]
    drafts = [c for c in (cfg.get("draft_locales") or []) if c in allowed and c != cfg["default_locale"]]
    cfg["draft_locales"] = drafts
    return cfg


def _portal_validate(emu: Emulator, doc: dict) -> None:
    errors = []
    if not str(doc.get("name") or "").strip():
        errors.append(("name", "Name can't be blank"))
    if not str(doc.get("slug") or "").strip():
        errors.append(("slug", "Slug can't be blank"))
    else:  # docs/chatwoot-behaviour.md#duplicates-and-missing-objects slug unique installation-wide (case-sensitive)
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
        return {}  # docs/chatwoot-behaviour.md#portals update: without the portal key nothing changes
    attrs = permit(attrs, PORTAL_ATTRS)
    for key in ("custom_domain", "homepage_link"):
        if key in attrs and attrs[key] == "":
            attrs[key] = None  # docs/chatwoot-behaviour.md#defaults-and-normalisation "" → null
    if "archived" in attrs:
        attrs["archived"] = as_bool(attrs["archived"])
    return attrs


def _link_widget(emu: Emulator, doc: dict, params: dict, account: dict) -> None:
    """docs/chatwoot-behaviour.md#portals: top-level inbox_id links a web-widget inbox of the account; "" detaches; others ignored."""
    if "inbox_id" not in params:
        return
    if params["inbox_id"] in ("", None):
        doc["channel_web_widget_inbox_id"] = None
        return
    inbox = emu.store.get("inboxes", params["inbox_id"], account["id"])
    if inbox and inbox["channel"]["channel_type"] == "Channel::WebWidget":
        doc["channel_web_widget_inbox_id"] = inbox["id"]


def _render_portal(emu: Emulator, doc: dict, is_admin: bool, locales=None) -> dict:
    """Index, create and update render the meta article counts over an empty article list (all 0, the
    per-status counts null), as a real server does; only show counts them (portals_show)."""
    cl, al = locales if locales is not None else emu.store.child_locales(doc["id"])
    out = views.portal(doc, cl, al)
    if doc.get("channel_web_widget_inbox_id"):
        inbox = emu.store.get("inboxes", doc["channel_web_widget_inbox_id"])
        if inbox:
            out["inbox"] = render_inbox(emu, inbox, is_admin)
    return out


async def portals_index(request: Request):
    emu: Emulator = request.app.state.emu
    _, account, _, is_admin = emu.account_auth(request)
    rows = emu.store.list_portals(account["id"])  # one SELECT with correlated sub-selects
    payload = [_render_portal(emu, p, is_admin, (cl, al)) for p, cl, al in rows]
    return ok({"payload": payload, "meta": {"current_page": 1, "portals_count": len(payload)}})


async def portals_show(request: Request):
    emu: Emulator = request.app.state.emu
    user, account, _, is_admin = emu.account_auth(request)
    doc = _get_portal(emu, request, account)
    out = _render_portal(emu, doc, is_admin)
    # show counts the articles by status and those written by the requesting user (mine_articles_count)
    statuses = emu.store.article_statuses(doc["id"])
    meta = out["meta"]
    counts = {
        "all_articles_count": len(statuses),
        "archived_articles_count": sum(1 for s, _ in statuses if s == "archived"),
        "published_count": sum(1 for s, _ in statuses if s == "published"),
        "draft_articles_count": sum(1 for s, _ in statuses if s == "draft"),
        "mine_articles_count": sum(1 for _, a in statuses if a == user["id"]),
    }
    out["meta"] = {**counts, **{k: v for k, v in meta.items() if k not in counts}}
    return ok(out)


async def portals_create(request: Request):
    emu: Emulator = request.app.state.emu
    _, account, _, is_admin = emu.account_auth(request, write=True)
    params, is_json = await read_body(request)
    attrs = _portal_attrs(params, is_json, required=True)
    cd = attrs.get("custom_domain")
    if cd and re.match(r"^https?://", cd):  # docs/chatwoot-behaviour.md#defaults-and-normalisation: full URL reduced to the host on create only
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
    """docs/chatwoot-behaviour.md#portals: PATCH …/archive is broken in 4.15.1 → 500."""
    emu: Emulator = request.app.state.emu
    emu.account_auth(request)
    raise server_error()


A = "/api/v1/accounts/{account_id}"
RW = ["PATCH", "PUT"]

ROUTES = [
    Route(f"{A}/portals", portals_index, methods=["GET"]),
    Route(f"{A}/portals", portals_create, methods=["POST"]),
    Route(f"{A}/portals/{{slug}}/archive", portals_archive, methods=RW),
    Route(f"{A}/portals/{{slug}}", portals_show, methods=["GET"]),
    Route(f"{A}/portals/{{slug}}", portals_update, methods=RW),
    Route(f"{A}/portals/{{slug}}", portals_delete, methods=["DELETE"]),
]
