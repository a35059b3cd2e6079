"""Inbox members: ``/api/v1/accounts/:account_id/inbox_members``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from .. import policy
from ..core import Emulator
from ..errors import not_found, ok, server_error, unprocessable
from ..params import read_body
from .agents import render_agents
from .inboxes import get_inbox


def _members(emu: Emulator, account: dict, inbox: dict) -> dict:
    return {"payload": render_agents(emu, account["id"], member_table="inbox_members", member_key=inbox["id"])}


async def inbox_members_index(request: Request):
    emu: Emulator = request.app.state.emu
    _, account, au, _ = emu.account_auth(request)
    inbox = get_inbox(emu, request, account)
    policy.require_inbox_read(emu.store, au, inbox)  # like GET /inboxes/:id: an agent only on its own inboxes
    return ok(_members(emu, account, inbox))


async def _member_write(request: Request, need_ids: bool = True) -> tuple[Emulator, dict, dict, list]:
    """What every member write starts with: an administrator, then the inbox and user ids of the body."""
    emu: Emulator = request.app.state.emu
    _, account, _, _ = emu.account_auth(request, write=True)
    params, _ = await read_body(request)
    inbox = emu.store.get("inboxes", params.get("inbox_id"), account["id"])
    if inbox is None:
        raise not_found()
    user_ids = params.get("user_ids")
    if user_ids is None or not isinstance(user_ids, list):
        if need_ids:
            raise server_error()  # docs/chatwoot-behaviour.md#inbox-members missing user_ids → 500
        user_ids = []
    return emu, account, inbox, user_ids


def _int_ids(ids: list) -> list[int]:
    out = []
    for x in ids:
        try:
            out.append(int(x))
        except (TypeError, ValueError):
            continue
    return out


def _add_inbox_members(emu: Emulator, inbox: dict, ids: list) -> None:
    """docs/chatwoot-behaviour.md#inbox-members raising create: unknown user → 422 "User must exist"; account membership not checked."""
    current = set(emu.store.members("inbox_members", inbox["id"]))
    wanted = [i for i in _int_ids(ids) if i not in current]
    for uid in wanted:
        if emu.store.get("users", uid) is None:
            raise unprocessable([("user", "User must exist")])
    emu.store.add_members("inbox_members", inbox["id"], wanted)


async def inbox_members_create(request: Request):
    emu, account, inbox, ids = await _member_write(request)
    _add_inbox_members(emu, inbox, ids)
    return ok(_members(emu, account, inbox))


async def inbox_members_update(request: Request):
    emu, account, inbox, ids = await _member_write(request)
    _add_inbox_members(emu, inbox, ids)
    keep = set(_int_ids(ids))
    current = emu.store.members("inbox_members", inbox["id"])
    emu.store.remove_members("inbox_members", inbox["id"], [u for u in current if u not in keep])
    return ok(_members(emu, account, inbox))


async def inbox_members_delete(request: Request):
    emu, account, inbox, ids = await _member_write(request, need_ids=False)
    emu.store.remove_members("inbox_members", inbox["id"], _int_ids(ids))
    return ok()


A = "/api/v1/accounts/{account_id}"
RW = ["PATCH", "PUT"]

ROUTES = [
    Route(f"{A}/inbox_members/{{inbox_id}}", inbox_members_index, methods=["GET"]),
    Route(f"{A}/inbox_members", inbox_members_create, methods=["POST"]),
    Route(f"{A}/inbox_members", inbox_members_update, methods=RW),
    Route(f"{A}/inbox_members", inbox_members_delete, methods=["DELETE"]),
]
