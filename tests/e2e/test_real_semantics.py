"""Issue 14: what a real Chatwoot 4.15.1 showed, through the real pulumi CLI and the `cwtenants` CLI.

The emulator behaves like the real server here: `availability_status` is presence-derived (new
account users get `auto_offline: true` and read `offline` without a live dashboard session).
"""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest
import yaml

pytestmark = pytest.mark.e2e


def cwtenants(d, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """The operator CLI in the deployment's project folder, with its pulumi, backend and stack."""
    return subprocess.run([sys.executable, "-m", "cwtenants.cli", *args], cwd=d.cwd, env={**d.env(), **(env or {})},
                          capture_output=True, text=True, timeout=300)


def agents(d) -> dict:
    return {a["email"]: a for a in d.api("GET", "/agents").json()}


def team_id(d, name: str) -> int:
    return next(t["id"] for t in d.api("GET", "/teams").json() if t["name"] == name)


def team_emails(d, tid: int) -> list[str]:
    return sorted(m["email"] for m in d.api("GET", f"/teams/{tid}/team_members").json())


def inbox_emails(d, iid: int) -> list[str]:
    return sorted(m["email"] for m in d.api("GET", f"/inbox_members/{iid}").json()["payload"])


# ------------------------------------------------------------------ item 1: availability


def test_declared_availability_holds_and_a_persons_own_status_is_not_drift(deployment):
    d = deployment
    d.up()
    live = agents(d)
    # declared: kept as declared whatever the person's presence (auto_offline switched off for them)
    assert live["marta.jansen@harbor-vps.example"]["availability_status"] == "online"
    assert live["marta.jansen@harbor-vps.example"]["auto_offline"] is False
    assert live["support-lead@marketplace.example"]["availability_status"] == "busy"
    # not declared: Chatwoot's default (presence-derived) is left alone
    tom = live["tom.de.vries@harbor-vps.example"]
    assert tom["auto_offline"] is True and tom["availability_status"] == "offline"

    d.run("preview", "--refresh", "--expect-no-changes")
    r = cwtenants(d, "drift", "-d", "providers")
    assert r.returncode == 0, r.stdout + r.stderr

    # Tom opens the dashboard (online) — his own status, not the catalog's: still no drift
    d.emulator.control("POST", "presence", {"user_id": tom["id"], "online": True})
    assert agents(d)["tom.de.vries@harbor-vps.example"]["availability_status"] == "online"
    d.run("preview", "--refresh", "--expect-no-changes")
    assert cwtenants(d, "drift", "-d", "providers").returncode == 0

    # someone switches auto-offline back on for Marta: the catalog claims her availability, so that is drift
    d.api("PATCH", f"/agents/{live['marta.jansen@harbor-vps.example']['id']}",
          {"agent": {"auto_offline": True}})
    drift = d.run("preview", "--refresh", "--expect-no-changes", check=False)
    assert drift.returncode != 0 and "agent-marta-jansen" in drift.stdout
    d.up("--refresh")
    assert agents(d)["marta.jansen@harbor-vps.example"]["availability_status"] == "online"
    d.run("preview", "--refresh", "--expect-no-changes")


# ------------------------------------------------------------------ item 2: adopt keeps members


def _hand_made_provider(d, inbox_people: list[str], team_people: list[str]) -> tuple[int, int]:
    ids = {}
    for email in sorted(set(inbox_people) | set(team_people)):
        r = d.api("POST", "/agents", {"agent": {"name": email.split("@")[0].title(), "email": email,
                                                "role": "agent"}})
        assert r.status_code == 200, r.text
        ids[email] = r.json()["id"]
    team = d.api("POST", "/teams", {"team": {"name": "Old Host Team"}}).json()
    portal = d.api("POST", "/portals", {"portal": {"name": "Old Host Help Center", "slug": "oldhost-help"}}).json()
    inbox = d.api("POST", "/inboxes", {"name": "Old Host Support", "portal_id": portal["id"],
                                       "channel": {"type": "api"}}).json()
    d.api("POST", f"/teams/{team['id']}/team_members", {"user_ids": [ids[e] for e in team_people]})
    d.api("POST", "/inbox_members", {"inbox_id": inbox["id"], "user_ids": [ids[e] for e in inbox_people]})
    return team["id"], inbox["id"]


def test_adopt_then_up_keeps_every_member_and_plan_is_clean(empty_deployment):
    d = empty_deployment
    people = ["ana@oldhost.example", "ben@oldhost.example"]
    tid, iid = _hand_made_provider(d, people, people)

    r = cwtenants(d, "adopt", "-d", "providers")
    assert r.returncode == 0, r.stdout + r.stderr
    doc = yaml.safe_load((d.providers / "old-host.yaml").read_text())
    assert [a["email"] for a in doc["agents"]] == people and doc["membership"] == "authoritative"

    r = cwtenants(d, "plan", "--members", "-d", "providers")
    assert r.returncode == 0, r.stdout + r.stderr  # "expect no changes to adopted objects" holds

    preview = d.run("preview")
    assert "leaves" not in preview.stdout + preview.stderr
    d.up()
    assert team_emails(d, tid) == people and inbox_emails(d, iid) == people
    d.run("preview", "--refresh", "--expect-no-changes")


def test_adopt_with_different_team_and_inbox_members_changes_nobody(empty_deployment):
    d = empty_deployment
    tid, iid = _hand_made_provider(d, ["ana@oldhost.example"], ["ana@oldhost.example", "ben@oldhost.example"])
    assert cwtenants(d, "adopt", "-d", "providers").returncode == 0
    doc = yaml.safe_load((d.providers / "old-host.yaml").read_text())
    assert doc["membership"] == "additive" and [a["email"] for a in doc["agents"]] == ["ana@oldhost.example"]
    d.up()
    assert team_emails(d, tid) == ["ana@oldhost.example", "ben@oldhost.example"]
    assert inbox_emails(d, iid) == ["ana@oldhost.example"]


def test_membership_removal_on_an_adopted_team_is_named_in_preview_and_run(empty_deployment):
    d = empty_deployment
    people = ["ana@oldhost.example", "ben@oldhost.example"]
    tid, _ = _hand_made_provider(d, people, people)
    d.write_provider("old-host", {"name": "Old Host", "agents": [{"email": "ana@oldhost.example", "name": "Ana"}],
                                  "membership": "authoritative"})
    preview = d.run("preview")
    assert "leaves ben@oldhost.example" in preview.stdout + preview.stderr
    up = d.run("up", "--yes")
    assert "leaves ben@oldhost.example" in up.stdout + up.stderr
    assert team_emails(d, tid) == ["ana@oldhost.example"]


# ------------------------------------------------------------------ item 3: renamed objects


def test_a_team_renamed_in_chatwoot_is_recognised_and_never_owned_twice(deployment):
    d = deployment
    d.up()
    tid = team_id(d, "harbor vps team")
    d.api("PATCH", f"/teams/{tid}", {"team": {"name": "Harbor Support"}})

    r = cwtenants(d, "plan", "-d", "providers")
    assert r.returncode == 2, r.stdout + r.stderr
    assert "was renamed in Chatwoot" in r.stdout and "would be created" not in r.stdout
    assert "? team 'harbor support'" not in r.stdout  # not unmanaged: the stack owns it
    r = cwtenants(d, "adopt", "--dry-run", "-d", "providers")
    assert r.returncode == 0 and "nothing to adopt" in r.stdout, r.stdout + r.stderr

    # someone writes a provider file for the renamed team anyway: create() must not take it
    d.write_provider("harbor-support", {"name": "Harbor Support", "team": {"name": "Harbor Support"}})
    up = d.run("up", "--yes", check=False)
    assert up.returncode != 0
    assert "already belongs to provider harbor-vps" in up.stdout + up.stderr
    # an expected refusal: one clear line, no traceback of the provider code
    assert "resources/base.py" not in up.stdout + up.stderr and "resources/team.py" not in up.stdout + up.stderr
    teams = [t for t in d.api("GET", "/teams").json() if t["id"] == tid]
    assert teams[0]["name"] == "harbor support"
    owners = [r for r in d.export()["deployment"]["resources"]
              if r["type"].endswith("cwtenants:Team") and r.get("outputs", {}).get("team_id") == tid]
    assert len(owners) == 1

    d.remove_provider("harbor-support")
    d.up("--refresh")
    assert d.api("GET", f"/teams/{tid}").json()["name"] == "harbor vps team"
    d.run("preview", "--refresh", "--expect-no-changes")


# ------------------------------------------------------------------ item 5: another account


def test_a_stack_refuses_another_account_without_an_explicit_override(deployment):
    d = deployment
    d.up()
    platform = {"api_access_token": d.emulator.tokens["platform_token"]}
    acc = httpx.post(f"{d.emulator.url}/platform/api/v1/accounts", json={"name": "Other"}, headers=platform).json()
    me = httpx.get(f"{d.emulator.url}/api/v1/profile",
                   headers={"api_access_token": d.emulator.tokens["admin_token"]}).json()
    r = httpx.post(f"{d.emulator.url}/platform/api/v1/accounts/{acc['id']}/account_users",
                   json={"user_id": me["id"], "role": "administrator"}, headers=platform)
    assert r.status_code == 200, r.text
    d.extra_env["CHATWOOT_ACCOUNT_ID"] = str(acc["id"])
    d.reset_stats()

    preview = d.run("preview", check=False)
    assert preview.returncode != 0
    assert f"this stack manages Chatwoot {d.emulator.url} account 1" in preview.stdout + preview.stderr
    refreshed = d.run("preview", "--refresh", check=False)
    assert refreshed.returncode != 0 and "to create" not in refreshed.stdout
    plan = cwtenants(d, "plan", "-d", "providers")
    assert plan.returncode == 1 and "this stack manages Chatwoot" in plan.stderr, plan.stdout + plan.stderr
    assert d.writes() == 0

    # the override in the stack config file (a bool) is honoured by the read-only CLI as by the program
    d.run("config", "set", "--stack", d.stack, "--type", "bool", "cwtenants:allowOtherChatwoot", "true")
    plan = cwtenants(d, "plan", "-q", "-d", "providers")
    assert plan.returncode == 2 and "would be created" in plan.stdout, plan.stdout + plan.stderr
    d.run("config", "rm", "--stack", d.stack, "cwtenants:allowOtherChatwoot")
    assert d.writes() == 0

    # the explicit override: the stack moves to the other account
    d.extra_env["CWT_ALLOW_OTHER_CHATWOOT"] = "1"
    d.run("preview")
