"""The end-to-end harness as an importable module (fixtures live in tests/e2e/conftest.py).

`Deployment` is the real pulumi CLI bound to a temporary project whose `infra/` links to the
repository's program, a fresh emulator and its own file backend and stack.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import httpx
import yaml

from chatwoot_emulator.testing import EmulatorProcess
from pulumi_cli import ROOT, Pulumi

SAMPLES = ROOT / "tests" / "fixtures" / "catalog"  # the test catalog, never the real providers/


# What a no-op `pulumi up` still sends: the ownership check at its end lists each kind once
# (cwtenants.ownership: every provider owns exactly one inbox, team and portal).
OWNERSHIP_CHECK = {
    "GET /api/v1/accounts/{account_id}/inboxes": 1,
    "GET /api/v1/accounts/{account_id}/portals": 1,
    "GET /api/v1/accounts/{account_id}/teams": 1,
}


class Deployment(Pulumi):
    emulator: EmulatorProcess
    providers: Path

    def write_provider(self, slug: str, doc: dict | str) -> Path:
        path = self.providers / f"{slug}.yaml"
        text = doc if isinstance(doc, str) else yaml.safe_dump({"slug": slug, **doc}, sort_keys=False)
        path.write_text(text)
        return path

    def remove_provider(self, slug: str) -> None:
        (self.providers / f"{slug}.yaml").unlink()

    def api(self, method: str, path: str, json=None, token: str | None = None) -> httpx.Response:
        """Call the emulator's Application API for account 1 (as the administrator by default)."""
        return httpx.request(
            method,
            f"{self.emulator.url}/api/v1/accounts/{self.emulator.tokens['account_id']}{path}",
            json=json,
            headers={"api_access_token": token or self.emulator.tokens["admin_token"]},
            timeout=30,
        )

    def stats(self) -> dict:
        return self.emulator.control("GET", "stats")

    def reset_stats(self) -> None:
        self.emulator.control("POST", "stats/reset")

    def writes(self) -> int:
        by = self.stats()["by_method"]
        return sum(n for m, n in by.items() if m != "GET")

    def up(self, *args: str) -> dict:
        return self.up_summary(*args)


def make_deployment(tmp_path: Path, emulator: EmulatorProcess, samples: bool = True, name: str = "e2e",
                    extra_env: dict | None = None) -> Deployment:
    project = tmp_path / name
    project.mkdir()
    shutil.copy(ROOT / "Pulumi.yaml", project / "Pulumi.yaml")
    (project / "infra").symlink_to(ROOT / "infra")
    # Pulumi.yaml's `virtualenv: .venv` (relative to the project root): the venv running the tests
    (project / ".venv").symlink_to(Path(sys.prefix))
    providers = project / "providers"
    if samples:
        shutil.copytree(SAMPLES, providers)
    else:
        providers.mkdir()
        shutil.copy(SAMPLES / "_defaults.yaml", providers / "_defaults.yaml")
    tokens = emulator.tokens
    d = Deployment(
        cwd=project,
        backend=tmp_path / f"{name}-backend",
        home=tmp_path / f"{name}-home",
        stack="e2e",
        extra_env={
            "CHATWOOT_URL": emulator.url,
            "CHATWOOT_ACCOUNT_ID": str(tokens["account_id"]),
            "CHATWOOT_API_TOKEN": tokens["admin_token"],
            "CWT_INBOX_DELETE_WAIT": "5",
            **(extra_env or {}),
        },
    )
    d.emulator = emulator
    d.providers = providers
    d.init()
    return d
