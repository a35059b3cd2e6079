"""A Help Center article of the provider's portal (docs/chatwoot-behaviour.md, "Help Center content").

The object logic only: the Pulumi resource is the portal's Knowledge Base (knowledge_base.py).

Natural key: the slug — unique on the whole Chatwoot installation (a repeat is a 500 from the
database, not a 422). An existing article of the portal with that slug is adopted (and updated to
match its file). Pulumi id: the numeric article id.

- ``author_id`` is required by Chatwoot. We use the user who owns the API token (``GET /profile``,
  read once per provider process and only when an article is written): articles written from Git are
  authored by the automation's user. The author is not compared afterwards.
- ``content_hash`` (sha256 of every compared field) is what the Knowledge Base compares: an unchanged
  article costs no request at all on a preview or an up; the article index is only read on
  ``--refresh`` and when an article is created (adoption), one paginated listing per portal.
"""

from __future__ import annotations

import hashlib
import json
import threading
from typing import Any

from ..chatwoot import ChatwootClient
from ..chatwoot.errors import NotFound, ServerError
from .base import Gone, ObjectKind, created_empty, find_or_create, integer, lists, say, vanished

PER_PAGE = 25
HASHED = ("slug", "title", "content", "description", "status", "position", "tags", "category", "locale")


def list_key(portal_slug: str) -> str:
    return f"articles:{portal_slug}"


def read_index(c: ChatwootClient, portal_slug: str) -> list[dict]:
    """Every article of a portal: the index is paginated 25 per page; read until a short page.
    The first page is asked for without ``?page=`` (page 1 is the default; the request the real-server
    recording in the cassette tests made)."""
    items: list[dict] = []
    page = 1
    while True:
        answer = c.get(f"/portals/{portal_slug}/articles", params={"page": page} if page > 1 else None) or {}
        chunk = answer.get("payload") or []
        items += chunk
        total = (answer.get("meta") or {}).get("articles_count")
        if len(chunk) < PER_PAGE or (isinstance(total, int) and len(items) >= total):
            break
        page += 1
    seen, unique = set(), []
    for a in items:  # an article updated while paging may show up twice
        if a.get("id") not in seen:
            seen.add(a.get("id"))
            unique.append(a)
    return unique


def all_articles(c: ChatwootClient, portal_slug: str, fresh: bool = False) -> list[dict]:
    if ("portal", portal_slug) in created_empty and not fresh:
        return lists.get(list_key(portal_slug), lambda: [])
    return lists.get(list_key(portal_slug), lambda: read_index(c, portal_slug), fresh=fresh)


_author_lock = threading.Lock()
_author: dict[str, int] = {}


def author_id(c: ChatwootClient) -> int:
    """The id of the user owning the API token (GET /api/v1/profile), once per process."""
    with _author_lock:
        key = c.settings.url
        if key not in _author:
            profile = c.request("GET", "/api/v1/profile", token=c.settings.api_token) or {}
            if not profile.get("id"):
                raise RuntimeError("GET /api/v1/profile did not return the token owner's id (needed as the "
                                   "author of Help Center articles)")
            _author[key] = int(profile["id"])
        return _author[key]


def content_hash(inputs: dict) -> str:
    norm = normalise_fields(inputs)
    return hashlib.sha256(json.dumps({k: norm.get(k) for k in HASHED}, sort_keys=True,
                                     ensure_ascii=False).encode()).hexdigest()


def normalise_fields(src: dict) -> dict:
    return {
        "slug": src.get("slug"),
        "title": src.get("title"),
        "content": src.get("content") or "",
        "description": src.get("description") or None,
        "status": src.get("status") or "draft",
        "position": integer(src.get("position")),
        "tags": list(src.get("tags") or []),
        "category": src.get("category") or None,
        "locale": src.get("locale"),
    }


def desired(spec, art, category_id=None) -> dict[str, Any]:
    """ProviderSpec + ArticleSpec → resource inputs (``category_id``: the Category's output)."""
    inputs = {
        "provider_slug": spec.slug,
        "portal_slug": spec.portal.slug,
        "locale": art.locale,
        "slug": art.slug,
        "title": art.title,
        "content": art.content,
        "description": art.description,
        "status": art.status,
        "position": art.position,
        "tags": list(art.tags),
        "category": art.category,
    }
    inputs["content_hash"] = content_hash(inputs)
    inputs["category_id"] = category_id
    return inputs


