"""Custom roles (enterprise code): ``/api/v1/accounts/:account_id/custom_roles``.

As on a real 4.15.1 server: the endpoints work whether or not the account has the ``custom_roles``
feature (administrators only); permissions must come from a fixed list (else 422 "Permissions is
not included in the list"); names need not be unique; DELETE answers 200 with an empty body.
Whether an assigned role takes effect is decided where it is assigned (agents, Platform
account_users): only with the account feature ``custom_roles`` on.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from ..core import Emulator
from ..errors import not_found, ok, unprocessable
from ..params import permit, read_body, root_param
from ..store import now_iso

PERMISSIONS = (
    "conversation_manage", "conversation_unassigned_manage", "conversation_participating_manage",
    "contact_manage", "report_manage", "knowledge_base_manage",
)
FEATURE = "custom_roles"


def feature_on(account: dict) -> bool:
    return bool((account.get("features") or {}).get(FEATURE))


def assigned_role_id(emu: Emulator, account: dict, value) -> int | None:
    """The custom_role_id an assignment stores: null without the account feature (what a real server
    without it answers), else the id of one of the account's roles (unknown ids are dropped)."""
    if value in (None, "") or not feature_on(account):
        return None
    try:
        role = emu.store.get("custom_roles", int(value), account["id"])
    except (TypeError, ValueError):
        return None
    return role["id"] if role else None


def _render(doc: dict) -> dict:
    return {k: doc.get(k) for k in ("id", "name", "description", "permissions", "created_at", "updated_at")}


def _attrs(params: dict, is_json: bool) -> dict:
    attrs = permit(root_param(params, is_json, "custom_role", None), ("name", "description", "permissions"))
    if "permissions" in attrs:
        perms = attrs["permissions"] if isinstance(attrs["permissions"], list) else [attrs["permissions"]]
        if any(p not in PERMISSIONS for p in perms):
            raise unprocessable([("permissions", "Permissions is not included in the list")])
        attrs["permissions"] = perms
    return attrs


def _get(emu: Emulator, request: Request, account: dict) -> dict:
    doc = emu.store.get("custom_roles", request.path_params["role_id"], account["id"])
    if doc is None:
        raise not_found()
    return doc


async def custom_roles_index(request: Request):
    emu: Emulator = request.app.state.emu
    _, account, _, _ = emu.account_auth(request, write=True)  # administrators only
    return ok([_render(d) for d in emu.store.list("custom_roles", account["id"])])


async def custom_roles_create(request: Request):
    emu: Emulator = request.app.state.emu
    _, account, _, _ = emu.account_auth(request, write=True)
    params, is_json = await read_body(request)
    attrs = _attrs(params, is_json)
    if not str(attrs.get("name") or "").strip():
        raise unprocessable([("name", "Name can't be blank")])
    ts = now_iso()
    doc = {"name": attrs["name"], "description": attrs.get("description"), "permissions": attrs.get("permissions") or [],
           "created_at": ts, "updated_at": ts}
    return ok(_render(emu.store.insert("custom_roles", doc, account_id=account["id"])))


async def custom_roles_update(request: Request):
    emu: Emulator = request.app.state.emu
    _, account, _, _ = emu.account_auth(request, write=True)
    doc = _get(emu, request, account)
    params, is_json = await read_body(request)
    doc.update(_attrs(params, is_json), updated_at=now_iso())
    return ok(_render(emu.store.put("custom_roles", doc)))


async def custom_roles_delete(request: Request):
    emu: Emulator = request.app.state.emu
    _, account, _, _ = emu.account_auth(request, write=True)
    doc = _get(emu, request, account)
    emu.store.delete("custom_roles", doc["id"])
    emu.store.clear_custom_role(account["id"], doc["id"])  # account users holding it fall back (nullify)
    return ok()


A = "/api/v1/accounts/{account_id}"

ROUTES = [
    Route(f"{A}/custom_roles", custom_roles_index, methods=["GET"]),
    Route(f"{A}/custom_roles", custom_roles_create, methods=["POST"]),
    Route(f"{A}/custom_roles/{{role_id}}", custom_roles_update, methods=["PATCH", "PUT"]),
    Route(f"{A}/custom_roles/{{role_id}}", custom_roles_delete, methods=["DELETE"]),
]
