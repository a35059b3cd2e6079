"""Help Center portals (docs/chatwoot-behaviour.md#portals, #duplicates-and-missing-objects, #defaults-and-normalisation); categories and articles: test_emu_help_center.py."""

from __future__ import annotations

from chatwoot_emulator.testing import EmulatorProcess
from cw_emu_helpers import A1

PORTAL_KEYS = {"id", "archived", "color", "config", "custom_domain", "header_text", "homepage_link", "name",
               "page_title", "slug", "account_id", "meta"}


def _portal(admin, slug, **extra):
    body = {"name": f"Portal {slug}", "slug": slug}
    body.update(extra)
    r = admin.post(f"{A1}/portals", json={"portal": body})
    assert r.status_code == 200, r.text
    return r.json()


def test_create_shape_and_config_reshaped(admin):
    """docs/chatwoot-behaviour.md#portals: bare portal; config.allowed_locales becomes objects; default_locale first allowed; colour default."""
    p = _portal(admin, "shape", config={"allowed_locales": ["de", "en", "de", ""]})
    assert set(p) == PORTAL_KEYS
    assert p["color"] == "#1f93ff" and p["archived"] is False and p["custom_domain"] is None
    assert p["config"]["allowed_locales"] == [
        {"code": "de", "articles_count": 0, "categories_count": 0, "draft": False},
        {"code": "en", "articles_count": 0, "categories_count": 0, "draft": False},
    ]
    assert p["config"]["default_locale"] == "de"
    assert {"layout", "social_profiles", "locale_translations"} <= set(p["config"])
    assert p["meta"]["default_locale"] == "de"


def test_default_config_en(admin):
    """docs/chatwoot-behaviour.md#defaults-and-normalisation: a new portal has allowed_locales ["en"]."""
    p = _portal(admin, "default-cfg")
    assert [x["code"] for x in p["config"]["allowed_locales"]] == ["en"]
    assert p["config"]["default_locale"] == "en"


def test_list_payload_and_meta(admin):
    """docs/chatwoot-behaviour.md#portals: GET portals → {payload, meta{current_page, portals_count}} incl. archived."""
    _portal(admin, "listed-a")
    _portal(admin, "listed-b", archived=True)
    r = admin.get(f"{A1}/portals")
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"payload", "meta"}
    assert body["meta"] == {"current_page": 1, "portals_count": len(body["payload"])}
    assert {"listed-a", "listed-b"} <= {p["slug"] for p in body["payload"]}


def test_show_update_delete_by_slug(admin):
    """docs/chatwoot-behaviour.md#portals: portals are addressed by slug; delete → 200 empty."""
    p = _portal(admin, "by-slug")
    assert admin.get(f"{A1}/portals/by-slug").json()["id"] == p["id"]
    assert admin.get(f"{A1}/portals/{p['id']}").status_code == 500  # numeric id is not a slug
    r = admin.patch(f"{A1}/portals/by-slug", json={"portal": {"header_text": "Hello", "page_title": "T"}})
    assert r.status_code == 200 and (r.json()["header_text"], r.json()["page_title"]) == ("Hello", "T")
    r = admin.delete(f"{A1}/portals/by-slug")
    assert r.status_code == 200 and r.content == b""
    assert admin.get(f"{A1}/portals/by-slug").status_code == 500


def test_unknown_slug_500(admin):
    """docs/chatwoot-behaviour.md#duplicates-and-missing-objects: unknown portal slug → 500 in ≤4.15.1 (default)."""
    for method in ("GET", "PATCH", "DELETE"):
        r = admin.request(method, f"{A1}/portals/does-not-exist", json={})
        assert r.status_code == 500 and r.json() == {"status": 500, "error": "Internal Server Error"}


