"""`cwtenants verify-isolation` against the emulator (issue #20): finds a person planted in two
providers' inboxes, exit 2; constant list calls plus member reads, counted by the emulator."""

from __future__ import annotations

import json
import textwrap

import httpx
import pytest
from typer.testing import CliRunner

from chatwoot_emulator.testing import EmulatorProcess
from cwtenants.cli import app


@pytest.fixture(scope="module")
def emu(tmp_path_factory):
    with EmulatorProcess(tmp_path_factory.mktemp("emu-iso")) as e:
        yield e


def api(emu, method, path, json_=None):
    r = httpx.request(method, f"{emu.url}/api/v1/accounts/1{path}", json=json_,
                      headers={"api_access_token": emu.tokens["admin_token"]}, timeout=10)
    r.raise_for_status()
    return r.json() if r.content else None


def run(emu, folder, *extra):
    env = {"NO_COLOR": "1", "CHATWOOT_URL": emu.url, "CHATWOOT_API_TOKEN": emu.tokens["admin_token"],
           "CHATWOOT_ACCOUNT_ID": "1", "CWT_PROVIDERS_DIR": ""}
    return CliRunner().invoke(app, ["verify-isolation", "-d", str(folder), "--quiet", *extra], env=env,
                              catch_exceptions=False)


def test_isolation_check_finds_a_person_planted_in_two_providers_inboxes(emu, tmp_path):
    people = {}
    for email, name in (("ann@alpha.example", "Ann"), ("bob@beta.example", "Bob"), ("lead@m.example", "Lead")):
        people[email] = api(emu, "POST", "/agents", {"agent": {"name": name, "email": email, "role": "agent"}})["id"]
    corners = {}
    for slug, title, who in (("alpha", "Alpha", ["ann@alpha.example", "lead@m.example"]),
                             ("beta", "Beta", ["bob@beta.example", "lead@m.example"])):
        inbox = api(emu, "POST", "/inboxes", {"name": f"{title} Support", "channel": {"type": "api"}})
        team = api(emu, "POST", "/teams", {"team": {"name": f"{title} Team"}})
        ids = [people[e] for e in who]
        api(emu, "POST", "/inbox_members", {"inbox_id": inbox["id"], "user_ids": ids})
        api(emu, "POST", f"/teams/{team['id']}/team_members", {"user_ids": ids})
        corners[slug] = inbox["id"]
        (tmp_path / f"{slug}.yaml").write_text(textwrap.dedent(f"""\
            slug: {slug}
            name: {title}
            agents:
              - {{email: {who[0]}}}
              - {{email: lead@m.example, shared: true}}
            """))

    emu.control("POST", "stats/reset")
    result = run(emu, tmp_path)
    assert result.exit_code == 0, result.output
    assert "isolated: no provider's person can reach another provider's inbox or team" in result.output
    assert "lead@m.example: providers alpha, beta (shared: true)" in result.output
    assert "admin@marketplace.example (user 1): not in the catalog" in result.output
    # the token's role (profile), 3 list calls, inbox members and team members of each of the 2 providers
    stats = emu.control("GET", "stats")
    assert stats["total"] == 1 + 3 + 2 * 2, stats
    assert stats["by_method"] == {"GET": 8}

    # plant Ann (alpha's person) in beta's inbox
    api(emu, "POST", "/inbox_members", {"inbox_id": corners["beta"], "user_ids": [people["ann@alpha.example"]]})
    result = run(emu, tmp_path)
    assert result.exit_code == 2, result.output
    assert ("FOUND ann@alpha.example (listed by alpha) is a member of the inbox 'Beta Support' of provider beta, "
            "which does not list them: they see its conversations.") in result.output
    data = json.loads(run(emu, tmp_path, "--json").output)
    assert [(f["email"], f["reaches"]) for f in data["findings"]] == [
        ("ann@alpha.example", "inbox 'Beta Support' of provider beta")]

    # a provider's person made administrator reaches everything
    api(emu, "DELETE", "/inbox_members", {"inbox_id": corners["beta"], "user_ids": [people["ann@alpha.example"]]})
    api(emu, "PATCH", f"/agents/{people['bob@beta.example']}", {"agent": {"role": "administrator"}})
    data = json.loads(run(emu, tmp_path, "--json").output)
    assert [(f["email"], f["reaches"]) for f in data["findings"]] == [
        ("bob@beta.example", "every inbox (administrator)")]
    assert data["isolated"] is False


def test_doctor_says_whether_custom_roles_take_effect(emu):
    env = {"NO_COLOR": "1", "CHATWOOT_URL": emu.url, "CHATWOOT_API_TOKEN": emu.tokens["admin_token"],
           "CHATWOOT_ACCOUNT_ID": "1", "CHATWOOT_PLATFORM_TOKEN": emu.tokens["platform_token"]}
    r = CliRunner().invoke(app, ["doctor"], env=env, catch_exceptions=False)
    assert r.exit_code == 0, r.output  # a warning, not a failure
    assert "warn custom roles: the account does not have the custom_roles feature (Platform API account); " \
           "roles declared under `custom_roles:` in _defaults.yaml will not take effect" in r.stdout
    platform = {"api_access_token": emu.tokens["platform_token"]}
    httpx.patch(f"{emu.url}/platform/api/v1/accounts/1", json={"features": {"custom_roles": True}},
                headers=platform, timeout=10).raise_for_status()
    try:
        r = CliRunner().invoke(app, ["doctor"], env=env, catch_exceptions=False)
        assert "ok   custom roles: the account has the custom_roles feature (Platform API account)" in r.stdout
    finally:
        httpx.patch(f"{emu.url}/platform/api/v1/accounts/1", json={"features": {"custom_roles": False}},
                    headers=platform, timeout=10).raise_for_status()


def test_plan_names_everyone_with_account_wide_rights(emu, tmp_path):
    (tmp_path / "_defaults.yaml").write_text("staff:\n  - {email: ops@m.example, name: Ops}\n")
    (tmp_path / "gamma.yaml").write_text("slug: gamma\nname: Gamma\nagents: [{email: ops@m.example}]\n")
    env = {"NO_COLOR": "1", "CHATWOOT_URL": emu.url, "CHATWOOT_API_TOKEN": emu.tokens["admin_token"],
           "CHATWOOT_ACCOUNT_ID": "1", "CWT_PROVIDERS_DIR": ""}
    r = CliRunner().invoke(app, ["plan", "-d", str(tmp_path), "--quiet"], env=env, catch_exceptions=False)
    assert r.exit_code == 2, r.output  # gamma does not exist yet
    text = r.stdout
    assert "account-wide rights (administrator: every provider's conversations, inboxes, teams and portals):" in text
    assert "  admin@marketplace.example (user 1): not in the catalog (an administrator from before the catalog; " \
           "kept)" in text
    assert f"  ops@m.example: staff ({tmp_path / '_defaults.yaml'}:2); `pulumi up` makes them administrator" in text
    data = json.loads(CliRunner().invoke(app, ["plan", "-d", str(tmp_path), "--quiet", "--json"], env=env).stdout)
    assert [a["email"] for a in data["account_wide_rights"]][-1] == "ops@m.example"
