"""The provider's Help Center portal (docs/chatwoot-behaviour.md#portals, #defaults-and-normalisation).

Natural key: the slug, unique across the whole Chatwoot installation (not just the account).
Chatwoot addresses portals by slug in every URL; the Pulumi id is the numeric portal id, so a
slug change is an in-place update (PATCH /portals/<old slug> with the new slug).

Normalisation (so that an up followed by a preview is empty):
- ``color``: blank is returned as ``#1f93ff`` (≥ 4.12.0); compared lower-cased.
- ``config.allowed_locales`` comes back as objects ``{code, articles_count, ...}``; we compare
  the codes, default locale first, the rest sorted.
- ``custom_domain``: "" → null; on create a URL is reduced to its host.
- ``homepage_link``, ``header_text``, ``page_title``: "" → null.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import pulumi
from pulumi.dynamic import CheckFailure, Resource

from ..chatwoot import ChatwootClient
from ..chatwoot.errors import ChatwootError, NotFound, ServerError, Unprocessable
from .base import (Gone, KindProvider, ObjectKind, Refused, client, find_or_create, lists, say, settle_created,
                   text_or_none, vanished)

LIST = "portals"
DEFAULT_COLOR = "#1f93ff"


def desired(spec) -> dict[str, Any]:
    p = spec.portal
    return {
        "provider_slug": spec.slug,
        "offboarding": spec.offboarding,
        "slug": p.slug,
        "name": p.name,
        "color": p.color,
        "locales": list(p.locales),
        "header_text": p.header_text,
        "page_title": p.page_title,
        "homepage_link": p.homepage_link,
        "custom_domain": p.custom_domain,
        "archived": False,
    }


def body(inputs: dict) -> dict:
    locales = list(inputs.get("locales") or ["en"])
    return {
        "portal": {
            "name": inputs["name"],
            "slug": inputs["slug"],
            "color": inputs.get("color") or DEFAULT_COLOR,
            "header_text": inputs.get("header_text") or "",
            "page_title": inputs.get("page_title") or "",
            "homepage_link": inputs.get("homepage_link") or "",
            # "" rather than null: Chatwoot < 4.14.0 answers 500 without it, and "" is stored as
            # null so it never collides with another portal's domain (prior-art bug a).
            "custom_domain": inputs.get("custom_domain") or "",
            "archived": bool(inputs.get("archived", False)),
            # Always the full config: ≤ 4.14.0 replaced it wholesale (docs/chatwoot-behaviour.md#defaults-and-normalisation).
            "config": {"allowed_locales": locales, "default_locale": locales[0]},
        }
    }


def slug_taken_message(slug: str, provider: Any) -> str:
    return (f"portal slug '{slug}' (provider {provider}) is already used by another account on this Chatwoot "
            "installation — portal slugs are unique installation-wide; choose another `portal.slug`")


def list_portals(c: ChatwootClient) -> list[dict]:
    """``GET /portals``: ``{"payload": [portal, ...], "meta": ...}``, the account's own portals (full objects)."""
    return (c.get("/portals") or {}).get("payload") or []


def slug_used_elsewhere(c: ChatwootClient, slug: str) -> bool | None:
    """Read-only: does another account's portal answer on the public Help Center address ``/hc/<slug>``?

    True: it does (so creating it here would fail half-way through a run); False: 404;
    None: cannot tell (an archived portal of another account also answers 404, and a server
    error says nothing) — the create then reports the clash as before."""
    try:
        c.request("GET", f"/hc/{slug}", token=None)
        return True
    except NotFound:
        return False
    except ChatwootError as exc:
        status = exc.status or 0
        return True if 200 <= status < 400 else None


def _domain(v: Any) -> str | None:
    v = text_or_none(v)
    if v and "://" in v:
        v = urlparse(v).hostname or v
    return v.lower() if v else None


def _locales(codes: list[str], default: str | None) -> list[str]:
    codes = [c for c in codes if c]
    default = default if default in codes else (codes[0] if codes else "en")
    return [default] + sorted(set(codes) - {default})


