"""Teams (docs/chatwoot-behaviour.md#teams), team members (#team-members), inbox members (#inbox-members) and agents (#agents)."""

from __future__ import annotations

from cw_emu_helpers import A1, new_agent, new_inbox

AGENT_KEYS = {"id", "account_id", "availability_status", "auto_offline", "confirmed", "email", "provider",
              "available_name", "name", "role", "thumbnail", "custom_role_id"}


# ---------------------------------------------------------------- teams docs/chatwoot-behaviour.md#teams
def test_team_create_lowercases_and_shape(admin):
    """docs/chatwoot-behaviour.md#teams: name lower-cased; JSON keys id,name,description,allow_auto_assign,account_id,is_member."""
    r = admin.post(f"{A1}/teams", json={"team": {"name": "Billing Team", "description": "d"}})
    assert r.status_code == 200
    assert r.json() == {"id": r.json()["id"], "name": "billing team", "description": "d",
                        "allow_auto_assign": True, "account_id": 1, "is_member": False}


def test_team_top_level_keys_auto_wrapped(admin):
    """docs/chatwoot-behaviour.md#general-rules: with JSON content type top-level keys are wrapped into "team"."""
    r = admin.post(f"{A1}/teams", json={"name": "Wrapped", "allow_auto_assign": False})
    assert r.status_code == 200 and r.json()["name"] == "wrapped" and r.json()["allow_auto_assign"] is False


def test_team_name_unique_case_insensitive(admin):
    """docs/chatwoot-behaviour.md#teams/#duplicates-and-missing-objects: duplicate name (any case) → 422 Name has already been taken."""
    assert admin.post(f"{A1}/teams", json={"name": "Unique"}).status_code == 200
    r = admin.post(f"{A1}/teams", json={"name": "UNIQUE"})
    assert r.status_code == 422
    assert r.json() == {"message": "Name has already been taken", "attributes": ["name"]}


def test_team_list_is_bare_array(admin):
    """docs/chatwoot-behaviour.md#teams: GET teams → bare array."""
    r = admin.get(f"{A1}/teams")
    assert r.status_code == 200 and isinstance(r.json(), list) and r.json()


def test_team_is_member_relative_to_caller(admin, agent):
    """docs/chatwoot-behaviour.md#teams: is_member reflects the calling user."""
    team = admin.post(f"{A1}/teams", json={"name": "membership view"}).json()
    agent_id = agent.get("/api/v1/profile").json()["id"]
    admin.post(f"{A1}/teams/{team['id']}/team_members", json={"user_ids": [agent_id]})
    assert agent.get(f"{A1}/teams/{team['id']}").json()["is_member"] is True
    assert admin.get(f"{A1}/teams/{team['id']}").json()["is_member"] is False
    mine = {t["id"]: t["is_member"] for t in agent.get(f"{A1}/teams").json()}
    assert mine[team["id"]] is True


def test_team_update_and_delete(admin):
    """docs/chatwoot-behaviour.md#teams: PATCH updates; DELETE → 200 empty body, then 404."""
    team = admin.post(f"{A1}/teams", json={"name": "to delete"}).json()
    r = admin.patch(f"{A1}/teams/{team['id']}", json={"name": "Renamed Del"})
    assert r.status_code == 200 and r.json()["name"] == "renamed del"
    r = admin.delete(f"{A1}/teams/{team['id']}")
    assert r.status_code == 200 and r.content == b""
    assert admin.get(f"{A1}/teams/{team['id']}").status_code == 404


def test_team_blank_name(admin):
    """docs/chatwoot-behaviour.md#teams: name required ("must not be blank")."""
    r = admin.post(f"{A1}/teams", json={"team": {"name": "", "description": "x"}})
    assert r.status_code == 422 and r.json()["attributes"] == ["name"]


# ---------------------------------------------------------------- team members docs/chatwoot-behaviour.md#team-members
def _team(admin, name):
    return admin.post(f"{A1}/teams", json={"name": name}).json()


def test_team_members_post_returns_only_new(admin):
    """docs/chatwoot-behaviour.md#team-members: POST returns only newly added agents (empty array if all were members)."""
    team = _team(admin, "tm post")
    a = new_agent(admin, "tm1@example.com")
    r = admin.post(f"{A1}/teams/{team['id']}/team_members", json={"user_ids": [a["id"], 1]})
    assert r.status_code == 200 and sorted(x["id"] for x in r.json()) == sorted([a["id"], 1])
    r = admin.post(f"{A1}/teams/{team['id']}/team_members", json={"user_ids": [a["id"]]})
    assert r.status_code == 200 and r.json() == []


