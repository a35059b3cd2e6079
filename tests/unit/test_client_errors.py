"""Error parsing, hints and token secrecy of cwtenants.chatwoot (no network)."""

from __future__ import annotations

import logging
import pickle

import httpx
import pytest

from cwtenants.chatwoot import ChatwootClient, Settings, errors

TOKEN = "tok-SECRET-7f3a9c0e"
PLATFORM = "plat-SECRET-91b2d4"


def client_for(handler, **kw):
    s = Settings(url="http://chatwoot.test", api_token=TOKEN, account_id=1, platform_token=PLATFORM,
                 max_retries=kw.pop("max_retries", 1), **kw)
    return ChatwootClient(s, httpx.MockTransport(handler), sleep=lambda d: None)


def fail_with(status, body=None, text=None, method="get", path="/teams", json=None):
    def handler(request):
        if text is not None:
            return httpx.Response(status, text=text, headers={"content-type": "text/plain"})
        if body is None:
            return httpx.Response(status)
        return httpx.Response(status, json=body)

    c = client_for(handler)
    args = (path,) if method in ("get", "platform_get") else (path, json or {})
    with pytest.raises(errors.ChatwootError) as ei:
        getattr(c, method)(*args)
    return ei.value


# ---------------------------------------------------------------- body shapes (docs/chatwoot-behaviour.md#errors)

def test_validation_error_shape_and_str():
    err = fail_with(422, {"message": "Name has already been taken", "attributes": ["name"]}, method="post")
    assert type(err) is errors.Unprocessable
    assert err.message == "Name has already been taken" and err.attributes == ["name"]
    assert str(err) == "POST /api/v1/accounts/1/teams → 422: Name has already been taken [name]"
    assert err.method == "POST" and err.path == "/api/v1/accounts/1/teams" and err.status == 422


def test_missing_param_error_shape():
    err = fail_with(422, {"error": "param is missing or the value is empty: team"}, method="post")
    assert type(err) is errors.Unprocessable
    assert err.message == "param is missing or the value is empty: team" and err.attributes == []


def test_not_found_shape():
    err = fail_with(404, {"error": "Resource could not be found"}, path="/teams/99")
    assert type(err) is errors.NotFound and err.message == "Resource could not be found"
    assert err.hint is None


def test_devise_errors_list_shape():
    err = fail_with(401, {"errors": ["You need to sign in or sign up before continuing."]})
    assert type(err) is errors.Unauthorized
    assert err.message == "You need to sign in or sign up before continuing."
    assert "CHATWOOT_API_TOKEN" in err.hint


def test_rails_500_shape():
    err = fail_with(500, {"status": 500, "error": "Internal Server Error"}, path="/teams/1")
    assert type(err) is errors.ServerError and err.message == "Internal Server Error"
    assert err.unknown_portal_candidate is False


def test_platform_rails_404_shape():
    err = fail_with(404, {"status": 404, "error": "Not Found"}, method="platform_get", path="/users/5")
    assert type(err) is errors.NotFound and err.message == "Not Found"
    assert err.path == "/platform/api/v1/users/5"


def test_rate_limit_text_plain_body():
    err = fail_with(429, text="Retry later\n")
    assert type(err) is errors.RateLimited and err.message == "Retry later"


def test_payment_required():
    err = fail_with(402, {"error": "Account limit exceeded. Please purchase more licenses"}, method="post",
                    path="/inboxes")
    assert type(err) is errors.PaymentRequired and "limit" in err.hint


def test_legacy_portal_error_hash_gives_attributes():
    err = fail_with(422, {"error": {"slug": ["has already been taken"]}}, method="patch", path="/portals/x")
    assert err.attributes == ["slug"] and "has already been taken" in err.message


def test_email_check_message_only_shape():
    err = fail_with(422, {"message": "SMTP auth failed"}, method="post", path="/inboxes")
    assert err.message == "SMTP auth failed" and err.attributes == []


def test_empty_body_falls_back_to_reason_phrase():
    err = fail_with(503, None)
    assert type(err) is errors.ServerError and err.message == "Service Unavailable"


def test_html_body_is_summarised():
    err = fail_with(502, text="<html>\n<body>Bad   gateway</body></html>")
    assert err.message == "<html> <body>Bad gateway</body></html>"


def test_unmapped_status_is_base_class():
    err = fail_with(403, {"error": "Forbidden"})
    assert type(err) is errors.ChatwootError and err.status == 403


@pytest.mark.parametrize("content,expected", [
    (b'{"message":"A, B","attributes":["a","b"]}', ("A, B", ["a", "b"])),
    (b'{"error":"x"}', ("x", [])),
    (b'{"errors":["a","b"]}', ("a; b", [])),
    (b'{"errors":{"email":["is invalid"]}}', ("email is invalid", ["email"])),
    (b'{"status":500,"error":"Internal Server Error"}', ("Internal Server Error", [])),
    (b"Retry later", ("Retry later", [])),
    (b"", ("Too Many Requests", [])),
    (b'["odd"]', ("odd", [])),
])
def test_parse_error_body_shapes(content, expected):
    assert errors.parse_error_body(content, "", "Too Many Requests") == expected


# ---------------------------------------------------------------- hints

def test_401_on_write_hints_at_administrator_role():
    err = fail_with(401, {"error": "You are not authorized to do this action"}, method="post")
    assert err.hint == errors.HINT_NOT_ADMIN
    assert "401 (not 403)" in err.hint and "administrator" in err.hint


