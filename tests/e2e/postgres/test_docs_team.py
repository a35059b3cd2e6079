"""docs/team.md as written (the doc-check, tests/doccheck.py): a shard's stack (section 5) and the
CI snippet of section 6 — this copy's own PostgreSQL from scripts/postgres.sh, the passphrase from
the environment, `pulumi up --yes --stack eu` on a fresh backend — against the emulator."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import httpx
import yaml

import doccheck
from chatwoot_emulator.testing import EmulatorProcess

pytestmark = pytest.mark.e2e

# What the sections take for granted: the toolchain on PATH (README "Using it"), the team's
# passphrase (section 2; CI has it as CWT_PASSPHRASE) and Chatwoot's settings; the catalog needs a
# provider in the group the snippet deploys.
GIVEN = 'bash scripts/setup.sh >/dev/null && export PULUMI_CONFIG_PASSPHRASE="$CWT_PASSPHRASE" && . scripts/env.sh\n'


def test_team_shards_and_ci_as_written(tmp_path):
    clone = doccheck.checkout_copy(tmp_path / "clone")
    groups = {yaml.safe_load(f.read_text()).get("group") for f in (clone / "providers").glob("[!_]*.yaml")}
    if "eu" not in groups:
        (clone / "providers" / "doc-eu.yaml").write_text("slug: doc-eu\nname: Doc EU\ngroup: eu\n")
    pg = clone / "scripts" / "postgres.sh"
    with EmulatorProcess(tmp_path / "emulator", delete_delay=0.5) as emu:
        env = doccheck.clean_env({"CHATWOOT_URL": emu.url, "CHATWOOT_ACCOUNT_ID": str(emu.tokens["account_id"]),
                                  "CHATWOOT_API_TOKEN": emu.tokens["admin_token"],
                                  "CWT_PASSPHRASE": "doc-check passphrase"})
        try:
            r = doccheck.run(GIVEN + doccheck.to_script(doccheck.scenario("team-shards")), clone, env)
            assert r.returncode == 0, r.stderr[-6000:]
            portals = httpx.get(f"{emu.url}/api/v1/accounts/{emu.tokens['account_id']}/portals",
                                headers={"api_access_token": emu.tokens["admin_token"]}).json()["payload"]
            eu = {p["slug"] for p in portals}
            assert eu, "the eu shard created nothing"
        finally:
            status = subprocess.run(["bash", str(pg), "status"], capture_output=True, text=True, env=env).stdout
            subprocess.run(["bash", str(pg), "stop"], capture_output=True, env=env)
            found = re.search(r"\((.*)/data\)", status)
            if found:
                shutil.rmtree(found[1], ignore_errors=True)
                Path(f"{found[1]}.lock").unlink(missing_ok=True)