def test_unknown_slug_404_flag(tmp_path):
    """docs/chatwoot-behaviour.md#duplicates-and-missing-objects/#version-differences: with --unknown-portal-status 404 (upstream PR #15798) unknown slug → 404."""
    with EmulatorProcess(tmp_path / "e404", unknown_portal_status=404) as emu:
        import httpx
        r = httpx.get(f"{emu.url}{A1}/portals/nope", headers={"api_access_token": emu.tokens["admin_token"]})
        assert r.status_code == 404 and r.json() == {"error": "Resource could not be found"}


def test_slug_unique_across_accounts(admin, platform, make_client):
    """docs/chatwoot-behaviour.md#duplicates-and-missing-objects: slug unique across the whole installation → 422 Slug has already been taken."""
    _portal(admin, "global-slug")
    acc = platform.post("/platform/api/v1/accounts", json={"name": "Second"}).json()
    user = platform.post("/platform/api/v1/users", json={
        "name": "Second Admin", "email": "second-admin@example.com", "password": "Passw0rd!"}).json()
    r = platform.post(f"/platform/api/v1/accounts/{acc['id']}/account_users",
                      json={"user_id": user["id"], "role": "administrator"})
    assert r.status_code == 200
    other = make_client(user["access_token"])
    r = other.post(f"/api/v1/accounts/{acc['id']}/portals", json={"name": "Clash", "slug": "global-slug"})
    assert r.status_code == 422
    assert r.json() == {"message": "Slug has already been taken", "attributes": ["slug"]}
    assert other.get(f"/api/v1/accounts/{acc['id']}/portals").json()["payload"] == []


def test_slug_case_sensitive(admin):
    """docs/chatwoot-behaviour.md#defaults-and-normalisation: slug not normalised; uniqueness is case-sensitive."""
    _portal(admin, "case-slug")
    p = _portal(admin, "Case-Slug")
    assert p["slug"] == "Case-Slug"


def test_custom_domain_rules(admin):
    """docs/chatwoot-behaviour.md#defaults-and-normalisation/#duplicates-and-missing-objects: full URL reduced to host on create only; "" → null; unique installation-wide."""
    p = _portal(admin, "cd1", custom_domain="https://help.acme.example/some/path")
    assert p["custom_domain"] == "help.acme.example"
    r = admin.post(f"{A1}/portals", json={"name": "x", "slug": "cd2", "custom_domain": "help.acme.example"})
    assert r.status_code == 422
    assert r.json() == {"message": "Custom domain has already been taken", "attributes": ["custom_domain"]}
    r = admin.patch(f"{A1}/portals/cd1", json={"custom_domain": "https://kept.example/x"})
    assert r.json()["custom_domain"] == "https://kept.example/x"  # verbatim on update
    r = admin.patch(f"{A1}/portals/cd1", json={"custom_domain": "", "homepage_link": ""})
    assert r.json()["custom_domain"] is None and r.json()["homepage_link"] is None


def test_color_validation(admin):
    """docs/chatwoot-behaviour.md#defaults-and-normalisation: colour must match #rgb / #rrggbb (≥4.14.2) → 422; blank returned as #1f93ff."""
    assert _portal(admin, "col1", color="#abc")["color"] == "#abc"
    r = admin.post(f"{A1}/portals", json={"name": "x", "slug": "col2", "color": "red"})
    assert r.status_code == 422 and r.json()["attributes"] == ["color"]
    r = admin.patch(f"{A1}/portals/col1", json={"color": ""})
    assert r.json()["color"] == "#1f93ff"


def test_config_merge_on_update(admin):
    """docs/chatwoot-behaviour.md#defaults-and-normalisation: ≥4.14.1 the sent config is merged (omitted keys kept); drafts restricted to allowed locales."""
    _portal(admin, "merge", config={"allowed_locales": ["en", "fr"], "default_locale": "fr"})
    r = admin.patch(f"{A1}/portals/merge", json={"portal": {"config": {"draft_locales": ["en", "xx"]}}})
    cfg = r.json()["config"]
    assert [x["code"] for x in cfg["allowed_locales"]] == ["en", "fr"]
    assert cfg["default_locale"] == "fr"
    assert [x["draft"] for x in cfg["allowed_locales"]] == [True, False]
    r = admin.patch(f"{A1}/portals/merge", json={"config": {"layout": "documentation"}})
    assert r.json()["config"]["layout"] == "documentation" and r.json()["config"]["default_locale"] == "fr"


