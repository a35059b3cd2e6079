"""desired → normalised state → diff, without network (docs/chatwoot-behaviour.md#inboxes, #teams, #portals, #defaults-and-normalisation)."""

import json
from pathlib import Path

import pytest
import yaml

from cwtenants.catalog import load_catalog
from cwtenants.resources import inbox, portal, team
from cwtenants.resources.base import ListCache, changed_keys
from cwtenants.resources.inbox import InboxKind, InboxProvider
from cwtenants.resources.portal import PortalKind
from cwtenants.resources.team import TeamKind, TeamProvider

ROOT = Path(__file__).resolve().parents[2]
REAL_INBOX_LIST = ROOT / "cassettes" / "test_cw_inbox" / "test_inbox_lifecycle.yaml"


@pytest.fixture(scope="module")
def specs():
    return {p.slug: p for p in load_catalog(ROOT / "tests" / "fixtures" / "catalog").providers}


def test_team_name_case_is_not_a_change():
    """docs/chatwoot-behaviour.md#teams: Chatwoot lower-cases team names, so 'Harbor VPS Team' == 'harbor vps team'."""
    kind = TeamKind()
    live = {"id": 4, "name": "harbor vps team", "description": "", "allow_auto_assign": True,
            "account_id": 1, "is_member": False}
    want = {"name": "Harbor VPS Team", "description": None, "allow_auto_assign": True}
    assert kind.normalise(live) == kind.normalise_inputs(want)
    assert TeamProvider().diff("4", {**want, "name": "harbor vps team"}, want).changes is False


def test_team_description_change_is_one_key():
    olds = {"name": "x", "description": "a", "allow_auto_assign": True, "provider_slug": "x", "offboarding": "retain"}
    news = {**olds, "description": "b"}
    assert changed_keys(TeamKind(), olds, news) == ["description"]
    assert TeamProvider().diff("1", olds, news).replaces == []


def test_offboarding_change_is_an_update_not_a_replace():
    olds = {"name": "x", "description": None, "allow_auto_assign": True, "provider_slug": "x", "offboarding": "retain"}
    news = {**olds, "offboarding": "delete"}
    r = TeamProvider().diff("1", olds, news)
    assert r.changes is True and r.replaces == []


def test_portal_response_shape_normalises_to_the_inputs(specs):
    """docs/chatwoot-behaviour.md#portals/#defaults-and-normalisation: config.allowed_locales comes back as objects; colour default; custom_domain host only."""
    spec = specs["harbor-vps"]
    want = portal.desired(spec)
    live = {
        "id": 7, "name": want["name"], "slug": want["slug"], "color": "#0B5FFF",
        "custom_domain": "help.harbor-vps.example", "header_text": want["header_text"],
        "page_title": want["page_title"], "homepage_link": want["homepage_link"], "archived": False,
        "account_id": 1,
        "config": {"allowed_locales": [{"code": "de", "articles_count": 0, "categories_count": 0, "draft": False},
                                        {"code": "en", "articles_count": 3, "categories_count": 1, "draft": False}],
                   "default_locale": "en", "layout": "classic", "social_profiles": {}, "locale_translations": {}},
        "meta": {"all_articles_count": 3, "categories_count": 1, "default_locale": "en"},
    }
    kind = PortalKind()
    assert kind.normalise(live) == kind.normalise_inputs(want)
    # a different default locale is a real change
    live["config"]["default_locale"] = "de"
    assert kind.normalise(live)["locales"] == ["de", "en"] != kind.normalise_inputs(want)["locales"]


def test_portal_blank_colour_and_url_domain():
    kind = PortalKind()
    assert kind.normalise({"color": None, "custom_domain": "https://Help.Example.com/x", "config": {}})["color"] == "#1f93ff"
    assert kind.normalise({"custom_domain": "https://Help.Example.com/x", "config": {}})["custom_domain"] == "help.example.com"
    assert kind.normalise({"custom_domain": "", "config": {}})["custom_domain"] is None


def test_portal_body_always_sends_custom_domain_and_full_config():
    """Prior-art bug a: custom_domain must be sent ("" when none); docs/chatwoot-behaviour.md#defaults-and-normalisation: always the full config."""
    b = portal.body({"name": "N", "slug": "s", "locales": ["en", "de"], "custom_domain": None})["portal"]
    assert b["custom_domain"] == ""
    assert b["config"] == {"allowed_locales": ["en", "de"], "default_locale": "en"}


def test_inbox_portal_link_is_compared_by_slug(specs):
    """docs/chatwoot-behaviour.md#inboxes: portal_id is not returned; help_center{name, slug} is."""
    spec = specs["nimbus-cloud"]
    want = inbox.desired(spec, portal_id=3)
    live = {"id": 9, "name": want["name"], "timezone": want["timezone"], "greeting_enabled": want["greeting_enabled"],
            "greeting_message": want["greeting_message"] or "", "webhook_url": want["webhook_url"] or "",
            "enable_auto_assignment": True, "channel_type": "Channel::Api",
            "help_center": {"name": "x", "slug": spec.portal.slug}}
    assert InboxKind().normalise(live) == InboxKind().normalise_inputs(want)
    # the portal id itself is not compared (it is unknown during a preview of a new portal)
    assert changed_keys(InboxKind(), {**want, "portal_id": None}, want) == []


