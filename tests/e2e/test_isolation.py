"""Tenant isolation end to end (issue #20): the real pulumi CLI applies two providers and a staff
administrator; then each person's own token (from the Platform API, as on a real server) shows what
they can reach. verify-isolation finds a person planted in the other provider's inbox; validate (and
the program) refuse a provider administrator before any API call."""

from __future__ import annotations

import httpx
import pytest
from typer.testing import CliRunner

from cwtenants.cli import app
from e2e_support import make_deployment

pytestmark = pytest.mark.e2e

ANN, BOB, OPS = "ann@alpha.example", "bob@beta.example", "ops@marketplace.example"
DENIED = {"error": "You are not authorized to do this action"}


@pytest.fixture
def applied(tmp_path, emulator):
    d = make_deployment(tmp_path, emulator, samples=False,
                        extra_env={"CHATWOOT_PLATFORM_TOKEN": emulator.tokens["platform_token"]})
    # manage_user: these people are created through the Platform API (so their tokens can be read below)
    (d.providers / "_defaults.yaml").write_text(
        f"staff:\n  - {{email: {OPS}, name: Marketplace Ops, manage_user: true}}\n")
    d.write_provider("alpha", {"name": "Alpha", "agents": [{"email": ANN, "name": "Ann", "manage_user": True}]})
    d.write_provider("beta", {"name": "Beta", "agents": [{"email": BOB, "name": "Bob", "manage_user": True}]})
    preview = d.run("preview")
    d.rights_report = preview.stdout + preview.stderr
    d.up()
    return d


def token_of(d, email: str) -> str:
    """The person's own access token, through the Platform API (the catalog created them with it)."""
    user_id = {a["email"]: a["id"] for a in d.api("GET", "/agents").json()}[email]
    r = httpx.post(f"{d.emulator.url}/platform/api/v1/users/{user_id}/token",
                   headers={"api_access_token": d.emulator.tokens["platform_token"]}, timeout=10)
    r.raise_for_status()
    return r.json()["access_token"]


def inbox_ids(d) -> dict[str, int]:
    return {i["name"]: i["id"] for i in d.api("GET", "/inboxes").json()["payload"]}


def test_a_providers_agent_reaches_only_its_own_inbox_and_cannot_write(applied):
    d = applied
    assert f"account-wide rights (administrator): {OPS} (staff, {d.providers / '_defaults.yaml'}:2)" in \
        d.rights_report
    roles = {a["email"]: a["role"] for a in d.api("GET", "/agents").json()}
    assert (roles[ANN], roles[BOB], roles[OPS]) == ("agent", "agent", "administrator")
    ids = inbox_ids(d)
    ann = token_of(d, ANN)

    r = d.api("GET", "/inboxes", token=ann)
    assert [i["name"] for i in r.json()["payload"]] == ["Alpha Support"]
    assert d.api("GET", f"/inboxes/{ids['Alpha Support']}", token=ann).status_code == 200
    r = d.api("GET", f"/inboxes/{ids['Beta Support']}", token=ann)
    assert (r.status_code, r.json()) == (401, DENIED)
    # nor who works there: the member list is a read of the inbox
    assert d.api("GET", f"/inbox_members/{ids['Alpha Support']}", token=ann).status_code == 200
    r = d.api("GET", f"/inbox_members/{ids['Beta Support']}", token=ann)
    assert (r.status_code, r.json()) == (401, DENIED)

    before = d.api("GET", f"/inboxes/{ids['Alpha Support']}").json()
    team = {t["name"]: t["id"] for t in d.api("GET", "/teams").json()}["alpha team"]
    writes = [
        ("PATCH", f"/inboxes/{ids['Alpha Support']}", {"name": "Taken over"}),
        ("POST", "/inboxes", {"name": "Mine", "channel": {"type": "api"}}),
        ("POST", "/inbox_members", {"inbox_id": ids["Beta Support"], "user_ids": [1]}),
        ("PATCH", f"/teams/{team}", {"team": {"name": "taken over"}}),
        ("POST", "/portals", {"portal": {"name": "Agent portal", "slug": "agent-portal-x"}}),
        ("PATCH", "/agents/1", {"agent": {"role": "agent"}}),
    ]
    for method, path, body in writes:
        r = d.api(method, path, json=body, token=ann)
        assert (r.status_code, r.json()) == (401, DENIED), (method, path)
    assert d.api("GET", f"/inboxes/{ids['Alpha Support']}").json()["name"] == before["name"]

    # staff (administrator) reaches everything
    ops = token_of(d, OPS)
    assert sorted(i["name"] for i in d.api("GET", "/inboxes", token=ops).json()["payload"]) == \
        ["Alpha Support", "Beta Support"]
    assert d.api("GET", f"/inboxes/{ids['Beta Support']}", token=ops).status_code == 200


def test_isolation_check_finds_a_person_planted_in_the_other_providers_inbox(applied):
    d = applied
    env = {"NO_COLOR": "1", "CHATWOOT_URL": d.emulator.url, "CHATWOOT_ACCOUNT_ID": "1",
           "CHATWOOT_API_TOKEN": d.emulator.tokens["admin_token"], "CWT_PROVIDERS_DIR": ""}

    def verify():
        return CliRunner().invoke(app, ["verify-isolation", "-d", str(d.providers), "--quiet"], env=env,
                                  catch_exceptions=False)

    d.reset_stats()
    r = verify()
    assert r.exit_code == 0, r.output
    assert d.stats()["total"] == 1 + 3 + 2 * 2  # profile (role), 3 lists, inbox and team members of 2 providers
    assert f"  {OPS} (user" in r.stdout and "staff (" in r.stdout

    ann_id = {a["email"]: a["id"] for a in d.api("GET", "/agents").json()}[ANN]
    d.api("POST", "/inbox_members", {"inbox_id": inbox_ids(d)["Beta Support"], "user_ids": [ann_id]})
    r = verify()
    assert r.exit_code == 2, r.output
    assert f"FOUND {ANN} (listed by alpha) is a member of the inbox 'Beta Support' of provider beta" in r.stdout
    # ... and she can now read it: the check reports what Chatwoot would let her do
    assert d.api("GET", f"/inboxes/{inbox_ids(d)['Beta Support']}", token=token_of(d, ANN)).status_code == 200

    d.up("--refresh")  # authoritative membership takes her out again
    assert verify().exit_code == 0


def test_a_provider_administrator_is_refused_before_any_api_call(applied):
    d = applied
    path = d.write_provider("beta", {"name": "Beta", "agents": [{"email": BOB, "name": "Bob",
                                                                 "role": "administrator"}]})
    r = CliRunner().invoke(app, ["validate", str(d.providers)], env={"NO_COLOR": "1"})
    assert r.exit_code == 1
    assert f"{path}:6:3: agents[0].role: a provider's people are Chatwoot agents" in r.output
    d.reset_stats()
    preview = d.run("preview", check=False)
    assert preview.returncode != 0
    assert f"{path}:6:3: agents[0].role" in preview.stdout + preview.stderr
    assert d.stats()["total"] == 0
