"""Agent and membership resources without a network: normalisation, diff, request bodies, delete rules."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from cwtenants.catalog.models import AgentSpec
from cwtenants.chatwoot.errors import NotFound
from cwtenants.program import merge_agents
from cwtenants.resources import agent, members
from cwtenants.resources.base import changed_keys, lists


class FakeClient:
    """Records calls; answers from a tiny in-memory account."""

    def __init__(self, agents=None, team=None, operator=1, platform=False):
        self.calls: list[tuple[str, str, object]] = []
        self.agents = agents or []
        self.team = team or []
        self.operator = operator
        self.settings = SimpleNamespace(platform_token="x" if platform else None, account_id=1, api_token="t")

    def get(self, path, params=None):
        self.calls.append(("GET", path, None))
        if path == "/agents":
            return self.agents
        if path.endswith("/team_members"):
            return self.team
        if path.startswith("/inbox_members/"):
            return {"payload": self.team}
        raise NotFound("GET", path, 404, "Resource could not be found")

    def request(self, method, path, **kw):
        self.calls.append((method, path, None))
        return {"id": self.operator}

    def _write(self, method, path, json):
        self.calls.append((method, path, json))
        if path == "/agents" and method == "POST":
            new = {"id": 50, "email": json["agent"]["email"], "name": json["agent"]["name"],
                   "role": json["agent"]["role"], "availability_status": "offline"}
            self.agents.append(new)
            return new
        if path.startswith("/agents/") and method == "PATCH":
            a = next(a for a in self.agents if str(a["id"]) == path.rsplit("/", 1)[1])
            a.update({k: v for k, v in json["agent"].items() if k != "availability"})
            return a
        return [] if path.endswith("team_members") else {"payload": []}

    def post(self, path, json=None):
        return self._write("POST", path, json)

    def patch(self, path, json=None):
        return self._write("PATCH", path, json)

    def delete(self, path, json=None):
        return self._write("DELETE", path, json)

    def platform_post(self, path, json=None):
        self.calls.append(("PLATFORM POST", path, json))
        if path == "/users":
            self.agents.append({"id": 60, "email": json["email"], "name": json["name"], "role": "agent",
                                "availability_status": "offline"})
            return {"id": 60}
        return {}

    def writes(self):
        return [(m, p, j) for m, p, j in self.calls if m != "GET"]


@pytest.fixture(autouse=True)
def empty_cache():
    lists.clear()
    yield
    lists.clear()


def spec(slug="acme", membership="authoritative", emails=("b@x.example", "A@x.example")):
    agents = [SimpleNamespace(email=e.lower(), name=e.split("@")[0], role="agent", availability=None) for e in emails]
    return SimpleNamespace(slug=slug, offboarding="retain", membership=membership, agents=agents)


# ------------------------------------------------------------------ membership


def test_desired_is_a_sorted_list_of_emails():
    inputs = members.desired(spec(), 7, {"a@x.example": 1, "b@x.example": 2})
    assert inputs["members"] == ["a@x.example", "b@x.example"]
    assert inputs["membership"] == "authoritative" and inputs["target_id"] == 7


def test_observe_authoritative_sees_everyone_additive_only_declared():
    live = [{"id": 1, "email": "a@x.example"}, {"id": 9, "email": "Hand@x.example"}]
    props = {"members": ["a@x.example", "b@x.example"], "membership": "authoritative"}
    assert members.observe(live, props) == {"members": ["a@x.example", "hand@x.example"],
                                            "user_ids": {"a@x.example": 1, "hand@x.example": 9}}
    props["membership"] = "additive"
    assert members.observe(live, props) == {"members": ["a@x.example"], "user_ids": {"a@x.example": 1}}


def test_diff_compares_emails_only_not_ids_or_target():
    kind = members.TeamMembersKind()
    olds = {"members": ["a@x.example"], "user_ids": {"a@x.example": 1}, "target_id": 3, "membership": "authoritative"}
    news = {**olds, "user_ids": {"a@x.example": "04da6b54-unknown"}, "target_id": None}
    assert changed_keys(kind, olds, news) == []
    assert changed_keys(kind, olds, {**olds, "members": ["A@x.example", "b@x.example"]}) == ["members"]
    assert changed_keys(kind, olds, {**olds, "membership": "additive"}) == ["membership"]


def test_change_line_names_who_joins_and_leaves():
    line = members.change_line("team", {"members": ["a@x", "b@x"]}, {"members": ["b@x", "c@x"], "provider_slug": "acme"})
    assert line == "team of provider acme: joins c@x; leaves a@x"
    assert members.change_line("team", {"members": ["a@x"]}, {"members": ["a@x"]}) is None


def test_authoritative_update_is_one_patch_with_integer_ids():
    c = FakeClient()
    kind = members.TeamMembersKind()
    news = {"members": ["a@x.example", "b@x.example"], "user_ids": {"a@x.example": "12", "b@x.example": 3.0},
            "target_id": 4, "membership": "authoritative", "provider_slug": "acme"}
    kind.update(c, "4", {"members": ["a@x.example", "z@x.example"]}, news)
    assert c.writes() == [("PATCH", "/teams/4/team_members", {"user_ids": [3, 12]})]
    assert all(type(i) is int for i in c.writes()[0][2]["user_ids"])


def test_inbox_patch_body_has_integer_inbox_id_and_user_ids():
    c = FakeClient()
    members.InboxMembersKind().update(c, "8", {}, {"members": ["a@x.example"], "user_ids": {"a@x.example": 5},
                                                   "target_id": "8", "membership": "authoritative"})
    assert c.writes() == [("PATCH", "/inbox_members", {"inbox_id": 8, "user_ids": [5]})]


def test_additive_update_posts_newcomers_and_deletes_only_formerly_declared():
    c = FakeClient()
    olds = {"members": ["a@x.example", "gone@x.example"], "user_ids": {"a@x.example": 1, "gone@x.example": 7}}
    news = {"members": ["a@x.example", "new@x.example"], "user_ids": {"a@x.example": 1, "new@x.example": 8},
            "target_id": 4, "membership": "additive", "provider_slug": "acme"}
    members.TeamMembersKind().update(c, "4", olds, news)
    assert c.writes() == [("POST", "/teams/4/team_members", {"user_ids": [8]}),
                          ("DELETE", "/teams/4/team_members", {"user_ids": [7]})]


def test_missing_user_id_fails_before_any_write():
    c = FakeClient()
    with pytest.raises(RuntimeError, match="b@x.example"):
        members.TeamMembersKind().update(c, "4", {}, {"members": ["a@x.example", "b@x.example"],
                                                      "user_ids": {"a@x.example": 1}, "target_id": 4,
                                                      "membership": "authoritative"})
    assert c.writes() == []


def test_string_ids_are_refused_at_the_wire():
    with pytest.raises(TypeError):
        members._call(FakeClient(), "PATCH", "/teams/1/team_members", {"user_ids": ["5"]})


def test_create_writes_nothing_when_live_members_already_match():
    c = FakeClient(team=[{"id": 1, "email": "a@x.example"}])
    inputs = {"members": ["a@x.example"], "user_ids": {"a@x.example": 1}, "target_id": 4, "membership": "authoritative"}
    assert members.TeamMembersKind().create(c, inputs) == ("4", {})
    assert c.writes() == []


# ------------------------------------------------------------------ agents


def test_agent_normalisation_ignores_unmanaged_availability():
    kind = agent.AgentKind()
    live = {"id": 3, "email": "A@x.example", "name": "A", "role": "agent", "availability_status": "busy"}
    assert kind.matches(live, {"email": "a@x.example", "name": "A", "role": "agent", "availability": None})
    assert not kind.matches(live, {"email": "a@x.example", "name": "A", "role": "agent", "availability": "online"})
    assert changed_keys(kind, {"email": "a@x.example", "name": "A", "role": "agent", "providers": ["p"]},
                        {"email": "a@x.example", "name": "A", "role": "agent", "providers": ["p", "q"]}) == []


def test_agent_body_omits_unmanaged_availability_and_email_on_update():
    assert agent.body({"email": "a@x", "name": "A", "role": "administrator", "availability": None}, create=False) == \
        {"agent": {"name": "A", "role": "administrator"}}
    assert agent.body({"email": "a@x", "name": "A", "role": "agent", "availability": "busy"}, create=True) == \
        {"agent": {"name": "A", "role": "agent", "availability": "busy", "auto_offline": False, "email": "a@x"}}


def test_logical_name():
    assert agent.logical_name("Marta.Jansen@harbor-vps.example") == "agent-marta-jansen-at-harbor-vps-example"


def test_existing_account_user_is_adopted_not_posted_and_not_renamed():
    c = FakeClient(agents=[{"id": 2, "email": "a@x.example", "name": "Old", "role": "agent",
                            "availability_status": "online"}], operator=1)
    id_, live, origin = agent.AgentKind().create_with_origin(
        c, {"email": "a@x.example", "name": "New", "role": "administrator", "availability": None})
    assert (id_, origin) == ("2", {"adopted": True, "role_before": "agent", "custom_role_applied": None,
                                   "user_created": False})
    # the role is per account: set; the name is the user's, shared by every account: kept
    assert [(m, p, j) for m, p, j in c.writes() if m != "GET"] == [
        ("PATCH", "/agents/2", {"agent": {"role": "administrator"}})]


def test_new_agent_without_platform_token_is_posted():
    c = FakeClient()
    id_, _, origin = agent.AgentKind().create_with_origin(
        c, {"email": "n@x.example", "name": "N", "role": "agent", "availability": None})
    assert id_ == "50" and origin == {"adopted": False, "role_before": None, "custom_role_applied": None,
                                      "user_created": True}
    assert [(m, p) for m, p, _ in c.writes()] == [("POST", "/agents")]


def test_new_agent_with_platform_token_uses_platform_api_and_a_strong_password():
    c = FakeClient(platform=True)
    id_, _, _ = agent.AgentKind().create_with_origin(c, {"email": "n@x.example", "name": "N", "role": "administrator",
                                                          "availability": None, "manage_user": True})
    calls = [(m, p) for m, p, _ in c.writes()]
    assert calls[:2] == [("PLATFORM POST", "/users"), ("PLATFORM POST", "/accounts/1/account_users")]
    assert c.writes()[1][2] == {"user_id": 60, "role": "administrator"}
    pw = c.writes()[0][2]["password"]
    assert len(pw) >= 12 and any(ch.isupper() for ch in pw) and any(ch.isdigit() for ch in pw)
    assert ("POST", "/agents") not in calls and id_ == "60"


@pytest.mark.parametrize("props, operator, agents_live, deleted", [
    ({"adopted": True, "role_before": "administrator"}, 1, [], False),   # pre-existing admin: kept
    ({"adopted": False, "role_before": None}, 5, [], False),             # the token's own user: kept
    ({"adopted": False}, 1, [{"id": 5, "role": "administrator"}], False),  # last administrator: kept
    ({"adopted": True, "role_before": "agent"}, 1,
     [{"id": 5, "role": "administrator"}, {"id": 1, "role": "administrator"}], True),
    ({"adopted": False, "role_before": None}, 1, [{"id": 5, "role": "agent"}], True),
])
def test_delete_rules(props, operator, agents_live, deleted):
    c = FakeClient(agents=agents_live, operator=operator)
    agent.AgentKind().delete(c, "5", {"email": "p@x.example", **props})
    assert (("DELETE", "/agents/5", None) in c.writes()) is deleted


def test_demoting_the_token_owner_is_refused():
    c = FakeClient(agents=[{"id": 1, "email": "op@x", "role": "administrator"}], operator=1)
    with pytest.raises(RuntimeError, match="operator"):
        agent.AgentKind().update(c, "1", {"role": "administrator"}, {"email": "op@x", "name": "Op", "role": "agent"})
    assert not [w for w in c.writes() if w[0] == "PATCH"]


def test_merge_agents_one_entry_per_email_with_written_name_and_availability():
    p1 = SimpleNamespace(slug="a", agents=[AgentSpec("s@x.example", "s")])  # name defaulted
    p2 = SimpleNamespace(slug="b", agents=[AgentSpec("s@x.example", "Sam", "agent", "busy")])
    merged = merge_agents([p1, p2])
    assert list(merged) == ["s@x.example"]
    a, slugs = merged["s@x.example"]
    assert (a.name, a.availability, slugs) == ("Sam", "busy", ["a", "b"])


def test_a_preview_finds_the_team_or_inbox_a_create_would_adopt():
    """find_target: a team by name whatever its case; the one API inbox with the name — none when several
    API inboxes share it (a create adopts none of them) or only another channel has it."""
    class Lists(FakeClient):
        def get(self, path, params=None):
            self.calls.append(("GET", path, None))
            if path == "/teams":
                return [{"id": 3, "name": "acme team"}]
            if path == "/inboxes":
                return {"payload": [{"id": 7, "name": "Acme Support", "channel_type": "Channel::Api"},
                                    {"id": 8, "name": "Twice", "channel_type": "Channel::Api"},
                                    {"id": 9, "name": "Twice", "channel_type": "Channel::Api"},
                                    {"id": 10, "name": "Web", "channel_type": "Channel::WebWidget"}]}
            return super().get(path, params)

    c = Lists(team=[{"id": 5, "email": "a@x.example", "name": "A"}])
    assert members.TeamMembersKind().find_target(c, "Acme Team") == 3
    assert members.TeamMembersKind().find_target(c, "other team") is None
    inboxes = members.InboxMembersKind()
    assert [inboxes.find_target(c, n) for n in ("Acme Support", "Twice", "Web", "acme support")] == [7, None, None, None]
    assert [p for m, p, _ in c.calls] == ["/teams", "/inboxes"]  # one list read each (the process's cache)
    line = inboxes.preview_create(c, {"target_id": None, "target_name": "Acme Support", "members": [],
                                      "membership": "authoritative", "provider_slug": "acme"})
    assert line == ("inbox of provider acme: leaves a@x.example (inbox 7 exists and is adopted; "
                    "membership: authoritative)")
    assert inboxes.preview_create(c, {"target_id": None, "target_name": "Twice", "members": []}) is None