class PortalKind(ObjectKind):
    name = "portal"
    compared = ("slug", "name", "color", "locales", "header_text", "page_title", "homepage_link",
                "custom_domain", "archived")
    local = ("provider_slug", "offboarding")

    def normalise_inputs(self, inputs: dict) -> dict:
        locales = list(inputs.get("locales") or ["en"])
        return {
            "slug": inputs.get("slug"),
            "name": inputs.get("name"),
            "color": (inputs.get("color") or DEFAULT_COLOR).lower(),
            "locales": _locales(locales, locales[0]),
            "header_text": text_or_none(inputs.get("header_text")),
            "page_title": text_or_none(inputs.get("page_title")),
            "homepage_link": text_or_none(inputs.get("homepage_link")),
            "custom_domain": _domain(inputs.get("custom_domain")),
            "archived": bool(inputs.get("archived", False)),
        }

    def normalise(self, live: dict) -> dict:
        config = live.get("config") or {}
        codes = [c.get("code") if isinstance(c, dict) else c for c in config.get("allowed_locales") or []]
        default = config.get("default_locale") or (live.get("meta") or {}).get("default_locale")
        # the live portal read like inputs, its locales default first (as normalise_inputs expects them)
        return self.normalise_inputs(dict(live, locales=_locales(codes, default)))

    def server_outputs(self, live: dict) -> dict:
        return {"portal_id": live["id"]}

    def _all(self, c: ChatwootClient, fresh: bool = False) -> list[dict]:
        return lists.get(LIST, lambda: list_portals(c), fresh=fresh)

    def find(self, c: ChatwootClient, slug: str, fresh: bool = False) -> dict | None:
        return next((p for p in self._all(c, fresh) if p.get("slug") == slug), None)

    def create(self, c: ChatwootClient, inputs: dict) -> tuple[str, dict]:
        slug = inputs["slug"]
        try:
            live, adopted = find_or_create(
                lambda fresh: self.find(c, slug, fresh),
                lambda: c.post("/portals", body(inputs)),
                taken=lambda exc: isinstance(exc, Unprocessable),
            )
        except Unprocessable as exc:
            if "slug" in (exc.attributes or []):
                # docs/chatwoot-behaviour.md#duplicates-and-missing-objects: taken, but not in this account's list
                raise Refused(slug_taken_message(slug, inputs.get("provider_slug"))) from None
            raise
        live = settle_created(self, live, adopted, inputs, f"portal '{slug}'", LIST,
                              lambda live: c.patch(f"/portals/{slug}", body(inputs)),
                              created=("portal", slug))  # a new portal: no categories or articles to look up in it
        return str(live["id"]), live

    def read(self, c: ChatwootClient, id_: str, props: dict) -> dict:
        # One list call serves every portal of the refresh; the list holds full portal objects.
        for portal in self._all(c):
            if str(portal.get("id")) == id_:
                return portal
        for portal in self._all(c, fresh=True):
            if str(portal.get("id")) == id_:
                return portal
        raise Gone()

    def _live_slug(self, c: ChatwootClient, id_: str, fallback: str) -> str:
        for portal in self._all(c):
            if str(portal.get("id")) == id_:
                return portal["slug"]
        return fallback

    def update(self, c: ChatwootClient, id_: str, olds: dict, news: dict) -> dict:
        # Address the portal by the slug it has now (the old one if the slug is changing).
        current = self._live_slug(c, id_, olds.get("slug") or news["slug"])
        try:
            live = c.patch(f"/portals/{current}", body(news))
        except (NotFound, ServerError) as exc:
            if isinstance(exc, ServerError) and not exc.unknown_portal_candidate:
                raise
            raise vanished(f"portal '{current}' of provider {news.get('provider_slug')}") from None
        lists.upsert(LIST, live)
        return live

    def delete(self, c: ChatwootClient, id_: str, props: dict) -> None:
        mode = props.get("offboarding")
        slug = self._live_slug(c, id_, props.get("slug"))
        who = f"portal '{slug}' of provider {props.get('provider_slug')}"
        if mode == "archive":
            try:
                live = c.patch(f"/portals/{slug}", {"portal": {"archived": True}})
                lists.upsert(LIST, live)
                say(f"{who} archived in Chatwoot (offboarding: archive); its articles are kept")
            except (NotFound, ServerError):
                say(f"{who} is already gone from Chatwoot")
            return
        if mode != "delete":
            say(f"{who} retained in Chatwoot (offboarding: {mode})")
            return
        try:
            c.delete(f"/portals/{slug}")
        except (NotFound, ServerError) as exc:
            if isinstance(exc, ServerError) and not exc.unknown_portal_candidate:
                raise
        lists.drop(LIST, int(id_))


class PortalProvider(KindProvider):
    kind = PortalKind()

    def check(self, olds: dict, news: dict):
        result = super().check(olds, news)
        slug = news.get("slug")
        # a portal new in the stack: find a slug clash with another account before anything is written
        if not olds and isinstance(slug, str) and slug:
            try:
                c = client()
                mine = self.kind.find(c, slug) is not None
                taken = not mine and slug_used_elsewhere(c, slug)
            except ChatwootError:
                taken = False  # cannot tell now; create() reports it
            if taken:
                result.failures.append(CheckFailure("slug", slug_taken_message(slug, news.get("provider_slug"))))
        return result


class Portal(Resource, module="cwtenants", name="Portal"):
    portal_id: pulumi.Output[int]
    slug: pulumi.Output[str]

    def __init__(self, name: str, inputs: dict, opts: pulumi.ResourceOptions | None = None):
        super().__init__(PortalProvider(), name, {"portal_id": None, **inputs}, opts)