def test_401_invalid_access_token_hint():
    err = fail_with(401, {"error": "Invalid Access Token"})
    assert err.hint == errors.HINT_BAD_TOKEN == "the API token is wrong or was regenerated"
    # even on a write the token hint wins over the role hint
    err = fail_with(401, {"error": "Invalid Access Token"}, method="post")
    assert err.hint == errors.HINT_BAD_TOKEN


def test_401_platform_bad_token_hint():
    err = fail_with(401, {"error": "Invalid access_token"}, method="platform_get", path="/accounts")
    assert "CHATWOOT_PLATFORM_TOKEN" in err.hint


def test_401_not_member_of_account_hint():
    err = fail_with(401, {"error": "You are not authorized to access this account"})
    assert "CHATWOOT_ACCOUNT_ID" in err.hint


@pytest.mark.parametrize("path", ["/inboxes", "/teams", ""])
def test_404_on_account_level_path_hints_account_id(path):
    err = fail_with(404, {"error": "Resource could not be found"}, path=path)
    assert "CHATWOOT_ACCOUNT_ID" in err.hint and "account 1" in err.hint


def test_500_on_portal_path_is_unknown_portal_candidate():
    err = fail_with(500, {"status": 500, "error": "Internal Server Error"}, path="/portals/acme-help")
    assert err.unknown_portal_candidate is True
    assert "Chatwoot ≤ 4.15.1 answers 500 for an unknown portal slug" in err.hint
    err = fail_with(500, {"status": 500, "error": "Internal Server Error"}, method="patch",
                    path="/portals/acme-help/categories/3")
    assert err.unknown_portal_candidate is True
    err = fail_with(500, {"status": 500, "error": "Internal Server Error"}, path="/portals")
    assert err.unknown_portal_candidate is False


def test_error_str_includes_hint_and_pickles():
    err = fail_with(401, {"error": "Invalid Access Token"})
    assert str(err) == ("GET /api/v1/accounts/1/teams → 401: Invalid Access Token "
                        "(hint: the API token is wrong or was regenerated)")
    clone = pickle.loads(pickle.dumps(err))
    assert type(clone) is errors.Unauthorized and str(clone) == str(err)


def test_hierarchy():
    for cls in (errors.NotFound, errors.Unauthorized, errors.PaymentRequired, errors.Unprocessable,
                errors.RateLimited, errors.ServerError, errors.TransportError, errors.OutcomeUnknown):
        assert issubclass(cls, errors.ChatwootError)
    assert not issubclass(errors.OutcomeUnknown, errors.TransportError)


# ---------------------------------------------------------------- the token never leaks

def test_token_never_appears_in_errors_reprs_or_logs(caplog, monkeypatch):
    """Drive every error path, with a server and a transport that echo the tokens back."""
    collected: list[str] = []

    def echo_handler(status):
        def handler(request):
            assert request.headers.get("api_access_token") in (TOKEN, PLATFORM, None)
            tok = request.headers.get("api_access_token", "")
            return httpx.Response(status, json={"message": f"bad {tok}", "attributes": [tok],
                                                "error": tok})
        return handler

    def raising(exc_cls):
        def handler(request):
            raise exc_cls(f"failed with header {request.headers.get('api_access_token')}", request=request)
        return handler

    scenarios = [echo_handler(s) for s in (401, 402, 404, 422, 429, 500, 503)]
    scenarios += [raising(e) for e in (httpx.ConnectError, httpx.ReadTimeout, httpx.RemoteProtocolError)]
    scenarios.append(lambda r: httpx.Response(302, headers={"location": f"http://x/?t={TOKEN}"}))
    scenarios.append(lambda r: httpx.Response(200, text=f"not json {TOKEN}"))
    with caplog.at_level(logging.DEBUG):
        for handler in scenarios:
            c = client_for(handler)
            collected += [repr(c), str(c), repr(c.settings), str(c.settings), str(c.stats_snapshot())]
            for call in (lambda: c.get("/teams"), lambda: c.post("/teams", {"name": "n"}),
                         lambda: c.patch("/portals/p", {}), lambda: c.platform_post("/users", {}),
                         lambda: c.platform_get("/accounts/1")):
                with pytest.raises(errors.ChatwootError) as ei:
                    call()
                e = ei.value
                collected += [str(e), repr(e), e.message, str(e.hint), " ".join(e.attributes), str(e.args)]
                assert e.__cause__ is None
                assert e.__context__ is None or TOKEN not in repr(e.__context__)
    collected += [r.getMessage() for r in caplog.records] + [str(r.args) for r in caplog.records]
    blob = "\n".join(collected)
    assert "bad ***" in blob  # the echo really happened and was redacted
    assert TOKEN not in blob and PLATFORM not in blob
    assert "SECRET" not in blob


def test_settings_errors_never_contain_tokens():
    with pytest.raises(errors.ConfigError) as ei:
        Settings(url="not a url", api_token=TOKEN, account_id=1)
    assert TOKEN not in str(ei.value) and TOKEN not in repr(ei.value)
    with pytest.raises(errors.ConfigError) as ei:
        Settings.from_env({"CHATWOOT_URL": "http://x", "CHATWOOT_API_TOKEN": TOKEN,
                           "CHATWOOT_ACCOUNT_ID": "one"})
    assert TOKEN not in str(ei.value)
