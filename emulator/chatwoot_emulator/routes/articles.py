"""Help Center articles under ``/api/v1/accounts/:account_id/portals/:slug/articles`` (4.15.1).

- Every answer is wrapped: ``{"payload": article}``. The index is paginated 25 per page, newest change
  first, with counts in ``meta``; ``meta.current_page`` is the number 1 without ``?page=`` and the
  string sent otherwise ("2"). Filters: ``locale``, ``category_slug``, ``status``.
- ``author_id`` is required: without it 422 "Author must exist, Author can't be blank" on ``author``
  and ``author_id``. ``title`` and ``content`` are required too.
- New articles are drafts unless ``status`` says otherwise; ``position`` defaults to the highest
  position in the same category plus 10; the locale follows the category (else the one sent, else the
  portal's default locale). The JSON has no ``locale`` key: it is the category's.
- A slug left out becomes "<unix time>-<parameterised title>". Slugs are unique on the whole
  installation only through a database index: a repeat is a 500, not a 422.
- DELETE answers 200 with an empty body; the article is gone (404) afterwards.
"""

from __future__ import annotations

import re
import time

from starlette.requests import Request
from starlette.routing import Route

from .. import views
from ..core import Emulator
from ..errors import not_found, ok, server_error, unprocessable
from ..params import integer, permit, read_body, root_param
from .portals import _get_portal

ARTICLE_ATTRS = ("title", "slug", "position", "content", "description", "category_id", "author_id",
                 "associated_article_id", "status", "locale", "meta")
PER_PAGE = 25
STATUSES = ("draft", "published", "archived")


def _author(emu: Emulator, doc: dict) -> dict | None:
    user = emu.store.get("users", doc.get("author_id"))
    au = emu.store.account_user(doc["account_id"], user["id"]) if user else None
    if user is None:
        return None
    au = au or {"account_id": doc["account_id"], "availability": "offline", "auto_offline": True, "role": "agent"}
    return views.agent(user, au)


def render_article(emu: Emulator, doc: dict, categories: dict[int, dict] | None = None) -> dict:
    cat = None
    if doc.get("category_id") is not None:
        c = (categories or {}).get(doc["category_id"]) or emu.store.get("categories", doc["category_id"])
        if c:
            cat = {"id": c["id"], "name": c.get("name"), "slug": c.get("slug"), "locale": c.get("locale"),
                   "icon": c.get("icon") or "", "icon_color": c.get("icon_color") or ""}
    return {
        "id": doc["id"],
        "slug": doc.get("slug"),
        "title": doc.get("title"),
        "content": doc.get("content"),
        "description": doc.get("description"),
        "status": doc.get("status"),
        "position": integer(doc.get("position")),
        "account_id": doc["account_id"],
        "updated_at": int(doc.get("updated_at") or 0),
        "meta": doc.get("meta") or {},
        "category": cat,
        "views": None,
        "author": _author(emu, doc),
    }


def _validate(emu: Emulator, doc: dict) -> None:
    errors = []
    if doc.get("author_id") is None or emu.store.get("users", doc["author_id"]) is None:
        errors += [("author", "Author must exist"), ("author_id", "Author can't be blank")] \
            if doc.get("author_id") is None else [("author", "Author must exist")]
    if not str(doc.get("title") or "").strip():
        errors.append(("title", "Title can't be blank"))
    if not str(doc.get("content") or "").strip():
        errors.append(("content", "Content can't be blank"))
    if doc.get("status") not in STATUSES:
        raise server_error()  # Rails enum: an unknown value raises
    if errors:
        raise unprocessable(errors)
    other = emu.store.find_by("articles", "slug", doc["slug"])
    if other and other["id"] != doc.get("id"):
        raise server_error()  # unique index only, no model validation → 500


def _follow_category(emu: Emulator, portal: dict, doc: dict) -> None:
    if doc.get("category_id") is not None:
        cat = emu.store.get("categories", doc["category_id"])
        if cat is None or cat["portal_id"] != portal["id"]:
            raise unprocessable([("category", "Category must exist")])
        doc["locale"] = cat["locale"]


def _get(emu: Emulator, request: Request, account: dict, portal: dict) -> dict:
    doc = emu.store.get("articles", request.path_params["item_id"], account["id"])
    if doc is None or doc["portal_id"] != portal["id"]:
        raise not_found()
    return doc


