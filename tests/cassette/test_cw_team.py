"""TeamProvider create / read / diff / update / delete / adopt, recorded (see docs/recording.md)."""

from __future__ import annotations

import pytest

import cw_cassette as cwc
from cwtenants.resources.team import TeamProvider


def inputs(name: str, **over) -> dict:
    base = {
        "provider_slug": name,
        "offboarding": "delete",
        "name": name,
        "description": "recorded by tests/cassette",
        "allow_auto_assign": True,
    }
    base.update(over)
    return base


@pytest.mark.vcr
def test_team_lifecycle(cw, capsys):
    p = TeamProvider()
    want = inputs(cwc.rec_name("test_team_lifecycle"))
    created = p.create(want)
    team_id = created.id
    assert created.outs["team_id"] == int(team_id)

    read = p.read(team_id, created.outs)
    assert read.id == team_id
    assert read.inputs["name"] == want["name"] and read.inputs["description"] == want["description"]
    assert not p.diff(team_id, read.outs, want).changes  # up then preview is empty

    changed = dict(want, description="changed by the update step", allow_auto_assign=False)
    d = p.diff(team_id, read.outs, changed)
    assert d.changes and d.replaces == []
    updated = p.update(team_id, read.outs, changed)
    assert updated.outs["description"] == "changed by the update step"

    base_mod = __import__("cwtenants.resources.base", fromlist=["lists"])
    base_mod.lists.clear()  # refresh: read through a new list call
    again = p.read(team_id, updated.outs)
    assert again.inputs["allow_auto_assign"] is False
    assert again.inputs["description"] == "changed by the update step"

    p.delete(team_id, updated.outs)  # offboarding: delete
    gone = p.read(team_id, updated.outs)
    assert gone.id == "" and gone.outs == {}


@pytest.mark.vcr
def test_team_adopt_retain_archive(cw, capsys):
    name = cwc.rec_name("test_team_adopt_retain_archive")
    # someone made the team by hand (different description, mixed case)
    pre = cw.post("/teams", {"team": {"name": name.upper(), "description": "made by hand", "allow_auto_assign": True}})
    assert pre["name"] == name  # Chatwoot lower-cases team names

    p = TeamProvider()
    want = inputs(name, offboarding="retain")
    created = p.create(want)
    assert created.id == str(pre["id"])
    assert "already exists: adopting it" in capsys.readouterr().out
    read = p.read(created.id, created.outs)
    assert read.inputs["description"] == want["description"]  # adoption converged it

    p.delete(created.id, dict(created.outs, offboarding="retain"))    # no request
    p.delete(created.id, dict(created.outs, offboarding="archive"))   # teams have no archive: retained
    assert p.read(created.id, created.outs).id == created.id

    p.delete(created.id, dict(created.outs, offboarding="delete"))    # cleanup
    assert p.read(created.id, created.outs).id == ""
