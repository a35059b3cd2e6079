"""The public Help Center pages of a portal (no authentication), as far as the tool needs them.

``GET /hc/:portal_slug`` answers the portal's home page for a portal of ANY account on the
installation (a 404 page for unknown and archived portals): `cwtenants onboard` uses it to see,
read-only, whether a portal slug is taken by another account.

``GET /hc/:portal_slug/:locale/articles/:article_slug`` (and ``/hc/:portal_slug/articles/:article_slug``)
answers an HTML page with the article's title and its Markdown rendered to HTML. Only published
articles of a portal that is not archived are served; anything else is a 404 page. The locale in the
path must be the article's.
"""

from __future__ import annotations

import html

from markdown_it import MarkdownIt
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from ..core import Emulator

_md = MarkdownIt("commonmark", {"html": False})  # raw HTML in articles is escaped, not passed through

NOT_FOUND = "<!DOCTYPE html><html><body><h1>404 Not Found</h1></body></html>"


def page(portal: dict, article: dict) -> str:
    title = html.escape(article.get("title") or "")
    return (f"<!DOCTYPE html><html lang=\"{html.escape(article.get('locale') or '')}\"><head>"
            f"<meta charset=\"utf-8\"><title>{title} | {html.escape(portal.get('name') or '')}</title></head>"
            f"<body><article><h1>{title}</h1>\n{_md.render(article.get('content') or '')}</article></body></html>")


async def article_page(request: Request):
    emu: Emulator = request.app.state.emu
    p = request.path_params
    portal = emu.store.find_by("portals", "slug", p["portal_slug"])
    if portal is None or portal.get("archived"):
        return HTMLResponse(NOT_FOUND, status_code=404)
    article = next((a for a in emu.store.list("articles", parent_id=portal["id"])
                    if a.get("slug") == p["article_slug"]), None)
    if article is None or article.get("status") != "published" or \
            ("locale" in p and article.get("locale") != p["locale"]):
        return HTMLResponse(NOT_FOUND, status_code=404)
    return HTMLResponse(page(portal, article))


async def home_page(request: Request):
    emu: Emulator = request.app.state.emu
    portal = emu.store.find_by("portals", "slug", request.path_params["portal_slug"])
    if portal is None or portal.get("archived"):
        return HTMLResponse(NOT_FOUND, status_code=404)
    title = html.escape(portal.get("page_title") or portal.get("name") or "")
    return HTMLResponse(f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>"
                        f"<body><h1>{title}</h1></body></html>")


ROUTES = [
    Route("/hc/{portal_slug}", home_page, methods=["GET"]),
    Route("/hc/{portal_slug}/{locale}/articles/{article_slug}", article_page, methods=["GET"]),
    Route("/hc/{portal_slug}/articles/{article_slug}", article_page, methods=["GET"]),
]
