"""Help Center content in ``cwtenants plan`` / ``cwtenants drift``: a portal's categories and articles.

Read-only, like the rest of the plan. Chatwoot lists categories and articles one portal at a time,
so the cost is per portal — and only for providers that declare content (``knowledge_base.wanted``):

- a portal that does not exist yet: everything "would be created", no request;
- otherwise one ``GET /portals/<slug>/categories`` plus the article index, 25 articles per page (the
  portal list's per-locale counts are not trusted to skip this: how Chatwoot counts there, e.g.
  articles without a category, is not recorded).
  The index pages carry each article's whole content, so articles are compared without any
  per-article request: the live article's content hash (the one the Knowledge Base resource keeps
  in the state) against the file's; only a differing article is compared field by field.

An article or category in Chatwoot that no file claims is ``unclaimed`` (kept, not drift) with
``portal.articles: additive`` and ``delete`` (drift: ``pulumi up`` deletes it) with ``authoritative``.
"""

from __future__ import annotations

import difflib
from functools import partial
from typing import Any

from .catalog import ProviderSpec
from .chatwoot import ChatwootClient
from .plan import DELETE, IN_SYNC, UNCLAIMED, ObjectPlan, compare
from .resources import article, category
from .resources import knowledge_base as kb

CATEGORY, ARTICLE = category.CategoryKind(), article.ArticleKind()


def read_live(c: ChatwootClient, portal_slug: str) -> tuple[list[dict], list[dict]]:
    """(categories, articles) of one portal: one category list, the article index page by page."""
    return category.read_categories(c, portal_slug), article.read_index(c, portal_slug)


def _category_plans(want: dict, live: list[dict], mode: str) -> list[ObjectPlan]:
    by_key = {f"{x.get('locale')}/{x.get('slug')}": x for x in live}
    out = [compare("category", key, by_key.get(key), CATEGORY.normalise_inputs(cat),
                   partial(CATEGORY._live_view, props=cat)) for key, cat in want.items()]
    out += [_unclaimed("category", key, x, mode) for key, x in sorted(by_key.items()) if key not in want]
    return out


def _article_plans(want: dict, live: list[dict], mode: str) -> list[ObjectPlan]:
    out = []
    by_slug = {a.get("slug"): a for a in live}
    for slug, art in want.items():
        found, view = by_slug.get(slug), partial(ARTICLE._live_view, props=art)
        if found is not None and article.content_hash(view(found)) == art.get("content_hash"):
            out.append(ObjectPlan("article", slug, IN_SYNC))  # the hash covers every compared field
        else:
            out.append(compare("article", slug, found, ARTICLE.normalise_inputs(art), view))
    out += [_unclaimed("article", slug, a, mode) for slug, a in sorted(by_slug.items(), key=lambda kv: str(kv[0]))
            if slug not in want]
    return out


def _unclaimed(kind: str, key: str, live: dict, mode: str) -> ObjectPlan:
    if mode == "authoritative":
        return ObjectPlan(kind, key, DELETE, note=f"id {live.get('id')}, no file claims it; "
                                                  "portal.articles: authoritative deletes it")
    return ObjectPlan(kind, key, UNCLAIMED, note=f"id {live.get('id')}, written in Chatwoot, no file claims it; "
                                                 "kept (portal.articles: additive)")


def plan_content(c: ChatwootClient, spec: ProviderSpec, live_portal: dict | None) -> list[ObjectPlan]:
    """The provider's categories and articles against its live portal (None: the portal is to be created)."""
    if not kb.wanted(spec):
        return []
    want = kb.desired(spec)
    if live_portal is None:
        cats, arts = [], []
    else:
        cats, arts = read_live(c, live_portal.get("slug") or spec.portal.slug)
    return (_category_plans(want["categories"], cats, want["mode"])
            + _article_plans(want["articles"], arts, want["mode"]))


def body_diff(live: Any, desired: Any, limit: int = 12) -> list[str]:
    """A short summary of a changed article body: ``+a -b lines`` then the changed lines themselves."""
    old = (live or "").splitlines()
    new = (desired or "").splitlines()
    lines = [ln for ln in difflib.unified_diff(old, new, lineterm="", n=0)
             if not ln.startswith(("---", "+++", "@@"))]
    added = sum(1 for ln in lines if ln.startswith("+"))
    removed = sum(1 for ln in lines if ln.startswith("-"))
    out = [f"content: +{added} -{removed} line{'' if added + removed == 1 else 's'} (live -> catalog)"]
    shown = [f"  {ln[0]} {ln[1:]}" for ln in lines[:limit]]
    if len(lines) > limit:
        shown.append(f"  … {len(lines) - limit} more changed line(s)")
    return out + shown
