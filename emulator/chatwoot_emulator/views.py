"""JSON shapes of Chatwoot 4.15.1 responses (the jbuilder views), one function per object.

Each function takes stored documents and returns exactly the keys docs/chatwoot-behaviour.md lists (and the
real-server cassettes show).
"""

from __future__ import annotations

DEFAULT_PORTAL_COLOR = "#1f93ff"  # docs/chatwoot-behaviour.md#portals / #defaults-and-normalisation: blank colour is returned as #1f93ff (>=4.12.0)

# docs/chatwoot-behaviour.md#defaults-and-normalisation: 7 rows created on inbox create: Sunday/Saturday closed all day, Mon-Fri 09:00-17:00
def default_working_hours() -> list[dict]:
    rows = []
    for day in range(7):
        closed = day in (0, 6)
        rows.append({
            "day_of_week": day,
            "closed_all_day": closed,
            "open_hour": None if closed else 9,
            "open_minutes": None if closed else 0,
            "close_hour": None if closed else 17,
            "close_minutes": None if closed else 0,
            "open_all_day": False,
        })
    return rows


# docs/chatwoot-behaviour.md#inboxes widget/twilio keys that are emitted (null) for every inbox
_NULL_WIDGET_KEYS = (
    "allowed_domains", "widget_color", "website_url", "welcome_title", "welcome_tagline", "web_widget_script",
    "website_token", "selected_feature_flags", "reply_time", "messaging_service_sid", "phone_number",
)


def inbox(doc: dict, portal: dict | None, is_admin: bool) -> dict:
    """docs/chatwoot-behaviour.md#inboxes Inbox JSON for API and web-widget channels."""
    ch = doc["channel"]
    out = {
        "id": doc["id"],
        "avatar_url": "",
        "channel_id": ch["id"],
        "name": doc["name"],
        "channel_type": ch["channel_type"],
        "greeting_enabled": doc["greeting_enabled"],
        "greeting_message": doc["greeting_message"],
        "working_hours_enabled": doc["working_hours_enabled"],
        "enable_email_collect": doc["enable_email_collect"],
        "csat_survey_enabled": doc["csat_survey_enabled"],
        "csat_config": doc["csat_config"],
        "enable_auto_assignment": doc["enable_auto_assignment"],
        "auto_assignment_config": doc["auto_assignment_config"],
        "out_of_office_message": doc["out_of_office_message"],
        "working_hours": doc["working_hours"],
        "timezone": doc["timezone"],
        "callback_webhook_url": None,
        "allow_messages_after_resolved": doc["allow_messages_after_resolved"],
        "lock_to_single_conversation": doc["lock_to_single_conversation"],
        "sender_name_type": doc["sender_name_type"],
        "business_name": doc["business_name"],
        "provider": None,
    }
    for k in _NULL_WIDGET_KEYS:
        out[k] = None
    out["hmac_mandatory"] = ch.get("hmac_mandatory", False)
    if ch["channel_type"] == "Channel::WebWidget":
        for k in ("website_url", "widget_color", "welcome_title", "welcome_tagline", "reply_time",
                  "allowed_domains", "selected_feature_flags", "website_token"):
            out[k] = ch.get(k)
        out["web_widget_script"] = f"<script>/* chatwoot widget {ch['website_token']} */</script>"
        out["pre_chat_form_enabled"] = ch.get("pre_chat_form_enabled", False)
        out["pre_chat_form_options"] = ch.get("pre_chat_form_options", {})
        out["continuity_via_email"] = ch.get("continuity_via_email", True)
        if is_admin:
            out["hmac_token"] = ch["hmac_token"]
    if portal is not None:
        out["help_center"] = {"name": portal["name"], "slug": portal["slug"]}
    if ch["channel_type"] == "Channel::Api":
        out["webhook_url"] = ch.get("webhook_url")
        out["inbox_identifier"] = ch["identifier"]
        out["additional_attributes"] = ch.get("additional_attributes", {})
        if is_admin:  # docs/chatwoot-behaviour.md#inboxes: hmac_token and secret only for administrators of the account
            out["hmac_token"] = ch["hmac_token"]
            out["secret"] = ch["secret"]
    return out


def team(doc: dict, is_member: bool) -> dict:
    """docs/chatwoot-behaviour.md#teams Team JSON."""
    return {
        "id": doc["id"],
        "name": doc["name"],
        "description": doc["description"],
        "allow_auto_assign": doc["allow_auto_assign"],
        "account_id": doc["account_id"],
        "is_member": is_member,
    }


def availability_status(au: dict, online: bool) -> str:
    """Presence-derived: with auto_offline the stored availability shows only while the user has a live
    dashboard session (``online``), else "offline"; without auto_offline the stored availability."""
    if not au["auto_offline"] or online:
        return au["availability"]
    return "offline"


