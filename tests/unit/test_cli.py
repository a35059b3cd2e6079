"""cwtenants CLI: every command, exit codes, output formats; plan/drift/adopt/doctor against the emulator."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml
from typer.testing import CliRunner

from chatwoot_emulator.testing import EmulatorProcess, free_port
from cwtenants import cli as cli_module
from cwtenants.cli import app
from cwtenants.catalog.schema import write_schemas

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "tests" / "fixtures" / "catalog"  # the test catalog, never the real providers/


def run(*args: str, env: dict | None = None):
    # CWT_NO_STACK: never read the developer's selected Pulumi stack (config, outputs) from here
    base = {"NO_COLOR": "1", "CHATWOOT_URL": "", "CHATWOOT_API_TOKEN": "", "CHATWOOT_ACCOUNT_ID": "",
            "CWT_PROVIDERS_DIR": "", "CHATWOOT_PLATFORM_TOKEN": "", "CWT_NO_STACK": "1"}
    return CliRunner().invoke(app, list(args), env={**base, **(env or {})}, catch_exceptions=False)


@pytest.fixture
def catalog(tmp_path) -> Path:
    d = tmp_path / "providers"
    shutil.copytree(SAMPLES, d)
    return d


# ------------------------------------------------------------------------------------------ validate

def test_validate_ok(catalog):
    r = run("validate", str(catalog))
    assert r.exit_code == 0, r.output
    assert "ok: 3 providers valid" in r.stdout


def test_validate_reports_file_line_col(catalog):
    (catalog / "nimbus-cloud.yaml").write_text("slug: nimbus-cloud\nname: Nimbus\ninbox:\n  timezone: Mars/Base\n")
    r = run("validate", "-d", str(catalog))
    assert r.exit_code == 1
    assert f"{catalog}/nimbus-cloud.yaml:4:3: inbox.timezone: unknown timezone 'Mars/Base'" in r.stdout


def test_validate_github_annotations(catalog):
    (catalog / "harbor-vps.yaml").write_text("slug: harbor-vps\nname: X\nbogus: 1\n")
    r = run("validate", "--format", "github", str(catalog))
    assert r.exit_code == 1
    line = next(line for line in r.stdout.splitlines() if "bogus" in line)
    assert line.startswith(f"::error file={catalog}/harbor-vps.yaml,line=3,col=1,title=cwtenants validate::")
    assert "unknown key 'bogus'" in line


def test_validate_cross_file_with_explicit_files(catalog):
    (catalog / "copy.yaml").write_text("slug: copy\nname: Copy\ninbox: {name: Harbor VPS Support}\n")
    r = run("validate", str(catalog / "harbor-vps.yaml"), str(catalog / "copy.yaml"))
    assert r.exit_code == 1 and "inbox name 'harbor vps support' is also used by" in r.stdout


def test_validate_bad_format():
    assert run("validate", "--format", "xml").exit_code == 1


# ------------------------------------------------------------------------------------------ schema

def test_schema_check_matches_committed_files():
    r = run("schema", "--check", "--dir", str(ROOT / "schema"))
    assert r.exit_code == 0, r.output


def test_schema_write_and_check_stale(tmp_path):
    r = run("schema", "--dir", str(tmp_path))
    assert r.exit_code == 0 and (tmp_path / "provider.schema.json").is_file()
    assert run("schema", "--check", "--dir", str(tmp_path)).exit_code == 0
    (tmp_path / "provider.schema.json").write_text("{}\n")
    r = run("schema", "--check", "--dir", str(tmp_path))
    assert r.exit_code == 1 and "provider.schema.json is out of date" in r.output
    assert f"run `cwtenants schema --dir {tmp_path}` and commit" in r.stderr  # the command that fixes it
    assert (tmp_path / "provider.schema.json").read_text() == "{}\n"  # --check writes nothing


# ------------------------------------------------------------------------------------------ new

def test_new_creates_a_valid_file(catalog):
    r = run("new", "Ärzte & Co. Hosting", "--timezone", "Europe/Vienna", "--locale", "de", "--locale", "en",
            "-d", str(catalog))
    assert r.exit_code == 0, r.output
    path = catalog / "arzte-co-hosting.yaml"
    text = path.read_text()
    installed = Path(cli_module.__file__).resolve().parents[2] / "schema" / "provider.schema.json"
    assert text.startswith(f"# yaml-language-server: $schema={installed}\n")  # no schema/ above: the installed one
    data = yaml.safe_load(text)
    assert data["slug"] == "arzte-co-hosting" and data["portal"]["slug"].startswith("arzte-co-hosting-")
    assert run("validate", str(catalog)).exit_code == 0
    # refuses to overwrite
    path.write_text(text + "# mine\n")
    r = run("new", "Ärzte & Co. Hosting", "-d", str(catalog))
    assert r.exit_code == 1 and "already exists" in r.output
    assert path.read_text().endswith("# mine\n")


def test_new_schema_header_is_relative_to_the_folder(tmp_path):
    """`new -d DIR`: the editor header points at the schema from DIR, wherever DIR is."""
    (tmp_path / "schema").mkdir()
    shutil.copy(ROOT / "schema" / "provider.schema.json", tmp_path / "schema")
    for folder in (tmp_path / "providers", tmp_path / "catalogs" / "eu"):
        assert run("new", "Acme Hosting", "-d", str(folder)).exit_code == 0
        header = (folder / "acme-hosting.yaml").read_text().splitlines()[0]
        ref = header.split("$schema=", 1)[1]
        assert not ref.startswith("/") and (folder / ref).resolve() == (tmp_path / "schema/provider.schema.json")
    assert header == "# yaml-language-server: $schema=../../schema/provider.schema.json"


def test_new_rejects_an_invalid_result(catalog):
    r = run("new", "Acme", "--timezone", "Nowhere/Land", "-d", str(catalog))
    assert r.exit_code == 1 and "unknown timezone" in r.output
    assert "fix: pass an IANA --timezone" in r.stderr
    assert not (catalog / "acme.yaml").exists()
    r = run("new", "Harbor VPS", "--slug", "harbor-two", "-d", str(catalog))  # inbox/team name clash
    assert r.exit_code == 1 and not (catalog / "harbor-two.yaml").exists()
    assert "inbox name 'harbor vps support' is also used by" in r.stderr
    assert "choose another NAME" in r.stderr and "--timezone" not in r.stderr
    r = run("new", "!!", "-d", str(catalog))
    assert r.exit_code == 1 and "cannot derive a valid slug from the name '!!'" in r.stderr
    r = run("new", "Acme", "--slug", "Bad_Slug", "-d", str(catalog))
    assert r.exit_code == 1 and "slug 'Bad_Slug' is not valid" in r.stderr and "slug=" not in r.stderr
    assert "--slug acme-hosting" in r.stderr


# ------------------------------------------------------------------------------------------ emulator-backed

@pytest.fixture(scope="module")
def emu(tmp_path_factory):
    with EmulatorProcess(tmp_path_factory.mktemp("emu"), delete_delay=0.1) as e:
        yield e


@pytest.fixture
def live(emu):
    """Fresh emulator state and the environment to reach it."""
    emu.control("POST", "reset")
    emu.control("POST", "stats/reset")
    t = emu.tokens
    return {"CHATWOOT_URL": emu.url, "CHATWOOT_ACCOUNT_ID": str(t["account_id"]), "CHATWOOT_API_TOKEN": t["admin_token"],
            "CWT_REQUESTS_PER_MINUTE": "0"}


def api(emu, method, path, json_body=None, token=None):
    r = httpx.request(method, f"{emu.url}/api/v1/accounts/{emu.tokens['account_id']}{path}", json=json_body,
                      headers={"api_access_token": token or emu.tokens["admin_token"]}, timeout=30)
    r.raise_for_status()
    return r.json()


def create_live(emu, spec_dir: Path, slug: str):
    """Create a provider's objects exactly as the catalog declares them (via the resources' bodies)."""
    from cwtenants.catalog import load_catalog
    from cwtenants.resources import inbox, portal, team

    spec = load_catalog(spec_dir).get(slug)
    p = api(emu, "POST", "/portals", portal.body(portal.desired(spec)))
    api(emu, "POST", "/teams", team.body(team.desired(spec)))
    api(emu, "POST", "/inboxes", inbox.body(inbox.desired(spec, portal_id=p["id"]), create=True))
    return spec


def minimal(catalog: Path, n: int) -> Path:
    for f in catalog.glob("[!_]*.yaml"):
        f.unlink()
    for i in range(n):
        (catalog / f"p{i:03d}.yaml").write_text(f"slug: p{i:03d}\nname: Provider {i:03d}\n")
    return catalog


def test_plan_exit_2_when_objects_are_missing(live, catalog):
    r = run("plan", "-d", str(catalog), env=live)
    assert r.exit_code == 2, r.output
    assert "+ inbox 'Harbor VPS Support' would be created" in r.stdout
    assert "+ portal 'harbor-vps-help' would be created" in r.stdout
    assert "Result: drift" in r.stdout
    assert live["CHATWOOT_API_TOKEN"] not in r.output


def test_plan_exit_0_in_sync_then_2_after_a_change_in_chatwoot(live, emu, catalog):
    minimal(catalog, 2)
    for slug in ("p000", "p001"):
        create_live(emu, catalog, slug)
    r = run("plan", "-d", str(catalog), env=live)
    assert r.exit_code == 0, r.output
    assert "Result: in sync" in r.stdout and "0 to create, 0 to update" in r.stdout
    team = next(t for t in api(emu, "GET", "/teams") if t["name"] == "provider 001 team")
    api(emu, "PATCH", f"/teams/{team['id']}", {"team": {"description": "edited by hand"}})
    r = run("drift", "-d", str(catalog), env=live)
    assert r.exit_code == 2
    assert "~ team 'provider 001 team' would be updated" in r.stdout
    assert "description: 'edited by hand' -> (none)" in r.stdout
    assert "provider p000" in r.stdout and "p000 (" in r.stdout


def test_plan_counts_a_shared_agent_once_and_says_1_provider(live, catalog):
    r = run("plan", "-q", "-d", str(catalog), env=live)
    # the fixture catalog: 3 providers x (inbox, team, portal) + 4 distinct agents, one of them
    # (support-lead@marketplace.example) listed by two providers
    assert r.exit_code == 2
    agents = [line for line in r.stdout.splitlines() if line.startswith("  + agent ")]
    assert len(agents) == 5 and len(set(agents)) == 4  # shown under each provider that lists it
    assert "3 providers: 0 objects in sync, 13 to create, 0 to update" in r.stdout
    assert "(an agent listed by several providers counts once)" in r.stdout
    assert json.loads(run("plan", "--json", "-q", "-d", str(catalog), env=live).stdout)["counts"]["create"] == 13
    for f in ("greenleaf-hosting.yaml", "harbor-vps.yaml"):
        (catalog / f).unlink()
    r = run("plan", "-q", "-d", str(catalog), env=live)
    assert "\n1 provider: 0 objects in sync, 3 to create" in r.stdout and "1 providers" not in r.stdout


def test_plan_json(live, emu, catalog):
    minimal(catalog, 1)
    create_live(emu, catalog, "p000")
    api(emu, "POST", "/teams", {"team": {"name": "Stray"}})
    r = run("plan", "--json", "-q", "-d", str(catalog), env=live)
    assert r.exit_code == 0
    data = json.loads(r.stdout)
    assert data["drift"] is False and data["counts"]["in-sync"] == 3
    assert data["unmanaged"] == [{"kind": "team", "key": "stray", "id": 2}]
    assert data["requests"] == 4 and data["members_compared"] is False


def test_plan_exit_1_on_errors(live, catalog):
    r = run("plan", "-d", str(catalog), env={**live, "CHATWOOT_API_TOKEN": "wrong"})
    assert r.exit_code == 1 and "error: reading Chatwoot failed" in r.output
    r = run("plan", "-d", str(catalog))
    assert r.exit_code == 1 and "CHATWOOT_URL is not set" in r.output
    (catalog / "harbor-vps.yaml").write_text("slug: nope\n")
    assert run("drift", "-d", str(catalog), env=live).exit_code == 1


def test_plan_json_error_is_a_json_object_on_stdout(live, catalog):
    """--json: a JSON answer also on an error (exit 1), the error line and fix still on stderr."""
    r = run("plan", "--json", "-d", str(catalog))  # no settings
    assert r.exit_code == 1
    error = json.loads(r.stdout)["error"]
    assert "CHATWOOT_URL is not set" in error["message"] and "export CHATWOOT_URL" in error["fix"]
    assert "error: environment variable CHATWOOT_URL" in r.stderr
    r = run("drift", "--json", "-q", "-d", str(catalog), env={**live, "CHATWOOT_API_TOKEN": "tok-SECRET-json-9f1"})
    assert r.exit_code == 1 and "reading Chatwoot failed" in json.loads(r.stdout)["error"]["message"]
    assert "tok-SECRET-json-9f1" not in r.output
    (catalog / "harbor-vps.yaml").write_text("slug: harbor-vps\nname: Harbor VPS\ninbox: {timezone: Mars/Base}\n")
    r = run("plan", "--json", "-d", str(catalog), env=live)
    assert r.exit_code == 1
    error = json.loads(r.stdout)["error"]
    assert error["message"] == f"the catalog in {catalog} is invalid (1 problem)"
    assert error["problems"] == [{"file": f"{catalog}/harbor-vps.yaml", "line": 3, "col": 9, "field": "inbox.timezone",
                                  "message": "unknown timezone 'Mars/Base' (use an IANA id such as 'Europe/Berlin' "
                                             "or 'UTC')"}]


def test_plan_against_a_closed_port_is_one_attempt_and_a_clear_line(live, catalog, monkeypatch):
    from cwtenants import cli

    monkeypatch.setenv("CHATWOOT_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("CHATWOOT_API_TOKEN", "t")
    monkeypatch.setenv("CHATWOOT_ACCOUNT_ID", "1")
    assert cli.client_from_env().settings.connect_retries == 0  # no backoff on a refused connection
    r = run("plan", "-d", str(catalog), env={**live, "CHATWOOT_URL": f"http://127.0.0.1:{free_port()}"})
    assert r.exit_code == 1
    line = next(x for x in r.stderr.splitlines() if x.startswith("error:"))
    assert "reading Chatwoot failed" in line and "could not connect" in line and "(hint:" not in line
    assert "fix: check CHATWOOT_URL" in r.stderr


def test_plan_uses_a_constant_number_of_requests(live, emu, catalog):
    counts = {}
    for n in (3, 30):
        minimal(catalog, n)
        emu.control("POST", "stats/reset")
        r = run("drift", "--json", "-q", "-d", str(catalog), env=live)
        assert r.exit_code == 2
        counts[n] = emu.control("GET", "stats")
        # 4 lists, plus one public Help Center read per portal to create (is the slug another account's?)
        assert json.loads(r.stdout)["requests"] == 4 + n
    # + 1 profile read (the token's role is checked first)
    assert counts[3]["by_method"] == {"GET": 5 + 3} and counts[30]["by_method"] == {"GET": 5 + 30}


def test_plan_members_is_opt_in(live, emu, catalog):
    minimal(catalog, 1)
    (catalog / "p000.yaml").write_text("slug: p000\nname: Provider 000\nagents:\n  - {email: agent@marketplace.example}\n")
    create_live(emu, catalog, "p000")
    r = run("plan", "--json", "-q", "-d", str(catalog), env=live)
    kinds = {o["kind"]: o["status"] for o in json.loads(r.stdout)["providers"][0]["objects"]}
    # the name differs (the catalog defaults to the email local part) but an existing user's name is
    # not managed without `manage_user: true`, so the agent is in sync
    assert "team-members" not in kinds and kinds["agent"] == "in-sync"
    emu.control("POST", "stats/reset")
    r = run("plan", "--members", "-d", str(catalog), env=live)
    assert r.exit_code == 2
    assert "~ team-members 'provider 000 team' would be updated (membership: authoritative)" in r.stdout
    assert "add: agent@marketplace.example" in r.stdout
    assert emu.control("GET", "stats")["by_method"] == {"GET": 7}


def stack_next_to(monkeypatch, catalog: Path, config: dict, outputs: dict | None = None) -> list:
    """A Pulumi project around ``catalog`` whose selected stack has this config (and outputs);
    returns the folders the stack config was read in."""
    from cwtenants import preflight, stackinfo

    project = catalog.parent
    (project / "Pulumi.yaml").write_text("name: cwtenants\nruntime: python\n")
    read_in = []

    def stack_config(cwd, stack=None, timeout=120):
        read_in.append(Path(cwd))
        return dict(config) if Path(cwd) == project else {}
    monkeypatch.setattr(preflight, "stack_config", stack_config)
    monkeypatch.setattr(stackinfo, "read", lambda cwd=None, stack=None, timeout=120:
                        stackinfo.parse(outputs) if outputs and Path(cwd) == project else None)
    return read_in


def test_plan_and_adopt_honour_allow_other_chatwoot_in_the_stack_config(live, emu, catalog, monkeypatch):
    # the stack manages account 1 of another URL; cwtenants:allowOtherChatwoot in its config file
    # allows this run, as it does for `pulumi up` (before: only CWT_ALLOW_OTHER_CHATWOOT did)
    outputs = {"chatwoot_url": "http://other-chatwoot.example", "chatwoot_account_id": 1, "providers": {}}
    stack_next_to(monkeypatch, catalog, {}, outputs)
    on_stack = {**live, "CWT_NO_STACK": "", "CWT_ALLOW_OTHER_CHATWOOT": ""}
    for cmd in ("plan", "adopt"):
        r = run(cmd, "-d", str(catalog), "--dry-run" if cmd == "adopt" else "-q", env=on_stack)
        assert r.exit_code == 1 and "this stack manages Chatwoot http://other-chatwoot.example" in r.output

    read_in = stack_next_to(monkeypatch, catalog, {"allowOtherChatwoot": "true"}, outputs)
    r = run("plan", "-q", "-d", str(catalog), env=on_stack)
    assert r.exit_code == 2 and "would be created" in r.stdout, r.output
    r = run("adopt", "--dry-run", "-d", str(catalog), env=on_stack)
    assert r.exit_code == 0 and "this stack manages" not in r.output, r.output
    assert set(read_in) == {catalog.parent}
    assert live["CHATWOOT_API_TOKEN"] not in r.output


def test_verify_isolation_takes_its_settings_from_the_stack_next_to_the_providers_dir(live, emu, catalog,
                                                                                        monkeypatch):
    settings = {"url": live["CHATWOOT_URL"], "accountId": live["CHATWOOT_ACCOUNT_ID"],
                "apiToken": live["CHATWOOT_API_TOKEN"], "requestsPerMinute": "0"}
    read_in = stack_next_to(monkeypatch, catalog, settings)
    r = run("verify-isolation", "-d", str(catalog), env={"CWT_NO_STACK": ""})  # no CHATWOOT_* at all
    assert r.exit_code in (0, 2) and "API requests" in r.stdout, r.output
    assert read_in == [catalog.parent]
    assert live["CHATWOOT_API_TOKEN"] not in r.output


def test_adopt_writes_valid_files_for_unmanaged_objects(live, emu, tmp_path):
    folder = tmp_path / "adopted"
    folder.mkdir()
    shutil.copy(SAMPLES / "_defaults.yaml", folder)
    p = api(emu, "POST", "/portals", {"portal": {"name": "Old Host Help Center", "slug": "oldhost-help",
                                                 "color": "#ABCDEF",
                                                 "config": {"allowed_locales": ["en", "fr"], "default_locale": "fr"}}})
    api(emu, "POST", "/teams", {"team": {"name": "Old Host Team", "description": "legacy"}})
    api(emu, "POST", "/inboxes", {"name": "Old Host Support", "timezone": "Europe/Paris", "portal_id": p["id"],
                                  "channel": {"type": "api"}})
    r = run("plan", "-d", str(folder), env=live)
    assert r.exit_code == 0 and "? inbox 'Old Host Support'" in r.stdout and "unmanaged" in r.stdout

    r = run("adopt", "--dry-run", "-d", str(folder), env=live)
    assert r.exit_code == 0, r.output
    assert "--- " + str(folder / "old-host.yaml") in r.stdout and not (folder / "old-host.yaml").exists()

    r = run("adopt", "-d", str(folder), env=live)
    assert r.exit_code == 0, r.output
    data = yaml.safe_load((folder / "old-host.yaml").read_text())
    assert data["inbox"]["name"] == "Old Host Support" and data["team"]["name"] == "old host team"
    assert data["portal"]["slug"] == "oldhost-help" and data["portal"]["locales"] == ["fr", "en"]
    assert run("validate", str(folder)).exit_code == 0
    r = run("plan", "-d", str(folder), env=live)
    assert r.exit_code == 0, r.output  # adopted objects are in sync, nothing unmanaged left
    assert "0 unmanaged" in r.stdout
    r = run("adopt", "-d", str(folder), env=live)
    assert r.exit_code == 0 and "nothing to adopt" in r.stdout


def test_adopt_chooses_by_name_and_writes_the_portal_slug(live, emu, tmp_path):
    """An unrelated unclaimed team is not forced into the catalog; a group without a portal gets
    the derived portal slug written out, like `cwtenants new`."""
    from cwtenants.catalog.models import derive_portal_slug

    folder = tmp_path / "adopted"
    folder.mkdir()
    shutil.copy(SAMPLES / "_defaults.yaml", folder)
    api(emu, "POST", "/inboxes", {"name": "Old Host Support", "channel": {"type": "api"}})
    api(emu, "POST", "/teams", {"team": {"name": "Billing Escalations"}})
    r = run("adopt", "--dry-run", "-d", str(folder), env=live)
    assert r.exit_code == 0 and "old-host.yaml" in r.stdout and "billing-escalations.yaml" in r.stdout
    assert "cwtenants adopt NAME" in r.stderr
    r = run("adopt", "Nope", "-d", str(folder), env=live)
    assert r.exit_code == 1 and "nothing unclaimed is called 'Nope'" in r.stderr and "old-host (" in r.stderr
    r = run("adopt", "old host support", "-d", str(folder), env=live)  # an object's name, any case
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in folder.glob("*.yaml")) == ["_defaults.yaml", "old-host.yaml"]
    text = (folder / "old-host.yaml").read_text()
    assert yaml.safe_load(text)["portal"] == {"slug": derive_portal_slug("old-host")}
    assert "would create: team, portal" in text
    assert "expect no changes" not in r.stderr and "would still change" in r.stderr


def test_doctor_all_ok(live):
    r = run("doctor", env=live)
    assert r.exit_code == 0, r.output
    assert "emulator 4.15.1" in r.stdout and "all checks passed" in r.stdout
    assert live["CHATWOOT_API_TOKEN"] not in r.output


def test_plan_and_drift_refuse_an_agent_token(live, emu, catalog):
    # an agent lists only its own inboxes: the comparison would report everything as missing (issue 14)
    # verify-isolation too: it would see the other providers' inboxes as "not found" and say "isolated"
    for cmd in ("plan", "drift", "adopt", "verify-isolation"):
        r = run(cmd, "-d", str(catalog), env={**live, "CHATWOOT_API_TOKEN": emu.tokens["agent_token"]})
        assert r.exit_code == 1, r.output
        assert "role 'agent'" in r.output and "administrator" in r.output
        assert "would be created" not in r.output and "isolated" not in r.output


def test_doctor_checks_the_platform_token(live, emu):
    r = run("doctor", env={**live, "CHATWOOT_PLATFORM_TOKEN": "bogus"})
    assert r.exit_code == 1 and "CHATWOOT_PLATFORM_TOKEN is not usable" in r.stdout
    assert "all checks passed" not in r.stdout and "bogus" not in r.output
    r = run("doctor", env={**live, "CHATWOOT_PLATFORM_TOKEN": emu.tokens["platform_token"]})
    assert r.exit_code == 0 and "the platform token is valid" in r.stdout, r.output


def test_doctor_says_what_is_wrong(live, emu):
    r = run("doctor", env={**live, "CHATWOOT_API_TOKEN": "nope"})
    assert r.exit_code == 1 and "CHATWOOT_API_TOKEN is not accepted" in r.stdout and "fix:" in r.stdout
    r = run("doctor", env={**live, "CHATWOOT_API_TOKEN": emu.tokens["agent_token"]})
    assert r.exit_code == 1 and "is 'agent' in account 1" in r.stdout
    r = run("doctor", env={**live, "CHATWOOT_ACCOUNT_ID": "99"})
    assert r.exit_code == 1 and "account 99 does not exist or the token's user is not a member" in r.stdout
    r = run("doctor", env={**live, "CHATWOOT_URL": f"http://127.0.0.1:{free_port()}"})
    assert r.exit_code == 1 and "cannot reach" in r.stdout
    assert r.stdout.rstrip().endswith("1 check failed (the checks after it were skipped)"), r.stdout
    r = run("doctor")
    assert r.exit_code == 1 and "CHATWOOT_URL is not set" in r.stdout
    assert r.stdout.rstrip().endswith("1 check failed (the checks after it were skipped)"), r.stdout
    r = run("doctor", env={**live, "CHATWOOT_API_TOKEN": "nope"})
    assert r.stdout.rstrip().splitlines()[-1] == "1 check failed (the checks after it were skipped)"


def test_doctor_warns_outside_the_tested_versions(monkeypatch):
    from cwtenants import cli

    assert cli._version("4.15.1") == (4, 15, 1) and cli._version("v4.4.0-ce") == (4, 4, 0)
    assert cli.TESTED_MIN <= (4, 10, 0) <= cli.TESTED_MAX and not (4, 16, 0) <= cli.TESTED_MAX


def test_emulator_command_starts_and_prints_the_environment(tmp_path):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "cwtenants.cli", "emulator", "--port", str(port),
                             "--state-dir", str(tmp_path / "state")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "NO_COLOR": "1"})
    try:
        lines = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            lines.append(line)
            if "Ctrl-C" in line or not line:
                break
        text = "".join(lines)
        assert f"emulator ready at http://127.0.0.1:{port}" in text, text
        assert httpx.get(f"http://127.0.0.1:{port}/api").headers["x-chatwoot-emulator"]
        token = json.loads((tmp_path / "state" / "tokens.json").read_text())["admin_token"]
        assert token not in text and "tokens.json" in text
    finally:
        proc.terminate()  # SIGTERM must stop the emulator child as well
        proc.wait(timeout=15)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/api", timeout=0.5)
        except httpx.HTTPError:
            break
        time.sleep(0.2)
    else:
        pytest.fail("the emulator still answers after `cwtenants emulator` was terminated")


def test_help_texts():
    r = run("--help")
    assert r.exit_code == 0
    for cmd in ("validate", "schema", "new", "plan", "drift", "adopt", "emulator", "doctor"):
        assert cmd in r.stdout
        h = run(cmd, "--help")
        assert h.exit_code == 0 and len(h.stdout) > 200
    assert "Exit code: 0 in sync, 2 drift, 1 error" in " ".join(run("plan", "--help").stdout.split())


def test_colour_only_on_a_terminal(monkeypatch):
    from cwtenants import cli

    class Tty:
        def isatty(self):
            return True
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert cli.use_colour(Tty()) is True
    assert cli.styler(Tty())("x", "red") != "x"
    monkeypatch.setenv("NO_COLOR", "1")
    assert cli.use_colour(Tty()) is False and cli.styler(Tty())("x", "red") == "x"
    assert cli.use_colour(object()) is False


def test_doctor_and_plan_on_a_server_error_point_at_the_server(live, emu, catalog):
    """A 500 is Chatwoot failing, not a wrong CHATWOOT_URL; plan's fix line is never empty."""
    emu.control("POST", "faults", json={"error_rate": 1.0, "seed": 1})
    try:
        r = run("doctor", env=live)
        assert r.exit_code == 1 and "answered 500" in r.stdout and "reachable but failing" in r.stdout
        assert "base URL" not in r.stdout and "look at the Chatwoot server's logs" in r.stdout
        r = run("plan", "-d", str(catalog), env=live)
        assert r.exit_code == 1 and "reading Chatwoot failed" in r.output
        fix = [line for line in r.output.splitlines() if line.strip().startswith("fix:")]
        assert fix and fix[0].strip().startswith("fix: Chatwoot failed on a read (server error)"), r.output
        assert "fix:  " not in r.output and "Traceback" not in r.output
    finally:
        emu.control("POST", "faults", json={"error_rate": 0})
