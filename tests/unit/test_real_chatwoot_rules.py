"""Issue 14 (a real Chatwoot 4.15.1 disagreed), the parts checked without the pulumi CLI.

The end-to-end halves (availability, adopt + members, renames, another account) are in
tests/e2e/test_real_semantics.py.
"""

from __future__ import annotations

import sys
from types import SimpleNamespace

import httpx
import pytest

from cwtenants import plan as plan_mod
from cwtenants import preflight, stackinfo
from cwtenants.adopt import adopt
from cwtenants.chatwoot import ChatwootClient, Settings, errors
from cwtenants.plan import AMBIGUOUS, LiveIndex
from cwtenants.resources import agent, base, inbox, portal, team


@pytest.fixture(autouse=True)
def clean(monkeypatch):
    base.lists.clear()
    monkeypatch.setattr(base, "_token_refused", None)
    monkeypatch.setenv("CHATWOOT_URL", "http://chatwoot.test")
    monkeypatch.setenv("CHATWOOT_ACCOUNT_ID", "1")
    monkeypatch.setenv("CHATWOOT_API_TOKEN", "tok")
    yield
    base.lists.clear()


class Fake:
    """A tiny client: answers GETs from a dict, records writes."""

    def __init__(self, gets=None, platform=False, hc=None):
        self.gets = gets or {}
        self.hc = hc or {}
        self.writes: list[tuple[str, str, object]] = []
        self.settings = SimpleNamespace(platform_token="p" if platform else None, account_id=1, api_token="t")

    def get(self, path, params=None):
        if path in self.gets:
            return self.gets[path]
        raise errors.NotFound("GET", path, 404, "Resource could not be found")

    def request(self, method, path, **kw):
        if path.startswith("/hc/"):
            status = self.hc.get(path, 404)
            if status == 404:
                raise errors.NotFound("GET", path, 404, "Not Found")
            raise errors.ChatwootError("GET", path, status, "response is not JSON: <html>")
        return {"id": 1}

    def _write(self, method, path, json):
        self.writes.append((method, path, json))
        if path == "/agents" and method == "POST":
            # an existing user of another account: Chatwoot keeps its name and confirmation
            return {"id": 9, "email": json["agent"]["email"], "name": "Someone Else", "confirmed": True,
                    "role": json["agent"]["role"], "availability_status": "offline", "auto_offline": True}
        if path.startswith("/agents/"):
            return {"id": 9, "email": "x@y.example", "name": "Someone Else", "confirmed": True,
                    "role": json["agent"].get("role"), "availability_status": "offline", "auto_offline": True}
        return {}

    def post(self, path, json=None):
        return self._write("POST", path, json)

    def patch(self, path, json=None):
        return self._write("PATCH", path, json)

    def platform_post(self, path, json=None):
        self.writes.append(("PLATFORM POST", path, json))
        return {"id": 9, "access_token": "USER-ACCESS-TOKEN-xyz"}


# ------------------------------------------------------------------ item 1: availability


def test_declared_availability_is_sent_with_auto_offline_off():
    b = agent.body({"email": "a@x", "name": "A", "role": "agent", "availability": "busy"}, create=False)
    assert b["agent"]["availability"] == "busy" and b["agent"]["auto_offline"] is False
    b = agent.body({"email": "a@x", "name": "A", "role": "agent", "availability": None}, create=False)
    assert "availability" not in b["agent"] and "auto_offline" not in b["agent"]


def test_presence_derived_status_is_not_a_declared_value():
    kind = agent.AgentKind()
    declared = {"email": "a@x.example", "name": "A", "role": "agent", "availability": "online"}
    # real Chatwoot right after `up` on main: stored online, auto_offline true, nobody logged in
    auto = {"id": 1, "email": "a@x.example", "name": "A", "role": "agent", "availability_status": "offline",
            "auto_offline": True}
    assert kind.normalise(auto)["availability"] == "offline (auto_offline)"
    assert not kind.matches(auto, declared)
    fixed = dict(auto, auto_offline=False, availability_status="online")
    assert kind.matches(fixed, declared)
    # not declared: the person's own status and presence are never compared
    assert kind.matches(dict(auto, availability_status="busy"), dict(declared, availability=None))


