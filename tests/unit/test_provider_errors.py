"""API and reconcile errors reach the pulumi CLI as their message; a bug keeps its traceback."""

import importlib.machinery
import sys
import traceback
import types

from cwtenants.chatwoot.errors import ServerError
from cwtenants.resources import base


def _server(monkeypatch) -> types.ModuleType:
    """A stand-in for pulumi.dynamic's server module as `python -m pulumi.dynamic` runs it."""
    server = types.ModuleType("__main__")
    server.__spec__ = importlib.machinery.ModuleSpec("pulumi.dynamic.__main__", None)
    server.traceback = traceback
    monkeypatch.setitem(sys.modules, "__main__", server)
    base.quiet_error_details()
    return server


def test_an_api_error_is_its_message(monkeypatch):
    server = _server(monkeypatch)
    err = ServerError("POST", "/api/v1/accounts/1/inboxes", 500, "Internal Server Error", hint="run it again")
    try:
        raise err
    except ServerError:
        details = server.traceback.format_exc()
    assert details == str(err) and "Traceback" not in details


def test_a_reconcile_error_is_its_message(monkeypatch):
    server = _server(monkeypatch)
    try:
        raise base.vanished("team 7")
    except RuntimeError:
        details = server.traceback.format_exc()
    assert details.startswith("team 7 no longer exists in Chatwoot") and "Traceback" not in details


def test_a_bug_keeps_its_traceback(monkeypatch):
    server = _server(monkeypatch)
    try:
        {}["missing"]
    except KeyError:
        details = server.traceback.format_exc()
    assert details.startswith("Traceback (most recent call last)") and "KeyError: 'missing'" in details


def test_nothing_is_changed_outside_the_provider_server(monkeypatch):
    other = types.ModuleType("__main__")
    other.traceback = traceback
    monkeypatch.setitem(sys.modules, "__main__", other)
    base.quiet_error_details()
    assert other.traceback is traceback
