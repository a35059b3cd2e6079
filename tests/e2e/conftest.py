"""End-to-end fixtures: the real pulumi CLI, the real project program, the emulator.

    def test_x(deployment):
        deployment.write_provider("acme", {...})   # YAML in a temporary providers/ folder
        deployment.up()                             # `pulumi up`, returns the summary event
        deployment.api("GET", "/teams")             # the emulator, as the admin
        deployment.emulator.control("GET", "stats")

Each test gets its own emulator (fresh SQLite), its own file backend and stack, and a temporary
project folder whose `infra/` is a link to the repository's program, so the code under test is
exactly the committed one.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest
import yaml

from chatwoot_emulator.testing import EmulatorProcess
from pulumi_cli import ROOT, Pulumi

SAMPLES = ROOT / "providers"


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


@pytest.fixture
def emulator(tmp_path):
    with EmulatorProcess(tmp_path / "emulator", delete_delay=0.5) as emu:
        yield emu


@pytest.fixture
def deployment(tmp_path, emulator) -> Deployment:
    """The sample providers, not yet applied."""
    return make_deployment(tmp_path, emulator, samples=True)


@pytest.fixture
def empty_deployment(tmp_path, emulator) -> Deployment:
    """No providers (only _defaults.yaml), not yet applied."""
    return make_deployment(tmp_path, emulator, samples=False)