# ------------------------------------------------------------------ item 6: users the reconciler did not create


def test_a_user_of_another_account_is_added_but_neither_renamed_nor_platform_created(capsys):
    c = Fake(gets={"/agents": []}, platform=True)
    id_, live, origin = agent.AgentKind().create_with_origin(
        c, {"email": "x@y.example", "name": "Declared Name", "role": "agent", "availability": None})
    assert origin == {"adopted": False, "role_before": None, "user_created": False, "custom_role_applied": None}
    assert [w[:2] for w in c.writes] == [("POST", "/agents")]  # no Platform POST /users: it would confirm them
    assert "not applied" in capsys.readouterr().out


def test_platform_user_access_token_is_never_kept():
    c = Fake(gets={"/agents": []}, platform=True)
    kind = agent.AgentKind()
    calls = []
    kind.find = lambda c_, email, fresh=False: ({"id": 9, "email": email, "name": "N", "role": "agent",
                                                 "confirmed": True} if calls.append(1) or len(calls) > 1 else None)
    _, live, origin = kind.create_with_origin(c, {"email": "n@x.example", "name": "N", "role": "agent",
                                                   "availability": None, "manage_user": True})
    assert ("PLATFORM POST", "/users") in [w[:2] for w in c.writes]
    assert "USER-ACCESS-TOKEN-xyz" not in repr(live) + repr(origin)


def test_name_of_a_user_not_created_is_neither_compared_nor_sent(monkeypatch, capsys):
    p = agent.AgentProvider()
    olds = {"email": "x@y.example", "name": "Old", "role": "agent", "availability": None, "adopted": True,
            "user_created": False, "manage_user": False}
    assert not p.diff("9", olds, dict(olds, name="New")).changes
    assert "not applied" in capsys.readouterr().out
    assert p.diff("9", olds, dict(olds, name="New", manage_user=True)).changes
    assert agent.body(dict(olds, name="New"), create=False, name=False) == {"agent": {"role": "agent"}}


# ------------------------------------------------------------------ item 3: never own an object twice


def test_create_refuses_an_object_another_provider_of_the_stack_owns():
    c = Fake(gets={"/teams": [{"id": 5, "name": "harbor support", "description": "", "allow_auto_assign": True}]})
    with pytest.raises(base.Refused, match="already belongs to provider harbor-vps"):
        team.TeamKind().create(c, {"name": "Harbor Support", "description": None, "allow_auto_assign": True,
                                   "claimed_ids": {"5": "harbor-vps"}})
    assert c.writes == []


def test_plan_matches_by_stack_id_and_reports_a_rename(tmp_path):
    from cwtenants.catalog import load_catalog

    (tmp_path / "acme.yaml").write_text("slug: acme\nname: Acme\n")
    spec = load_catalog(tmp_path).providers[0]
    live = LiveIndex([], [{"id": 5, "name": "acme support team", "description": "", "allow_auto_assign": True}],
                     [], [])
    pp = plan_mod.plan_provider(spec, live, {"team": 5, "inbox": None, "portal": None})
    t = next(o for o in pp.objects if o.kind == "team")
    assert t.status == plan_mod.RENAMED and "acme support team" in t.note
    assert [ch.field for ch in t.changes] == ["name"]


def test_adopt_leaves_alone_what_the_stack_owns_and_names_duplicate_inboxes():
    live = LiveIndex(
        [{"id": 1, "name": "Twin Support", "channel_type": "Channel::Api"},
         {"id": 2, "name": "Twin Support", "channel_type": "Channel::Api"}],
        [{"id": 5, "name": "harbor support"}, {"id": 6, "name": "other team"}], [], [])
    skipped: list[str] = []
    files = adopt(None, live, owned={"team": {5}}, skipped=skipped)
    texts = "".join(f.text for f in files)
    assert "harbor support" not in texts and "other team" in texts
    assert skipped and "2 API inboxes have this name (ids 1, 2)" in skipped[0]


