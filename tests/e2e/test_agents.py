"""Provider agents and team/inbox membership through the real pulumi CLI (issue #6 "Done when")."""

import pytest
import yaml
from e2e_support import OWNERSHIP_CHECK

pytestmark = pytest.mark.e2e

HARBOR = ["marta.jansen@harbor-vps.example", "support-lead@marketplace.example", "tom.de.vries@harbor-vps.example"]
GREENLEAF = ["priya.natarajan@greenleaf-hosting.example", "support-lead@marketplace.example"]


def agents(d) -> dict:
    return {a["email"]: a for a in d.api("GET", "/agents").json()}


def team_id(d, name: str) -> int:
    return [t["id"] for t in d.api("GET", "/teams").json() if t["name"] == name][0]


def inbox_id(d, name: str) -> int:
    return [i["id"] for i in d.api("GET", "/inboxes").json()["payload"] if i["name"] == name][0]


def team_emails(d, name: str) -> list[str]:
    return sorted(a["email"] for a in d.api("GET", f"/teams/{team_id(d, name)}/team_members").json())


def inbox_emails(d, name: str) -> list[str]:
    return sorted(a["email"] for a in d.api("GET", f"/inbox_members/{inbox_id(d, name)}").json()["payload"])


def edit_agents(d, slug: str, new_agents: list[dict] | None, **extra) -> None:
    path = d.providers / f"{slug}.yaml"
    doc = yaml.safe_load(path.read_text())
    if new_agents is None:
        doc.pop("agents", None)
    else:
        doc["agents"] = new_agents
    doc.update(extra)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def assert_converged(d) -> None:
    """A second up makes no call but the ownership check's three lists, and preview (with refresh) sees nothing to do."""
    d.reset_stats()
    summary = d.up()
    assert set(summary["resourceChanges"]) == {"same"}, summary
    assert d.stats()["by_route"] == OWNERSHIP_CHECK, d.stats()
    d.run("preview", "--refresh", "--expect-no-changes")
    assert d.writes() == 0


def test_add_remove_and_change_role_do_exactly_that(deployment):
    d = deployment
    d.up()
    live = agents(d)
    assert live["marta.jansen@harbor-vps.example"]["role"] == "agent"  # a provider's people are agents
    assert live["tom.de.vries@harbor-vps.example"]["role"] == "agent"
    assert live["marta.jansen@harbor-vps.example"]["name"] == "Marta Jansen"
    assert live["support-lead@marketplace.example"]["availability_status"] == "busy"
    assert team_emails(d, "harbor vps team") == HARBOR
    assert inbox_emails(d, "Harbor VPS Support") == HARBOR
    assert team_emails(d, "greenleaf hosting team") == GREENLEAF
    assert team_emails(d, "nimbus cloud team") == []
    assert_converged(d)

    # Tom leaves, Jan joins (Marta stays an agent: a provider file grants nothing more).
    edit_agents(d, "harbor-vps", [
        {"email": "marta.jansen@harbor-vps.example", "name": "Marta Jansen", "role": "agent"},
        {"email": "support-lead@marketplace.example", "name": "Marketplace Support Lead"},
        {"email": "jan.bakker@harbor-vps.example", "name": "Jan Bakker"},
    ])
    preview = d.run("preview", "--diff")
    out = preview.stdout + preview.stderr  # provider lines reach the CLI's stderr during preview
    assert "team of provider harbor-vps: joins jan.bakker@harbor-vps.example; leaves tom.de.vries@harbor-vps.example" in out
    assert "+ jan.bakker@harbor-vps.example" in out and "- tom.de.vries@harbor-vps.example" in out  # user_ids diff
    d.reset_stats()
    d.up()
    live = agents(d)
    assert "tom.de.vries@harbor-vps.example" not in live  # no provider declares him any more
    assert live["marta.jansen@harbor-vps.example"]["role"] == "agent"
    assert live["jan.bakker@harbor-vps.example"]["role"] == "agent"
    want = sorted(["marta.jansen@harbor-vps.example", "support-lead@marketplace.example", "jan.bakker@harbor-vps.example"])
    assert team_emails(d, "harbor vps team") == want
    assert inbox_emails(d, "Harbor VPS Support") == want
    assert team_emails(d, "greenleaf hosting team") == GREENLEAF  # untouched
    assert_converged(d)


