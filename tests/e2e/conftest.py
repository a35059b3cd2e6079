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

import pytest

from chatwoot_emulator.testing import EmulatorProcess
from e2e_support import Deployment, make_deployment

__all__ = ["Deployment", "make_deployment"]


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
