"""PortalProvider create / read / diff / update (incl. slug change) / delete / archive / adopt."""

from __future__ import annotations

import pytest

import cw_cassette as cwc
from cwtenants.resources import base
from cwtenants.resources.portal import PortalProvider


def inputs(slug: str, **over) -> dict:
    d = {
        "provider_slug": slug,
        "offboarding": "delete",
        "slug": slug,
        "name": f"Help {slug}",
        "color": "#AA3300",
        "locales": ["en", "de"],
        "header_text": "Recorded help center",
        "page_title": None,
        "homepage_link": f"https://www.example.invalid/{slug}",
        "custom_domain": None,
        "archived": False,
    }
    d.update(over)
    return d


@pytest.mark.vcr
def test_portal_lifecycle(cw):
    p = PortalProvider()
    slug = cwc.rec_name("test_portal_lifecycle")
    want = inputs(slug)
    created = p.create(want)
    assert created.outs["portal_id"] == int(created.id)

    read = p.read(created.id, created.outs)
    assert read.inputs["color"] == want["color"]  # the declared form is kept when Chatwoot only normalises it
    assert read.inputs["color"].lower() == "#aa3300" and read.inputs["locales"] == ["en", "de"]
    assert not p.diff(created.id, read.outs, want).changes

    # rename, new locales and a new slug: still an in-place update (PATCH /portals/<old slug>)
    new_slug = cwc.rec_name("test_portal_lifecycle", "renamed")
    changed = dict(want, slug=new_slug, name="Renamed help", locales=["de", "en", "fr"])
    d = p.diff(created.id, read.outs, changed)
    assert d.changes and d.replaces == []
    updated = p.update(created.id, read.outs, changed)
    assert updated.outs["slug"] == new_slug

    base.lists.clear()
    again = p.read(created.id, updated.outs)
    assert again.inputs["slug"] == new_slug and again.inputs["locales"] == ["de", "en", "fr"]

    p.delete(created.id, updated.outs)  # offboarding delete
    base.lists.clear()
    assert p.read(created.id, updated.outs).id == ""


@pytest.mark.vcr
def test_portal_adopt_archive_retain(cw, capsys):
    slug = cwc.rec_name("test_portal_adopt_archive_retain")
    pre = cw.post("/portals", {"portal": {"name": "by hand", "slug": slug, "custom_domain": "",
                                          "config": {"allowed_locales": ["en"], "default_locale": "en"}}})
    p = PortalProvider()
    want = inputs(slug, offboarding="archive")
    created = p.create(want)
    assert created.id == str(pre["id"])
    assert "already exists: adopting it" in capsys.readouterr().out
    read = p.read(created.id, created.outs)
    assert not p.diff(created.id, read.outs, want).changes

    p.delete(created.id, dict(created.outs, offboarding="retain"))   # no write
    p.delete(created.id, created.outs)                               # archive: PATCH archived=true
    base.lists.clear()
    archived = p.read(created.id, created.outs)
    assert archived.inputs["archived"] is True

    p.delete(created.id, dict(created.outs, offboarding="delete"))   # cleanup
    base.lists.clear()
    assert p.read(created.id, created.outs).id == ""
