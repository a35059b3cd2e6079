"""The Chatwoot client itself against a recorded server: probe, lists, typed errors, retries,
raw writes and the Platform API."""

from __future__ import annotations

import pytest

import cw_cassette as cwc
from cwtenants.chatwoot import ChatwootClient, NotFound, ServerError, Settings, Unauthorized


@pytest.mark.vcr
def test_client_reads_and_errors(cw):
    assert isinstance((cw.get("/inboxes") or {}).get("payload"), list)
    assert isinstance(cw.get("/teams"), list)
    assert "payload" in cw.get("/portals")
    with pytest.raises(NotFound):
        cw.get("/teams/987654321")
    # Chatwoot <= 4.15.1 answers 500 for an unknown portal slug: retried once, then reported
    with pytest.raises(ServerError) as info:
        cw.get("/portals/" + cwc.rec_name("test_client_reads_and_errors", "no-such-portal"))
    assert info.value.unknown_portal_candidate and info.value.attempts == 2
    # a wrong token: 401, never retried
    bad = ChatwootClient(Settings(url=cw.settings.url, api_token="cwt-rec-not-a-token",
                                  account_id=cw.settings.account_id, requests_per_minute=0))
    with bad, pytest.raises(Unauthorized):
        bad.get("/teams")


@pytest.mark.vcr
def test_client_write_roundtrip(cw):
    name = cwc.rec_name("test_client_write_roundtrip")
    team = cw.post("/teams", {"team": {"name": name, "description": "raw client", "allow_auto_assign": True}})
    patched = cw.patch(f"/teams/{team['id']}", {"team": {"description": "patched"}})
    assert patched["description"] == "patched"
    assert cw.get(f"/teams/{team['id']}")["description"] == "patched"
    assert cw.delete(f"/teams/{team['id']}") is None
    with pytest.raises(NotFound):
        cw.get(f"/teams/{team['id']}")


@pytest.mark.vcr
def test_client_platform_api(cw):
    account = cw.platform_get(f"/accounts/{cw.settings.account_id}")
    assert account["id"] == cw.settings.account_id
