"""Replay is strict: a changed write payload, an extra request or an unused recorded interaction
is a failing test, never a silent replay."""

from __future__ import annotations

import json
import shutil

import httpx
import pytest
import vcr as vcrpy
import yaml
from vcr.errors import CannotOverwriteExistingCassetteException

import cw_cassette as cwc

CASSETTES = sorted(cwc.cassette_root().glob("*/*.yaml"))
WRITES = [p for p in CASSETTES
          if any(i["request"]["method"] in ("POST", "PATCH", "PUT")
                 for i in yaml.safe_load(p.read_text())["interactions"])]


def key(path) -> str:
    return f"{path.parent.name}/{path.name}"


def strict_vcr(tmp_path) -> vcrpy.VCR:
    v = vcrpy.VCR(cassette_library_dir=str(tmp_path), record_mode="none")
    v.register_matcher("cw_json_body", cwc.json_body_matcher)
    return v


def recorded(path):
    return [i["request"] for i in yaml.safe_load(path.read_text())["interactions"]]


def send(http: httpx.Client, req: dict, body=None) -> httpx.Response:
    content = req.get("body") or None
    if body is not None:
        content = json.dumps(body)
    return http.request(req["method"], req["uri"], content=content,
                        headers={"content-type": "application/json"} if content else {})


@pytest.mark.parametrize("path", CASSETTES, ids=key)
def test_raw_replay_plays_everything(path, tmp_path):
    """The cassette replays request by request under the CI config, and all of it is used."""
    shutil.copy(path, tmp_path / "c.yaml")
    with strict_vcr(tmp_path).use_cassette("c.yaml", **cwc.vcr_config_for(cwc.Scrubber(None))) as cas, \
            httpx.Client() as http:
        for req in recorded(path):
            send(http, req)
        assert cas.all_played


@pytest.mark.parametrize("path", WRITES, ids=key)
def test_changed_payload_is_refused(path, tmp_path):
    shutil.copy(path, tmp_path / "c.yaml")
    reqs = recorded(path)
    target = next(i for i, r in enumerate(reqs) if r["method"] in ("POST", "PATCH", "PUT"))
    with strict_vcr(tmp_path).use_cassette("c.yaml", **cwc.vcr_config_for(cwc.Scrubber(None))), \
            httpx.Client() as http:
        for req in reqs[:target]:
            send(http, req)
        body = json.loads(reqs[target]["body"])
        body["cwt_unexpected_field"] = True
        with pytest.raises(CannotOverwriteExistingCassetteException) as info:
            send(http, reqs[target], body=body)
    assert "request body differs" in str(info.value)


@pytest.mark.parametrize("path", CASSETTES[:1], ids=key)
def test_unused_interaction_is_detected(path, tmp_path):
    shutil.copy(path, tmp_path / "c.yaml")
    reqs = recorded(path)
    with strict_vcr(tmp_path).use_cassette("c.yaml", **cwc.vcr_config_for(cwc.Scrubber(None))) as cas, \
            httpx.Client() as http:
        for req in reqs[:-1]:
            send(http, req)
        assert not cas.all_played
        send(http, reqs[-1])
        with pytest.raises(CannotOverwriteExistingCassetteException):
            send(http, reqs[-1])  # no playback repeats


def test_provider_with_changed_input_fails_replay(monkeypatch, tmp_path):
    """End to end: the team lifecycle cassette refuses a create whose description changed."""
    from cwtenants.resources import base
    from cwtenants.resources.team import TeamProvider

    path = cwc.cassette_root() / "test_cw_team" / "test_team_lifecycle.yaml"
    shutil.copy(path, tmp_path / "c.yaml")
    monkeypatch.setenv("CHATWOOT_URL", cwc.FAKE_URL)
    monkeypatch.setenv("CHATWOOT_API_TOKEN", cwc.REPLAY_API_TOKEN)
    monkeypatch.setenv("CHATWOOT_ACCOUNT_ID", "1")
    monkeypatch.setenv("CWT_REQUESTS_PER_MINUTE", "0")
    monkeypatch.setattr(base, "_client", None)
    base.lists.clear()
    name = cwc.rec_name("test_team_lifecycle")
    inputs = {"provider_slug": name, "offboarding": "delete", "name": name,
              "description": "a different description", "allow_auto_assign": True}
    try:
        with strict_vcr(tmp_path).use_cassette("c.yaml", **cwc.vcr_config_for(cwc.Scrubber(None))):
            base.client().api_version()
            with pytest.raises(CannotOverwriteExistingCassetteException):
                TeamProvider().create(inputs)
    finally:
        if base._client is not None:
            base._client.close()
        base.lists.clear()
