"""`cwtenants onboard` / `offboard` through the real pulumi CLI against the emulator (issue 17).

Each test works on a populated stack (the three sample providers, applied with a full `up`) and
checks what the targeted update sends, counted on the emulator's stats.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chatwoot_emulator.testing import EmulatorProcess
from e2e_support import make_deployment

pytestmark = pytest.mark.e2e

CWTENANTS = Path(sys.executable).parent / "cwtenants"
RECORD = {"slug": "acme-host", "name": "Acme Host", "timezone": "Europe/Paris", "locales": ["en", "de"],
          "contacts": [{"email": "ann@acme.example", "name": "Ann Lee", "role": "agent"}]}
SAMPLE_OBJECTS = ("Greenleaf Hosting Support", "Harbor VPS Support", "Nimbus Cloud Support")


def cw(d, *args: str, record: dict | str | None = None, check: bool = True, **kw) -> subprocess.CompletedProcess:
    """Run `cwtenants ...` in the deployment's project folder with its environment."""
    text = None if record is None else (record if isinstance(record, str) else json.dumps(record))
    r = subprocess.run([str(CWTENANTS), *args, "-d", str(d.providers)], input=text, cwd=d.cwd, env=d.env(),
                       capture_output=True, text=True, timeout=900, **kw)
    if check:
        assert r.returncode == 0, f"exit {r.returncode}\n--- stdout\n{r.stdout}\n--- stderr\n{r.stderr[-4000:]}"
    return r


def onboard(d, record=RECORD, *args: str, **kw):
    return cw(d, "onboard", *args, "-", record=record, **kw)


def objects(d, slug: str = "acme-host", name: str = "Acme Host") -> dict:
    inbox = [i for i in d.api("GET", "/inboxes").json()["payload"] if i["name"] == f"{name} Support"]
    team = [t for t in d.api("GET", "/teams").json() if t["name"] == f"{name} team".lower()]
    portal = [p for p in d.api("GET", "/portals").json()["payload"] if p["slug"].startswith(f"{slug}-")]
    return {"inbox": inbox, "team": team, "portal": portal}


def snapshot_others(d) -> dict:
    """Every object of the sample providers, as Chatwoot has them."""
    return {
        "inboxes": sorted((i["id"], i["name"], i["timezone"]) for i in d.api("GET", "/inboxes").json()["payload"]
                          if i["name"] in SAMPLE_OBJECTS),
        "teams": sorted((t["id"], t["name"]) for t in d.api("GET", "/teams").json() if not t["name"].startswith("acme")),
        "portals": sorted((p["id"], p["slug"], p.get("archived")) for p in d.api("GET", "/portals").json()["payload"]
                          if not p["slug"].startswith("acme")),
    }


def same_requests(a: dict, b: dict) -> bool:
    """The same routes, and the same count of every write and item read. List reads (GET of a
    collection) may repeat when the provider's 20 s list cache expires on a slow machine; they
    are the lookups by natural key, one list per kind whatever the number of providers."""
    def key(routes: dict) -> dict:
        return {r: (n if not (r.startswith("GET ") and not r.endswith("}")) else "list") for r, n in routes.items()}
    return key(a) == key(b)


@pytest.fixture
def populated(deployment):
    deployment.up()
    return deployment


def test_onboard_applies_that_provider_only(tmp_path, populated):
    others = snapshot_others(populated)
    populated.reset_stats()
    r = onboard(populated)
    assert r.stdout.splitlines()[0].startswith("created ") and "applied acme-host" in r.stdout
    found = objects(populated)
    assert [len(v) for v in found.values()] == [1, 1, 1]
    assert found["inbox"][0]["timezone"] == "Europe/Paris"
    populated_routes = populated.stats()["by_route"]
    # the targeted update keeps the stack outputs of the other providers and adds this one
    assert set(populated.outputs()["providers"]) == {"acme-host", "greenleaf-hosting", "harbor-vps", "nimbus-cloud"}
    assert "GET /hc/{portal_slug}" in populated_routes  # the read-only portal-slug check
    assert snapshot_others(populated) == others

    # the same record into an EMPTY stack sends exactly the same requests: nothing was about others
    with EmulatorProcess(tmp_path / "emulator-empty", delete_delay=0.5) as emu:
        empty = make_deployment(tmp_path, emu, samples=False, name="empty")
        empty.reset_stats()
        onboard(empty)
        assert same_requests(empty.stats()["by_route"], populated_routes)

    # the regular apply that follows has nothing to do (and the outputs still list every provider)
    populated.reset_stats()
    assert populated.up()["resourceChanges"] == {"same": 23 + 7}
    assert populated.writes() == 0
    assert set(populated.outputs()["providers"]) == {"acme-host", "greenleaf-hosting", "harbor-vps", "nimbus-cloud"}


