"""Help Center categories and articles from Markdown files, through the real pulumi CLI and the emulator."""

from __future__ import annotations

import re

import httpx
import pytest
from e2e_support import OWNERSHIP_CHECK

pytestmark = pytest.mark.e2e

PARA_1 = "Open the chat and pick your provider."
PARA_2 = "Agents answer in the order messages arrive."


def write_article(d, provider: str, locale: str, name: str, title: str, body: str, **front) -> None:
    folder = d.providers / provider / "articles" / locale
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["---", f"title: {title}"] + [f"{k}: {v}" for k, v in front.items()] + ["---", "", body]
    (folder / f"{name}.md").write_text("\n".join(lines) + "\n")


def articles(d, portal: str) -> dict[str, dict]:
    out, page = {}, 1
    while True:
        body = d.api("GET", f"/portals/{portal}/articles?page={page}").json()
        out.update({a["slug"]: a for a in body["payload"]})
        if len(body["payload"]) < 25:
            return out
        page += 1


def public(d, path: str) -> httpx.Response:
    return httpx.get(f"{d.emulator.url}{path}", timeout=30)


def kb_requests(d) -> dict[str, int]:
    """Requests to Help Center content (categories, articles) and the author lookup since the last reset
    (an up also makes the ownership check's list calls, which are not about articles)."""
    routes = d.stats()["by_route"]
    return {r: n for r, n in routes.items() if "/categories" in r or "/articles" in r or r.endswith("/profile")}


def me(d) -> int:
    """The user owning the API token (the author of articles written from Git)."""
    return httpx.get(f"{d.emulator.url}/api/v1/profile", timeout=30,
                     headers={"api_access_token": d.emulator.tokens["admin_token"]}).json()["id"]


def provider_doc(**portal) -> dict:
    return {"name": "Acme Hosting", "portal": {
        "slug": "acme-help", "categories": {"en": [{"slug": "start", "name": "Getting started"},
                                                   {"slug": "billing", "name": "Billing"}]}, **portal}}


def test_create_edit_move_unpublish_and_ui_articles_left_alone(empty_deployment):
    d = empty_deployment
    d.write_provider("acme", provider_doc())
    write_article(d, "acme", "en", "acme-contact", "Contact us", f"# Contact\n\n{PARA_1}\n\n{PARA_2}\n",
                  category="start", status="published", tags="[support]")
    write_article(d, "acme", "en", "acme-invoices", "Invoices", "Invoices are sent monthly.\n", category="start")
    tpl = d.providers / "_articles" / "en"
    tpl.mkdir(parents=True)
    (tpl / "hours.md").write_text("---\ntitle: \"{{ provider.name }} opening hours\"\n---\n"
                                  "{{ provider.name }} answers on working days.\n")
    d.up()
    live = articles(d, "acme-help")
    assert set(live) == {"acme-contact", "acme-invoices", "acme-hours"}
    assert live["acme-hours"]["title"] == "Acme Hosting opening hours"
    assert live["acme-hours"]["content"] == "Acme Hosting answers on working days.\n"
    assert live["acme-contact"]["category"]["slug"] == "start" and live["acme-contact"]["meta"] == {"tags": ["support"]}
    assert live["acme-contact"]["author"]["id"] == me(d)  # the token's own user is the author
    page = public(d, "/hc/acme-help/en/articles/acme-contact")
    assert page.status_code == 200 and PARA_2 in page.text

    # a no-op run makes no request at all, not even for the articles
    d.reset_stats()
    assert set(d.up()["resourceChanges"]) == {"same"}
    assert d.stats()["by_route"] == OWNERSHIP_CHECK, d.stats()

    # an article written in the Chatwoot UI that no file claims (additive mode: left alone)
    ui = d.api("POST", "/portals/acme-help/articles", {"article": {
        "title": "Written by hand", "slug": "hand-written", "content": "x", "author_id": me(d)}})
    assert ui.status_code == 200

    # edit one paragraph: the preview shows that paragraph, the up is one PATCH
    write_article(d, "acme", "en", "acme-contact", "Contact us",
                  f"# Contact\n\n{PARA_1}\n\nAgents answer within one hour.\n",
                  category="start", status="published", tags="[support]")
    preview = d.run("preview", "--diff").stdout
    assert re.search(r"-\s+" + re.escape(PARA_2), preview), preview
    assert re.search(r"\+\s+Agents answer within one hour\.", preview), preview
    d.reset_stats()
    d.up()
    assert kb_requests(d) == {"PATCH /api/v1/accounts/{account_id}/portals/{slug}/articles/{item_id}": 1}, d.stats()
    assert "within one hour" in articles(d, "acme-help")["acme-contact"]["content"]

    # move an article to another category, and unpublish one
    write_article(d, "acme", "en", "acme-invoices", "Invoices", "Invoices are sent monthly.\n", category="billing")
    write_article(d, "acme", "en", "acme-contact", "Contact us",
                  f"# Contact\n\n{PARA_1}\n\nAgents answer within one hour.\n",
                  category="start", status="draft", tags="[support]")
    d.up()
    live = articles(d, "acme-help")
    assert live["acme-invoices"]["category"]["slug"] == "billing"
    assert live["acme-contact"]["status"] == "draft"
    assert public(d, "/hc/acme-help/en/articles/acme-contact").status_code == 404

    # removing a file keeps the article (additive), and the hand-written one is still there
    (d.providers / "acme" / "articles" / "en" / "acme-invoices.md").unlink()
    d.up()
    assert {"acme-invoices", "hand-written"} <= set(articles(d, "acme-help"))
    d.run("preview", "--expect-no-changes")


