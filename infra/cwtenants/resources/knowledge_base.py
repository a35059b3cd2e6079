"""The Knowledge Base of one portal: its categories and articles as **one** Pulumi resource.

The Chatwoot objects are handled by their own modules — ``category.py`` and ``article.py`` (desired →
API body, API → normalised state, find / create / update) — and this resource only decides which of
them to call. One resource per portal, not one per article: Pulumi's cost per resource dominates a
no-op preview, and five articles per provider as five resources doubled it (docs/benchmarks.md,
"Knowledge Base").

Inputs: ``categories`` ``{"<locale>/<slug>": {...}}`` and ``articles`` ``{"<slug>": {..., "content_hash"}}``.
``pulumi preview --diff`` shows only the entries that changed, and an article's ``content`` as a
line diff. ``diff`` compares categories field by field and articles by ``content_hash`` — a no-op
run makes no request at all. ``update`` writes only what changed: a new entry is created (or adopted
by its natural key), a changed one is PATCHed.

Nothing is deleted when an entry disappears from the files (its object stays in Chatwoot), except
with ``portal.articles: authoritative``: then every create and update also deletes the articles and
categories no file claims — written in the UI, or whose file was removed — and ``preview --refresh``
lists them as ``unclaimed_articles`` / ``unclaimed_categories``. Removing the provider deletes this
resource, which deletes nothing: offboarding decides about the portal (``delete`` removes its content
with it).
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import (
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)

from ..chatwoot import ChatwootClient
from ..chatwoot.errors import NotFound
from . import article, category
from .base import client, lists, remember_config, say

CATEGORY_FIELDS = ("locale", "slug", "name", "description", "position", "icon")
ARTICLE_FIELDS = ("locale", "slug", "title", "content", "description", "status", "position", "tags", "category",
                  "content_hash")


def desired(spec) -> dict[str, Any]:
    cats = {}
    for c in spec.portal.categories:
        d = category.desired(spec, c)
        cats[f"{c.locale}/{c.slug}"] = {k: d[k] for k in CATEGORY_FIELDS}
    arts = {}
    for a in spec.articles:
        d = article.desired(spec, a)
        arts[a.slug] = {k: d[k] for k in ARTICLE_FIELDS}
    return {
        "provider_slug": spec.slug,
        "portal_slug": spec.portal.slug,
        "mode": spec.portal.articles,
        "categories": cats,
        "articles": arts,
        "unclaimed_articles": [],
        "unclaimed_categories": [],
    }


def wanted(spec) -> bool:
    """Does this provider need a Knowledge Base resource?"""
    return bool(spec.portal.categories or spec.articles or spec.portal.articles == "authoritative")


def _cat_inputs(inputs: dict, cat: dict) -> dict:
    return {**cat, "provider_slug": inputs.get("provider_slug"), "portal_slug": inputs["portal_slug"]}


def _art_inputs(inputs: dict, art: dict, category_ids: dict) -> dict:
    cid = category_ids.get(f"{art['locale']}/{art['category']}") if art.get("category") else None
    return {**art, "provider_slug": inputs.get("provider_slug"), "portal_slug": inputs["portal_slug"],
            "category_id": cid}


def changed(olds: dict, news: dict) -> tuple[list[str], list[str]]:
    """(category keys, article slugs) that are new or differ; removed ones are not listed."""
    ck = category.CategoryKind()
    oc, nc = olds.get("categories") or {}, news.get("categories") or {}
    cats = [k for k, v in nc.items() if k not in oc or ck.normalise_inputs(oc[k]) != ck.normalise_inputs(v)]
    oa, na = olds.get("articles") or {}, news.get("articles") or {}
    arts = [s for s, v in na.items() if s not in oa or oa[s].get("content_hash") != v.get("content_hash")]
    # an article follows its category: if that category is new (a new id), the article changes too
    arts += [s for s, v in na.items() if s not in arts and v.get("category")
             and f"{v['locale']}/{v['category']}" in cats and f"{v['locale']}/{v['category']}" not in oc]
    return cats, arts


def unclaimed(c: ChatwootClient, inputs: dict, fresh: bool) -> tuple[list[dict], list[dict]]:
    portal = inputs["portal_slug"]
    claimed_a = set(inputs.get("articles") or {})
    claimed_c = set(inputs.get("categories") or {})
    arts = [a for a in article.all_articles(c, portal, fresh) if a.get("slug") not in claimed_a]
    cats = [x for x in category.all_categories(c, portal, fresh)
            if f"{x.get('locale')}/{x.get('slug')}" not in claimed_c]
    return arts, cats


def prune(c: ChatwootClient, inputs: dict) -> None:
    """Authoritative mode: delete the articles and categories no file claims."""
    portal = inputs["portal_slug"]
    arts, cats = unclaimed(c, inputs, fresh=True)
    for a in arts:
        try:
            c.delete(f"/portals/{portal}/articles/{a['id']}")
        except NotFound:
            pass
        lists.drop(article.list_key(portal), a["id"])
        say(f"article '{a.get('slug')}' of portal '{portal}' deleted: no file claims it (portal.articles: authoritative)")
    for x in cats:
        try:
            c.delete(f"/portals/{portal}/categories/{x['id']}")
        except NotFound:
            pass
        lists.drop(category.list_key(portal), x["id"])
        say(f"category '{x.get('locale')}/{x.get('slug')}' of portal '{portal}' deleted: not declared "
            "(portal.articles: authoritative)")


def apply(c: ChatwootClient, inputs: dict, olds: dict | None) -> dict:
    """Create or update what is new or changed (everything when ``olds`` is None); return the outputs."""
    olds = olds or {}
    cat_keys, art_slugs = changed(olds, inputs)
    # ids come back from the state as floats (Pulumi numbers): keep them as ints
    cat_ids = {k: int(v) for k, v in (olds.get("category_ids") or {}).items() if k in (inputs.get("categories") or {})}
    art_ids = {k: int(v) for k, v in (olds.get("article_ids") or {}).items() if k in (inputs.get("articles") or {})}
    moved = olds.get("portal_slug") not in (None, inputs["portal_slug"])
    ck, ak = category.CategoryKind(), article.ArticleKind()
    for key in (list(inputs["categories"]) if moved else cat_keys):
        cat = _cat_inputs(inputs, inputs["categories"][key])
        if key in cat_ids:
            try:
                cat_ids[key] = int(ck.update(c, str(cat_ids[key]), {}, cat)["id"])
                continue
            except RuntimeError:  # deleted behind our back: create (or adopt) it again
                pass
        cat_ids[key] = int(ck.create(c, cat)[0])
    for slug in (list(inputs["articles"]) if moved else art_slugs):
        art = _art_inputs(inputs, inputs["articles"][slug], cat_ids)
        if slug in art_ids:
            try:
                art_ids[slug] = int(ak.update(c, str(art_ids[slug]), {}, art)["id"])
                continue
            except RuntimeError:
                pass
        art_ids[slug] = int(ak.create(c, art)[0])
    if inputs.get("mode") == "authoritative":
        prune(c, inputs)
    return {**inputs, "unclaimed_articles": [], "unclaimed_categories": [],
            "category_ids": cat_ids, "article_ids": art_ids}


def live_state(c: ChatwootClient, props: dict) -> dict:
    """The portal's content as it is in Chatwoot, in the shape of the inputs (for refresh)."""
    portal = props["portal_slug"]
    ck, ak = category.CategoryKind(), article.ArticleKind()
    want_c, want_a = props.get("categories") or {}, props.get("articles") or {}
    cats, cat_ids = {}, {}
    for x in category.all_categories(c, portal):
        key = f"{x.get('locale')}/{x.get('slug')}"
        if key in want_c:
            live = ck._live_view(x, want_c[key])
            cats[key] = {k: live.get(k) for k in CATEGORY_FIELDS}
            cat_ids[key] = x["id"]
    arts, art_ids = {}, {}
    for a in article.all_articles(c, portal):
        if a.get("slug") in want_a:
            view = ak._live_view(a, want_a[a["slug"]])
            view["content_hash"] = article.content_hash(view)
            arts[a["slug"]] = {k: view.get(k) for k in ARTICLE_FIELDS}
            art_ids[a["slug"]] = a["id"]
    state = {**props, "categories": cats, "articles": arts, "category_ids": cat_ids, "article_ids": art_ids,
             "unclaimed_articles": [], "unclaimed_categories": []}
    if props.get("mode") == "authoritative":
        ua, uc = unclaimed(c, props, fresh=False)
        state["unclaimed_articles"] = sorted(a.get("slug") for a in ua)
        state["unclaimed_categories"] = sorted(f"{x.get('locale')}/{x.get('slug')}" for x in uc)
    return state


