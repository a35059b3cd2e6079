"""InboxProvider create / read / diff / update / delete / adopt, recorded (see docs/recording.md)."""

from __future__ import annotations

import pytest

import cw_cassette as cwc
from cwtenants.resources import base
from cwtenants.resources.inbox import InboxProvider
from cwtenants.resources.portal import PortalProvider


def inputs(name: str, **over) -> dict:
    d = {
        "provider_slug": name,
        "offboarding": "delete",
        "name": name,
        "timezone": "Europe/Berlin",
        "greeting_enabled": True,
        "greeting_message": "Hello from the recorder",
        "webhook_url": f"https://hooks.example.invalid/{name}",
        "enable_auto_assignment": True,
        "portal_slug": None,
        "portal_id": None,
    }
    d.update(over)
    return d


@pytest.mark.vcr
def test_inbox_lifecycle(cw):
    p = InboxProvider()
    want = inputs(cwc.rec_name("test_inbox_lifecycle"))
    created = p.create(want)
    inbox_id = created.id
    assert created.outs["inbox_id"] == int(inbox_id)
    assert created.outs["inbox_identifier"]  # server-owned, kept as a secret output
    assert "hmac_token" not in created.outs and "secret" not in created.outs

    read = p.read(inbox_id, created.outs)
    assert read.id == inbox_id
    assert read.inputs["timezone"] == "Europe/Berlin"
    assert read.inputs["webhook_url"] == want["webhook_url"]
    assert not p.diff(inbox_id, read.outs, want).changes

    changed = dict(want, greeting_enabled=False, greeting_message=None, timezone="UTC")
    assert p.diff(inbox_id, read.outs, changed).changes
    updated = p.update(inbox_id, read.outs, changed)
    base.lists.clear()
    again = p.read(inbox_id, updated.outs)
    assert again.inputs["greeting_enabled"] is False and again.inputs["timezone"] == "UTC"

    p.delete(inbox_id, updated.outs)  # offboarding delete: DELETE, then poll until 404
    base.lists.clear()
    assert p.read(inbox_id, updated.outs).id == ""


@pytest.mark.vcr
def test_inbox_adopt_retain_archive(cw, capsys):
    name = cwc.rec_name("test_inbox_adopt_retain_archive")
    pre = cw.post("/inboxes", {"name": name, "channel": {"type": "api", "webhook_url": ""}})
    p = InboxProvider()
    want = inputs(name, offboarding="retain")
    created = p.create(want)  # adopts the hand-made inbox and converges it with one PATCH
    assert created.id == str(pre["id"])
    assert "already exists: adopting it" in capsys.readouterr().out
    read = p.read(created.id, created.outs)
    assert not p.diff(created.id, read.outs, want).changes

    p.delete(created.id, dict(created.outs, offboarding="retain"))   # no request
    p.delete(created.id, dict(created.outs, offboarding="archive"))  # inboxes cannot be archived: retained
    assert p.read(created.id, created.outs).id == created.id
    p.delete(created.id, dict(created.outs, offboarding="delete"))   # cleanup


@pytest.mark.vcr
def test_inbox_linked_to_portal(cw):
    name = cwc.rec_name("test_inbox_linked_to_portal")
    portals = PortalProvider()
    portal = portals.create({"provider_slug": name, "offboarding": "delete", "slug": name, "name": name,
                             "color": None, "locales": ["en"], "header_text": None, "page_title": None,
                             "homepage_link": None, "custom_domain": None, "archived": False})
    p = InboxProvider()
    want = inputs(name, portal_slug=name, portal_id=portal.outs["portal_id"])
    created = p.create(want)
    read = p.read(created.id, created.outs)
    assert read.inputs["portal_slug"] == name  # the link comes back as help_center.slug
    assert not p.diff(created.id, read.outs, want).changes
    p.delete(created.id, created.outs)
    portals.delete(portal.id, portal.outs)
