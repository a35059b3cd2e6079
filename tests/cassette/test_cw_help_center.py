"""Help Center categories and articles: category.py, article.py and the KnowledgeBase provider.

``test_help_center_real_exchanges`` replays exchanges captured on a real Chatwoot 4.15.1 (converted
into a cassette by ``cassette_from_exchanges.py``; cassettes/PROVENANCE.json). It makes exactly the
captured requests in the captured order: the steps that our modules make the same way are made through
them (the token owner as author, two category POSTs, an article POST, the category list, the paginated article index, the
Knowledge Base's refresh on that real data); the others are made with the plain client and check how it
reports Chatwoot's answers (422 messages and attributes, the 500 on a duplicate slug, 404 after DELETE).
It uses the capture's own names (portal ``kb-capture-18``, article ``how-to-reach-support-18``); when
recording, the portal is deleted after the cassette is closed (the capture has no such request).

The other tests exercise writes the capture does not cover (create and adopt through the Knowledge Base,
update, authoritative pruning, the errors as the modules report them). Their cassettes were recorded
against the project's emulator (PROVENANCE.json says ``emulator``) and are to be replaced by recordings
from a real server.
"""

from __future__ import annotations

import pytest

import cw_cassette as cwc
from cwtenants.chatwoot.errors import NotFound, ServerError, Unprocessable
from cwtenants.resources import article, base, category
from cwtenants.resources.knowledge_base import KnowledgeBaseProvider


@pytest.fixture(autouse=True)
def _fresh_author(monkeypatch):
    monkeypatch.setattr(article, "_author", {})  # the token owner is looked up once per process


def _art(slug: str, title: str, content: str, **over) -> dict:
    a = {"locale": "en", "slug": slug, "title": title, "content": content, "description": None,
         "status": "published", "position": None, "tags": [], "category": None}
    a.update(over)
    a["content_hash"] = article.content_hash(a)
    return a


def _cat(locale: str, slug: str, name: str, **over) -> dict:
    c = {"locale": locale, "slug": slug, "name": name, "description": None, "position": None, "icon": None}
    c.update(over)
    return c


def _kb(portal: str, categories: dict, articles: dict, mode: str = "additive") -> dict:
    return {"provider_slug": portal, "portal_slug": portal, "mode": mode, "categories": categories,
            "articles": articles, "unclaimed_articles": [], "unclaimed_categories": [],
            "category_ids": None, "article_ids": None}


# ------------------------------------------------------------------------------------------------
# Real Chatwoot 4.15.1 (module calls: author_id, CategoryKind.create ×2, all_categories, ArticleKind.create,
# read_index, KnowledgeBaseProvider.read)

CAPTURE_PORTAL, CAPTURE_ARTICLE = "kb-capture-18", "how-to-reach-support-18"


def _remove_capture_portal() -> None:
    import os

    import httpx

    url, token = os.environ["CHATWOOT_URL"].rstrip("/"), os.environ["CHATWOOT_API_TOKEN"]
    httpx.delete(f"{url}/api/v1/accounts/{os.environ['CHATWOOT_ACCOUNT_ID']}/portals/{CAPTURE_PORTAL}",
                 headers={"api_access_token": token}, timeout=30)


