"""The reconciler through the real pulumi CLI against the emulator (issue: reconciler "Done when")."""

import pytest
from e2e_support import OWNERSHIP_CHECK

pytestmark = pytest.mark.e2e


def _names(resp):
    body = resp.json()
    items = body["payload"] if isinstance(body, dict) else body
    return sorted(i["name"] if "name" in i else i for i in items)


def assert_created_in_order(deployment):
    """Every inbox depends on its portal, every membership on its team / inbox and on the agents it
    names (from the outputs passed as inputs, component.py), so Pulumi orders creates and deletes."""
    import json

    state = json.loads(deployment.run("stack", "export", "--stack", deployment.stack).stdout)
    deps = {r["urn"].rsplit("::", 1)[-1]: set(r.get("dependencies") or [])
            for r in state["deployment"]["resources"]}
    urn = {r["urn"].rsplit("::", 1)[-1]: r["urn"] for r in state["deployment"]["resources"]}
    for slug in ("greenleaf-hosting", "harbor-vps", "nimbus-cloud"):
        assert urn[f"{slug}-portal"] in deps[f"{slug}-inbox"]
        assert urn[f"{slug}-team"] in deps[f"{slug}-team-members"]
        assert urn[f"{slug}-inbox"] in deps[f"{slug}-inbox-members"]
    agent = urn["agent-marta-jansen-at-harbor-vps-example"]
    assert agent in deps["harbor-vps-team-members"] and agent in deps["harbor-vps-inbox-members"]


def test_up_creates_one_of_each_then_second_up_makes_no_write(deployment):
    summary = deployment.up()
    # 3 providers × (component + inbox + team + portal + team members + inbox members)
    # + 4 unique agents (issue #6) + the stack
    assert summary["resourceChanges"] == {"create": 23}
    assert _names(deployment.api("GET", "/inboxes")) == [
        "Greenleaf Hosting Support", "Harbor VPS Support", "Nimbus Cloud Support"]
    assert _names(deployment.api("GET", "/teams")) == [
        "greenleaf hosting team", "harbor vps team", "nimbus cloud team"]  # docs/chatwoot-behaviour.md#teams lower-cased
    portals = deployment.api("GET", "/portals").json()["payload"]
    assert sorted(p["slug"] for p in portals) == ["greenleaf-hosting-965a9ea1", "harbor-vps-help", "nimbus-cloud-d231b58d"]

    assert_created_in_order(deployment)

    deployment.reset_stats()
    summary = deployment.up()
    assert summary["resourceChanges"] == {"same": 23}
    assert deployment.stats()["by_route"] == OWNERSHIP_CHECK, deployment.stats()  # no other read
    deployment.reset_stats()
    deployment.run("preview", "--expect-no-changes")
    assert deployment.stats()["total"] == 0, deployment.stats()  # a preview makes no ownership check, no read


def test_one_field_change_is_one_update(deployment):
    deployment.up()
    path = deployment.providers / "nimbus-cloud.yaml"
    path.write_text(path.read_text() + "\ninbox:\n  timezone: Asia/Tokyo\n")
    plan = deployment.preview_json("--diff")
    changed = [s for s in plan["steps"] if s["op"] != "same"]
    assert [s["urn"].rsplit("::", 1)[1] for s in changed] == ["nimbus-cloud-inbox"]
    old, new = changed[0]["oldState"]["inputs"], changed[0]["newState"]["inputs"]
    assert {k for k in old.keys() | new.keys() if old.get(k) != new.get(k)} == {"timezone"}

    deployment.reset_stats()
    assert deployment.up()["resourceChanges"] == {"same": 22, "update": 1}
    # the one PATCH, plus the ownership check's 3 list calls that end every up (README)
    assert deployment.stats()["by_route"] == {
        **OWNERSHIP_CHECK, "PATCH /api/v1/accounts/{account_id}/inboxes/{inbox_id}": 1}, deployment.stats()
    inbox = [i for i in deployment.api("GET", "/inboxes").json()["payload"] if i["name"] == "Nimbus Cloud Support"][0]
    assert inbox["timezone"] == "Asia/Tokyo"


