"""Help Center categories and articles as a real Chatwoot 4.15.1 answers them (docs/chatwoot-behaviour.md,
"Help Center content"), and the public article page."""

from __future__ import annotations

import httpx
import pytest

from cw_emu_helpers import A1

CATEGORY_KEYS = {"id", "name", "slug", "locale", "description", "position", "account_id", "icon", "icon_color",
                 "meta"}
ARTICLE_KEYS = {"id", "slug", "title", "content", "description", "status", "position", "account_id",
                "updated_at", "meta", "category", "views", "author"}


@pytest.fixture(scope="module")
def kb(admin):
    r = admin.post(f"{A1}/portals", json={"portal": {"name": "KB", "slug": "kb-conf", "config": {
        "allowed_locales": ["en", "de"], "default_locale": "en"}}})
    assert r.status_code == 200, r.text
    return f"{A1}/portals/kb-conf"


@pytest.fixture(scope="module")
def me(admin):
    return admin.get("/api/v1/profile").json()["id"]


@pytest.fixture(scope="module")
def cat(admin, kb):
    r = admin.post(f"{kb}/categories", json={"category": {"name": "Getting started", "slug": "getting-started",
                                                          "locale": "en", "description": "First steps",
                                                          "position": 1}})
    assert r.status_code == 200, r.text
    return r.json()["payload"]


def test_category_shape_and_wrapper(admin, kb, cat):
    assert set(cat) == CATEGORY_KEYS
    assert (cat["icon"], cat["icon_color"], cat["meta"]) == ("", "", {"articles_count": 0})
    r = admin.post(f"{kb}/categories", json={"category": {"name": "Erste Schritte", "slug": "erste-schritte",
                                                          "locale": "de", "position": 1}})
    assert r.status_code == 200 and r.json()["payload"]["description"] is None
    r = admin.get(f"{kb}/categories")
    body = r.json()
    assert [c["slug"] for c in body["payload"]][:2] == ["getting-started", "erste-schritte"]
    assert body["meta"] == {"current_page": 1, "categories_count": len(body["payload"])}


def test_category_same_slug_and_locale_is_422_on_locale(admin, kb, cat):
    r = admin.post(f"{kb}/categories", json={"category": {"name": "Dup", "slug": "getting-started", "locale": "en"}})
    assert r.status_code == 422
    assert r.json() == {"message": "Locale should be unique in the category and portal", "attributes": ["locale"]}


def test_category_locale_outside_the_portal(admin, kb):
    r = admin.post(f"{kb}/categories", json={"category": {"name": "Bad", "slug": "bad-locale", "locale": "fr"}})
    assert r.status_code == 422
    assert r.json() == {"message": "Locale fr of category is not part of portal's [\"en\", \"de\"].",
                        "attributes": ["locale"]}


def test_article_needs_an_author(admin, kb, cat):
    r = admin.post(f"{kb}/articles", json={"article": {"title": "No author", "content": "x",
                                                       "category_id": cat["id"]}})
    assert r.status_code == 422
    assert r.json() == {"message": "Author must exist, Author can't be blank", "attributes": ["author", "author_id"]}


def test_article_create_show_update_delete(admin, kb, cat, me):
    r = admin.post(f"{kb}/articles", json={"article": {
        "title": "How to reach support", "slug": "conf-reach-support", "content": "# Support\n\nWrite to us.",
        "description": "Contact", "category_id": cat["id"], "author_id": me, "status": "published",
        "locale": "en", "meta": {"tags": ["support"]}}})
    assert r.status_code == 200, r.text
    art = r.json()["payload"]
    assert set(art) == ARTICLE_KEYS and "locale" not in art
    assert art["category"] == {"id": cat["id"], "name": "Getting started", "slug": "getting-started",
                               "locale": "en", "icon": "", "icon_color": ""}
    assert art["author"]["id"] == me and art["meta"] == {"tags": ["support"]} and art["views"] is None
    assert isinstance(art["updated_at"], int) and art["position"] == 10
    r = admin.get(f"{kb}/articles/{art['id']}")
    assert r.status_code == 200 and r.json()["payload"]["content"] == "# Support\n\nWrite to us."
    r = admin.patch(f"{kb}/articles/{art['id']}", json={"article": {"content": "# Support\n\nWrite, or call.",
                                                                    "status": "draft"}})
    assert r.status_code == 200
    assert (r.json()["payload"]["content"], r.json()["payload"]["status"]) == ("# Support\n\nWrite, or call.", "draft")
    r = admin.delete(f"{kb}/articles/{art['id']}")
    assert r.status_code == 200 and r.content == b""
    r = admin.get(f"{kb}/articles/{art['id']}")
    assert r.status_code == 404 and r.json() == {"error": "Resource could not be found"}


def test_article_defaults_draft_generated_slug_and_position(admin, kb, cat, me):
    r = admin.post(f"{kb}/articles", json={"article": {"title": "Article 00", "content": "Body 0",
                                                       "author_id": me, "category_id": cat["id"]}})
    a = r.json()["payload"]
    assert a["status"] == "draft" and a["slug"].endswith("-article-00") and a["slug"].split("-")[0].isdigit()
    r = admin.post(f"{kb}/articles", json={"article": {"title": "Article 01", "content": "Body 1",
                                                       "author_id": me, "category_id": cat["id"]}})
    assert r.json()["payload"]["position"] == a["position"] + 10