class KnowledgeBaseProvider(ResourceProvider):
    """Stateless: everything it needs is in the inputs and outputs."""

    serialize_as_secret_always = False

    def configure(self, req: ConfigureRequest) -> None:
        remember_config(req)

    def diff(self, _id: str, olds: dict, news: dict) -> DiffResult:
        cats, arts = changed(olds, news)
        removed = set(olds.get("categories") or {}) - set(news.get("categories") or {}) or \
            set(olds.get("articles") or {}) - set(news.get("articles") or {})
        other = [k for k in ("portal_slug", "mode", "unclaimed_articles", "unclaimed_categories")
                 if (olds.get(k) or None) != (news.get(k) or None)]
        return DiffResult(changes=bool(cats or arts or removed or other), replaces=[], delete_before_replace=False)

    def create(self, props: dict) -> CreateResult:
        inputs = {k: v for k, v in props.items() if not k.startswith("__")}
        return CreateResult(f"kb-{inputs['portal_slug']}", apply(client(), inputs, None))

    def read(self, id_: str, props: dict) -> ReadResult:
        state = live_state(client(), props)
        inputs = {k: state[k] for k in props if k in state and k not in ("category_ids", "article_ids")}
        return ReadResult(id_, state, inputs)

    def update(self, _id: str, olds: dict, news: dict) -> UpdateResult:
        inputs = {k: v for k, v in news.items() if not k.startswith("__")}
        return UpdateResult(apply(client(), inputs, olds))

    def delete(self, _id: str, props: dict) -> None:
        return None  # content stays with the portal; offboarding decides about the portal


class KnowledgeBase(Resource, module="cwtenants", name="KnowledgeBase"):
    article_ids: pulumi.Output[dict]

    def __init__(self, name: str, inputs: dict, opts: pulumi.ResourceOptions | None = None):
        super().__init__(KnowledgeBaseProvider(), name,
                         {"category_ids": None, "article_ids": None, **inputs}, opts)