def test_redelivery_is_a_noop(populated):
    onboard(populated)
    text = (populated.providers / "acme-host.yaml").read_text()
    populated.reset_stats()
    r = onboard(populated)
    assert r.stdout.startswith("unchanged ")
    assert populated.stats()["total"] == 0  # not even a read
    assert (populated.providers / "acme-host.yaml").read_text() == text


def test_changed_record_updates_file_and_objects(populated):
    onboard(populated)
    changed = {**RECORD, "timezone": "Asia/Tokyo",
               "contacts": RECORD["contacts"] + [{"email": "bob@acme.example", "name": "Bob"}]}
    populated.reset_stats()
    r = onboard(populated, changed)
    assert r.stdout.startswith("updated ")
    assert "timezone: Asia/Tokyo" in (populated.providers / "acme-host.yaml").read_text()
    found = objects(populated)
    assert found["inbox"][0]["timezone"] == "Asia/Tokyo"
    members = populated.api("GET", f"/teams/{found['team'][0]['id']}/team_members").json()
    assert sorted(m["email"] for m in members) == ["ann@acme.example", "bob@acme.example"]
    populated.run("preview", "--expect-no-changes")


def test_hand_written_file_needs_update(populated):
    record = {"slug": "harbor-vps", "name": "Harbor VPS", "portal": {"slug": "harbor-vps-help"}}
    before = (populated.providers / "harbor-vps.yaml").read_text()
    populated.reset_stats()
    r = onboard(populated, record, check=False)
    assert r.returncode == 1 and "without --update" in r.stderr
    assert (populated.providers / "harbor-vps.yaml").read_text() == before
    assert populated.stats()["total"] == 0


@pytest.mark.parametrize("policy", ["retain", "archive", "delete"])
def test_offboard_applies_the_policy_to_that_provider_only(populated, policy):
    onboard(populated, {**RECORD, "offboarding": policy})
    ids = {k: v[0]["id"] for k, v in objects(populated).items()}
    others = snapshot_others(populated)
    r = cw(populated, "offboard", "acme-host")
    path = populated.providers / "acme-host.yaml"
    if policy == "retain":  # the file stays, marked: the provider's names stay reserved
        assert f"marked {path} (offboarding: retain)" in r.stdout
        assert path.read_text().endswith("\noffboarded: true\n")
    else:
        assert f"removed {path} (offboarding: {policy})" in r.stdout
        assert not path.exists()
    assert set(populated.outputs()["providers"]) == {"greenleaf-hosting", "harbor-vps", "nimbus-cloud"}
    populated.emulator.control("POST", "jobs/run")  # asynchronous inbox deletion
    found = objects(populated)
    if policy == "retain":
        assert {k: v[0]["id"] for k, v in found.items()} == ids
        assert found["portal"][0]["archived"] is False
    elif policy == "archive":
        assert {k: v[0]["id"] for k, v in found.items()} == ids
        assert found["portal"][0]["archived"] is True
    else:
        assert found == {"inbox": [], "team": [], "portal": []}
    assert snapshot_others(populated) == others
    # the agent only this provider had is removed from the account (as a full up would do)
    assert "ann@acme.example" not in [a["email"] for a in populated.api("GET", "/agents").json()]
    populated.reset_stats()
    assert populated.up()["resourceChanges"] == {"same": 23}
    assert populated.writes() == 0
    # re-delivery of the offboarding event: nothing left to do, nothing sent
    populated.reset_stats()
    r = cw(populated, "offboard", "acme-host")
    assert r.stdout.startswith("unchanged " if policy == "retain" else "absent ") and populated.writes() == 0


def test_offboard_applies_a_policy_edited_but_never_applied(populated):
    """The file says delete, the state still holds archive (edited after the last apply): the
    update's program refuses before any step, the policy is recorded, then the provider is deleted."""
    onboard(populated, {**RECORD, "offboarding": "archive"})
    path = populated.providers / "acme-host.yaml"
    path.write_text(path.read_text().replace("offboarding: archive", "offboarding: delete"))
    others = snapshot_others(populated)
    r = cw(populated, "offboard", "acme-host")
    assert f"removed {path} (offboarding: delete)" in r.stdout and not path.exists()
    assert "recording offboarding: delete in the state first" in r.stdout + r.stderr
    populated.emulator.control("POST", "jobs/run")  # asynchronous inbox deletion
    assert objects(populated) == {"inbox": [], "team": [], "portal": []}
    assert snapshot_others(populated) == others


