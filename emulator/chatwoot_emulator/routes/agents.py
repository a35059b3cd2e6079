"""Agents (account users): ``/api/v1/accounts/:account_id/agents``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from .. import views
from ..bootstrap import new_user
from ..core import Emulator
from ..errors import not_found, ok, server_error, unprocessable
from .custom_roles import assigned_role_id
from ..params import as_bool, permit, read_body, root_param


def render_agents(emu: Emulator, account_id: int, **kw) -> list[dict]:
    """Agents of an account (optionally only members of an inbox/team) as the agent view renders them."""
    return [views.agent(u, au, emu.online(account_id, u["id"])) for u, au in emu.store.list_agents(account_id, **kw)]


ROLES = ("agent", "administrator")
AVAILABILITY = ("online", "offline", "busy")


def _check_enums(attrs: dict) -> None:
    if "role" in attrs and attrs["role"] not in ROLES:
        raise server_error()  # docs/chatwoot-behaviour.md#agents invalid role → 500 (enum)
    if "availability" in attrs and attrs["availability"] not in AVAILABILITY:
        raise server_error()


async def agents_index(request: Request):
    emu: Emulator = request.app.state.emu
    _, account, _, _ = emu.account_auth(request)
    return ok(render_agents(emu, account["id"]))


async def agents_create(request: Request):
    emu: Emulator = request.app.state.emu
    caller, account, _, _ = emu.account_auth(request, write=True)
    params, is_json = await read_body(request)
    attrs = permit(root_param(params, is_json, "agent", None), ("name", "email", "role", "availability", "auto_offline"))
    _check_enums(attrs)
    email = str(attrs.get("email") or "").strip().lower()  # docs/chatwoot-behaviour.md#defaults-and-normalisation emails lower-cased
    if not email or "@" not in email:
        raise unprocessable([("email", "Email is invalid" if email else "Email can't be blank")])
    user = emu.store.find_by("users", "email", email)
    if user is None:  # docs/chatwoot-behaviour.md#agents: new unconfirmed user; name defaults to the email local part (≥4.14.0)
        user = new_user(emu.store, attrs.get("name") or email.split("@")[0], email, confirmed=False)
    elif emu.store.account_user(account["id"], user["id"]):
        raise unprocessable([("user", "User has already been taken")])
    # availability / auto_offline left out → the account_users table defaults: online, auto_offline true
    au = emu.store.upsert_account_user(account["id"], user["id"], attrs.get("role", "agent"),
                                       attrs.get("availability"),
                                       None if "auto_offline" not in attrs else as_bool(attrs["auto_offline"]),
                                       inviter_id=caller["id"])
    return ok(views.agent(user, au, emu.online(account["id"], user["id"])))


def _get_agent(emu: Emulator, request: Request, account: dict):
    user = emu.store.get("users", request.path_params["agent_id"])
    au = emu.store.account_user(account["id"], user["id"]) if user else None
    if au is None:
        raise not_found()
    return user, au


async def agents_update(request: Request):
    emu: Emulator = request.app.state.emu
    _, account, _, _ = emu.account_auth(request, write=True)
    user, au = _get_agent(emu, request, account)
    params, is_json = await read_body(request)
    attrs = permit(root_param(params, is_json, "agent", None),
                   ("name", "role", "availability", "auto_offline", "custom_role_id"))
    _check_enums(attrs)
    # enterprise code sets custom_role_id from every update (left out = cleared); it sticks only with the
    # account's custom_roles feature, else the answer says null
    emu.store.set_custom_role(account["id"], user["id"], assigned_role_id(emu, account, attrs.get("custom_role_id")))
    if attrs.get("name"):
        user["name"] = attrs["name"]  # docs/chatwoot-behaviour.md#agents name changes the global user
        emu.store.put("users", user)
    au = emu.store.upsert_account_user(
        account["id"], user["id"], attrs.get("role", au["role"]), attrs.get("availability"),
        None if "auto_offline" not in attrs else as_bool(attrs["auto_offline"]))
    return ok(views.agent(user, au, emu.online(account["id"], user["id"])))


async def agents_delete(request: Request):
    emu: Emulator = request.app.state.emu
    _, account, _, _ = emu.account_auth(request, write=True)
    user, _ = _get_agent(emu, request, account)
    emu.store.delete_account_user(account["id"], user["id"])
    emu.store.enqueue("orphan_user", user["id"], emu.config.delete_delay)  # deleted async if no other account
    return ok()


A = "/api/v1/accounts/{account_id}"
RW = ["PATCH", "PUT"]

ROUTES = [
    Route(f"{A}/agents", agents_index, methods=["GET"]),
    Route(f"{A}/agents", agents_create, methods=["POST"]),
    Route(f"{A}/agents/{{agent_id}}", agents_update, methods=RW),
    Route(f"{A}/agents/{{agent_id}}", agents_delete, methods=["DELETE"]),
]
