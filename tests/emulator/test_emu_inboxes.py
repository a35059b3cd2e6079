"""Inboxes (docs/chatwoot-behaviour.md#inboxes, #asynchronous-deletion, #defaults-and-normalisation)."""

from __future__ import annotations

import time

from cw_emu_helpers import A1, new_inbox

EMULATOR_OPTS = {"delete_delay": 30}

ALWAYS = {
    "id", "avatar_url", "channel_id", "name", "channel_type", "greeting_enabled", "greeting_message",
    "working_hours_enabled", "enable_email_collect", "csat_survey_enabled", "csat_config", "enable_auto_assignment",
    "auto_assignment_config", "out_of_office_message", "working_hours", "timezone", "callback_webhook_url",
    "allow_messages_after_resolved", "lock_to_single_conversation", "sender_name_type", "business_name", "provider",
}
NULL_FOR_API = {
    "allowed_domains", "widget_color", "website_url", "welcome_title", "welcome_tagline", "web_widget_script",
    "website_token", "selected_feature_flags", "reply_time", "messaging_service_sid", "phone_number",
}
API_BLOCK = {"webhook_url", "inbox_identifier", "additional_attributes"}
ADMIN_ONLY = {"hmac_token", "secret"}


def test_inbox_json_keys_exact_for_admin(admin):
    """docs/chatwoot-behaviour.md#inboxes: API inbox JSON has exactly the listed keys; admins also get hmac_token and secret."""
    inbox = new_inbox(admin, "Keys")
    assert set(inbox) == ALWAYS | NULL_FOR_API | API_BLOCK | ADMIN_ONLY | {"hmac_mandatory"}
    assert all(inbox[k] is None for k in NULL_FOR_API)
    assert inbox["channel_type"] == "Channel::Api"
    assert inbox["avatar_url"] == "" and inbox["provider"] is None and inbox["callback_webhook_url"] is None
    assert inbox["webhook_url"] == "https://hooks.example/x"
    for k in ("inbox_identifier", "hmac_token", "secret"):
        assert isinstance(inbox[k], str) and len(inbox[k]) >= 20


def test_agent_does_not_see_admin_only_fields(admin, agent):
    """docs/chatwoot-behaviour.md#inboxes: hmac_token and secret only if the caller is an administrator of the account."""
    inbox = new_inbox(admin, "Hidden secrets")
    me = agent.get("/api/v1/profile").json()["id"]
    assert admin.post(f"{A1}/inbox_members", json={"inbox_id": inbox["id"], "user_ids": [me]}).status_code == 200
    r = agent.get(f"{A1}/inboxes/{inbox['id']}")
    assert r.status_code == 200
    body = r.json()
    assert "hmac_token" not in body and "secret" not in body
    assert body["inbox_identifier"] == inbox["inbox_identifier"]
    listed = {i["id"]: i for i in agent.get(f"{A1}/inboxes").json()["payload"]}
    assert "secret" not in listed[inbox["id"]]


def test_defaults(admin):
    """docs/chatwoot-behaviour.md#defaults-and-normalisation: inbox defaults (timezone UTC, auto assignment on, email collect on, friendly sender…)."""
    inbox = new_inbox(admin, "Defaults")
    assert inbox["timezone"] == "UTC"
    assert inbox["enable_auto_assignment"] is True
    assert inbox["enable_email_collect"] is True
    assert inbox["allow_messages_after_resolved"] is True
    assert inbox["sender_name_type"] == "friendly"
    assert inbox["auto_assignment_config"] == {}
    assert inbox["greeting_enabled"] is False and inbox["lock_to_single_conversation"] is False
    assert inbox["csat_config"] == {} and inbox["hmac_mandatory"] is False


def test_default_working_hours(admin):
    """docs/chatwoot-behaviour.md#defaults-and-normalisation: 7 rows; Sunday and Saturday closed all day, Mon–Fri 09:00–17:00."""
    wh = new_inbox(admin, "Hours")["working_hours"]
    assert [r["day_of_week"] for r in wh] == list(range(7))
    for row in wh:
        if row["day_of_week"] in (0, 6):
            assert row["closed_all_day"] is True
        else:
            assert (row["open_hour"], row["open_minutes"], row["close_hour"], row["close_minutes"]) == (9, 0, 17, 0)
            assert row["closed_all_day"] is False and row["open_all_day"] is False


def test_list_payload_ordered_by_lower_name(admin):
    """docs/chatwoot-behaviour.md#inboxes: GET inboxes → {"payload": [...]} ordered by lower(name)."""
    new_inbox(admin, "zz last")
    new_inbox(admin, "AA first")
    r = admin.get(f"{A1}/inboxes")
    assert r.status_code == 200 and set(r.json()) == {"payload"}
    names = [i["name"] for i in r.json()["payload"]]
    assert names == sorted(names, key=str.lower)


def test_duplicate_names_allowed(admin):
    """docs/chatwoot-behaviour.md#duplicates-and-missing-objects: inbox names are not unique."""
    a, b = new_inbox(admin, "Same"), new_inbox(admin, "Same")
    assert a["id"] != b["id"]