def body(inputs: dict, author: int | None = None) -> dict:
    out = {
        "title": inputs["title"],
        "slug": inputs["slug"],
        "content": inputs["content"],
        "description": inputs.get("description") or "",
        "status": inputs.get("status") or "draft",
        "locale": inputs["locale"],
        "category_id": inputs.get("category_id"),
        "meta": {"tags": list(inputs.get("tags") or [])},
    }
    if inputs.get("position") is not None:
        out["position"] = integer(inputs["position"])
    if author is not None:
        out["author_id"] = author
    return {"article": out}


class ArticleKind(ObjectKind):
    name = "article"
    compared = HASHED
    local = ("provider_slug", "portal_slug", "category_id")

    def normalise_inputs(self, inputs: dict) -> dict:
        return normalise_fields(inputs)

    def normalise(self, live: dict) -> dict:
        cat = live.get("category") or {}
        return normalise_fields({
            **live,
            "tags": (live.get("meta") or {}).get("tags") or [],
            "category": cat.get("slug"),
            "locale": cat.get("locale") or live.get("locale"),
        })

    def server_outputs(self, live: dict) -> dict:
        return {"article_id": live["id"]}

    def find(self, c: ChatwootClient, portal_slug: str, slug: str, fresh: bool = False) -> dict | None:
        return next((a for a in all_articles(c, portal_slug, fresh) if a.get("slug") == slug), None)

    def _live_view(self, live: dict, props: dict) -> dict:
        """The live article as state: undeclared position and an uncategorised article's locale
        (the JSON has no locale key) are taken from the inputs."""
        state = self.normalise(live)
        if props.get("position") is None:
            state["position"] = None
        if not state["category"]:
            state["locale"] = props.get("locale")
        return state

    def create(self, c: ChatwootClient, inputs: dict) -> tuple[str, dict]:
        portal = inputs["portal_slug"]
        try:
            live, adopted = find_or_create(
                lambda fresh: self.find(c, portal, inputs["slug"], fresh),
                lambda: c.post(f"/portals/{portal}/articles", body(inputs, author_id(c)))["payload"],
                taken=lambda exc: isinstance(exc, ServerError),  # duplicate slug: a 500 from the database
            )
        except ServerError:
            raise RuntimeError(
                f"article '{inputs['slug']}' (provider {inputs.get('provider_slug')}) could not be created in portal '{portal}': "
                "Chatwoot answered 500, which it does when the slug is already used by an article of another "
                "portal or account (article slugs are unique on the whole installation); rename the file"
            ) from None
        if adopted:
            say(f"article '{inputs['slug']}' of portal '{portal}' (id {live['id']}) already exists: adopting it")
        lists.upsert(list_key(portal), live)
        if self._live_view(live, inputs) != self.normalise_inputs(inputs) or \
                (live.get("category") or {}).get("id") != inputs.get("category_id"):
            live = c.patch(f"/portals/{portal}/articles/{live['id']}", body(inputs))["payload"]
            lists.upsert(list_key(portal), live)
        return str(live["id"]), live

    def read(self, c: ChatwootClient, id_: str, props: dict) -> dict:
        portal = props.get("portal_slug")
        for fresh in (False, True):
            for a in all_articles(c, portal, fresh):
                if str(a.get("id")) == id_:
                    return a
        raise Gone()

    def update(self, c: ChatwootClient, id_: str, olds: dict, news: dict) -> dict:
        portal = news["portal_slug"]
        try:
            live = c.patch(f"/portals/{portal}/articles/{id_}", body(news))["payload"]
        except NotFound:
            raise vanished(f"article '{news['slug']}' of portal '{portal}'") from None
        lists.upsert(list_key(portal), live)
        return live

    def delete(self, c: ChatwootClient, id_: str, props: dict) -> None:
        say(f"article '{props.get('slug')}' of portal '{props.get('portal_slug')}' kept in Chatwoot")