# ------------------------------------------------------------------ item 4: agent-role token


def test_plan_refuses_a_token_that_is_not_an_administrator():
    c = SimpleNamespace(settings=SimpleNamespace(account_id=1, api_token="t"),
                        request=lambda *a, **k: {"accounts": [{"id": 1, "role": "agent"}]})
    with pytest.raises(preflight.PreflightError) as ei:
        preflight.require_administrator(c)
    assert "role 'agent'" in ei.value.message and "administrator" in ei.value.hint


def test_a_read_refused_with_401_carries_the_administrator_hint():
    def handler(request):
        return httpx.Response(401, json={"error": "You are not authorized to do this action"})

    c = ChatwootClient(Settings(url="http://chatwoot.test", api_token="t", account_id=1, max_retries=0),
                       httpx.MockTransport(handler), sleep=lambda d: None)
    with pytest.raises(errors.Unauthorized) as ei:
        c.get("/inboxes/7")
    assert ei.value.hint == errors.HINT_NOT_ADMIN


# ------------------------------------------------------------------ item 5: another Chatwoot / account


def test_stack_outputs_name_the_chatwoot_and_another_one_is_refused(monkeypatch):
    info = stackinfo.parse({"chatwoot_url": "http://a.example", "chatwoot_account_id": 1,
                            "providers": {"acme": {"inbox_id": 1, "team_id": 2, "portal_id": 3}}})
    assert info.owned_ids() == {"inbox": {1}, "team": {2}, "portal": {3}}
    other = SimpleNamespace(url="http://a.example", account_id=2)
    with pytest.raises(preflight.PreflightError, match="this stack manages Chatwoot http://a.example account 1"):
        preflight.require_same_chatwoot(info, other, environ={})
    preflight.require_same_chatwoot(info, other, environ={"CWT_ALLOW_OTHER_CHATWOOT": "1"})
    preflight.require_same_chatwoot(info, SimpleNamespace(url="http://a.example/", account_id=1), environ={})


def test_a_resource_of_another_account_is_never_read_or_written(monkeypatch):
    props = {"provider_slug": "acme", "name": "acme team", base.CHATWOOT_KEY: "http://chatwoot.test/app/accounts/1"}
    team.TeamProvider().diff("5", props, props)  # same Chatwoot: fine
    monkeypatch.setenv("CHATWOOT_ACCOUNT_ID", "2")
    with pytest.raises(base.Refused, match="belongs to Chatwoot http://chatwoot.test/app/accounts/1"):
        team.TeamProvider().read("5", props)
    with pytest.raises(base.Refused):
        team.TeamProvider().diff("5", props, props)


# ------------------------------------------------------------------ item 7: portal slug of another account


def test_portal_slug_clash_is_found_read_only_before_any_write(monkeypatch):
    c = Fake(gets={"/portals": {"payload": []}}, hc={"/hc/taken-help": 200})
    monkeypatch.setattr(portal, "client", lambda: c)
    result = portal.PortalProvider().check({}, {"slug": "taken-help", "provider_slug": "acme", "name": "A"})
    assert [f.property for f in result.failures] == ["slug"]
    assert "already used by another account" in result.failures[0].reason
    assert portal.PortalProvider().check({}, {"slug": "free-help", "provider_slug": "acme"}).failures == []
    assert c.writes == []


def test_plan_reports_the_portal_slug_clash(tmp_path):
    from cwtenants.catalog import load_catalog

    (tmp_path / "acme.yaml").write_text("slug: acme\nname: Acme\nportal: {slug: taken-help}\n")
    spec = load_catalog(tmp_path).providers[0]
    pp = plan_mod.plan_provider(spec, LiveIndex([], [], [], []), None, lambda slug: slug == "taken-help")
    p = next(o for o in pp.objects if o.kind == "portal")
    assert p.status == AMBIGUOUS and "already used by another account" in p.note


# ------------------------------------------------------------------ item 8: one clear line per failure