@pytest.mark.vcr
def test_help_center_real_exchanges(cw, after_cassette):
    after_cassette(_remove_capture_portal)  # recording only
    portal = CAPTURE_PORTAL
    arts = f"/portals/{portal}/articles"
    cats = f"/portals/{portal}/categories"

    me = article.author_id(cw)  # GET /api/v1/profile: the author of articles written from Git
    assert me > 0
    cw.post("/portals", {"portal": {"name": "KB Capture", "slug": portal,
                                    "config": {"allowed_locales": ["en", "de"], "default_locale": "en"}}})
    base.created_empty.add(("portal", portal))  # as the Portal resource marks a portal it created
    # two categories as category.py creates them: exactly the captured POSTs, no PATCH after them
    ck = category.CategoryKind()
    en_id, en = ck.create(cw, {**_cat("en", "getting-started", "Getting started", description="First steps",
                                      position=1), "portal_slug": portal})
    ck.create(cw, {**_cat("de", "erste-schritte", "Erste Schritte", position=1), "portal_slug": portal})
    assert en["description"] == "First steps" and en["icon"] == ""

    # a second category with the same slug and locale; a locale the portal does not have
    with pytest.raises(Unprocessable) as dup:
        cw.post(cats, {"category": {"name": "Dup", "slug": "getting-started", "locale": "en"}})
    assert dup.value.message == "Locale should be unique in the category and portal"
    assert dup.value.attributes == ["locale"]
    with pytest.raises(Unprocessable) as bad:
        cw.post(cats, {"category": {"name": "Bad locale", "slug": "bad-locale", "locale": "fr"}})
    assert "Locale fr of category is not part of portal's" in bad.value.message

    # the category list, as category.py reads and normalises it
    live = category.all_categories(cw, portal, fresh=True)
    assert {(x["locale"], x["slug"]) for x in live} == {("en", "getting-started"), ("de", "erste-schritte")}
    found = ck.find(cw, portal, "getting-started", "en")  # from the list just read: no request
    assert ck._same(found, _cat("en", "getting-started", "Getting started", description="First steps", position=1))
    # an undeclared description (null) and icon ("") are the same as none declared
    assert ck._same(ck.find(cw, portal, "erste-schritte", "de"), _cat("de", "erste-schritte", "Erste Schritte"))

    # an article as article.py writes it: exactly the captured POST, and no PATCH after it (the answer matches)
    slug = CAPTURE_ARTICLE
    support = _art(slug, "How to reach support", "# Support\n\nWrite to us.", description="Contact",
                   tags=["support"], category="getting-started")
    art_id, created = article.ArticleKind().create(
        cw, {**support, "provider_slug": portal, "portal_slug": portal, "category_id": en["id"]})
    assert created["author"]["id"] == me and created["status"] == "published"

    with pytest.raises(Unprocessable) as no_author:
        cw.post(arts, {"article": {"title": "No author", "content": "x", "category_id": en["id"]}})
    assert no_author.value.message == "Author must exist, Author can't be blank"
    # a slug used before is a 500 (database constraint); a POST is never retried
    with pytest.raises(ServerError) as dup_slug:
        cw.post(arts, {"article": {"title": "Dup slug", "slug": slug, "content": "x", "author_id": me,
                                   "category_id": en["id"]}})
    assert dup_slug.value.status == 500 and dup_slug.value.attempts == 1

    for i in range(27):  # without a slug or status: Chatwoot makes the slug, the article is a draft
        made = cw.post(arts, {"article": {"title": f"Article {i:02d}", "content": f"Body {i}", "author_id": me,
                                          "category_id": en["id"], "locale": "en"}})["payload"]
        assert made["status"] == "draft" and made["slug"].endswith(f"article-{i:02d}")

    # the index, 25 per page: article.py reads page 1 (no ?page=) then page 2, and stops at the short page
    index = article.all_articles(cw, portal, fresh=True)
    assert len(index) == 28 and len({a["id"] for a in index}) == 28

    # the Knowledge Base's refresh on this real data (from the lists just read: no request)
    props = _kb(portal, {"en/getting-started": _cat("en", "getting-started", "Getting started",
                                                    description="First steps", position=1),
                         "de/erste-schritte": _cat("de", "erste-schritte", "Erste Schritte")},
                {slug: support}, mode="authoritative")
    state = KnowledgeBaseProvider().read(f"kb-{portal}", props).outs
    assert state["articles"] == {slug: support}  # same content hash: no drift on a real article
    assert state["categories"] == props["categories"]
    assert len(state["unclaimed_articles"]) == 27 and state["unclaimed_categories"] == []
    assert state["article_ids"] == {slug: int(art_id)}

    # reads and writes the modules do not make this way, through the plain client
    filtered = cw.get(arts, params={"locale": "en", "page": 1})
    assert len(filtered["payload"]) == 25 and filtered["meta"]["current_page"] == "1"  # a string when sent
    one = cw.get(f"{arts}/{art_id}")["payload"]
    assert one["slug"] == slug
    patched = cw.patch(f"{arts}/{art_id}", {"article": {"content": "# Support\n\nWrite to us, or call.",
                                                        "status": "draft"}})["payload"]
    assert patched["status"] == "draft" and patched["title"] == "How to reach support"  # a PATCH keeps the rest
    cat = cw.patch(f"{cats}/{en['id']}", {"category": {"description": "First steps, updated"}})["payload"]
    assert cat["description"] == "First steps, updated" and cat["name"] == "Getting started"
    assert cw.delete(f"{arts}/{art_id}") is None  # 200 with an empty body
    with pytest.raises(NotFound):
        cw.get(f"{arts}/{art_id}")
    assert cw.get(f"/portals/{portal}")["meta"]["all_articles_count"] == 27


