"""Help Center categories under ``/api/v1/accounts/:account_id/portals/:slug/categories`` (4.15.1).

- Every answer is wrapped: ``{"payload": category}``; the index adds ``meta`` ``{current_page,
  categories_count}`` (categories are not paginated in practice: 1000 per page).
- A category's (slug, locale) is unique within its portal: a repeat is 422 "Locale should be unique in
  the category and portal" on ``locale``. Its locale must be one of the portal's allowed locales, else
  422 "Locale fr of category is not part of portal's ["en", "de"]." on ``locale``.
- ``icon`` and ``icon_color`` read "" when not set; ``meta.articles_count`` counts its articles.
- DELETE answers 200 with an empty body; the category's articles stay, without a category.
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.routing import Route

from ..core import Emulator
from ..errors import not_found, ok, unprocessable
from ..params import integer, permit, read_body, root_param
from .portals import _get_portal

CATEGORY_ATTRS = ("name", "description", "position", "slug", "locale", "icon", "icon_color", "parent_category_id",
                  "associated_category_id")


def render_category(emu: Emulator, doc: dict, articles: list[dict] | None = None) -> dict:
    if articles is None:
        articles = emu.store.list("articles", doc["account_id"], doc["portal_id"])
    return {
        "id": doc["id"],
        "name": doc.get("name"),
        "slug": doc.get("slug"),
        "locale": doc.get("locale"),
        "description": doc.get("description"),
        "position": integer(doc.get("position")),
        "account_id": doc["account_id"],
        "icon": doc.get("icon") or "",
        "icon_color": doc.get("icon_color") or "",
        "meta": {"articles_count": sum(1 for a in articles if a.get("category_id") == doc["id"])},
    }


def _validate(emu: Emulator, portal: dict, doc: dict) -> None:
    errors = []
    if not str(doc.get("name") or "").strip():
        errors.append(("name", "Name can't be blank"))
    if not str(doc.get("slug") or "").strip():
        errors.append(("slug", "Slug can't be blank"))
    allowed = portal["config"]["allowed_locales"]
    if doc.get("locale") not in allowed:
        errors.append(("locale", f"Locale {doc.get('locale')} of category is not part of portal's "
                                 f"{json.dumps(allowed, separators=(', ', ': '))}."))
    for other in emu.store.list("categories", portal["account_id"], portal["id"]):
        if other["id"] != doc.get("id") and other["slug"] == doc.get("slug") and other["locale"] == doc.get("locale"):
            errors.append(("locale", "Locale should be unique in the category and portal"))
            break
    if errors:
        raise unprocessable(errors)


def _get(emu: Emulator, request: Request, account: dict, portal: dict) -> dict:
    doc = emu.store.get("categories", request.path_params["item_id"], account["id"])
    if doc is None or doc["portal_id"] != portal["id"]:
        raise not_found()
    return doc


async def categories_index(request: Request):
    emu: Emulator = request.app.state.emu
    _, account, _, _ = emu.account_auth(request)
    portal = _get_portal(emu, request, account, status_404=True)  # 404 since 4.12.0
    articles = emu.store.list("articles", account["id"], portal["id"])
    cats = emu.store.list("categories", account["id"], portal["id"])
    if request.query_params.get("locale"):
        cats = [c for c in cats if c.get("locale") == request.query_params["locale"]]
    items = [render_category(emu, c, articles) for c in cats]
    return ok({"payload": items, "meta": {"current_page": 1, "categories_count": len(items)}})


async def categories_show(request: Request):
    emu: Emulator = request.app.state.emu
    _, account, _, _ = emu.account_auth(request)
    portal = _get_portal(emu, request, account, status_404=True)
    return ok({"payload": render_category(emu, _get(emu, request, account, portal))})


async def categories_create(request: Request):
    emu: Emulator = request.app.state.emu
    _, account, _, _ = emu.account_auth(request, write=True)
    portal = _get_portal(emu, request, account, status_404=True)
    params, is_json = await read_body(request)
    attrs = permit(root_param(params, is_json, "category", CATEGORY_ATTRS), CATEGORY_ATTRS)
    doc = {k: None for k in CATEGORY_ATTRS}
    doc.update(locale=portal["config"].get("default_locale") or "en", portal_id=portal["id"],
               account_id=account["id"])
    doc.update(attrs)
    _validate(emu, portal, doc)
    doc = emu.store.insert("categories", doc, account_id=account["id"], parent_id=portal["id"])
    return ok({"payload": render_category(emu, doc)})


async def categories_update(request: Request):
    emu: Emulator = request.app.state.emu
    _, account, _, _ = emu.account_auth(request, write=True)
    portal = _get_portal(emu, request, account, status_404=True)
    doc = _get(emu, request, account, portal)
    params, is_json = await read_body(request)
    doc.update(permit(root_param(params, is_json, "category", CATEGORY_ATTRS), CATEGORY_ATTRS))
    _validate(emu, portal, doc)
    emu.store.put("categories", doc)
    return ok({"payload": render_category(emu, doc)})


async def categories_delete(request: Request):
    emu: Emulator = request.app.state.emu
    _, account, _, _ = emu.account_auth(request, write=True)
    portal = _get_portal(emu, request, account, status_404=True)
    doc = _get(emu, request, account, portal)
    for a in emu.store.list("articles", account["id"], portal["id"]):
        if a.get("category_id") == doc["id"]:
            a["category_id"] = None
            emu.store.put("articles", a)
    emu.store.delete("categories", doc["id"])
    return ok()


A = "/api/v1/accounts/{account_id}/portals/{slug}/categories"
RW = ["PATCH", "PUT"]

ROUTES = [
    Route(A, categories_index, methods=["GET"]),
    Route(A, categories_create, methods=["POST"]),
    Route(f"{A}/{{item_id}}", categories_show, methods=["GET"]),
    Route(f"{A}/{{item_id}}", categories_update, methods=RW),
    Route(f"{A}/{{item_id}}", categories_delete, methods=["DELETE"]),
]