def test_create_without_channel_is_500(admin):
    """docs/chatwoot-behaviour.md#inboxes: a body without a channel object → 500."""
    r = admin.post(f"{A1}/inboxes", json={"name": "no channel"})
    assert r.status_code == 500 and r.json() == {"status": 500, "error": "Internal Server Error"}


def test_inbox_root_key_is_ignored(admin):
    """docs/chatwoot-behaviour.md#general-rules: inboxes read top-level keys; a body nested under "inbox" is ignored."""
    r = admin.post(f"{A1}/inboxes", json={"inbox": {"name": "nested"}, "channel": {"type": "api"}})
    assert r.status_code == 422
    assert r.json() == {"message": "Name can't be blank", "attributes": ["name"]}


def test_unsupported_channel_type(admin):
    """docs/chatwoot-behaviour.md#inboxes: unknown channel type (e.g. twilio) → 422 Channel must exist."""
    r = admin.post(f"{A1}/inboxes", json={"name": "x", "channel": {"type": "twilio"}})
    assert r.status_code == 422 and r.json()["message"] == "Channel must exist"


def test_invalid_sender_name_type_is_500(admin):
    """docs/chatwoot-behaviour.md#inboxes/#duplicates-and-missing-objects: invalid enum value → 500."""
    r = admin.post(f"{A1}/inboxes", json={"name": "x", "sender_name_type": "weird", "channel": {"type": "api"}})
    assert r.status_code == 500


def test_web_widget_inbox(admin):
    """docs/chatwoot-behaviour.md#inboxes: web_widget channel: website_url required, widget_color default #1f93ff, website_token generated."""
    r = admin.post(f"{A1}/inboxes", json={"name": "Widget", "channel": {"type": "web_widget",
                                                                          "website_url": "https://a.example"}})
    assert r.status_code == 200
    body = r.json()
    assert body["channel_type"] == "Channel::WebWidget"
    assert body["widget_color"] == "#1f93ff" and body["website_token"]
    assert "inbox_identifier" not in body
    r = admin.post(f"{A1}/inboxes", json={"name": "Widget", "channel": {"type": "web_widget"}})
    assert r.status_code == 422 and r.json()["attributes"] == ["website_url"]


def test_update_attributes_and_channel(admin):
    """docs/chatwoot-behaviour.md#inboxes: PATCH with flat attributes and editable channel attrs (without channel.type)."""
    inbox = new_inbox(admin, "Upd")
    r = admin.patch(f"{A1}/inboxes/{inbox['id']}", json={
        "name": "Updated", "timezone": "Europe/Berlin", "greeting_enabled": True, "greeting_message": "hi",
        "channel": {"webhook_url": "https://new.example/h", "hmac_mandatory": True},
    })
    assert r.status_code == 200
    body = r.json()
    assert body["name"] == "Updated" and body["timezone"] == "Europe/Berlin"
    assert body["greeting_message"] == "hi" and body["greeting_enabled"] is True
    assert body["webhook_url"] == "https://new.example/h" and body["hmac_mandatory"] is True
    assert body["channel_type"] == "Channel::Api"
    assert body["secret"] == inbox["secret"] and body["inbox_identifier"] == inbox["inbox_identifier"]


def test_invalid_timezone_is_422(admin):
    """docs/chatwoot-behaviour.md#inboxes: timezone must be a TZInfo identifier."""
    inbox = new_inbox(admin, "tz")
    r = admin.patch(f"{A1}/inboxes/{inbox['id']}", json={"timezone": "Mars/Olympus"})
    assert r.status_code == 422 and r.json()["attributes"] == ["timezone"]


def test_working_hours_update(admin):
    """docs/chatwoot-behaviour.md#inboxes/#defaults-and-normalisation: working_hours array on update; open_all_day rewrites 00:00–23:59; invalid rows ignored."""
    inbox = new_inbox(admin, "WH")
    r = admin.patch(f"{A1}/inboxes/{inbox['id']}", json={"working_hours_enabled": True, "working_hours": [
        {"day_of_week": 6, "closed_all_day": False, "open_hour": 10, "open_minutes": 0, "close_hour": 14,
         "close_minutes": 30},
        {"day_of_week": 1, "open_all_day": True},
        {"day_of_week": 2, "closed_all_day": False, "open_hour": 18, "open_minutes": 0, "close_hour": 9,
         "close_minutes": 0},
    ]})
    assert r.status_code == 200
    wh = {row["day_of_week"]: row for row in r.json()["working_hours"]}
    assert r.json()["working_hours_enabled"] is True
    assert (wh[6]["closed_all_day"], wh[6]["open_hour"], wh[6]["close_minutes"]) == (False, 10, 30)
    assert (wh[1]["open_hour"], wh[1]["open_minutes"], wh[1]["close_hour"], wh[1]["close_minutes"]) == (0, 0, 23, 59)
    assert (wh[2]["open_hour"], wh[2]["close_hour"]) == (9, 17)  # invalid row silently ignored


