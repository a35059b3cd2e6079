"""The provider's inbox: an API channel (docs/chatwoot-behaviour.md#inboxes, #asynchronous-deletion, #defaults-and-normalisation).

Natural key: none in Chatwoot (names may repeat), so the Pulumi id is the numeric inbox id and
adoption by name happens only when exactly one API inbox has the declared name.

- ``hmac_token`` and ``secret`` are server-owned secrets: never stored in state.
- ``inbox_identifier`` (the Public API address) is kept as a Pulumi secret output.
- The portal link is sent as ``portal_id`` but comes back only as ``help_center.slug``, so
  the compared key is ``portal_slug``.
- Deletion is asynchronous in Chatwoot (a background job): after DELETE we wait for the inbox
  to disappear, up to ``CWT_INBOX_DELETE_WAIT`` seconds (default 30), then report it as queued.
"""

from __future__ import annotations

import os
import time
from typing import Any

import pulumi
from pulumi.dynamic import Resource

from ..chatwoot import ChatwootClient
from ..chatwoot.errors import NotFound
from .base import (Gone, KindProvider, ObjectKind, ReconcileError, delete_managed, find_or_create, lists, patch_managed,
                   say, settle_created, text_or_none)

LIST = "inboxes"
API_CHANNEL = "Channel::Api"


def list_inboxes(c: ChatwootClient) -> list[dict]:
    """``GET /inboxes``: ``{"payload": [inbox, ...]}``, every channel type (an agent's token: its own only)."""
    return (c.get("/inboxes") or {}).get("payload") or []


def desired(spec, portal_id: Any = None) -> dict[str, Any]:
    i = spec.inbox
    return {
        "provider_slug": spec.slug,
        "offboarding": spec.offboarding,
        "name": i.name,
        "timezone": i.timezone,
        "greeting_enabled": bool(i.greeting),
        "greeting_message": i.greeting,
        "webhook_url": i.webhook_url,
        "enable_auto_assignment": i.enable_auto_assignment,
        "portal_slug": spec.portal.slug,
        "portal_id": portal_id,
    }


def body(inputs: dict, create: bool) -> dict:
    b: dict[str, Any] = {
        "name": inputs["name"],
        "timezone": inputs.get("timezone") or "UTC",
        "greeting_enabled": bool(inputs.get("greeting_enabled")),
        "greeting_message": inputs.get("greeting_message") or "",
        "enable_auto_assignment": bool(inputs.get("enable_auto_assignment", True)),
        "channel": {"webhook_url": inputs.get("webhook_url") or ""},
    }
    if inputs.get("portal_id") is not None:
        b["portal_id"] = int(inputs["portal_id"])
    if create:
        b["channel"]["type"] = "api"
    return b


class InboxKind(ObjectKind):
    name = "inbox"
    compared = ("name", "timezone", "greeting_enabled", "greeting_message", "webhook_url",
                "enable_auto_assignment", "portal_slug")
    local = ("provider_slug", "offboarding")
    secret_outputs = ("inbox_identifier",)
    carried = ("portal_id",)  # sent, but Chatwoot answers only help_center.slug (compared as portal_slug)

    def normalise_inputs(self, inputs: dict) -> dict:
        return {
            "name": inputs.get("name"),
            "timezone": inputs.get("timezone") or "UTC",
            "greeting_enabled": bool(inputs.get("greeting_enabled")),
            "greeting_message": text_or_none(inputs.get("greeting_message")),
            "webhook_url": text_or_none(inputs.get("webhook_url")),
            "enable_auto_assignment": bool(inputs.get("enable_auto_assignment", True)),
            "portal_slug": text_or_none(inputs.get("portal_slug")),
        }

    def normalise(self, live: dict) -> dict:
        # the live inbox read like inputs; its portal shows only as help_center.slug
        return self.normalise_inputs(dict(live, portal_slug=(live.get("help_center") or {}).get("slug")))

    def server_outputs(self, live: dict) -> dict:
        return {
            "inbox_id": live["id"],
            "channel_id": live.get("channel_id"),
            "inbox_identifier": live.get("inbox_identifier"),
        }

    def _all(self, c: ChatwootClient, fresh: bool = False) -> list[dict]:
        return lists.get(LIST, lambda: list_inboxes(c), fresh=fresh)

    def find(self, c: ChatwootClient, name: str, fresh: bool = False) -> dict | None:
        matches = [i for i in self._all(c, fresh) if i.get("name") == name and i.get("channel_type") == API_CHANNEL]
        if len(matches) > 1:
            ids = ", ".join(str(i["id"]) for i in matches)
            raise ReconcileError(
                f"{len(matches)} API inboxes are named '{name}' (ids {ids}); Chatwoot allows duplicate "
                "inbox names, so the reconciler cannot tell which one belongs to this provider. "
                "Rename or delete the extra ones in Chatwoot, then run again."
            )
        return matches[0] if matches else None

    def create(self, c: ChatwootClient, inputs: dict) -> tuple[str, dict]:
        # docs/chatwoot-behaviour.md#duplicates-and-missing-objects: inbox names are not unique, so a blind retry after a lost response would
        # make a duplicate; find_or_create looks first.
        live, adopted = find_or_create(
            lambda fresh: self.find(c, inputs["name"], fresh),
            lambda: c.post("/inboxes", body(inputs, create=True)),
        )
        live = settle_created(self, live, adopted, inputs, f"inbox '{live['name']}'", LIST,
                              lambda live: c.patch(f"/inboxes/{live['id']}", body(inputs, create=False)),
                              created=("inbox", int(live["id"])))
        return str(live["id"]), live

    def read(self, c: ChatwootClient, id_: str, props: dict) -> dict:
        for inbox in self._all(c):
            if str(inbox.get("id")) == id_:
                return inbox
        try:
            return c.get(f"/inboxes/{id_}")
        except NotFound:
            raise Gone() from None

    def update(self, c: ChatwootClient, id_: str, olds: dict, news: dict) -> dict:
        return patch_managed(c, f"/inboxes/{id_}", body(news, create=False), LIST,
                             f"inbox {id_} of provider {news.get('provider_slug')}")

    def delete(self, c: ChatwootClient, id_: str, props: dict) -> None:
        who = f"inbox {id_} of provider {props.get('provider_slug')}"
        if props.get("offboarding") != "delete":
            say(f"{who} retained in Chatwoot with its conversations (offboarding: {props.get('offboarding')})")
            return
        if not delete_managed(c, f"/inboxes/{id_}", LIST, id_):
            return  # already gone
        # docs/chatwoot-behaviour.md#asynchronous-deletion: the row goes away when Chatwoot's background job runs.
        deadline = time.monotonic() + float(os.environ.get("CWT_INBOX_DELETE_WAIT", "30"))
        while time.monotonic() < deadline:
            try:
                c.get(f"/inboxes/{id_}")
            except NotFound:
                return
            time.sleep(1.0)
        say(f"{who}: deletion queued in Chatwoot; it disappears when Chatwoot's background worker runs")


class InboxProvider(KindProvider):
    kind = InboxKind()


class Inbox(Resource, module="cwtenants", name="Inbox"):
    inbox_id: pulumi.Output[int]
    inbox_identifier: pulumi.Output[str]

    def __init__(self, name: str, inputs: dict, opts: pulumi.ResourceOptions | None = None):
        opts = pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(additional_secret_outputs=list(InboxKind.secret_outputs))
        )
        super().__init__(
            InboxProvider(), name, {"inbox_id": None, "channel_id": None, "inbox_identifier": None, **inputs}, opts
        )
