"""``portal.articles: authoritative``: Git is the only author of a portal's articles and categories.

One resource per portal in authoritative mode (none in additive mode, the default). Its inputs are
the article slugs and category keys (``locale/slug``) the files claim. On create and update it reads
the portal's article index (every page) and category list and deletes what no file claims —
articles written in the Chatwoot UI, articles whose file was removed, categories no longer declared.
``pulumi preview --refresh`` shows such articles as ``unclaimed_articles`` (drift); ``pulumi up
--refresh`` deletes them.

Removing the provider (or switching back to additive) deletes this resource, which deletes nothing:
offboarding decides what happens to the portal (``delete`` removes its content with it).
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import Resource

from ..chatwoot import ChatwootClient
from ..chatwoot.errors import NotFound
from . import article, category
from .base import KindProvider, ObjectKind, lists, say


def desired(spec, portal_id=None) -> dict[str, Any]:
    return {
        "provider_slug": spec.slug,
        "portal_slug": spec.portal.slug,
        "portal_id": portal_id,
        "articles": sorted(a.slug for a in spec.articles),
        "categories": sorted(f"{c.locale}/{c.slug}" for c in spec.portal.categories),
        "unclaimed_articles": [],
        "unclaimed_categories": [],
    }


def unclaimed(c: ChatwootClient, inputs: dict, fresh: bool) -> tuple[list[dict], list[dict]]:
    portal = inputs["portal_slug"]
    claimed_a = set(inputs.get("articles") or [])
    claimed_c = set(inputs.get("categories") or [])
    arts = [a for a in article.all_articles(c, portal, fresh) if a.get("slug") not in claimed_a]
    cats = [x for x in category.all_categories(c, portal, fresh) if f"{x.get('locale')}/{x.get('slug')}" not in claimed_c]
    return arts, cats


class KnowledgeBaseKind(ObjectKind):
    name = "knowledge base"
    compared = ("articles", "categories", "unclaimed_articles", "unclaimed_categories")
    local = ("provider_slug", "portal_slug")

    def normalise_inputs(self, inputs: dict) -> dict:
        return {k: sorted(inputs.get(k) or []) for k in self.compared}

    def normalise(self, live: dict) -> dict:
        return self.normalise_inputs(live)

    def prune(self, c: ChatwootClient, inputs: dict) -> dict:
        portal = inputs["portal_slug"]
        arts, cats = unclaimed(c, inputs, fresh=True)
        for a in arts:
            try:
                c.delete(f"/portals/{portal}/articles/{a['id']}")
            except NotFound:
                pass
            lists.drop(article.list_key(portal), a["id"])
            say(f"article '{a.get('slug')}' of portal '{portal}' deleted: no file claims it "
                "(portal.articles: authoritative)")
        for x in cats:
            try:
                c.delete(f"/portals/{portal}/categories/{x['id']}")
            except NotFound:
                pass
            lists.drop(category.list_key(portal), x["id"])
            say(f"category '{x.get('locale')}/{x.get('slug')}' of portal '{portal}' deleted: not declared "
                "(portal.articles: authoritative)")
        return {**inputs, "unclaimed_articles": [], "unclaimed_categories": []}

    def create(self, c: ChatwootClient, inputs: dict) -> tuple[str, dict]:
        return f"kb-{inputs['portal_slug']}", self.prune(c, inputs)

    def read(self, c: ChatwootClient, id_: str, props: dict) -> dict:
        arts, cats = unclaimed(c, props, fresh=False)
        return {**props, "unclaimed_articles": sorted(a.get("slug") for a in arts),
                "unclaimed_categories": sorted(f"{x.get('locale')}/{x.get('slug')}" for x in cats)}

    def update(self, c: ChatwootClient, id_: str, olds: dict, news: dict) -> dict:
        return self.prune(c, news)

    def delete(self, c: ChatwootClient, id_: str, props: dict) -> None:
        return None  # nothing to undo: content stays unless the portal itself is deleted


class KnowledgeBaseProvider(KindProvider):
    kind = KnowledgeBaseKind()


class KnowledgeBase(Resource, module="cwtenants", name="KnowledgeBase"):
    def __init__(self, name: str, inputs: dict, opts: pulumi.ResourceOptions | None = None):
        super().__init__(KnowledgeBaseProvider(), name, inputs, opts)
