"""AgentProvider (Platform-API create, update, delete with its keep rules) and Team/Inbox members
providers (authoritative PATCH, additive POST/DELETE), recorded.

Covers resources/agent.py and resources/members.py as they were when these cassettes were
recorded; re-record (scripts/record-cassettes.sh --emulator) when their requests change."""

from __future__ import annotations

import pytest

import cw_cassette as cwc
from cwtenants.resources import base
from cwtenants.resources.agent import AgentProvider
from cwtenants.resources.inbox import InboxProvider
from cwtenants.resources.members import InboxMembersProvider, TeamMembersProvider
from cwtenants.resources.team import TeamProvider


def email(n: int) -> str:
    return f"{cwc.rec_name('test_agents_and_members')}-{n}@example.invalid"


@pytest.mark.vcr
def test_agents_and_members(cw, capsys):
    name = cwc.rec_name("test_agents_and_members")
    agents = AgentProvider()
    # manage_user: the Platform-API path (create, confirm, rename) is for people the catalog opts in
    a1 = agents.create({"email": email(1), "name": "Rec One", "role": "agent", "availability": None,
                        "manage_user": True, "providers": [name]})
    a2 = agents.create({"email": email(2), "name": "Rec Two", "role": "agent", "availability": None,
                        "manage_user": True, "providers": [name]})
    assert a1.outs["adopted"] is False and a1.outs["user_id"] == int(a1.id)
    r1 = agents.read(a1.id, a1.outs)
    assert r1.inputs["email"] == email(1) and r1.inputs["role"] == "agent"

    news = dict(a1.outs, name="Rec One Renamed", role="administrator")
    assert agents.diff(a1.id, r1.outs, news).changes
    u1 = agents.update(a1.id, r1.outs, news)
    base.lists.clear()
    assert agents.read(a1.id, u1.outs).inputs["name"] == "Rec One Renamed"

    team = TeamProvider().create({"provider_slug": name, "offboarding": "delete", "name": name,
                                  "description": "", "allow_auto_assign": True})
    inbox = InboxProvider().create({"provider_slug": name, "offboarding": "delete", "name": name,
                                    "timezone": "UTC", "greeting_enabled": False, "greeting_message": None,
                                    "webhook_url": None, "enable_auto_assignment": True,
                                    "portal_slug": None, "portal_id": None})
    ids = {email(1): int(a1.id), email(2): int(a2.id)}
    for provider, target in ((TeamMembersProvider(), team.id), (InboxMembersProvider(), inbox.id)):
        both = {"provider_slug": name, "offboarding": "delete", "membership": "authoritative",
                "target_id": int(target), "members": sorted(ids), "user_ids": ids}
        made = provider.create(both)
        assert made.id == str(target)
        read = provider.read(made.id, both)
        assert read.inputs["members"] == sorted(ids)
        one = dict(both, members=[email(1)])
        assert provider.diff(made.id, read.outs, one).changes
        provider.update(made.id, read.outs, one)                       # authoritative: PATCH replace-set
        additive = dict(one, membership="additive", members=[email(1), email(2)])
        provider.update(made.id, one, additive)                         # additive: POST the newcomer
        provider.update(made.id, additive, dict(additive, members=[email(1)]))  # additive: DELETE
        assert provider.read(made.id, one).inputs["members"] == [email(1)]
        provider.delete(made.id, one)                                   # members left as they are

    InboxProvider().delete(inbox.id, inbox.outs)
    TeamProvider().delete(team.id, team.outs)
    agents.delete(a1.id, u1.outs)
    agents.delete(a2.id, a2.outs)
    base.lists.clear()
    assert agents.read(a1.id, u1.outs).id == "" and agents.read(a2.id, a2.outs).id == ""