def test_drift_in_chatwoot_is_seen_by_refresh_and_reverted(deployment):
    deployment.up()
    team = [t for t in deployment.api("GET", "/teams").json() if t["name"] == "harbor vps team"][0]
    r = deployment.api("PATCH", f"/teams/{team['id']}", {"team": {"description": "changed by hand"}})
    assert r.status_code == 200

    deployment.run("preview", "--expect-no-changes")  # without refresh, state still matches the program
    drift = deployment.run("preview", "--refresh", "--expect-no-changes", check=False)
    assert drift.returncode != 0
    assert "harbor-vps-team" in drift.stdout

    assert deployment.up("--refresh")["resourceChanges"].get("update") == 1
    team = deployment.api("GET", f"/teams/{team['id']}").json()
    assert team["description"] == "Second-line support for Harbor VPS customers"
    deployment.run("preview", "--refresh", "--expect-no-changes")


def test_existing_objects_are_adopted_not_duplicated(deployment):
    # Someone made Nimbus Cloud's objects by hand before the catalog existed.
    assert deployment.api("POST", "/teams", {"team": {"name": "NIMBUS CLOUD TEAM"}}).status_code == 200
    assert deployment.api("POST", "/inboxes", {"name": "Nimbus Cloud Support", "channel": {"type": "api"}}).status_code == 200
    assert deployment.api("POST", "/portals", {"portal": {"name": "Old", "slug": "nimbus-cloud-d231b58d", "custom_domain": ""}}).status_code == 200

    deployment.up()
    assert len(deployment.api("GET", "/teams").json()) == 3
    assert len(deployment.api("GET", "/inboxes").json()["payload"]) == 3
    portals = deployment.api("GET", "/portals").json()["payload"]
    assert len(portals) == 3
    assert [p["name"] for p in portals if p["slug"] == "nimbus-cloud-d231b58d"] == ["Nimbus Cloud Help Center"]
    deployment.run("preview", "--refresh", "--expect-no-changes")


def test_removing_a_provider_with_default_offboarding_keeps_its_objects(deployment):
    deployment.up()
    deployment.remove_provider("nimbus-cloud")  # offboarding: retain (default)
    plan = deployment.run("preview", "--diff")
    assert "[retain]" in plan.stdout
    deployment.up()
    assert "Nimbus Cloud Support" in _names(deployment.api("GET", "/inboxes"))
    assert "nimbus cloud team" in _names(deployment.api("GET", "/teams"))
    assert any(p["slug"] == "nimbus-cloud-d231b58d" for p in deployment.api("GET", "/portals").json()["payload"])


def test_offboarding_archive_archives_the_portal_and_keeps_the_inbox(deployment):
    deployment.up()
    deployment.remove_provider("harbor-vps")  # offboarding: archive
    deployment.up()
    portal = [p for p in deployment.api("GET", "/portals").json()["payload"] if p["slug"] == "harbor-vps-help"][0]
    assert portal["archived"] is True
    assert "Harbor VPS Support" in _names(deployment.api("GET", "/inboxes"))


def test_offboarding_delete_deletes_after_being_applied(deployment):
    path = deployment.providers / "nimbus-cloud.yaml"
    path.write_text(path.read_text() + "\noffboarding: delete\n")
    deployment.up()
    deployment.remove_provider("nimbus-cloud")
    deployment.up()
    deployment.emulator.control("POST", "jobs/run")
    assert "Nimbus Cloud Support" not in _names(deployment.api("GET", "/inboxes"))
    assert "nimbus cloud team" not in _names(deployment.api("GET", "/teams"))
    assert not any(p["slug"] == "nimbus-cloud-d231b58d" for p in deployment.api("GET", "/portals").json()["payload"])


def test_invalid_yaml_fails_before_any_api_call(deployment):
    deployment.write_provider("broken", "slug: broken\nname: Broken\nportal:\n  color: '#12345'\n")
    deployment.reset_stats()
    proc = deployment.run("up", "--yes", check=False)
    assert proc.returncode != 0
    assert "broken.yaml:4:" in proc.stdout and "portal.color" in proc.stdout
    assert deployment.stats()["total"] == 0