def agent(user: dict, au: dict, online: bool = False) -> dict:
    """docs/chatwoot-behaviour.md#agents Agent JSON (user + account_user membership); ``online`` = the user has a live session."""
    out = {
        "id": user["id"],
        "account_id": au["account_id"],
        "availability_status": availability_status(au, online),
        "auto_offline": au["auto_offline"],
        "confirmed": user["confirmed"],
        "email": user["email"],
        "provider": "email",
        "available_name": user.get("display_name") or user["name"],
        "name": user["name"],
        "role": au["role"],
        "thumbnail": "",
        "custom_role_id": au.get("custom_role_id"),
    }
    if user.get("custom_attributes"):
        out["custom_attributes"] = user["custom_attributes"]
    return out


def portal(doc: dict, category_locales: list, article_locales: list) -> dict:
    """docs/chatwoot-behaviour.md#portals Portal JSON: config reshaped, colour defaulted, meta counters (the
    article counts over an empty list, as index/create/update render them; show puts in the real ones)."""
    cfg = doc.get("config") or {}
    allowed = cfg.get("allowed_locales") or ["en"]
    drafts = cfg.get("draft_locales") or []
    default_locale = cfg.get("default_locale") or allowed[0]
    out = {
        "id": doc["id"],
        "archived": doc["archived"],
        "color": doc.get("color") or DEFAULT_PORTAL_COLOR,
        "config": {
            "allowed_locales": [
                {
                    "code": code,
                    "articles_count": sum(1 for x in article_locales if x == code),
                    "categories_count": sum(1 for x in category_locales if x == code),
                    "draft": code in drafts,
                }
                for code in allowed
            ],
            "default_locale": default_locale,
            "layout": cfg.get("layout") or "classic",
            "social_profiles": cfg.get("social_profiles") or {},
            "locale_translations": cfg.get("locale_translations") or {},
        },
        "custom_domain": doc.get("custom_domain"),
        "header_text": doc.get("header_text"),
        "homepage_link": doc.get("homepage_link"),
        "name": doc["name"],
        "page_title": doc.get("page_title"),
        "slug": doc["slug"],
        "account_id": doc["account_id"],
        "meta": {
            "all_articles_count": 0,
            "archived_articles_count": None,
            "published_count": None,
            "draft_articles_count": None,
            "categories_count": len(category_locales),
            "default_locale": default_locale,
        },
    }
    return out


def account(doc: dict) -> dict:
    """docs/chatwoot-behaviour.md#platform-api Platform account JSON: features lists only enabled flags."""
    return {
        "id": doc["id"],
        "name": doc["name"],
        "locale": doc["locale"],
        "domain": doc["domain"],
        "support_email": doc["support_email"],
        "features": {k: True for k, v in (doc.get("features") or {}).items() if v},
        "custom_attributes": doc.get("custom_attributes") or {},
        "limits": doc.get("limits") or {},
        "status": doc["status"],
    }


def user(doc: dict, token: str | None, memberships: list[tuple[dict, dict]]) -> dict:
    """docs/chatwoot-behaviour.md#platform-api Platform user JSON; memberships = [(account_doc, account_user_row)]."""
    role = memberships[-1][1]["role"] if memberships else None
    out = {
        "access_token": token,
        "account_id": memberships[0][0]["id"] if memberships else None,
        "available_name": doc.get("display_name") or doc["name"],
        "avatar_url": "",
        "confirmed": doc["confirmed"],
        "display_name": doc.get("display_name"),
        "message_signature": None,
        "email": doc["email"],
        "id": doc["id"],
        "name": doc["name"],
        "provider": "email",
        "pubsub_token": doc["pubsub_token"],
        "role": role,
        "ui_settings": {},
        "uid": doc["email"],
        "accounts": [
            {"id": acc["id"], "name": acc["name"], "active_at": au["active_at"], "role": au["role"]}
            for acc, au in memberships
        ],
    }
    if doc.get("custom_attributes"):
        out["custom_attributes"] = doc["custom_attributes"]
    return out


def profile(doc: dict, token: str | None, memberships: list[tuple[dict, dict]], online=lambda au: False) -> dict:
    """docs/chatwoot-behaviour.md#profile GET /api/v1/profile: the user object plus ``inviter_id`` and ``type`` and the accounts[] entries;
    ``online(account_user)`` tells whether the user has a live session in that account."""
    base = user(doc, token, memberships)
    base.pop("custom_attributes", None)
    out = {}
    for key, value in base.items():
        if key == "accounts":
            continue
        out[key] = value
        if key == "id":  # the active account user's inviter (null for users nobody invited)
            out["inviter_id"] = memberships[0][1].get("inviter_id") if memberships else None
    out["type"] = None  # SuperAdmin users carry "SuperAdmin"; account users null
    out["accounts"] = [
        {"id": acc["id"], "name": acc["name"], "status": acc["status"], "onboarding_step": None,
         "active_at": au["active_at"], "role": au["role"], "permissions": [au["role"]],
         "availability": au["availability"], "availability_status": availability_status(au, online(au)),
         "auto_offline": au["auto_offline"], "custom_role_id": au.get("custom_role_id"), "custom_role": None}
        for acc, au in memberships
    ]
    return out
