"""Custom roles as a real 4.15.1 server answers them (docs/isolation.md, "Chatwoot behaviour"): the
endpoints work without the account feature, but an assigned role only sticks with `custom_roles` on."""

from cw_emu_helpers import A1, new_agent


def test_custom_roles_crud_and_permission_list(admin, agent):
    r = admin.post(f"{A1}/custom_roles", json={"custom_role": {
        "name": "Provider support", "description": "own inboxes and knowledge base",
        "permissions": ["conversation_participating_manage", "knowledge_base_manage"]}})
    assert r.status_code == 200, r.text
    role = r.json()
    assert set(role) == {"id", "name", "description", "permissions", "created_at", "updated_at"}
    r = admin.post(f"{A1}/custom_roles", json={"custom_role": {"name": "Bad perm", "permissions": ["team_manage"]}})
    assert (r.status_code, r.json()) == (422, {"message": "Permissions is not included in the list",
                                               "attributes": ["permissions"]})
    r = admin.post(f"{A1}/custom_roles", json={"custom_role": {"name": "Provider support",
                                                               "permissions": ["contact_manage"]}})
    assert r.status_code == 200 and r.json()["description"] is None  # names need not be unique
    names = [x["name"] for x in admin.get(f"{A1}/custom_roles").json()]
    assert names == ["Provider support", "Provider support"]
    r = admin.patch(f"{A1}/custom_roles/{role['id']}",
                    json={"custom_role": {"permissions": ["conversation_participating_manage"]}})
    assert r.json()["permissions"] == ["conversation_participating_manage"]
    assert agent.post(f"{A1}/custom_roles", json={"custom_role": {"name": "x", "permissions": []}}).status_code == 401


def test_assigning_takes_effect_only_with_the_account_feature(admin, platform):
    role = admin.post(f"{A1}/custom_roles", json={"custom_role": {"name": "R", "permissions": ["contact_manage"]}}).json()
    a = new_agent(admin, "roles-a@x.example")
    assert a["custom_role_id"] is None
    r = admin.patch(f"{A1}/agents/{a['id']}", json={"agent": {"custom_role_id": role["id"]}})
    assert r.status_code == 200 and r.json()["custom_role_id"] is None  # no custom_roles feature
    r = platform.post("/platform/api/v1/accounts/1/account_users",
                      json={"user_id": a["id"], "role": "agent", "custom_role_id": role["id"]})
    assert r.json()["custom_role_id"] is None

    platform.patch("/platform/api/v1/accounts/1", json={"features": {"custom_roles": True}}).raise_for_status()
    try:
        r = admin.patch(f"{A1}/agents/{a['id']}", json={"agent": {"custom_role_id": role["id"]}})
        assert r.json()["custom_role_id"] == role["id"]
        # an update without it clears it (the enterprise code sets it from every request)
        assert admin.patch(f"{A1}/agents/{a['id']}", json={"agent": {"name": "A"}}).json()["custom_role_id"] is None
        admin.patch(f"{A1}/agents/{a['id']}", json={"agent": {"custom_role_id": role["id"]}})
        r = admin.delete(f"{A1}/custom_roles/{role['id']}")
        assert r.status_code == 200 and r.content == b""
        live = {x["id"]: x for x in admin.get(f"{A1}/agents").json()}
        assert live[a["id"]]["custom_role_id"] is None  # nullified with the role
    finally:
        platform.patch("/platform/api/v1/accounts/1", json={"features": {"custom_roles": False}})