def test_onboarding_a_retained_provider_again_adopts_its_objects(populated):
    onboard(populated, {**RECORD, "offboarding": "retain"})
    ids = {k: v[0]["id"] for k, v in objects(populated).items()}
    cw(populated, "offboard", "acme-host")
    assert "acme-host" not in populated.outputs()["providers"]
    populated.reset_stats()
    r = onboard(populated, {**RECORD, "offboarding": "retain"})  # the marketplace onboards it again
    assert r.stdout.startswith("updated ") and "applied acme-host" in r.stdout
    assert "offboarded" not in (populated.providers / "acme-host.yaml").read_text()
    assert {k: [o["id"] for o in v] for k, v in objects(populated).items()} == {k: [i] for k, i in ids.items()}
    assert "POST /api/v1/accounts/{account_id}/inboxes" not in populated.stats()["by_route"]  # adopted
    assert populated.outputs()["providers"]["acme-host"]["inbox_id"] == ids["inbox"]
    populated.reset_stats()
    assert populated.up()["resourceChanges"] == {"same": 23 + 7}
    assert populated.writes() == 0


def test_a_provider_of_another_shard_group_is_refused(populated):
    """The stack declares the providers without a group (CWT_GROUP=-): an onboarding for group
    eu would declare nothing in it, so it stops before anything is written or sent."""
    populated.extra_env["CWT_GROUP"] = "-"
    files = sorted(p.name for p in populated.providers.iterdir())
    populated.reset_stats()
    r = onboard(populated, {**RECORD, "group": "eu"}, check=False)
    assert r.returncode == 1
    assert "group: provider 'acme-host' is in group 'eu' (the record's group), but stack 'e2e' declares group '-'" \
        in r.stderr
    assert sorted(p.name for p in populated.providers.iterdir()) == files and populated.stats()["total"] == 0
    # offboarding a provider of another group (harbor-vps: eu) is refused the same way; the file stays
    r = cw(populated, "offboard", "harbor-vps", check=False)
    assert r.returncode == 1 and "group: provider 'harbor-vps' is in group 'eu'" in r.stderr
    assert (populated.providers / "harbor-vps.yaml").exists() and populated.stats()["total"] == 0