def test_authoritative_30_articles_pagination_and_file_removal(empty_deployment):
    d = empty_deployment
    d.write_provider("acme", provider_doc(articles="authoritative"))
    for i in range(30):
        write_article(d, "acme", "en", f"acme-a{i:02}", f"Article {i}", f"Body {i}\n", category="billing")
    d.up()
    assert d.api("POST", "/portals/acme-help/articles", {"article": {
        "title": "By hand", "slug": "by-hand", "content": "x", "author_id": me(d)}}).status_code == 200
    assert d.api("POST", "/portals/acme-help/categories", {"category": {
        "name": "Hand", "slug": "hand", "locale": "en"}}).status_code == 200
    live = articles(d, "acme-help")
    assert len(live) == 31

    # the hand-written article is drift in authoritative mode: refresh shows it, up --refresh deletes it
    drift = d.run("preview", "--refresh", "--diff", "--expect-no-changes", check=False)
    assert drift.returncode != 0 and "by-hand" in drift.stdout
    d.up("--refresh")
    live = articles(d, "acme-help")
    assert set(live) == {f"acme-a{i:02}" for i in range(30)}  # two pages read, one article removed
    cats = d.api("GET", "/portals/acme-help/categories").json()["payload"]
    assert sorted(c["slug"] for c in cats) == ["billing", "start"]

    # a removed file removes its article (authoritative only)
    (d.providers / "acme" / "articles" / "en" / "acme-a07.md").unlink()
    d.up()
    assert "acme-a07" not in articles(d, "acme-help") and len(articles(d, "acme-help")) == 29
    d.reset_stats()
    d.up()
    assert d.stats()["by_route"] == OWNERSHIP_CHECK, d.stats()


def test_adopts_an_existing_article_with_the_same_slug(empty_deployment):
    d = empty_deployment
    d.api("POST", "/portals", {"portal": {"name": "Acme Help", "slug": "acme-help"}})
    old = d.api("POST", "/portals/acme-help/articles", {"article": {
        "title": "Old", "slug": "acme-contact", "content": "old text", "author_id": me(d)}}).json()["payload"]
    d.write_provider("acme", provider_doc())
    write_article(d, "acme", "en", "acme-contact", "Contact us", "New text.\n", category="start")
    d.up()
    live = articles(d, "acme-help")
    assert list(live) == ["acme-contact"] and live["acme-contact"]["id"] == old["id"]
    assert live["acme-contact"]["content"] == "New text.\n" and live["acme-contact"]["status"] == "published"


