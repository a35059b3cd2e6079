"""No secret, real e-mail address or real host in any cassette; the scanner itself can fail."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import yaml

import cw_cassette as cwc

CASSETTES = sorted(cwc.cassette_root().glob("*/*.yaml"))


def cassette_texts(path: Path) -> list[str]:
    """The raw file plus each request/response decoded (YAML folds long lines at spaces)."""
    raw = path.read_text()
    data = yaml.safe_load(raw)
    texts = [raw]
    for it in data["interactions"]:
        req, resp = it["request"], it["response"]
        texts.append(req["uri"])
        texts.append(json.dumps(req.get("headers", {})))
        texts.append(req.get("body") or "")
        texts.append(json.dumps(resp.get("headers", {})))
        texts.append(resp.get("body", {}).get("string") or "")
    return texts


def test_there_are_cassettes():
    assert len(CASSETTES) >= 10, f"expected the committed cassettes under {cwc.cassette_root()}"


@pytest.mark.parametrize("path", CASSETTES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_cassette_has_no_secrets(path):
    leaks = [f for text in cassette_texts(path) for f in cwc.find_secrets(text)]
    assert not leaks, f"{path}: {sorted(set(leaks))}"


@pytest.mark.parametrize("path", CASSETTES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_cassette_headers_are_allow_listed(path):
    data = yaml.safe_load(path.read_text())
    for it in data["interactions"]:
        req_headers = {k.lower(): v for k, v in it["request"]["headers"].items()}
        assert set(req_headers) <= cwc.KEPT_REQUEST_HEADERS | cwc.TOKEN_HEADERS
        for name in cwc.TOKEN_HEADERS & set(req_headers):
            assert req_headers[name] == [cwc.REDACTED]
        assert {k.lower() for k in it["response"]["headers"]} <= cwc.KEPT_RESPONSE_HEADERS
        assert it["request"]["uri"].startswith(cwc.FAKE_URL + "/")
        assert it["response"]["status"]["code"] != 429


# --- the scanner and the scrubber fail/act on planted secrets ---------------------------------

PLANTED = {
    "token": '{"access_token_hint":"x","note":"aUeaofLB8fpwojKughFtBg7P"}',
    "hmac": '{"hmac_token":"abcdefgh"}',
    "secret": '{"secret":"s3cr3t-value"}',
    "inbox_identifier": '{"inbox_identifier":"WT7isQ"}',
    "pubsub": '{"pubsub_token":"zzz"}',
    "email": '{"email":"jane.doe@hosting-provider.com"}',
    "host": '{"link":"http://10.1.2.3:3000/app"}',
    "header": "    api_access_token:\n    - real-token-value\n",
}


@pytest.mark.parametrize("kind", sorted(PLANTED))
def test_scanner_fails_on_planted_secret(kind):
    assert cwc.find_secrets(PLANTED[kind]), f"scanner missed a planted {kind}"


def test_scanner_flags_env_token_and_planted_cassette(tmp_path):
    env_token = "my-very-own-env-token"
    assert cwc.find_secrets(f"log line with {env_token}", extra=[env_token])
    # a committed cassette with a token planted in a response body is caught
    src = CASSETTES[0].read_text()
    # the version probe opens every cassette, whichever server recorded it
    planted = src.replace('"version":"', '"hmac_token":"Zx9QwErTyUiOpAsDfGhJkL12","version":"', 1)
    assert planted != src
    bad = tmp_path / "bad.yaml"
    bad.write_text(planted)
    assert [f for t in cassette_texts(bad) for f in cwc.find_secrets(t)]


def test_scrubber_redacts_everything_and_is_idempotent():
    s = cwc.Scrubber("http://chatwoot.example.com:3000", extra_secrets=["env-token-123"])
    body = json.dumps({
        "hmac_token": "abc", "secret": "def", "inbox_identifier": "ghi", "pubsub_token": "jkl",
        "access_token": "mno", "email": "Jane@Provider.com", "uid": "jane@provider.com",
        "other": "bob@elsewhere.org", "kept": "cwt-rec-x@example.invalid",
        "link": "http://chatwoot.example.com:3000/hc/x", "note": "env-token-123",
        "nested": [{"website_token": "pqr"}],
    })
    once = s.body(body)
    data = json.loads(once)
    for k in ("hmac_token", "secret", "inbox_identifier", "pubsub_token", "access_token"):
        assert data[k] == cwc.REDACTED
    assert data["nested"][0]["website_token"] == cwc.REDACTED
    assert data["email"] == data["uid"] == "user-1@example.invalid"  # consistent per cassette
    assert data["other"] == "user-2@example.invalid"
    assert data["kept"] == "cwt-rec-x@example.invalid"
    assert data["link"] == "http://chatwoot.invalid/hc/x"
    assert data["note"] == cwc.REDACTED
    assert s.body(once) == once
    assert not cwc.find_secrets(once)


def test_replay_logs_are_clean(caplog, capsys):
    """The client's DEBUG log of a full replay names no token (cassette tests also scan their own
    captured log/stdout in the `cw` fixture; this checks the scanner sees the real log)."""
    from cwtenants.chatwoot import ChatwootClient, Settings

    caplog.set_level(logging.DEBUG, logger="cwtenants")
    token = "Zx9QwErTyUiOpAsDfGhJkL12"
    c = ChatwootClient(Settings(url="http://chatwoot.invalid", api_token=token, account_id=1,
                                requests_per_minute=0, max_retries=0))
    with c, pytest.raises(Exception):
        c.get("/teams")  # network is blocked here: the failure message must not carry the token
    logging.getLogger("cwtenants.test").debug("planted %s", token)
    assert cwc.find_secrets(caplog.text, extra=[token]), "planted token in the log was not found"
    lines = [r.getMessage() for r in caplog.records if r.name != "cwtenants.test"]
    assert not cwc.find_secrets("\n".join(lines), extra=[token])
