"""The provider's team (docs/chatwoot-behaviour.md#teams).

Natural key: the name, lower-cased — Chatwoot lower-cases team names before saving and keeps
them unique per account, so "Acme Team" and "acme team" are the same team.
Pulumi id: the numeric team id.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import Resource

from ..chatwoot import ChatwootClient
from ..chatwoot.errors import NotFound, Unprocessable
from .base import (Gone, KindProvider, ObjectKind, delete_managed, find_or_create, lists, patch_managed, say,
                   settle_created, text_or_none)

LIST = "teams"


def desired(spec) -> dict[str, Any]:
    """ProviderSpec → resource inputs."""
    return {
        "provider_slug": spec.slug,
        "offboarding": spec.offboarding,
        "name": spec.team.name,
        "description": spec.team.description,
        "allow_auto_assign": spec.team.allow_auto_assign,
    }


def body(inputs: dict) -> dict:
    """Resource inputs → API body (root key ``team``, docs/chatwoot-behaviour.md#general-rules body root keys)."""
    return {
        "team": {
            "name": inputs["name"],
            "description": inputs.get("description") or "",
            "allow_auto_assign": bool(inputs.get("allow_auto_assign", True)),
        }
    }


class TeamKind(ObjectKind):
    name = "team"
    compared = ("name", "description", "allow_auto_assign")
    local = ("provider_slug", "offboarding")

    def normalise_inputs(self, inputs: dict) -> dict:
        return {
            "name": (inputs.get("name") or "").lower(),
            "description": text_or_none(inputs.get("description")),
            "allow_auto_assign": bool(inputs.get("allow_auto_assign", True)),
        }

    def normalise(self, live: dict) -> dict:
        return self.normalise_inputs(live)

    def server_outputs(self, live: dict) -> dict:
        return {"team_id": live["id"]}

    def find(self, c: ChatwootClient, name: str, fresh: bool = False) -> dict | None:
        key = name.lower()
        for team in lists.get(LIST, lambda: c.get("/teams") or [], fresh=fresh):
            if (team.get("name") or "").lower() == key:
                return team
        return None

    def create(self, c: ChatwootClient, inputs: dict) -> tuple[str, dict]:
        live, adopted = find_or_create(
            lambda fresh: self.find(c, inputs["name"], fresh),
            lambda: c.post("/teams", body(inputs)),
            # 422 "Name has already been taken": a concurrent run made it
            taken=lambda exc: isinstance(exc, Unprocessable),
        )
        live = settle_created(self, live, adopted, inputs, f"team '{live['name']}'", LIST,
                              lambda live: c.patch(f"/teams/{live['id']}", body(inputs)),
                              created=("team", int(live["id"])))
        return str(live["id"]), live

    def read(self, c: ChatwootClient, id_: str, props: dict) -> dict:
        for team in lists.get(LIST, lambda: c.get("/teams") or []):
            if str(team.get("id")) == id_:
                return team
        try:
            return c.get(f"/teams/{id_}")
        except NotFound:
            raise Gone() from None

    def update(self, c: ChatwootClient, id_: str, olds: dict, news: dict) -> dict:
        return patch_managed(c, f"/teams/{id_}", body(news), LIST,
                             f"team {id_} of provider {news.get('provider_slug')}")

    def delete(self, c: ChatwootClient, id_: str, props: dict) -> None:
        if props.get("offboarding") != "delete":
            say(f"team {id_} of provider {props.get('provider_slug')} retained in Chatwoot (offboarding: {props.get('offboarding')})")
            return
        delete_managed(c, f"/teams/{id_}", LIST, id_)


class TeamProvider(KindProvider):
    kind = TeamKind()


class Team(Resource, module="cwtenants", name="Team"):
    team_id: pulumi.Output[int]
    name: pulumi.Output[str]

    def __init__(self, name: str, inputs: dict, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TeamProvider(), name, {"team_id": None, **inputs}, opts)