def test_team_members_patch_replace_set(admin):
    """docs/chatwoot-behaviour.md#team-members: PATCH replace-set returns all members after the change."""
    team = _team(admin, "tm patch")
    a, b = new_agent(admin, "tm2@example.com"), new_agent(admin, "tm3@example.com")
    admin.post(f"{A1}/teams/{team['id']}/team_members", json={"user_ids": [a["id"]]})
    r = admin.patch(f"{A1}/teams/{team['id']}/team_members", json={"user_ids": [b["id"], 1]})
    assert r.status_code == 200 and sorted(x["id"] for x in r.json()) == sorted([b["id"], 1])
    got = admin.get(f"{A1}/teams/{team['id']}/team_members").json()
    assert sorted(x["id"] for x in got) == sorted([b["id"], 1])
    assert set(got[0]) == AGENT_KEYS


def test_team_members_string_ids_remove_everyone(admin):
    """docs/chatwoot-behaviour.md#team-members: string ids never match, so PATCH with strings adds nothing and removes every member."""
    team = _team(admin, "tm strings")
    a = new_agent(admin, "tm4@example.com")
    admin.post(f"{A1}/teams/{team['id']}/team_members", json={"user_ids": [a["id"], 1]})
    r = admin.patch(f"{A1}/teams/{team['id']}/team_members", json={"user_ids": [str(a["id"]), "1"]})
    assert r.status_code == 200 and r.json() == []
    assert admin.get(f"{A1}/teams/{team['id']}/team_members").json() == []


def test_team_members_non_account_user_401(admin, platform):
    """docs/chatwoot-behaviour.md#team-members: any id that is not a user of the account → 401 Invalid User IDs."""
    team = _team(admin, "tm invalid")
    outsider = platform.post("/platform/api/v1/users", json={
        "name": "Outsider", "email": "outsider@example.com", "password": "Passw0rd!"}).json()
    for ids in ([outsider["id"]], [999999]):
        r = admin.post(f"{A1}/teams/{team['id']}/team_members", json={"user_ids": ids})
        assert r.status_code == 401 and r.json() == {"error": "Invalid User IDs"}


def test_team_members_missing_user_ids_500(admin):
    """docs/chatwoot-behaviour.md#team-members: missing user_ids → 500."""
    team = _team(admin, "tm missing")
    r = admin.post(f"{A1}/teams/{team['id']}/team_members", json={})
    assert r.status_code == 500


def test_team_members_delete(admin):
    """docs/chatwoot-behaviour.md#team-members: DELETE removes listed ids; non-members are a 200 no-op."""
    team = _team(admin, "tm delete")
    a = new_agent(admin, "tm5@example.com")
    admin.post(f"{A1}/teams/{team['id']}/team_members", json={"user_ids": [a["id"], 1]})
    r = admin.request("DELETE", f"{A1}/teams/{team['id']}/team_members", json={"user_ids": [a["id"]]})
    assert r.status_code == 200 and r.content == b""
    assert [x["id"] for x in admin.get(f"{A1}/teams/{team['id']}/team_members").json()] == [1]
    r = admin.request("DELETE", f"{A1}/teams/{team['id']}/team_members", json={"user_ids": [a["id"]]})
    assert r.status_code == 200


def test_team_members_agent_cannot_write(agent, admin):
    """docs/chatwoot-behaviour.md#team-members: writes are admin only → 401."""
    team = _team(admin, "tm agent")
    r = agent.post(f"{A1}/teams/{team['id']}/team_members", json={"user_ids": [1]})
    assert r.status_code == 401 and r.json() == {"error": "You are not authorized to do this action"}


# ---------------------------------------------------------------- inbox members docs/chatwoot-behaviour.md#inbox-members
def test_inbox_members_crud(admin):
    """docs/chatwoot-behaviour.md#inbox-members: POST adds ({payload: all}), PATCH replace-set, GET list, DELETE empty 200."""
    inbox = new_inbox(admin, "members")
    a, b = new_agent(admin, "im1@example.com"), new_agent(admin, "im2@example.com")
    r = admin.post(f"{A1}/inbox_members", json={"inbox_id": inbox["id"], "user_ids": [a["id"]]})
    assert r.status_code == 200 and [x["id"] for x in r.json()["payload"]] == [a["id"]]
    r = admin.post(f"{A1}/inbox_members", json={"inbox_id": inbox["id"], "user_ids": [b["id"]]})
    assert sorted(x["id"] for x in r.json()["payload"]) == sorted([a["id"], b["id"]])
    r = admin.patch(f"{A1}/inbox_members", json={"inbox_id": inbox["id"], "user_ids": [b["id"]]})
    assert [x["id"] for x in r.json()["payload"]] == [b["id"]]
    r = admin.get(f"{A1}/inbox_members/{inbox['id']}")
    assert r.status_code == 200 and [x["id"] for x in r.json()["payload"]] == [b["id"]]
    r = admin.request("DELETE", f"{A1}/inbox_members", json={"inbox_id": inbox["id"], "user_ids": [b["id"], 99999]})
    assert r.status_code == 200 and r.content == b""
    assert admin.get(f"{A1}/inbox_members/{inbox['id']}").json() == {"payload": []}


