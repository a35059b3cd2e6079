"""A new user, end to end with the real console script and the real pulumi CLI against the emulator:

    cwtenants doctor -> cwtenants new -> cwtenants validate -> cwtenants plan (exit 2, "would be
    created") -> pulumi up -> cwtenants drift (exit 0) -> a change in Chatwoot -> drift (exit 2)
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.e2e

CWTENANTS = Path(sys.executable).parent / "cwtenants"


def cli(deployment, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **deployment.extra_env, "NO_COLOR": "1"}
    return subprocess.run([str(CWTENANTS), *args], cwd=deployment.cwd, env=env, capture_output=True, text=True,
                          timeout=120)


def test_new_user_adds_a_provider_from_scaffold_to_applied(empty_deployment):
    d = empty_deployment
    assert CWTENANTS.exists(), "the console script `cwtenants` is not installed (pip install -e .)"

    r = cli(d, "doctor")
    assert r.returncode == 0, r.stdout + r.stderr

    r = cli(d, "new", "Acme Hosting", "--timezone", "Europe/Berlin")
    assert r.returncode == 0, r.stderr
    path = d.providers / "acme-hosting.yaml"
    assert path.is_file() and "created providers/acme-hosting.yaml" in r.stdout
    portal_slug = yaml.safe_load(path.read_text())["portal"]["slug"]

    r = cli(d, "validate", "--format", "github")
    assert r.returncode == 0, r.stdout + r.stderr

    r = cli(d, "plan")
    assert r.returncode == 2, r.stdout + r.stderr
    assert "+ inbox 'Acme Hosting Support' would be created" in r.stdout
    assert "+ team 'acme hosting team' would be created" in r.stdout
    assert f"+ portal '{portal_slug}' would be created" in r.stdout

    d.up()

    r = cli(d, "drift")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Result: in sync" in r.stdout

    inbox = next(i for i in d.api("GET", "/inboxes").json()["payload"] if i["name"] == "Acme Hosting Support")
    d.api("PATCH", f"/inboxes/{inbox['id']}", {"timezone": "UTC"}).raise_for_status()
    r = cli(d, "drift", "--json", "--quiet")
    assert r.returncode == 2
    assert '"field": "timezone"' in r.stdout and '"live": "UTC"' in r.stdout

    # drift is independent of Pulumi state: a plain `pulumi up` trusts the state and changes nothing,
    # so drift still reports it; `pulumi up --refresh` repairs it.
    d.up()
    assert cli(d, "drift").returncode == 2
    d.up("--refresh")
    assert cli(d, "drift").returncode == 0