def test_inbox_body_sends_api_channel_and_integer_portal_id():
    b = inbox.body({"name": "X", "portal_id": "12", "webhook_url": None}, create=True)
    assert b["channel"] == {"type": "api", "webhook_url": ""} and b["portal_id"] == 12
    assert "type" not in inbox.body({"name": "X"}, create=False)["channel"]


def _real_inbox_list() -> list[dict]:
    """The GET /inboxes answer of a real Chatwoot 4.15.1, from the committed cassette."""
    for it in yaml.safe_load(REAL_INBOX_LIST.read_text())["interactions"]:
        if it["request"]["method"] == "GET" and it["request"]["uri"].endswith("/inboxes"):
            payload = json.loads(it["response"]["body"]["string"])["payload"]
            if payload:
                return payload
    raise AssertionError(f"no non-empty GET /inboxes answer in {REAL_INBOX_LIST}")


def test_real_inbox_list_parses_and_only_api_inboxes_are_adopted():
    """A real GET /inboxes body (docs/chatwoot-behaviour.md#inboxes; no `help_center`), plus the same object
    as a web-widget inbox: adoption considers API-channel inboxes only, by exact name."""
    real = _real_inbox_list()
    widget = dict(real[0], id=real[0]["id"] + 1000, name="Teste", channel_type="Channel::WebWidget")
    payload = [*real, widget]
    kind = InboxKind()
    for item in payload:
        state = kind.normalise(item)
        assert set(state) == set(kind.compared)
        assert kind.server_outputs(item)["inbox_id"] == item["id"]

    class FakeClient:
        def get(self, path):
            assert path == "/inboxes"
            return {"payload": payload}

    from cwtenants.resources import base
    base.lists.clear()
    try:
        assert kind.find(FakeClient(), real[0]["name"])["id"] == real[0]["id"]
        assert kind.find(FakeClient(), "Teste") is None  # a web widget inbox: not ours to adopt
    finally:
        base.lists.clear()


def test_inbox_adoption_refuses_ambiguous_names():
    payload = [{"id": 1, "name": "Dup", "channel_type": "Channel::Api"},
               {"id": 2, "name": "Dup", "channel_type": "Channel::Api"}]

    class FakeClient:
        def get(self, path):
            return {"payload": payload}

    from cwtenants.resources import base
    base.lists.clear()
    try:
        with pytest.raises(RuntimeError, match="2 API inboxes are named 'Dup'"):
            InboxKind().find(FakeClient(), "Dup")
    finally:
        base.lists.clear()


def test_list_cache_reuses_within_ttl_and_refreshes_when_asked():
    now = [0.0]
    cache = ListCache(ttl=10, clock=lambda: now[0])
    calls = []

    def load():
        calls.append(1)
        return [{"id": len(calls)}]

    assert cache.get("k", load) == [{"id": 1}]
    assert cache.get("k", load) == [{"id": 1}] and len(calls) == 1
    cache.upsert("k", {"id": 5})
    assert {"id": 5} in cache.get("k", load)
    assert cache.get("k", load, fresh=True) == [{"id": 2}]
    now[0] = 11
    assert cache.get("k", load) == [{"id": 3}]


def test_desired_inputs_are_plain_data_for_every_sample(specs):
    for spec in specs.values():
        for d in (team.desired(spec), portal.desired(spec), inbox.desired(spec)):
            json.dumps(d)  # serialisable as Pulumi inputs
            assert d["provider_slug"] == spec.slug and d["offboarding"] in ("retain", "archive", "delete")


def test_say_writes_each_line_whole_from_many_threads(monkeypatch):
    """The engine makes one diagnostic per stdout line: a line must never be split or joined
    with another thread's (the "...adopting itportal ..." output and the off-by-one message count)."""
    import sys
    import threading

    from cwtenants.resources import base

    class Recorder:
        def __init__(self):
            self.writes = []

        def write(self, text):
            self.writes.append(text)
            return len(text)

        def flush(self):
            pass

    rec = Recorder()
    monkeypatch.setattr(sys, "stdout", rec)
    barrier = threading.Barrier(8)

    def talk(i):
        barrier.wait()
        for j in range(50):
            base.say(f"portal 'p{i}-{j}' (id {j}) already exists: adopting it")

    threads = [threading.Thread(target=talk, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(rec.writes) == 400
    assert all(w.endswith("adopting it\n") and w.count("\n") == 1 for w in rec.writes)
    base.say("two\nlines")
    assert rec.writes[-1] == "two lines\n"
