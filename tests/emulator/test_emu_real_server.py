"""Behaviour a real Chatwoot 4.15.1 server showed and the emulator reproduces (docs/chatwoot-behaviour.md).

Each test pins one answer of the real server: presence-derived availability, the defaults of new account
users, the 500 of an inbox update naming a channel type, the agent-role 401 on a foreign inbox, the JSON
shapes (agents, profile, Platform account features, GET /api) and the portal default locale on update.
"""

from __future__ import annotations

import httpx

from cw_emu_helpers import A1, new_agent, new_inbox

P = "/platform/api/v1"
DENIED = {"error": "You are not authorized to do this action"}


def _presence(emu, user_id, online=True, account_id=1):
    return emu.control("POST", "presence", json={"user_id": user_id, "account_id": account_id, "online": online})["online"]


def _agent(admin, user_id) -> dict:
    return next(a for a in admin.get(f"{A1}/agents").json() if a["id"] == user_id)


# ---------------------------------------------------------------- availability
def test_availability_is_presence_derived_with_auto_offline(admin, emu):
    """auto_offline true: offline without a live session whatever is stored; the stored value while online."""
    a = new_agent(admin, "presence@example.com")
    assert (a["availability_status"], a["auto_offline"]) == ("offline", True)
    r = admin.patch(f"{A1}/agents/{a['id']}", json={"availability": "busy"})
    assert r.status_code == 200 and r.json()["availability_status"] == "offline"
    assert {"account_id": 1, "user_id": a["id"]} in _presence(emu, a["id"])
    assert _agent(admin, a["id"])["availability_status"] == "busy"
    admin.patch(f"{A1}/agents/{a['id']}", json={"availability": "online"})
    assert _agent(admin, a["id"])["availability_status"] == "online"
    assert {"account_id": 1, "user_id": a["id"]} not in _presence(emu, a["id"], online=False)
    assert _agent(admin, a["id"])["availability_status"] == "offline"


def test_availability_is_stored_value_without_auto_offline(admin):
    """auto_offline false: availability_status is the stored availability, no session needed."""
    a = new_agent(admin, "stored@example.com")
    r = admin.patch(f"{A1}/agents/{a['id']}", json={"availability": "busy", "auto_offline": False})
    assert r.status_code == 200
    assert (r.json()["availability_status"], r.json()["auto_offline"]) == ("busy", False)
    assert _agent(admin, a["id"])["availability_status"] == "busy"


def test_profile_availability_status_is_presence_derived(agent, emu):
    """The profile's accounts[] entry keeps the stored availability and derives availability_status."""
    me = agent.get("/api/v1/profile").json()
    entry = me["accounts"][0]
    assert (entry["availability"], entry["availability_status"], entry["auto_offline"]) == ("online", "offline", True)
    _presence(emu, me["id"])
    try:
        assert agent.get("/api/v1/profile").json()["accounts"][0]["availability_status"] == "online"
    finally:
        _presence(emu, me["id"], online=False)


def test_presence_control_rejects_missing_user(emu):
    r = httpx.post(f"{emu.url}/__emulator__/presence", json={"online": True}, timeout=10)
    assert r.status_code == 400


# ---------------------------------------------------------------- new account users
def test_new_agent_gets_table_defaults(admin, platform):
    """POST /agents without availability/auto_offline: stored availability online, auto_offline true."""
    a = new_agent(admin, "defaults@example.com")
    rows = {r["user_id"]: r for r in platform.get(f"{P}/accounts/1/account_users").json()}
    assert (rows[a["id"]]["availability"], rows[a["id"]]["auto_offline"]) == ("online", True)
    assert rows[a["id"]]["custom_role_id"] is None


def test_platform_account_user_gets_table_defaults(platform):
    user = platform.post(f"{P}/users", json={"name": "Plat User", "email": "plat.defaults@example.com",
                                             "password": "Passw0rd!"}).json()
    r = platform.post(f"{P}/accounts/1/account_users", json={"user_id": user["id"], "role": "agent"})
    assert r.status_code == 200
    assert (r.json()["availability"], r.json()["auto_offline"], r.json()["role"]) == ("online", True, "agent")


