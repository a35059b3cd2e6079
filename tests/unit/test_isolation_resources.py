"""Agent resource and isolation (issue #20): adopted administrators stay and are named; a custom role
that Chatwoot does not apply (no custom_roles feature) is reported, not shown as perpetual drift."""

from __future__ import annotations

import pytest

from cwtenants.resources import agent, custom_role
from cwtenants.resources.base import changed_keys, lists
from test_agents_resources import FakeClient


class RolesClient(FakeClient):
    """FakeClient whose PATCH /agents answers custom_role_id like Chatwoot: stored only with the feature on."""

    def __init__(self, feature: bool, **kw):
        super().__init__(**kw)
        self.feature = feature
        self.settings.account_prefix = "/api/v1/accounts/1"

    def request(self, method, path, **kw):
        if path == self.settings.account_prefix:  # the account, with its enabled features
            self.calls.append((method, path, None))
            return {"id": 1, "features": {"custom_roles": self.feature}}
        return super().request(method, path, **kw)

    def _write(self, method, path, json):
        live = super()._write(method, path, json)
        if path.startswith("/agents/") and method == "PATCH":
            live["custom_role_id"] = json["agent"].get("custom_role_id") if self.feature else None
        return live


@pytest.fixture(autouse=True)
def empty_cache():
    lists.clear()
    yield
    lists.clear()


def test_adopted_administrator_declared_as_agent_stays_administrator(capsys):
    c = FakeClient(agents=[{"id": 7, "email": "boss@x.example", "name": "Boss", "role": "administrator"}], operator=1)
    inputs = {"email": "boss@x.example", "name": "Boss", "role": "agent", "availability": None}
    id_, live, origin = agent.AgentKind().create_with_origin(c, inputs)
    assert origin["adopted"] is True and origin["role_before"] == "administrator"
    assert c.writes() == []  # nothing to change: the role is kept
    assert live["role"] == "administrator"
    assert "was an administrator before the catalog adopted them: they stay administrator" in capsys.readouterr().out

    # a later update keeps the role too (the name of a user cwtenants did not create is not sent)
    props = {**inputs, **origin, "user_id": 7}
    agent.AgentKind().update(c, "7", props, {**inputs, "name": "Big Boss"})
    assert c.writes()[-1][2] == {"agent": {"role": "administrator"}}
    agent.AgentKind().update(c, "7", props, {**inputs, "name": "Big Boss", "manage_user": True})
    assert c.writes()[-1][2] == {"agent": {"name": "Big Boss", "role": "administrator"}}


def test_refresh_of_a_kept_administrator_is_not_drift(monkeypatch):
    c = FakeClient(agents=[{"id": 7, "email": "boss@x.example", "name": "Boss", "role": "administrator"}])
    monkeypatch.setattr(agent, "client", lambda: c)
    props = {"email": "boss@x.example", "name": "Boss", "role": "agent", "availability": None, "providers": ["a"],
             "adopted": True, "role_before": "administrator"}
    read = agent.AgentProvider().read("7", props)
    assert read.inputs["role"] == "agent"
    assert changed_keys(agent.AgentKind(), read.inputs, props) == []
    # not adopted (the catalog made them administrator earlier): refresh shows the role change
    read = agent.AgentProvider().read("7", {**props, "adopted": False, "role_before": None})
    assert changed_keys(agent.AgentKind(), read.inputs, props) == ["role"]


@pytest.mark.parametrize("feature", [False, True])
def test_custom_role_applied_or_reported(feature, capsys, monkeypatch):
    c = RolesClient(feature, agents=[])
    inputs = {"email": "a@x.example", "name": "A", "role": "agent", "availability": None,
              "custom_role": "Provider support", "custom_role_id": 2}
    id_, live, origin = agent.AgentKind().create_with_origin(c, inputs)
    patch = [j for m, p, j in c.writes() if m == "PATCH"][-1]
    assert patch["agent"]["custom_role_id"] == 2
    assert origin["custom_role_applied"] is feature
    said = capsys.readouterr().out
    assert ("custom role 'Provider support' was not applied: the account does not have Chatwoot's custom_roles "
            "feature" in said) is not feature

    # refresh: in either case the state matches the declaration (no perpetual drift)
    monkeypatch.setattr(agent, "client", lambda: c)
    props = {**inputs, **origin, "providers": []}
    read = agent.AgentProvider().read(id_, props)
    assert read.inputs["custom_role"] == "Provider support"
    assert changed_keys(agent.AgentKind(), read.inputs, props) == []
    # someone sets another custom role by hand: that is drift
    c.agents[0]["custom_role_id"] = 9
    read = agent.AgentProvider().read(id_, props)
    assert changed_keys(agent.AgentKind(), read.inputs, props) == ["custom_role"]


def test_custom_role_body_and_adoption():
    spec = type("S", (), {"name": "Provider support", "description": None,
                          "permissions": ["knowledge_base_manage", "contact_manage"]})()
    inputs = custom_role.desired(spec)
    assert custom_role.body(inputs) == {"custom_role": {"name": "Provider support", "description": None,
                                                        "permissions": ["contact_manage", "knowledge_base_manage"]}}
    kind = custom_role.CustomRoleKind()

    class C:
        def get(self, path):
            return [{"id": 2, "name": "Provider support"}, {"id": 3, "name": "Provider support"}]
    with pytest.raises(RuntimeError, match="several custom roles are named 'Provider support' \\(ids 2, 3\\)"):
        kind.find(C(), "Provider support")


def test_custom_role_not_applied_becomes_drift_once_the_feature_is_on(monkeypatch):
    c = RolesClient(False, agents=[])
    monkeypatch.setattr(agent, "client", lambda: c)
    inputs = {"email": "a@x.example", "name": "A", "role": "agent", "availability": None,
              "custom_role": "Provider support", "custom_role_id": 2}
    id_, live, origin = agent.AgentKind().create_with_origin(c, inputs)
    props = {**inputs, **origin, "providers": []}
    assert changed_keys(agent.AgentKind(), agent.AgentProvider().read(id_, props).inputs, props) == []
    c.feature = True  # an operator switches the feature on
    lists.clear()  # a new deployment
    read = agent.AgentProvider().read(id_, props)
    assert changed_keys(agent.AgentKind(), read.inputs, props) == ["custom_role"]  # `up --refresh` assigns it
    result = agent.AgentProvider().update(id_, read.inputs, props)
    assert result.outs["custom_role_applied"] is True and c.agents[0]["custom_role_id"] == 2
