"""Fixtures for the emulator conformance suite: one EmulatorProcess per test module."""

from __future__ import annotations

import httpx
import pytest

from chatwoot_emulator.testing import EmulatorProcess

@pytest.fixture(scope="module")
def emu(tmp_path_factory, request):
    opts = getattr(request.module, "EMULATOR_OPTS", {"delete_delay": 30})
    proc = EmulatorProcess(tmp_path_factory.mktemp("emulator"), **opts)
    with proc:
        yield proc


def _client(emu, token=None, **kw) -> httpx.Client:
    headers = {"api_access_token": token} if token else {}
    return httpx.Client(base_url=emu.url, headers=headers, timeout=10.0, **kw)


@pytest.fixture(scope="module")
def admin(emu):
    with _client(emu, emu.tokens["admin_token"]) as c:
        yield c


@pytest.fixture(scope="module")
def agent(emu):
    with _client(emu, emu.tokens["agent_token"]) as c:
        yield c


@pytest.fixture(scope="module")
def platform(emu):
    with _client(emu, emu.tokens["platform_token"]) as c:
        yield c


@pytest.fixture(scope="module")
def anon(emu):
    with _client(emu) as c:
        yield c


@pytest.fixture
def make_client(emu):
    clients = []

    def make(token=None, **kw):
        c = _client(emu, token, **kw)
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.close()