def test_same_person_in_two_providers_is_one_account_user(deployment):
    d = deployment
    lead = "support-lead@marketplace.example"
    d.up()
    assert [a["email"] for a in d.api("GET", "/agents").json()].count(lead) == 1
    assert lead in team_emails(d, "harbor vps team") and lead in team_emails(d, "greenleaf hosting team")

    # Harbor drops the lead: she leaves Harbor's team and inbox but stays an account user (Greenleaf).
    edit_agents(d, "harbor-vps", [a for a in yaml.safe_load((d.providers / "harbor-vps.yaml").read_text())["agents"]
                                  if a["email"] != lead])
    d.up()
    assert lead not in team_emails(d, "harbor vps team") and lead not in inbox_emails(d, "Harbor VPS Support")
    assert lead in team_emails(d, "greenleaf hosting team")
    assert lead in agents(d)

    # Greenleaf (additive) drops her too: she is still staff (_defaults.yaml), so she stays an account user.
    edit_agents(d, "greenleaf-hosting", [{"email": "priya.natarajan@greenleaf-hosting.example", "name": "Priya Natarajan"}])
    d.up()
    assert lead in agents(d) and agents(d)[lead]["role"] == "agent"
    assert team_emails(d, "greenleaf hosting team") == ["priya.natarajan@greenleaf-hosting.example"]
    assert_converged(d)

    # No longer staff either: the last declaration is gone, so is the account membership.
    defaults = d.providers / "_defaults.yaml"
    doc = yaml.safe_load(defaults.read_text())
    doc.pop("staff")
    defaults.write_text(yaml.safe_dump(doc, sort_keys=False))
    d.up()
    assert lead not in agents(d)
    assert_converged(d)


def test_hand_added_members_authoritative_removes_additive_keeps(deployment):
    d = deployment
    d.up()
    extra = d.emulator.tokens["agent_email"]
    extra_id = agents(d)[extra]["id"]
    for name in ("harbor vps team", "greenleaf hosting team"):  # harbor: authoritative, greenleaf: additive
        r = d.api("POST", f"/teams/{team_id(d, name)}/team_members", {"user_ids": [extra_id]})
        assert r.status_code == 200
    d.api("POST", "/inbox_members", {"inbox_id": inbox_id(d, "Harbor VPS Support"), "user_ids": [extra_id]})

    d.run("preview", "--expect-no-changes")  # without refresh the state still matches the program
    drift = d.run("preview", "--refresh", "--expect-no-changes", check=False)
    assert drift.returncode != 0
    out = drift.stdout + drift.stderr
    assert "harbor-vps-team-members" in out and "harbor-vps-inbox-members" in out
    assert f"team of provider harbor-vps: leaves {extra}" in out
    assert f"inbox of provider harbor-vps: leaves {extra}" in out
    assert "greenleaf-hosting: leaves" not in out

    d.up("--refresh")
    assert extra not in team_emails(d, "harbor vps team")
    assert extra not in inbox_emails(d, "Harbor VPS Support")
    assert team_emails(d, "harbor vps team") == HARBOR  # declared people untouched
    assert extra in team_emails(d, "greenleaf hosting team")  # additive: left alone
    assert extra in agents(d)  # never declared: the account user is not ours to remove
    assert_converged(d)


def test_preexisting_administrator_is_never_removed(deployment):
    d = deployment
    admin = d.emulator.tokens["admin_email"]
    # listed by a provider (so declared 'agent'): adopted, and kept administrator
    edit_agents(d, "nimbus-cloud", [{"email": admin, "name": "Marketplace Admin"}])
    d.up()
    assert team_emails(d, "nimbus cloud team") == [admin]
    assert len([a for a in d.api("GET", "/agents").json() if a["email"] == admin]) == 1  # adopted, not duplicated
    assert agents(d)[admin]["role"] == "administrator"
    preview = d.run("preview", "--refresh", "--expect-no-changes")  # kept on purpose: no drift ...
    assert f"agent {admin} holds account-wide rights: administrator before the catalog adopted them (kept)" in \
        preview.stdout + preview.stderr  # ... but named

    edit_agents(d, "nimbus-cloud", None)
    d.up()
    assert team_emails(d, "nimbus cloud team") == []  # leaves the provider's team ...
    assert agents(d)[admin]["role"] == "administrator"  # ... but keeps the account
    assert d.api("GET", "/teams").status_code == 200  # the operator's token still works
    assert_converged(d)


def test_faults_during_a_membership_change_never_empty_the_team(deployment):
    d = deployment
    d.up()
    edit_agents(d, "harbor-vps", [
        {"email": "marta.jansen@harbor-vps.example", "name": "Marta Jansen"},
        {"email": "jan.bakker@harbor-vps.example", "name": "Jan Bakker"},
    ])
    d.emulator.control("POST", "faults", json={"seed": 5, "error_rate": 0.2, "drop_rate": 0.1, "lost_response_rate": 0.3})
    outcomes = []
    for _ in range(5):
        outcomes.append(d.run("up", "--yes", check=False).returncode)
        d.emulator.control("POST", "faults", json={"error_rate": 0, "drop_rate": 0, "lost_response_rate": 0})
        assert team_emails(d, "harbor vps team") != []  # old set, new set, or in between: never empty
        d.emulator.control("POST", "faults", json={"error_rate": 0.2, "drop_rate": 0.1, "lost_response_rate": 0.3})
        if outcomes[-1] == 0:
            break
    d.emulator.control("POST", "faults", json={"error_rate": 0, "drop_rate": 0, "lost_response_rate": 0})
    d.up("--refresh")
    assert team_emails(d, "harbor vps team") == ["jan.bakker@harbor-vps.example", "marta.jansen@harbor-vps.example"]
    assert [a["email"] for a in d.api("GET", "/agents").json()].count("jan.bakker@harbor-vps.example") == 1
    assert "tom.de.vries@harbor-vps.example" not in agents(d)
    assert_converged(d)