@pytest.mark.parametrize("mode,kept", [("retain", True), ("archive", True), ("delete", False)])
def test_offboarding_keeps_or_removes_articles_with_the_portal(empty_deployment, mode, kept):
    d = empty_deployment
    d.write_provider("acme", {**provider_doc(articles="authoritative"), "offboarding": mode})
    d.write_provider("other", {"name": "Other"})  # a catalog is never empty
    write_article(d, "acme", "en", "acme-contact", "Contact", "Text.\n", category="start")
    d.up()
    d.remove_provider("acme")
    d.up()
    portals = {p["slug"]: p for p in d.api("GET", "/portals").json()["payload"]}
    if kept:
        assert "acme-contact" in articles(d, "acme-help")
        assert portals["acme-help"]["archived"] is (mode == "archive")
        assert sorted(c["slug"] for c in d.api("GET", "/portals/acme-help/categories").json()["payload"]) == \
            ["billing", "start"]
    else:
        assert "acme-help" not in portals
        # the slug is free again: the article went with the portal
        d.api("POST", "/portals", {"portal": {"name": "Other", "slug": "other-help"}})
        r = d.api("POST", "/portals/other-help/articles", {"article": {
            "title": "x", "slug": "acme-contact", "content": "x", "author_id": me(d)}})
        assert r.status_code == 200


def test_plan_and_drift_show_help_center_content(empty_deployment):
    """`cwtenants plan` / `drift` compare categories and articles read-only: the article index pages
    carry the content, so no article is read one by one; a changed paragraph is shown."""
    import json
    import subprocess
    import sys

    def cwtenants(*args):
        return subprocess.run([sys.executable, "-m", "cwtenants.cli", *args, "-d", "providers"], cwd=d.cwd,
                              env=d.env(), capture_output=True, text=True, timeout=300)

    d = empty_deployment
    d.write_provider("acme", provider_doc())
    body = f"# Contact\n\n{PARA_1}\n\n{PARA_2}\n"
    write_article(d, "acme", "en", "acme-contact", "Contact us", body, category="start", status="published")
    write_article(d, "acme", "en", "acme-invoices", "Invoices", "Invoices are sent monthly.\n", category="start")
    before = cwtenants("plan", "--json", "-q")
    assert before.returncode == 2, before.stdout + before.stderr
    objs = {(o["kind"], o["key"]): o["status"] for o in json.loads(before.stdout)["providers"][0]["objects"]}
    assert objs[("category", "en/start")] == objs[("article", "acme-contact")] == "create", objs
    d.up()

    d.reset_stats()
    r = cwtenants("drift", "-q", "--verbose")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "= article 'acme-contact' in sync" in r.stdout and "= category 'en/billing' in sync" in r.stdout
    routes = d.stats()["by_route"]
    assert routes.get("GET /api/v1/accounts/{account_id}/portals/{slug}/articles") == 1, routes
    assert routes.get("GET /api/v1/accounts/{account_id}/portals/{slug}/categories") == 1, routes
    assert not [r for r in routes if "/articles/{item_id}" in r], routes  # no per-article read

    # changed in the Chatwoot UI: one paragraph of an article, and an article no file claims
    live = articles(d, "acme-help")["acme-contact"]
    d.api("PATCH", f"/portals/acme-help/articles/{live['id']}",
          {"article": {"content": body.replace(PARA_2, "Agents answer within one hour.")}})
    d.api("POST", "/portals/acme-help/articles", {"article": {
        "title": "Written by hand", "slug": "hand-written", "content": "x", "author_id": me(d)}})
    r = cwtenants("drift", "-q")
    assert r.returncode == 2, r.stdout + r.stderr
    assert "~ article 'acme-contact' would be updated" in r.stdout
    assert "content: +1 -1 lines (live -> catalog)" in r.stdout
    assert "- Agents answer within one hour." in r.stdout and f"+ {PARA_2}" in r.stdout
    assert "hand-written" not in r.stdout  # additive: kept, not drift (listed with --verbose)
    assert "1 Help Center objects no file claims (kept)" in r.stdout
    assert "? article 'hand-written' is in Chatwoot only" in cwtenants("plan", "-q", "--verbose").stdout

    # authoritative: `pulumi up` would delete it, so plan says so
    d.write_provider("acme", provider_doc(articles="authoritative"))
    r = cwtenants("plan", "-q")
    assert r.returncode == 2 and "- article 'hand-written' would be deleted" in r.stdout, r.stdout + r.stderr
    r = cwtenants("plan", "-q", "--no-content")
    assert "hand-written" not in r.stdout and "were not compared (--no-content)" in r.stdout, r.stdout
