"""A custom role declared under ``custom_roles:`` in ``_defaults.yaml`` (Chatwoot enterprise code).

One resource per declared name, at stack level (like agents). Natural key: the name (Chatwoot
does not require unique names; the catalog does, and adoption refuses when several roles in the
account carry the name). Pulumi id: the custom role id.

The API (``/custom_roles``: list, create, update, delete) answers on every 4.15.1 server, but a
role only *takes effect* when the account has the ``custom_roles`` feature: without it, assigning
one to an agent answers ``custom_role_id: null``. The Agent resource notices that and says so;
``cwtenants doctor`` reports whether the feature is on.

Removing a role from the catalog deletes it in Chatwoot (agents holding it fall back to their
plain role); it holds no provider content.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import Resource

from ..chatwoot import ChatwootClient
from .base import Gone, KindProvider, ObjectKind, delete_managed, find_or_create, lists, patch_managed, settle_created

LIST = "custom_roles"


def logical_name(name: str) -> str:
    return "custom-role-" + "".join(ch if ch.isalnum() else "-" for ch in name.lower())


def desired(spec) -> dict[str, Any]:
    """CustomRoleSpec → resource inputs."""
    return {"name": spec.name, "description": spec.description, "permissions": sorted(spec.permissions)}


def body(inputs: dict) -> dict:
    return {"custom_role": {"name": inputs["name"], "description": inputs.get("description"),
                            "permissions": sorted(inputs.get("permissions") or [])}}


class CustomRoleKind(ObjectKind):
    name = "custom role"
    compared = ("name", "description", "permissions")

    def normalise_inputs(self, inputs: dict) -> dict:
        return {"name": inputs.get("name"), "description": inputs.get("description") or None,
                "permissions": sorted(inputs.get("permissions") or [])}

    def normalise(self, live: dict) -> dict:
        return self.normalise_inputs(live)

    def server_outputs(self, live: dict) -> dict:
        return {"role_id": live["id"]}

    def _all(self, c: ChatwootClient, fresh: bool = False) -> list[dict]:
        return lists.get(LIST, lambda: c.get("/custom_roles") or [], fresh=fresh)

    def find(self, c: ChatwootClient, name: str, fresh: bool = False) -> dict | None:
        found = [r for r in self._all(c, fresh) if r.get("name") == name]
        if len(found) > 1:
            ids = ", ".join(str(r.get("id")) for r in found)
            raise RuntimeError(f"several custom roles are named {name!r} (ids {ids}); rename or delete the extra "
                               "ones in Chatwoot (Settings -> Custom roles) so the catalog can adopt one")
        return found[0] if found else None

    def create(self, c: ChatwootClient, inputs: dict) -> tuple[str, dict]:
        live, adopted = find_or_create(lambda fresh: self.find(c, inputs["name"], fresh),
                                       lambda: c.post("/custom_roles", body(inputs)))
        # stack-level: no provider claims it (its inputs have no claimed_ids)
        live = settle_created(self, live, adopted, inputs, f"custom role {inputs['name']!r}", LIST,
                              lambda live: self.update(c, str(live["id"]), {}, inputs))
        return str(live["id"]), live

    def read(self, c: ChatwootClient, id_: str, props: dict) -> dict:
        for r in self._all(c):
            if str(r.get("id")) == id_:
                return r
        raise Gone()

    def update(self, c: ChatwootClient, id_: str, olds: dict, news: dict) -> dict:
        return patch_managed(c, f"/custom_roles/{id_}", body(news), LIST, f"custom role {news.get('name')!r} ({id_})")

    def delete(self, c: ChatwootClient, id_: str, props: dict) -> None:
        delete_managed(c, f"/custom_roles/{id_}", LIST, id_)


class CustomRoleProvider(KindProvider):
    kind = CustomRoleKind()


class CustomRole(Resource, module="cwtenants", name="CustomRole"):
    role_id: pulumi.Output[int]

    def __init__(self, name: str, inputs: dict, opts: pulumi.ResourceOptions | None = None):
        super().__init__(CustomRoleProvider(), name, {"role_id": None, **inputs}, opts)
