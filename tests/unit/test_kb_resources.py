"""Category / Article / KnowledgeBase resources without network: hash comparison, normalisation,
pagination of the article index, adoption, authoritative clean-up."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from cwtenants.catalog import load_catalog
from cwtenants.chatwoot.errors import ServerError
from cwtenants.resources import article, category, knowledge_base
from cwtenants.resources.article import ArticleKind
from cwtenants.resources.knowledge_base import KnowledgeBaseProvider
from cwtenants.resources.base import created_empty, lists
from cwtenants.resources.category import CategoryKind

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _clean():
    lists.clear()
    created_empty.clear()
    article._author.clear()
    yield
    lists.clear()
    created_empty.clear()


@pytest.fixture(scope="module")
def harbor():
    return load_catalog(ROOT / "providers").get("harbor-vps")


def live_article(id_, slug, **kw):
    base = {"id": id_, "slug": slug, "title": "T", "content": "Body\n", "description": None, "status": "draft",
            "position": 10, "account_id": 1, "updated_at": 1, "meta": {}, "category": None, "views": None,
            "author": {"id": 1}}
    base.update(kw)
    return base


class FakeClient:
    """A portal with ``articles`` (listed 25 per page) and ``categories``; records every call."""

    def __init__(self, articles=(), categories=(), slug_taken_elsewhere=()):
        self.calls = []
        self.articles = list(articles)
        self.categories = list(categories)
        self.taken = set(slug_taken_elsewhere)
        self.settings = SimpleNamespace(url="http://cw", api_token="t")

    def request(self, method, path, **kw):
        self.calls.append((method, path))
        return {"id": 7}

    def get(self, path, params=None):
        self.calls.append(("GET", path, dict(params or {})))
        if path.endswith("/articles"):
            page = int((params or {}).get("page", 1))
            chunk = self.articles[(page - 1) * 25: page * 25]
            return {"payload": chunk, "meta": {"articles_count": len(self.articles),
                                               "current_page": str(page)}}
        if path.endswith("/categories"):
            return {"payload": self.categories, "meta": {"current_page": 1}}
        raise AssertionError(path)

    def post(self, path, json=None):
        self.calls.append(("POST", path, json))
        if path.endswith("/articles"):
            a = json["article"]
            if a["slug"] in self.taken:
                raise ServerError("POST", path, 500, "Internal Server Error")
            new = live_article(100 + len(self.articles), a["slug"], title=a["title"], content=a["content"],
                               status=a["status"], meta=a["meta"], description=a["description"] or None,
                               position=a.get("position", 10))
            self.articles.append(new)
            return {"payload": new}
        raise AssertionError(path)

    def patch(self, path, json=None):
        self.calls.append(("PATCH", path, json))
        id_ = int(path.rsplit("/", 1)[1])
        if "/categories/" in path:
            c = next(x for x in self.categories if x["id"] == id_)
            c.update(json["category"])
            return {"payload": c}
        for a in self.articles:
            if a["id"] == id_:
                a.update({k: v for k, v in json["article"].items() if k in ("title", "content", "status")})
                return {"payload": a}
        raise AssertionError(path)

    def delete(self, path, json=None):
        self.calls.append(("DELETE", path))
        id_ = int(path.rsplit("/", 1)[1])
        self.articles = [a for a in self.articles if a["id"] != id_]
        self.categories = [c for c in self.categories if c["id"] != id_]


def with_article(spec, slug, **change):
    from dataclasses import replace
    return replace(spec, articles=[replace(a, **change) if a.slug == slug else a for a in spec.articles])


def test_same_hashes_mean_no_change(harbor):
    kb = knowledge_base.desired(harbor)
    assert KnowledgeBaseProvider().diff("kb", dict(kb), knowledge_base.desired(harbor)).changes is False
    assert knowledge_base.changed(kb, kb) == ([], [])


def test_one_paragraph_changed_is_one_article_change(harbor):
    a = harbor.articles[0]
    olds = knowledge_base.desired(harbor)
    news = knowledge_base.desired(with_article(harbor, a.slug, content=a.content.replace("\n\n", "\n\nNew.\n\n", 1)))
    assert olds["articles"][a.slug]["content_hash"] != news["articles"][a.slug]["content_hash"]
    assert knowledge_base.changed(olds, news) == ([], [a.slug])
    r = KnowledgeBaseProvider().diff("kb", olds, news)
    assert r.changes is True and r.replaces == []


def test_moved_to_another_category_and_unpublished_are_changes(harbor):
    a = next(x for x in harbor.articles if x.category == "getting-started")
    olds = knowledge_base.desired(harbor)
    assert knowledge_base.changed(olds, knowledge_base.desired(with_article(harbor, a.slug, category="contact")))[1] == [a.slug]
    assert knowledge_base.changed(olds, knowledge_base.desired(with_article(harbor, a.slug, status="draft")))[1] == [a.slug]


def test_removed_article_is_a_change_but_no_write(harbor):
    olds = knowledge_base.desired(harbor)
    news = knowledge_base.desired(harbor)
    gone = next(iter(news["articles"]))
    del news["articles"][gone]
    assert KnowledgeBaseProvider().diff("kb", olds, news).changes is True
    assert knowledge_base.changed(olds, news) == ([], [])  # nothing to create or PATCH


def test_live_article_normalises_to_the_inputs(harbor):
    a = next(x for x in harbor.articles if x.slug == "harbor-vps-erster-server")
    want = article.desired(harbor, a, 9)
    live = live_article(5, a.slug, title=a.title, content=a.content, description=a.description,
                        status=a.status, position=a.position, meta={"tags": list(a.tags)},
                        category={"id": 9, "slug": a.category, "locale": "de", "name": "x", "icon": "", "icon_color": ""})
    assert ArticleKind()._live_view(live, want) == ArticleKind().normalise_inputs(want)


def test_undeclared_position_is_not_compared(harbor):
    a = next(x for x in harbor.articles if x.position is None)
    want = article.desired(harbor, a, None)
    live = live_article(5, a.slug, title=a.title, content=a.content, description=a.description,
                        status=a.status, position=70, meta={"tags": list(a.tags)},
                        category={"id": 9, "slug": a.category, "locale": a.locale})
    assert ArticleKind()._live_view(live, want)["position"] is None


def test_index_is_read_page_by_page_until_a_short_page():
    c = FakeClient(articles=[live_article(i, f"a-{i}") for i in range(60)])
    items = article.read_index(c, "p")
    assert len(items) == 60
    assert [call[2].get("page") for call in c.calls] == [None, 2, 3]  # page 1 without ?page= (the default)


def test_create_adopts_an_article_with_the_same_slug_on_page_two(harbor):
    a = harbor.articles[0]
    c = FakeClient(articles=[live_article(i, f"ui-{i}") for i in range(30)] +
                   [live_article(99, a.slug, title="Old title", content="old\n")])
    id_, live = ArticleKind().create(c, article.desired(harbor, a, None))
    assert id_ == "99"
    assert [x[0] for x in c.calls if x[0] != "GET"] == ["PATCH"]  # adopted and updated, no POST
    assert live["title"] == a.title


def test_create_in_a_portal_made_in_this_run_reads_nothing(harbor):
    created_empty.add(("portal", harbor.portal.slug))
    c = FakeClient()
    inputs = {**article.desired(harbor, harbor.articles[0], None), "category": None}  # the fake has no categories
    ArticleKind().create(c, inputs)
    assert [x[0] for x in c.calls] == ["GET", "POST"]  # GET /profile (author) + the POST
    assert c.calls[0][1] == "/api/v1/profile"
    assert c.calls[1][2]["article"]["author_id"] == 7


def test_slug_used_elsewhere_is_a_clear_error(harbor):
    a = harbor.articles[0]
    c = FakeClient(slug_taken_elsewhere={a.slug})
    with pytest.raises(RuntimeError, match="unique on the whole installation"):
        ArticleKind().create(c, article.desired(harbor, a, None))


def test_category_normalisation_and_undeclared_position(harbor):
    cat = harbor.portal.categories[1]
    want = category.desired(harbor, cat)
    live = {"id": 2, "name": cat.name, "slug": cat.slug, "locale": cat.locale, "description": cat.description,
            "position": cat.position, "account_id": 1, "icon": cat.icon or "", "icon_color": "",
            "meta": {"articles_count": 0}}
    assert CategoryKind()._same(live, want)
    assert not CategoryKind()._same({**live, "name": "Other"}, want)
    undeclared = {**want, "position": None}
    assert CategoryKind()._same({**live, "position": 99}, undeclared)


def test_authoritative_prune_deletes_only_unclaimed(harbor):
    claimed = harbor.articles[0].slug
    c = FakeClient(articles=[live_article(1, claimed), live_article(2, "written-in-the-ui")] +
                   [live_article(10 + i, f"old-{i}") for i in range(26)],
                   categories=[{"id": 50, "slug": "contact", "locale": "en"}, {"id": 51, "slug": "ui-cat", "locale": "en"}])
    inputs = knowledge_base.desired(harbor)
    state = knowledge_base.live_state(c, inputs)
    assert "written-in-the-ui" in state["unclaimed_articles"] and claimed not in state["unclaimed_articles"]
    assert state["unclaimed_categories"] == ["en/ui-cat"]
    assert set(state["articles"]) == {claimed} and state["article_ids"] == {claimed: 1}
    knowledge_base.prune(c, inputs)
    deleted = [p for m, p in (x[:2] for x in c.calls) if m == "DELETE"]
    assert len(deleted) == 27 + 1 and f"/portals/{harbor.portal.slug}/articles/1" not in deleted
    assert [a["slug"] for a in c.articles] == [claimed]


def test_additive_mode_reports_and_deletes_nothing(harbor):
    from dataclasses import replace
    additive = replace(harbor, portal=replace(harbor.portal, articles="additive"))
    c = FakeClient(articles=[live_article(2, "written-in-the-ui")])
    state = knowledge_base.live_state(c, knowledge_base.desired(additive))
    assert state["unclaimed_articles"] == []


def test_update_patches_by_the_integer_id_kept_in_state(harbor):
    from dataclasses import replace
    a = replace(harbor.articles[0], category=None)
    spec = replace(harbor, portal=replace(harbor.portal, categories=[], articles="additive"), articles=[a])
    olds = {**knowledge_base.desired(spec), "article_ids": {a.slug: 100.0}, "category_ids": {}}  # floats from state
    news = knowledge_base.desired(replace(spec, articles=[replace(a, content="Changed.\n")]))
    c = FakeClient(articles=[live_article(100, a.slug)])
    out = knowledge_base.apply(c, news, olds)
    assert [x[:2] for x in c.calls] == [("PATCH", f"/portals/{harbor.portal.slug}/articles/100")]
    assert out["article_ids"] == {a.slug: 100}


def test_positions_that_pulumi_hands_over_as_floats_are_integers(harbor):
    """Pulumi passes numbers to the provider as floats (1.0): the bodies send integers, and a live 1.0
    (or 1) normalises like the catalog's 1 — no false change in plan/drift or on refresh."""
    cat = harbor.portal.categories[1]
    want = category.desired(harbor, cat)
    assert isinstance(want["position"], int)
    via_pulumi = {**want, "position": float(want["position"])}
    assert category.body(via_pulumi)["category"]["position"] == want["position"]
    assert isinstance(category.body(via_pulumi)["category"]["position"], int)
    assert CategoryKind().normalise_inputs(via_pulumi) == CategoryKind().normalise_inputs(want)
    art = next(a for a in harbor.articles if a.position is not None)
    a_want = article.desired(harbor, art)
    a_float = {**a_want, "position": float(a_want["position"])}
    assert article.content_hash(a_float) == a_want["content_hash"]
    assert isinstance(article.body(a_float)["article"]["position"], int)