# ---------------------------------------------------------------- inboxes
def test_inbox_update_with_channel_type_is_500_after_saving_the_inbox(admin):
    inbox = new_inbox(admin, "Typed update")
    r = admin.patch(f"{A1}/inboxes/{inbox['id']}", json={
        "name": "Typed update 2", "greeting_enabled": True,
        "channel": {"type": "api", "webhook_url": "https://changed.example/h"}})
    assert r.status_code == 500
    now = admin.get(f"{A1}/inboxes/{inbox['id']}").json()
    assert (now["name"], now["greeting_enabled"]) == ("Typed update 2", True)  # inbox attributes saved
    assert now["webhook_url"] == inbox["webhook_url"]  # the channel was not updated


def test_agent_reading_a_foreign_inbox_is_401(admin, agent):
    mine, other = new_inbox(admin, "Agent member"), new_inbox(admin, "Agent not member")
    me = agent.get("/api/v1/profile").json()["id"]
    assert admin.post(f"{A1}/inbox_members", json={"inbox_id": mine["id"], "user_ids": [me]}).status_code == 200
    assert agent.get(f"{A1}/inboxes/{mine['id']}").status_code == 200
    r = agent.get(f"{A1}/inboxes/{other['id']}")
    assert r.status_code == 401 and r.json() == DENIED
    assert admin.get(f"{A1}/inboxes/{other['id']}").status_code == 200
    assert agent.get(f"{A1}/inboxes/987654").status_code == 404  # the lookup comes before the policy


def test_agent_reading_a_foreign_inbox_member_list_is_401(admin, agent):
    """The member list is a read of the inbox: the same rule as GET /inboxes/:id."""
    mine, other = new_inbox(admin, "Members mine"), new_inbox(admin, "Members other")
    me = agent.get("/api/v1/profile").json()["id"]
    assert admin.post(f"{A1}/inbox_members", json={"inbox_id": mine["id"], "user_ids": [me]}).status_code == 200
    r = agent.get(f"{A1}/inbox_members/{mine['id']}")
    assert r.status_code == 200 and [m["id"] for m in r.json()["payload"]] == [me]
    r = agent.get(f"{A1}/inbox_members/{other['id']}")
    assert r.status_code == 401 and r.json() == DENIED
    assert admin.get(f"{A1}/inbox_members/{other['id']}").json() == {"payload": []}
    assert agent.get(f"{A1}/inbox_members/987654").status_code == 404  # the lookup comes before the policy


def test_agent_writes_to_any_inbox_are_401_and_change_nothing(admin, agent):
    """Every per-inbox write needs an administrator, member inbox or not."""
    mine, other = new_inbox(admin, "Writes mine"), new_inbox(admin, "Writes other")
    me = agent.get("/api/v1/profile").json()["id"]
    assert admin.post(f"{A1}/inbox_members", json={"inbox_id": mine["id"], "user_ids": [me]}).status_code == 200
    for inbox in (mine, other):
        i = inbox["id"]
        for method, path, body in (
                ("PATCH", f"{A1}/inboxes/{i}", {"name": "renamed by agent"}),
                ("POST", f"{A1}/inboxes/{i}/reset_secret", None),
                ("DELETE", f"{A1}/inboxes/{i}", None),
                ("POST", f"{A1}/inbox_members", {"inbox_id": i, "user_ids": [me]}),
                ("PATCH", f"{A1}/inbox_members", {"inbox_id": i, "user_ids": []}),
                ("DELETE", f"{A1}/inbox_members", {"inbox_id": i, "user_ids": [me]})):
            r = agent.request(method, path, json=body)
            assert (r.status_code, r.json()) == (401, DENIED), (method, path)
        now = admin.get(f"{A1}/inboxes/{i}").json()
        assert (now["name"], now["secret"]) == (inbox["name"], inbox["secret"])
    assert [m["id"] for m in admin.get(f"{A1}/inbox_members/{mine['id']}").json()["payload"]] == [me]
    assert admin.get(f"{A1}/inbox_members/{other['id']}").json() == {"payload": []}