async def articles_index(request: Request):
    emu: Emulator = request.app.state.emu
    user, account, _, _ = emu.account_auth(request)
    portal = _get_portal(emu, request, account, status_404=True)
    q = request.query_params
    items = emu.store.list("articles", account["id"], portal["id"])
    cats = {c["id"]: c for c in emu.store.list("categories", account["id"], portal["id"])}
    if q.get("locale"):
        items = [a for a in items if a.get("locale") == q["locale"]]
    if q.get("category_slug"):
        items = [a for a in items if (cats.get(a.get("category_id")) or {}).get("slug") == q["category_slug"]]
    listed = [a for a in items if a.get("status") == q["status"]] if q.get("status") else items
    listed.sort(key=lambda a: (a.get("updated_at") or 0, a["id"]), reverse=True)
    try:
        page = max(1, int(q.get("page") or 1))
    except ValueError:
        page = 1
    chunk = listed[(page - 1) * PER_PAGE: page * PER_PAGE]
    meta = {
        "all_articles_count": len(items),
        "archived_articles_count": sum(1 for a in items if a.get("status") == "archived"),
        "articles_count": len(listed),
        "current_page": q["page"] if "page" in q else 1,
        "draft_articles_count": sum(1 for a in items if a.get("status") == "draft"),
        "mine_articles_count": sum(1 for a in items if a.get("author_id") == user["id"]),
        "published_count": sum(1 for a in items if a.get("status") == "published"),
    }
    return ok({"payload": [render_article(emu, a, cats) for a in chunk], "meta": meta})


async def articles_show(request: Request):
    emu: Emulator = request.app.state.emu
    _, account, _, _ = emu.account_auth(request)
    portal = _get_portal(emu, request, account, status_404=True)
    return ok({"payload": render_article(emu, _get(emu, request, account, portal))})


async def articles_create(request: Request):
    emu: Emulator = request.app.state.emu
    _, account, _, _ = emu.account_auth(request, write=True)
    portal = _get_portal(emu, request, account, status_404=True)
    params, is_json = await read_body(request)
    attrs = permit(root_param(params, is_json, "article", ARTICLE_ATTRS), ARTICLE_ATTRS)
    doc = {k: None for k in ARTICLE_ATTRS}
    doc.update(status="draft", locale=portal["config"].get("default_locale") or "en", meta={},
               portal_id=portal["id"], account_id=account["id"])
    doc.update({k: v for k, v in attrs.items() if v is not None or k not in ("status", "locale", "meta")})
    now = time.time()
    doc["updated_at"] = now
    if not doc.get("slug"):
        title = re.sub(r"[^a-z0-9]+", "-", str(doc.get("title") or "").lower()).strip("-")
        doc["slug"] = f"{int(now)}-{title}"
    _follow_category(emu, portal, doc)
    if doc.get("position") is None:
        same = [a.get("position") or 0 for a in emu.store.list("articles", account["id"], portal["id"])
                if a.get("category_id") == doc.get("category_id")]
        doc["position"] = (max(same) + 10) if same else 10
    _validate(emu, doc)
    doc = emu.store.insert("articles", doc, account_id=account["id"], parent_id=portal["id"])
    return ok({"payload": render_article(emu, doc)})


async def articles_update(request: Request):
    emu: Emulator = request.app.state.emu
    _, account, _, _ = emu.account_auth(request, write=True)
    portal = _get_portal(emu, request, account, status_404=True)
    doc = _get(emu, request, account, portal)
    params, is_json = await read_body(request)
    doc.update(permit(root_param(params, is_json, "article", ARTICLE_ATTRS), ARTICLE_ATTRS))
    doc["updated_at"] = time.time()
    _follow_category(emu, portal, doc)
    _validate(emu, doc)
    emu.store.put("articles", doc)
    return ok({"payload": render_article(emu, doc)})


async def articles_delete(request: Request):
    emu: Emulator = request.app.state.emu
    _, account, _, _ = emu.account_auth(request, write=True)
    portal = _get_portal(emu, request, account, status_404=True)
    emu.store.delete("articles", _get(emu, request, account, portal)["id"])
    return ok()


A = "/api/v1/accounts/{account_id}/portals/{slug}/articles"
RW = ["PATCH", "PUT"]

ROUTES = [
    Route(A, articles_index, methods=["GET"]),
    Route(A, articles_create, methods=["POST"]),
    Route(f"{A}/{{item_id}}", articles_show, methods=["GET"]),
    Route(f"{A}/{{item_id}}", articles_update, methods=RW),
    Route(f"{A}/{{item_id}}", articles_delete, methods=["DELETE"]),
]