# ------------------------------------------------------------------------------------------------
# Emulator (to be replaced by real recordings)


def _portal(cw, slug: str, locales=("en",)) -> None:
    cw.post("/portals", {"portal": {"name": f"Help {slug}", "slug": slug,
                                    "config": {"allowed_locales": list(locales), "default_locale": locales[0]}}})


@pytest.mark.vcr
def test_kb_create_adopt_update_prune(cw, capsys):
    portal = cwc.rec_name("test_kb_create_adopt_update_prune")
    _portal(cw, portal)
    # written in the UI before the provider declared them: a category and an article with the
    # declared keys (adopted and corrected), and an article no file claims (pruned: authoritative)
    by_hand = cw.post(f"/portals/{portal}/categories",
                      {"category": {"name": "start by hand", "slug": "start", "locale": "en"}})["payload"]
    me = article.author_id(cw)
    cw.post(f"/portals/{portal}/articles", {"article": {"title": "Old", "slug": f"{portal}-contact",
                                                        "content": "old text", "author_id": me}})
    cw.post(f"/portals/{portal}/articles", {"article": {"title": "Stray", "slug": f"{portal}-stray",
                                                        "content": "x", "author_id": me}})

    want = _kb(portal, {"en/start": _cat("en", "start", "Getting started"),
                        "en/billing": _cat("en", "billing", "Billing", description="Invoices", position=2)},
               {f"{portal}-contact": _art(f"{portal}-contact", "Contact us", "# Contact\n\nOpen the chat.\n",
                                          category="start", tags=["support"]),
                f"{portal}-invoices": _art(f"{portal}-invoices", "Invoices", "Sent monthly.\n", category="billing",
                                           status="draft")},
               mode="authoritative")
    p = KnowledgeBaseProvider()
    created = p.create(want)
    out = capsys.readouterr().out
    assert "category 'en/start'" in out and f"article '{portal}-contact'" in out and "adopting it" in out
    assert f"article '{portal}-stray' of portal '{portal}' deleted" in out
    assert created.outs["category_ids"]["en/start"] == by_hand["id"]

    base.lists.clear()
    read = p.read(created.id, created.outs)
    assert read.outs["articles"] == want["articles"] and read.outs["categories"] == want["categories"]
    assert read.outs["unclaimed_articles"] == [] and not p.diff(created.id, read.outs, want).changes

    # one paragraph changed: one PATCH, nothing else
    changed = dict(want, articles=dict(want["articles"]))
    changed["articles"][f"{portal}-contact"] = _art(f"{portal}-contact", "Contact us",
                                                    "# Contact\n\nOpen the chat, or call.\n", category="start",
                                                    tags=["support"])
    assert p.diff(created.id, created.outs, changed).changes
    updated = p.update(created.id, created.outs, changed)
    assert updated.outs["article_ids"] == created.outs["article_ids"]
    cw.delete(f"/portals/{portal}")  # cleanup (offboarding delete takes the content with the portal)


@pytest.mark.vcr
def test_kb_errors_bad_locale_and_duplicate_slug(cw):
    portal = cwc.rec_name("test_kb_errors_bad_locale_and_duplicate_slug")
    other = cwc.rec_name("test_kb_errors_bad_locale_and_duplicate_slug", "other")
    _portal(cw, portal)
    _portal(cw, other)
    base.created_empty.add(("portal", portal))  # created in this run: nothing to look up first

    # a category in a locale the portal does not have: Chatwoot's 422 reaches the user unchanged
    with pytest.raises(Unprocessable) as bad:
        category.CategoryKind().create(cw, {**_cat("fr", "start", "Start"), "portal_slug": portal})
    assert "is not part of portal's" in bad.value.message and bad.value.attributes == ["locale"]

    # an article slug used by another portal: the 500 becomes an error that says what to do
    slug = f"{portal}-taken"
    cw.post(f"/portals/{other}/articles", {"article": {"title": "Elsewhere", "slug": slug, "content": "x",
                                                       "author_id": article.author_id(cw)}})
    with pytest.raises(RuntimeError) as dup:
        article.ArticleKind().create(cw, {**_art(slug, "Mine", "y"), "provider_slug": "p", "portal_slug": portal,
                                          "category_id": None})
    assert "slugs are unique on the whole installation" in str(dup.value) and "rename the file" in str(dup.value)
    cw.delete(f"/portals/{portal}")
    cw.delete(f"/portals/{other}")