def test_expected_failures_are_one_line_and_a_401_stops_the_others(monkeypatch):
    import traceback
    import types

    server = types.ModuleType("fake_server")  # stands for pulumi.dynamic's server module
    server.__spec__ = SimpleNamespace(name="pulumi.dynamic.__main__")
    server.traceback = traceback
    monkeypatch.setitem(sys.modules, "__main__", server)
    base.quiet_error_details()
    try:
        raise errors.Unauthorized("GET", "/api/v1/accounts/1/teams", 401, "Invalid Access Token",
                                  hint=errors.HINT_BAD_TOKEN)
    except errors.ChatwootError:
        text = server.traceback.format_exc()
    assert "\n" not in text.strip() and "Traceback" not in text and "401" in text
    with pytest.raises(base.Refused, match="not attempted: Chatwoot refused the API token"):
        base.client()
    try:
        raise KeyError("a bug")
    except KeyError:
        assert "Traceback" in server.traceback.format_exc()  # real bugs keep their traceback


# ------------------------------------------------------------------ item 9: smaller points


def test_an_offboarding_only_change_sends_no_request(monkeypatch):
    def no_client():
        raise AssertionError("no API call expected")

    monkeypatch.setattr(base, "client", no_client)
    olds = {"provider_slug": "a", "offboarding": "retain", "name": "a team", "description": None,
            "allow_auto_assign": True, "team_id": 5}
    res = team.TeamProvider().update("5", olds, dict(olds, offboarding="archive"))
    assert res.outs["offboarding"] == "archive" and res.outs["team_id"] == 5


def test_refresh_keeps_the_declared_name_form_and_the_portal_id(monkeypatch):
    live_team = {"id": 5, "name": "nimbus cloud team", "description": "", "allow_auto_assign": True}
    live_inbox = {"id": 7, "name": "Nimbus Support", "channel_type": "Channel::Api", "timezone": "UTC",
                  "help_center": {"slug": "nimbus-help"}}
    c = Fake(gets={"/teams": [live_team], "/inboxes": {"payload": [live_inbox]}})
    monkeypatch.setattr(base, "client", lambda: c)
    r = team.TeamProvider().read("5", {"name": "Nimbus Cloud Team", "provider_slug": "n", "offboarding": "retain"})
    assert r.outs["name"] == "Nimbus Cloud Team"
    r = inbox.InboxProvider().read("7", {"name": "Nimbus Support", "portal_slug": "nimbus-help", "portal_id": 3,
                                         "timezone": "UTC", "provider_slug": "n", "offboarding": "retain"})
    assert r.outs["portal_id"] == 3 and r.inputs["portal_id"] == 3


def test_cli_settings_come_from_the_stack_config_first(monkeypatch, tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: x\nruntime: python\n")
    (tmp_path / "providers").mkdir()
    monkeypatch.setattr(preflight, "stack_config", lambda cwd, stack=None, timeout=120:
                        {"url": "http://from-stack.example", "apiToken": "stack-secret"})
    env, used = preflight.environment(tmp_path / "providers", {"CHATWOOT_URL": "http://from-env.example"})
    assert env["CHATWOOT_URL"] == "http://from-stack.example" and env["CHATWOOT_API_TOKEN"] == "stack-secret"
    assert used == ["cwtenants:url", "cwtenants:apiToken"]


def test_a_removed_provider_with_offboarding_archive_is_announced_as_archive(monkeypatch):
    from cwtenants import program

    said = []
    monkeypatch.setattr(program.pulumi.log, "info", lambda msg, *a, **k: said.append(msg))
    info = stackinfo.parse({"providers": {
        "harbor-vps": {"inbox_id": 1, "team_id": 1, "portal_id": 1, "offboarding": "archive"},
        "nimbus-cloud": {"inbox_id": 2, "team_id": 2, "portal_id": 2, "offboarding": "retain"}}})
    program.say_offboarding(info, declared={"nimbus-cloud"})
    assert said == [said[0]] and "provider harbor-vps is removed (offboarding: archive)" in said[0]
    assert "ARCHIVED" in said[0]
