"""Every cassette says which server produced it: the first interaction is the `GET /api` version
probe, and cassettes/PROVENANCE.json names the server kind, version and account."""

from __future__ import annotations

import json

import pytest
import yaml

import cw_cassette as cwc

ROOT = cwc.cassette_root()
CASSETTES = sorted(ROOT.glob("*/*.yaml"))
PROVENANCE = cwc.load_provenance(ROOT)


def key(path) -> str:
    return f"{path.parent.name}/{path.name}"


def test_provenance_lists_exactly_the_cassettes():
    assert CASSETTES
    assert sorted(PROVENANCE["cassettes"]) == sorted(key(p) for p in CASSETTES)
    assert PROVENANCE["servers"] == sorted({e["server"] for e in PROVENANCE["cassettes"].values()})


@pytest.mark.parametrize("path", CASSETTES, ids=key)
def test_cassette_names_its_server(path):
    interactions = yaml.safe_load(path.read_text())["interactions"]
    first = interactions[0]
    assert first["request"]["method"] == "GET" and first["request"]["uri"] == cwc.FAKE_URL + "/api", \
        f"{key(path)}: the first interaction must be the GET /api version probe"
    probe = json.loads(first["response"]["body"]["string"])
    entry = PROVENANCE["cassettes"][key(path)]
    assert probe["version"] and entry["version"] == probe["version"]
    assert entry["server"] in ("emulator", "chatwoot")
    # the emulator's probe has exactly a real server's keys (it is told apart by a header, never recorded)
    assert set(probe) == {"version", "timestamp", "queue_services", "data_services"}
    assert isinstance(entry["account_id"], int)
    # every recorded request went to the recorded account
    for it in interactions[1:]:
        uri = it["request"]["uri"]
        assert uri.startswith(f"{cwc.FAKE_URL}/api/v1/accounts/{entry['account_id']}/") or \
            uri.startswith(f"{cwc.FAKE_URL}/platform/api/v1/") or uri == f"{cwc.FAKE_URL}/api/v1/profile", uri


def test_every_server_kind_is_described():
    """Whatever produced the committed cassettes (a real Chatwoot or the emulator), PROVENANCE.json says
    what that server was: one non-placeholder description per server kind listed."""
    kinds = {e["server"] for e in PROVENANCE["cassettes"].values()}
    assert kinds and kinds <= {"emulator", "chatwoot"}, f"servers in PROVENANCE.json: {kinds}"
    descriptions = PROVENANCE.get("descriptions", {})
    assert set(descriptions) == kinds
    for kind in kinds:
        assert len(descriptions[kind]) > 40 and "TODO" not in descriptions[kind], kind


def test_a_real_server_is_named_with_its_version():
    """A cassette from a real Chatwoot names the version its GET /api probe answered (no guessing later)."""
    for name, entry in PROVENANCE["cassettes"].items():
        if entry["server"] == "chatwoot":
            assert entry["version"] in PROVENANCE["descriptions"]["chatwoot"], name