def test_duplicate_article_slug_is_a_500(admin, kb, cat, me):
    body = {"title": "T", "slug": "conf-dup", "content": "x", "author_id": me, "category_id": cat["id"]}
    assert admin.post(f"{kb}/articles", json={"article": body}).status_code == 200
    r = admin.post(f"{kb}/articles", json={"article": body})
    assert r.status_code == 500 and r.json() == {"status": 500, "error": "Internal Server Error"}
    # installation-wide: another portal cannot use it either
    admin.post(f"{A1}/portals", json={"portal": {"name": "Other", "slug": "kb-other"}})
    r = admin.post(f"{A1}/portals/kb-other/articles", json={"article": dict(body, category_id=None)})
    assert r.status_code == 500


def test_article_index_pages_of_25_and_current_page_type(admin, me):
    admin.post(f"{A1}/portals", json={"portal": {"name": "Many", "slug": "kb-many"}})
    for i in range(28):
        r = admin.post(f"{A1}/portals/kb-many/articles", json={"article": {
            "title": f"Article {i:02}", "slug": f"many-{i:02}", "content": f"Body {i}", "author_id": me}})
        assert r.status_code == 200
    first = admin.get(f"{A1}/portals/kb-many/articles").json()
    second = admin.get(f"{A1}/portals/kb-many/articles", params={"page": 2}).json()
    again = admin.get(f"{A1}/portals/kb-many/articles", params={"locale": "en", "page": 1}).json()
    assert len(first["payload"]) == 25 and len(second["payload"]) == 3
    assert first["meta"]["current_page"] == 1 and second["meta"]["current_page"] == "2"
    assert again["meta"]["current_page"] == "1"
    assert first["meta"]["articles_count"] == 28 and first["meta"]["draft_articles_count"] == 28
    slugs = [a["slug"] for a in first["payload"] + second["payload"]]
    assert sorted(slugs) == [f"many-{i:02}" for i in range(28)]
    assert slugs[0] == "many-27"  # newest change first
    assert admin.get(f"{A1}/portals/kb-many/articles", params={"page": 3}).json()["payload"] == []


def test_portal_counts_follow_articles_and_delete_takes_them(admin, me):
    admin.post(f"{A1}/portals", json={"portal": {"name": "Gone", "slug": "kb-gone"}})
    c = admin.post(f"{A1}/portals/kb-gone/categories", json={"category": {"name": "C", "slug": "c", "locale": "en"}})
    admin.post(f"{A1}/portals/kb-gone/articles", json={"article": {
        "title": "G", "slug": "gone-1", "content": "x", "author_id": me, "category_id": c.json()["payload"]["id"]}})
    en = admin.get(f"{A1}/portals/kb-gone").json()["config"]["allowed_locales"][0]
    assert (en["articles_count"], en["categories_count"]) == (1, 1)
    assert admin.delete(f"{A1}/portals/kb-gone").status_code == 200
    # the slug is free again once the portal (and its articles) are gone
    admin.post(f"{A1}/portals", json={"portal": {"name": "Again", "slug": "kb-again"}})
    r = admin.post(f"{A1}/portals/kb-again/articles", json={"article": {
        "title": "G", "slug": "gone-1", "content": "x", "author_id": me}})
    assert r.status_code == 200


def test_agent_cannot_write_articles(agent, kb, me):
    r = agent.post(f"{kb}/articles", json={"article": {"title": "x", "content": "y", "author_id": me}})
    assert r.status_code == 401


def test_public_article_page(emu, admin, me):
    admin.post(f"{A1}/portals", json={"portal": {"name": "Public", "slug": "kb-public",
                                                 "config": {"allowed_locales": ["en", "de"]}}})
    c = admin.post(f"{A1}/portals/kb-public/categories",
                   json={"category": {"name": "Start", "slug": "start", "locale": "de"}}).json()["payload"]
    a = admin.post(f"{A1}/portals/kb-public/articles", json={"article": {
        "title": "Erste <Schritte>", "slug": "pub-erste", "content": "# Hallo\n\nText mit **fett** <script>x</script>",
        "author_id": me, "category_id": c["id"], "status": "published"}}).json()["payload"]
    with httpx.Client(base_url=emu.url) as anon:
        r = anon.get("/hc/kb-public/de/articles/pub-erste")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assert "<h1>Erste &lt;Schritte&gt;</h1>" in r.text and "<strong>fett</strong>" in r.text
        assert "<script>" not in r.text
        assert anon.get("/hc/kb-public/articles/pub-erste").status_code == 200
        assert anon.get("/hc/kb-public/en/articles/pub-erste").status_code == 404  # wrong locale
        assert anon.get("/hc/kb-public/de/articles/nope").status_code == 404
        admin.patch(f"{A1}/portals/kb-public/articles/{a['id']}", json={"article": {"status": "draft"}})
        assert anon.get("/hc/kb-public/de/articles/pub-erste").status_code == 404  # drafts are not public
        admin.patch(f"{A1}/portals/kb-public/articles/{a['id']}", json={"article": {"status": "published"}})
        admin.patch(f"{A1}/portals/kb-public", json={"portal": {"archived": True}})
        assert anon.get("/hc/kb-public/de/articles/pub-erste").status_code == 404  # archived portal


def test_position_is_an_integer_column(admin, kb, me):
    """A position sent as 1.0 reads back as 1 (Rails casts integer columns), for categories and articles."""
    c = admin.post(f"{kb}/categories", json={"category": {"name": "Floats", "slug": "floats", "locale": "en",
                                                          "position": 3.0}}).json()["payload"]
    assert c["position"] == 3 and isinstance(c["position"], int)
    a = admin.post(f"{kb}/articles", json={"article": {"title": "F", "slug": "float-position", "content": "x",
                                                       "author_id": me, "position": 7.0}}).json()["payload"]
    assert a["position"] == 7 and isinstance(a["position"], int)
    listed = admin.get(f"{kb}/categories").json()["payload"]
    assert all(isinstance(x["position"], int) for x in listed if x["position"] is not None)
