"""A Help Center category of the provider's portal (docs/chatwoot-behaviour.md, "Help Center content").

Natural key: (slug, locale) within the portal — Chatwoot refuses a second category with the same
slug and locale (422 on ``locale``). An existing category with that key is adopted.
Answers are wrapped in ``{"payload": ...}``. The object logic only: the Pulumi resource is the
portal's Knowledge Base (knowledge_base.py), which keeps the category ids.
"""

from __future__ import annotations

from typing import Any

from ..chatwoot import ChatwootClient
from ..chatwoot.errors import NotFound, Unprocessable
from .base import Gone, ObjectKind, created_empty, find_or_create, integer, lists, say, text_or_none, vanished


def list_key(portal_slug: str) -> str:
    return f"categories:{portal_slug}"


def read_categories(c: ChatwootClient, portal_slug: str) -> list[dict]:
    """Every category of a portal (one GET; Chatwoot pages categories by 1000), not cached."""
    return (c.get(f"/portals/{portal_slug}/categories") or {}).get("payload") or []


def all_categories(c: ChatwootClient, portal_slug: str, fresh: bool = False) -> list[dict]:
    """``read_categories`` through the process's list cache."""
    if ("portal", portal_slug) in created_empty and not fresh:
        return lists.get(list_key(portal_slug), lambda: [])
    return lists.get(list_key(portal_slug), lambda: read_categories(c, portal_slug), fresh=fresh)


def desired(spec, cat) -> dict[str, Any]:
    """ProviderSpec + CategorySpec → resource inputs."""
    return {
        "provider_slug": spec.slug,
        "portal_slug": spec.portal.slug,
        "locale": cat.locale,
        "slug": cat.slug,
        "name": cat.name,
        "description": cat.description,
        "position": cat.position,
        "icon": cat.icon,
    }


def body(inputs: dict, create: bool = False) -> dict:
    """The request body. An update always sends ``description`` and ``icon`` ("" clears them); a create
    leaves out the empty ones (Chatwoot's defaults are the same: description null, icon "")."""
    out = {
        "name": inputs["name"],
        "slug": inputs["slug"],
        "locale": inputs["locale"],
        "description": inputs.get("description") or "",
        "icon": inputs.get("icon") or "",
    }
    if create:
        out = {k: v for k, v in out.items() if v != ""}
    if inputs.get("position") is not None:
        out["position"] = integer(inputs["position"])
    return {"category": out}


class CategoryKind(ObjectKind):
    name = "category"
    compared = ("slug", "locale", "name", "description", "position", "icon")
    local = ("provider_slug", "portal_slug")

    def normalise_inputs(self, inputs: dict) -> dict:
        return {
            "slug": inputs.get("slug"),
            "locale": inputs.get("locale"),
            "name": inputs.get("name"),
            "description": text_or_none(inputs.get("description")),
            "position": integer(inputs.get("position")),
            "icon": text_or_none(inputs.get("icon")),
        }

    def normalise(self, live: dict) -> dict:
        return self.normalise_inputs(live)

    def server_outputs(self, live: dict) -> dict:
        return {"category_id": live["id"]}

    def find(self, c: ChatwootClient, portal_slug: str, slug: str, locale: str, fresh: bool = False) -> dict | None:
        return next((x for x in all_categories(c, portal_slug, fresh)
                     if x.get("slug") == slug and x.get("locale") == locale), None)

    def _live_view(self, live: dict, props: dict) -> dict:
        """The live category as state: an undeclared position is Chatwoot's own (not compared)."""
        state = self.normalise(live)
        if props.get("position") is None:
            state["position"] = None
        return state

    def _same(self, live: dict, inputs: dict) -> bool:
        return self._live_view(live, inputs) == self.normalise_inputs(inputs)

    def create(self, c: ChatwootClient, inputs: dict) -> tuple[str, dict]:
        portal = inputs["portal_slug"]
        live, adopted = find_or_create(
            lambda fresh: self.find(c, portal, inputs["slug"], inputs["locale"], fresh),
            lambda: (c.post(f"/portals/{portal}/categories", body(inputs, create=True)) or {})["payload"],
            taken=lambda exc: isinstance(exc, Unprocessable),  # a concurrent run made it
        )
        if adopted:
            say(f"category '{inputs['locale']}/{inputs['slug']}' of portal '{portal}' (id {live['id']}) "
                "already exists: adopting it")
        lists.upsert(list_key(portal), live)
        if not self._same(live, inputs):
            live = c.patch(f"/portals/{portal}/categories/{live['id']}", body(inputs))["payload"]
            lists.upsert(list_key(portal), live)
        return str(live["id"]), live

    def read(self, c: ChatwootClient, id_: str, props: dict) -> dict:
        portal = props.get("portal_slug")
        for fresh in (False, True):
            for x in all_categories(c, portal, fresh):
                if str(x.get("id")) == id_:
                    live = dict(x)
                    if props.get("position") is None:
                        live["position"] = None
                    return live
        raise Gone()

    def update(self, c: ChatwootClient, id_: str, olds: dict, news: dict) -> dict:
        portal = news["portal_slug"]
        try:
            live = c.patch(f"/portals/{portal}/categories/{id_}", body(news))["payload"]
        except NotFound:
            raise vanished(f"category '{news['locale']}/{news['slug']}' of portal '{portal}'") from None
        lists.upsert(list_key(portal), live)
        return live

    def delete(self, c: ChatwootClient, id_: str, props: dict) -> None:
        # Only reached if a state was written without retain_on_delete: still never delete content.
        say(f"category '{props.get('locale')}/{props.get('slug')}' of portal '{props.get('portal_slug')}' "
            "kept in Chatwoot")