def test_archive_via_update_and_archive_route_500(admin):
    """docs/chatwoot-behaviour.md#portals: archive through update archived:true; PATCH …/archive → 500."""
    _portal(admin, "arch")
    r = admin.patch(f"{A1}/portals/arch", json={"archived": True})
    assert r.status_code == 200 and r.json()["archived"] is True
    r = admin.patch(f"{A1}/portals/arch/archive")
    assert r.status_code == 500


def test_portal_required_fields(admin):
    """docs/chatwoot-behaviour.md#portals: name and slug required; non-JSON without "portal" → 422 param missing."""
    r = admin.post(f"{A1}/portals", json={"portal": {"name": "no slug"}})
    assert r.status_code == 422 and r.json()["attributes"] == ["slug"]
    r = admin.post(f"{A1}/portals", content=b"name=x", headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 422 and r.json() == {"error": "param is missing or the value is empty: portal"}


def test_agent_can_read_not_write(agent, admin):
    """docs/chatwoot-behaviour.md#portals/#errors: index/show for all account users; writes → 401."""
    _portal(admin, "agent-read")
    assert agent.get(f"{A1}/portals/agent-read").status_code == 200
    r = agent.patch(f"{A1}/portals/agent-read", json={"name": "x"})
    assert r.status_code == 401 and r.json() == {"error": "You are not authorized to do this action"}


def test_categories_unknown_portal_404(admin):
    """docs/chatwoot-behaviour.md#help-center-content-categories-and-articles: unknown portal slug for categories → 404 since 4.12.0."""
    r = admin.get(f"{A1}/portals/missing-kb/categories")
    assert r.status_code == 404 and r.json() == {"error": "Resource could not be found"}


def test_portal_delete_unlinks_inboxes(admin):
    """docs/chatwoot-behaviour.md#portals: portal DELETE nulls inboxes' portal_id (help_center disappears)."""
    p = _portal(admin, "unlink")
    inbox = admin.post(f"{A1}/inboxes", json={"name": "l", "portal_id": p["id"], "channel": {"type": "api"}}).json()
    assert "help_center" in inbox
    admin.delete(f"{A1}/portals/unlink")
    assert "help_center" not in admin.get(f"{A1}/inboxes/{inbox['id']}").json()


def test_public_help_center_page_answers_for_any_account(admin, platform, make_client, emu):
    """Public /hc/<slug>: no token, any account's portal; unknown and archived portals → 404."""
    import httpx

    acc = platform.post("/platform/api/v1/accounts", json={"name": "Third"}).json()
    user = platform.post("/platform/api/v1/users", json={
        "name": "Third Admin", "email": "third-admin@example.com", "password": "Passw0rd!"}).json()
    platform.post(f"/platform/api/v1/accounts/{acc['id']}/account_users",
                  json={"user_id": user["id"], "role": "administrator"})
    other = make_client(user["access_token"])
    r = other.post(f"/api/v1/accounts/{acc['id']}/portals", json={"name": "Theirs", "slug": "their-help"})
    assert r.status_code == 200
    _portal(admin, "our-help")
    assert httpx.get(f"{emu.url}/hc/their-help").status_code == 200
    assert httpx.get(f"{emu.url}/hc/our-help").status_code == 200
    assert httpx.get(f"{emu.url}/hc/nobody-help").status_code == 404
    admin.patch(f"{A1}/portals/our-help", json={"archived": True})
    assert httpx.get(f"{emu.url}/hc/our-help").status_code == 404