def test_two_concurrent_onboardings_serialise_on_the_stack_lock(populated):
    second = {**RECORD, "slug": "blue-sky", "name": "Blue Sky",
              "contacts": [{"email": "bo@blue-sky.example", "name": "Bo"}]}
    procs = [subprocess.Popen([str(CWTENANTS), "onboard", "-d", str(populated.providers), "-"], cwd=populated.cwd,
                              env=populated.env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for p, rec in zip(procs, (RECORD, second)):  # both get their record before either is waited for
        p.stdin.write(json.dumps(rec))
        p.stdin.close()
    outs = [(p.stdout.read(), p.stderr.read(), p.wait(timeout=900)) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert any("locked by another update; waiting" in err for _out, err, _rc in outs), outs
    assert [len(v) for v in objects(populated).values()] == [1, 1, 1]
    assert [len(v) for v in objects(populated, "blue-sky", "Blue Sky").values()] == [1, 1, 1]
    populated.run("preview", "--expect-no-changes")


def test_an_event_during_a_full_up_waits_for_it(populated):
    # a slow full update holds the lock: a refresh of every object at 300 ms per request
    populated.emulator.control("POST", "faults", {"latency_ms": 300})
    full = subprocess.Popen(["pulumi", "up", "--yes", "--refresh", "--non-interactive", "--stack", populated.stack],
                            cwd=populated.cwd, env=populated.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    lock_dir = populated.backend / ".pulumi" / "locks"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not any(lock_dir.rglob("*.json")):
        time.sleep(0.2)
    assert any(lock_dir.rglob("*.json")), "the full up did not take the lock"
    r = onboard(populated)
    assert full.wait(timeout=900) == 0, full.communicate()
    assert "locked by another update; waiting" in r.stderr
    populated.emulator.control("POST", "faults", {"latency_ms": 0})
    assert [len(v) for v in objects(populated).values()] == [1, 1, 1]
    populated.run("preview", "--expect-no-changes")


def test_crash_between_write_and_apply_converges(populated):
    # the file is written, the process dies before the update (--no-apply stops exactly there)
    r = onboard(populated, RECORD, "--no-apply")
    assert r.stdout.startswith("created ")
    assert objects(populated) == {"inbox": [], "team": [], "portal": []}
    # a re-delivery finds the file as the record says and applies it
    r = onboard(populated)
    assert r.stdout.startswith("unchanged ") and "applied acme-host" in r.stdout
    assert [len(v) for v in objects(populated).values()] == [1, 1, 1]
    populated.run("preview", "--expect-no-changes")


def test_crash_before_apply_converges_through_the_full_apply(populated):
    second = {**RECORD, "slug": "blue-sky", "name": "Blue Sky", "contacts": []}
    onboard(populated, second, "--no-apply")
    assert populated.up()["resourceChanges"]["create"] == 6
    assert [len(v) for v in objects(populated, "blue-sky", "Blue Sky").values()] == [1, 1, 1]
    populated.reset_stats()
    r = onboard(populated, second)  # the late re-delivery: nothing to do
    assert r.stdout.startswith("unchanged ") and populated.writes() == 0


BAD = [
    ({"name": "No Slug"}, "slug: required field is missing"),
    ({**RECORD, "slug": "Acme_Host"}, "slug: 'Acme_Host' is not a valid slug"),
    ({**RECORD, "timezone": "Mars/Base"}, "timezone: unknown timezone"),
    ({**RECORD, "contacts": [{"email": "not-an-email"}]}, "contacts[0].email: invalid email"),
    ({**RECORD, "name": "NIMBUS cloud"}, "name: team name"),
    ({**RECORD, "portal": {"slug": "harbor-vps-help"}}, "portal.slug: portal slug 'harbor-vps-help' is already used"),
]


def test_bad_input_writes_nothing_and_sends_nothing(populated):
    files = sorted(p.name for p in populated.providers.iterdir())
    state = populated.export()["deployment"]["resources"]
    for record, message in BAD:
        populated.reset_stats()
        r = onboard(populated, record, check=False)
        assert r.returncode == 1 and message in r.stderr, (record, r.stderr)
        assert "nothing was written or sent" in r.stderr
        assert sorted(p.name for p in populated.providers.iterdir()) == files
        assert populated.stats()["total"] == 0, record
    assert populated.export()["deployment"]["resources"] == state


def test_portal_slug_of_another_account_is_rejected_read_only(populated):
    emu = populated.emulator
    platform = {"api_access_token": emu.tokens["platform_token"]}
    import httpx

    acc = httpx.post(f"{emu.url}/platform/api/v1/accounts", json={"name": "Elsewhere"}, headers=platform).json()
    user = httpx.post(f"{emu.url}/platform/api/v1/users", headers=platform, json={
        "name": "Elsewhere Admin", "email": "admin@elsewhere.example", "password": "Passw0rd!"}).json()
    httpx.post(f"{emu.url}/platform/api/v1/accounts/{acc['id']}/account_users", headers=platform,
               json={"user_id": user["id"], "role": "administrator"})
    r = httpx.post(f"{emu.url}/api/v1/accounts/{acc['id']}/portals", json={"name": "Theirs", "slug": "acme-help"},
                   headers={"api_access_token": user["access_token"]})
    assert r.status_code == 200, r.text
    files = sorted(p.name for p in populated.providers.iterdir())
    populated.reset_stats()
    r = onboard(populated, {**RECORD, "portal": {"slug": "acme-help"}}, check=False)
    assert r.returncode == 1
    assert "portal.slug: 'acme-help' is already used by another account" in r.stderr
    assert sorted(p.name for p in populated.providers.iterdir()) == files
    # only the reads of the check: the public page, then this account's portal (unknown: 500, retried once)
    assert set(populated.stats()["by_route"]) == {"GET /hc/{portal_slug}", "GET /api/v1/accounts/{account_id}/portals/{slug}"}
    # a portal of our own account with that slug is adopted, not rejected
    populated.api("POST", "/portals", {"portal": {"name": "Ours", "slug": "acme-ours"}})
    onboard(populated, {**RECORD, "portal": {"slug": "acme-ours"}})
    assert [p["id"] for p in populated.api("GET", "/portals").json()["payload"] if p["slug"] == "acme-ours"]


def test_onboard_with_knowledge_base_templates(tmp_path, emulator):
    """With the repository's _defaults.yaml (categories) and _articles/ templates, the targeted
    update creates the provider's categories and articles too: the full apply after it sees no
    change."""
    import shutil

    d = make_deployment(tmp_path, emulator, samples=True, name="kb")
    root = Path(__file__).resolve().parents[2] / "providers"
    shutil.copy(root / "_defaults.yaml", d.providers / "_defaults.yaml")
    shutil.copytree(root / "_articles", d.providers / "_articles")
    d.up()
    r = onboard(d)
    assert "applied acme-host" in r.stdout
    portal = objects(d)["portal"][0]
    assert d.api("GET", f"/portals/{portal['slug']}/articles").json()["payload"], "no article created"
    d.reset_stats()
    summary = d.up()
    assert set(summary["resourceChanges"]) == {"same"}, summary
    assert d.writes() == 0