# ---------------------------------------------------------------- shapes
def test_member_objects_carry_custom_role_id(admin):
    a = new_agent(admin, "shape@example.com")
    team = admin.post(f"{A1}/teams", json={"name": "shape team"}).json()
    inbox = new_inbox(admin, "Shape inbox")
    members = admin.patch(f"{A1}/teams/{team['id']}/team_members", json={"user_ids": [a["id"]]}).json()
    inbox_members = admin.patch(f"{A1}/inbox_members", json={"inbox_id": inbox["id"], "user_ids": [a["id"]]})
    for obj in (_agent(admin, a["id"]), members[0], inbox_members.json()["payload"][0],
                admin.get(f"{A1}/teams/{team['id']}/team_members").json()[0],
                admin.get(f"{A1}/inbox_members/{inbox['id']}").json()["payload"][0]):
        assert "custom_role_id" in obj and obj["custom_role_id"] is None


def test_profile_shape(admin):
    body = admin.get("/api/v1/profile").json()
    assert set(body) == {"access_token", "account_id", "available_name", "avatar_url", "confirmed", "display_name",
                         "message_signature", "email", "id", "inviter_id", "name", "provider", "pubsub_token",
                         "role", "ui_settings", "uid", "type", "accounts"}
    assert body["type"] is None and body["inviter_id"] is None
    assert set(body["accounts"][0]) == {"id", "name", "status", "onboarding_step", "active_at", "role",
                                        "permissions", "availability", "availability_status", "auto_offline",
                                        "custom_role_id", "custom_role"}


def test_invited_agent_profile_names_its_inviter(admin, make_client, platform):
    a = new_agent(admin, "invited@example.com")
    token = platform.post(f"{P}/users/{a['id']}/token")
    if token.status_code == 401:  # not permissible for the platform app: claim it by find-or-create
        platform.post(f"{P}/users", json={"name": "x", "email": "invited@example.com", "password": "Passw0rd!"})
        token = platform.post(f"{P}/users/{a['id']}/token")
    me = make_client(token.json()["access_token"]).get("/api/v1/profile").json()
    assert me["inviter_id"] == admin.get("/api/v1/profile").json()["id"]


def test_platform_account_features_list_every_default_flag(platform):
    acc = platform.post(f"{P}/accounts", json={"name": "Features"}).json()
    features = platform.get(f"{P}/accounts/{acc['id']}").json()["features"]
    assert len(features) == 26 and set(features.values()) == {True}
    for flag in ("help_center", "channel_email", "inbound_emails", "agent_bots", "macros", "captain_tasks"):
        assert flag in features


def test_api_probe_has_no_marker_the_header_tells_the_emulator_apart(anon, emu):
    r = anon.get("/api")
    assert "emulator" not in r.json()
    identity = emu.control("GET", "identity")
    assert r.headers["x-chatwoot-emulator"] == identity["instance_id"] and len(identity["instance_id"]) >= 16
    assert anon.get("/no/such/route").headers["x-chatwoot-emulator"] == identity["instance_id"]


# ---------------------------------------------------------------- portals
def test_portal_update_leaving_out_the_default_locale_keeps_it(admin):
    slug = "keeps-default"
    r = admin.post(f"{A1}/portals", json={"portal": {"name": "Keeps", "slug": slug,
                                                    "config": {"allowed_locales": ["de", "en"], "default_locale": "en"}}})
    assert r.status_code == 200 and r.json()["config"]["default_locale"] == "en"
    r = admin.patch(f"{A1}/portals/{slug}", json={"portal": {"config": {"allowed_locales": ["de", "fr"]}}})
    assert r.status_code == 200
    assert [c["code"] for c in r.json()["config"]["allowed_locales"]] == ["de", "fr"]
    assert r.json()["config"]["default_locale"] == "en"
    r = admin.post(f"{A1}/portals", json={"portal": {"name": "First", "slug": "first-allowed",
                                                    "config": {"allowed_locales": ["fr", "en"]}}})
    assert r.json()["config"]["default_locale"] == "fr"  # no stored default yet: the first allowed locale