def test_working_hours_bad_day_is_500(admin):
    """docs/chatwoot-behaviour.md#defaults-and-normalisation: a day_of_week outside 0–6 → 500."""
    inbox = new_inbox(admin, "WH bad")
    r = admin.patch(f"{A1}/inboxes/{inbox['id']}", json={"working_hours": [{"day_of_week": 7}]})
    assert r.status_code == 500


def test_working_hours_ignored_on_create(admin):
    """docs/chatwoot-behaviour.md#inboxes: working_hours is update only (ignored on create)."""
    inbox = new_inbox(admin, "WH create", working_hours=[{"day_of_week": 0, "open_all_day": True}])
    assert inbox["working_hours"][0]["closed_all_day"] is True


def test_csat_config_filled_on_update_only(admin):
    """docs/chatwoot-behaviour.md#defaults-and-normalisation: csat_config stored as sent on create; on update missing keys are filled."""
    inbox = new_inbox(admin, "CSAT", csat_config={"message": "rate"})
    assert inbox["csat_config"] == {"message": "rate"}
    r = admin.patch(f"{A1}/inboxes/{inbox['id']}", json={"csat_config": {"message": "rate"}})
    assert r.json()["csat_config"] == {
        "display_type": "emoji", "message": "rate", "survey_rules": {"operator": "contains", "values": []},
        "button_text": "Please rate us", "language": "en",
    }


def test_portal_link_help_center(admin):
    """docs/chatwoot-behaviour.md#inboxes/#defaults-and-normalisation: portal_id is not returned; help_center{name, slug} appears when linked."""
    portal = admin.post(f"{A1}/portals", json={"name": "Inbox HC", "slug": "inbox-hc"}).json()
    inbox = new_inbox(admin, "Linked", portal_id=portal["id"])
    assert "portal_id" not in inbox
    assert inbox["help_center"] == {"name": "Inbox HC", "slug": "inbox-hc"}
    listed = {i["id"]: i for i in admin.get(f"{A1}/inboxes").json()["payload"]}
    assert listed[inbox["id"]]["help_center"] == {"name": "Inbox HC", "slug": "inbox-hc"}
    r = admin.patch(f"{A1}/inboxes/{inbox['id']}", json={"portal_id": None})
    assert "help_center" not in r.json()


def test_nonexistent_portal_id_is_500(admin):
    """docs/chatwoot-behaviour.md#inboxes/#duplicates-and-missing-objects: non-existent portal_id → 500 (FK violation)."""
    r = admin.post(f"{A1}/inboxes", json={"name": "x", "portal_id": 987654, "channel": {"type": "api"}})
    assert r.status_code == 500 and r.json() == {"status": 500, "error": "Internal Server Error"}


def test_string_null_becomes_null(admin):
    """docs/chatwoot-behaviour.md#inboxes: top-level string "null" is converted to null."""
    inbox = new_inbox(admin, "nullish", greeting_message="hello")
    r = admin.patch(f"{A1}/inboxes/{inbox['id']}", json={"greeting_message": "null"})
    assert r.json()["greeting_message"] is None


def test_async_delete_stays_listed_until_job_runs(admin, emu):
    """docs/chatwoot-behaviour.md#inboxes/#asynchronous-deletion: DELETE answers 200 with a message; the inbox stays visible until the job runs."""
    inbox = new_inbox(admin, "Doomed")
    r = admin.delete(f"{A1}/inboxes/{inbox['id']}")
    assert r.status_code == 200
    assert r.json() == {"message": "Your inbox deletion request will be processed in some time."}
    assert admin.get(f"{A1}/inboxes/{inbox['id']}").status_code == 200
    assert inbox["id"] in [i["id"] for i in admin.get(f"{A1}/inboxes").json()["payload"]]
    assert emu.control("POST", "jobs/run")["ran"] >= 1
    assert admin.get(f"{A1}/inboxes/{inbox['id']}").status_code == 404
    assert inbox["id"] not in [i["id"] for i in admin.get(f"{A1}/inboxes").json()["payload"]]


def test_async_delete_runs_after_delay(admin, emu):
    """docs/chatwoot-behaviour.md#asynchronous-deletion: the background job runs by itself after --delete-delay (set to 0.3 s at run time here)."""
    emu.control("POST", "faults", json={"delete_delay": 0.3})
    try:
        inbox = new_inbox(admin, "Doomed later")
        admin.delete(f"{A1}/inboxes/{inbox['id']}")
        assert admin.get(f"{A1}/inboxes/{inbox['id']}").status_code == 200
        deadline = time.monotonic() + 5
        while admin.get(f"{A1}/inboxes/{inbox['id']}").status_code == 200 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert admin.get(f"{A1}/inboxes/{inbox['id']}").status_code == 404
    finally:
        emu.control("POST", "faults", json={"delete_delay": 30})


def test_reset_secret(admin):
    """docs/chatwoot-behaviour.md#inboxes: POST reset_secret (≥4.13.0) returns the inbox with a new secret."""
    inbox = new_inbox(admin, "secret")
    r = admin.post(f"{A1}/inboxes/{inbox['id']}/reset_secret")
    assert r.status_code == 200 and r.json()["secret"] != inbox["secret"]
