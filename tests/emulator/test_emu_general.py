"""General rules, probes and authentication (docs/chatwoot-behaviour.md#authentication, #general-rules, #errors, #probes-and-self-hosting)."""

from __future__ import annotations

from cw_emu_helpers import A1, new_inbox


def test_api_probe(anon):
    """docs/chatwoot-behaviour.md#probes-and-self-hosting: GET /api (no auth) returns version 4.15.1 + service status, exactly the keys of a real server."""
    r = anon.get("/api")
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"version", "timestamp", "queue_services", "data_services"}
    assert body["version"] == "4.15.1"
    assert body["queue_services"] == "ok" and body["data_services"] == "ok"


def test_health(anon):
    """docs/chatwoot-behaviour.md#probes-and-self-hosting: GET /health (≥4.11.0) returns {"status":"woot"}."""
    r = anon.get("/health")
    assert r.status_code == 200 and r.json() == {"status": "woot"}


def test_missing_header_is_devise_401(anon):
    """docs/chatwoot-behaviour.md#authentication/#errors: no auth header → devise_token_auth 401 body."""
    r = anon.get(f"{A1}/inboxes")
    assert r.status_code == 401
    assert r.json() == {"errors": ["You need to sign in or sign up before continuing."]}


def test_bad_token(make_client):
    """docs/chatwoot-behaviour.md#errors: unknown api_access_token → 401 Invalid Access Token."""
    r = make_client("nope").get(f"{A1}/inboxes")
    assert r.status_code == 401 and r.json() == {"error": "Invalid Access Token"}


def test_header_spelling_variants(emu, make_client):
    """docs/chatwoot-behaviour.md#authentication: the header is read as api_access_token / HTTP_API_ACCESS_TOKEN (Api-Access-Token works too)."""
    c = make_client()
    tok = emu.tokens["admin_token"]
    assert c.get("/api/v1/profile", headers={"Api-Access-Token": tok}).status_code == 200
    assert c.get("/api/v1/profile", headers={"API_ACCESS_TOKEN": tok}).status_code == 200


def test_platform_token_on_application_api(platform):
    """docs/chatwoot-behaviour.md#authentication: a Platform-App token on the Application API → 401 not authorized for bots."""
    r = platform.get(f"{A1}/inboxes")
    assert r.status_code == 401
    assert r.json() == {"error": "Access to this endpoint is not authorized for bots"}


def test_unknown_account_is_404(admin):
    """docs/chatwoot-behaviour.md#errors: unknown :account_id → 404 Resource could not be found."""
    r = admin.get("/api/v1/accounts/999/inboxes")
    assert r.status_code == 404 and r.json() == {"error": "Resource could not be found"}


def test_user_not_in_account(admin, platform, emu, make_client):
    """docs/chatwoot-behaviour.md#errors: a user without account_users row → 401 not authorized to access this account."""
    r = platform.post("/platform/api/v1/accounts", json={"name": "Other"})
    assert r.status_code == 200
    other = r.json()["id"]
    r = admin.get(f"/api/v1/accounts/{other}/inboxes")
    assert r.status_code == 401
    assert r.json() == {"error": "You are not authorized to access this account"}


def test_agent_role_write_is_401_not_403(agent):
    """docs/chatwoot-behaviour.md#authentication/#errors: Pundit denial for an agent writing → 401 not authorized to do this action."""
    r = agent.post(f"{A1}/teams", json={"name": "nope"})
    assert r.status_code == 401
    assert r.json() == {"error": "You are not authorized to do this action"}


def test_profile(admin, emu):
    """docs/chatwoot-behaviour.md#profile: GET /api/v1/profile returns the user incl. access_token and accounts[]."""
    r = admin.get("/api/v1/profile")
    assert r.status_code == 200
    body = r.json()
    assert body["access_token"] == emu.tokens["admin_token"]
    assert body["email"] == emu.tokens["admin_email"]
    assert [a["id"] for a in body["accounts"]] == [1]
    assert body["accounts"][0]["role"] == "administrator"


def test_creates_answer_200_with_integer_ids(admin):
    """docs/chatwoot-behaviour.md#general-rules: success is 200 everywhere (no 201) and ids are integers."""
    inbox = new_inbox(admin, "Int ids")
    assert isinstance(inbox["id"], int) and isinstance(inbox["channel_id"], int)


def test_unknown_keys_dropped_silently(admin):
    """docs/chatwoot-behaviour.md#general-rules: unknown or unpermitted keys are dropped silently (no 400/422)."""
    r = admin.post(f"{A1}/teams", json={"name": "typo team", "descriptoin": "x", "bogus": 1})
    assert r.status_code == 200
    assert r.json()["description"] is None
    assert "bogus" not in r.json() and "descriptoin" not in r.json()


def test_missing_root_param_without_json(admin):
    """docs/chatwoot-behaviour.md#general-rules/#errors: non-JSON content type without nesting → 422 param is missing."""
    r = admin.post(f"{A1}/teams", content=b"name=flat", headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 422
    assert r.json() == {"error": "param is missing or the value is empty: team"}


def test_form_nested_root_accepted(admin):
    """docs/chatwoot-behaviour.md#general-rules: without JSON the root must be nested explicitly (team[name]=…)."""
    r = admin.post(f"{A1}/teams", content=b"team[name]=Nested+Form",
                   headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 200 and r.json()["name"] == "nested form"


def test_not_found_shape(admin):
    """docs/chatwoot-behaviour.md#errors: record not found → 404 {"error":"Resource could not be found"}."""
    for path in (f"{A1}/inboxes/999999", f"{A1}/teams/999999"):
        r = admin.get(path)
        assert r.status_code == 404 and r.json() == {"error": "Resource could not be found"}


def test_put_is_routed_like_patch(admin):
    """docs/chatwoot-behaviour.md#general-rules: PATCH and PUT are both routed for resources."""
    team = admin.post(f"{A1}/teams", json={"name": "put team"}).json()
    r = admin.put(f"{A1}/teams/{team['id']}", json={"description": "via put"})
    assert r.status_code == 200 and r.json()["description"] == "via put"