def test_inbox_members_unknown_user_422(admin):
    """docs/chatwoot-behaviour.md#inbox-members: unknown user id → 422 "User must exist"."""
    inbox = new_inbox(admin, "members 422")
    r = admin.post(f"{A1}/inbox_members", json={"inbox_id": inbox["id"], "user_ids": [999999]})
    assert r.status_code == 422 and r.json() == {"message": "User must exist", "attributes": ["user"]}


def test_inbox_members_missing_user_ids_500(admin):
    """docs/chatwoot-behaviour.md#inbox-members: missing user_ids on POST/PATCH → 500."""
    inbox = new_inbox(admin, "members 500")
    assert admin.post(f"{A1}/inbox_members", json={"inbox_id": inbox["id"]}).status_code == 500
    assert admin.patch(f"{A1}/inbox_members", json={"inbox_id": inbox["id"]}).status_code == 500


# ---------------------------------------------------------------- agents docs/chatwoot-behaviour.md#agents
def test_agent_create_shape_and_defaults(admin):
    """docs/chatwoot-behaviour.md#agents: agent JSON keys; defaults role agent, auto_offline true (so it reads offline); unconfirmed."""
    r = admin.post(f"{A1}/agents", json={"agent": {"email": "New.Agent@Example.COM", "name": "New Agent"}})
    assert r.status_code == 200
    body = r.json()
    assert set(body) == AGENT_KEYS
    assert body["email"] == "new.agent@example.com"  # docs/chatwoot-behaviour.md#defaults-and-normalisation lower-cased
    assert (body["role"], body["availability_status"], body["auto_offline"]) == ("agent", "offline", True)
    assert body["confirmed"] is False and body["account_id"] == 1


def test_agent_name_defaults_to_local_part(admin):
    """docs/chatwoot-behaviour.md#defaults-and-normalisation: name defaults to the email local part (≥4.14.0)."""
    r = admin.post(f"{A1}/agents", json={"email": "nameless@example.com"})
    assert r.status_code == 200 and r.json()["name"] == "nameless"


def test_agent_already_member_422(admin):
    """docs/chatwoot-behaviour.md#agents/#duplicates-and-missing-objects: already a member → 422 User has already been taken."""
    new_agent(admin, "twice@example.com")
    r = admin.post(f"{A1}/agents", json={"email": "TWICE@example.com"})
    assert r.status_code == 422
    assert r.json() == {"message": "User has already been taken", "attributes": ["user"]}


def test_agent_reuses_existing_user(admin, platform):
    """docs/chatwoot-behaviour.md#agents: create reuses an existing user by email (name ignored)."""
    u = platform.post("/platform/api/v1/users", json={
        "name": "Existing Person", "email": "existing@example.com", "password": "Passw0rd!"}).json()
    r = admin.post(f"{A1}/agents", json={"email": "existing@example.com", "name": "Other Name"})
    assert r.status_code == 200 and r.json()["id"] == u["id"] and r.json()["name"] == "Existing Person"


def test_agent_invalid_role_500(admin):
    """docs/chatwoot-behaviour.md#agents: invalid role → 500 (enum)."""
    r = admin.post(f"{A1}/agents", json={"email": "badrole@example.com", "role": "owner"})
    assert r.status_code == 500


def test_agent_list_update_delete(admin):
    """docs/chatwoot-behaviour.md#agents: list ordered by lower(name) incl. admins; update name/role; delete removes membership."""
    a = new_agent(admin, "upd@example.com", name="zeta")
    r = admin.patch(f"{A1}/agents/{a['id']}", json={"name": "Alpha", "role": "administrator",
                                                   "availability": "busy", "auto_offline": False})
    assert r.status_code == 200
    assert (r.json()["name"], r.json()["role"], r.json()["availability_status"]) == ("Alpha", "administrator", "busy")
    listed = admin.get(f"{A1}/agents").json()
    names = [x["name"] for x in listed]
    assert names == sorted(names, key=str.lower) and 1 in [x["id"] for x in listed]
    r = admin.delete(f"{A1}/agents/{a['id']}")
    assert r.status_code == 200 and r.content == b""
    assert a["id"] not in [x["id"] for x in admin.get(f"{A1}/agents").json()]
    assert admin.patch(f"{A1}/agents/{a['id']}", json={"name": "x"}).status_code == 404


def test_agent_missing_root_form(admin):
    """docs/chatwoot-behaviour.md#general-rules: agents read root "agent"; non-JSON without nesting → 422 param missing."""
    r = admin.post(f"{A1}/agents", content=b"email=a@b.c", headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 422 and r.json() == {"error": "param is missing or the value is empty: agent"}
