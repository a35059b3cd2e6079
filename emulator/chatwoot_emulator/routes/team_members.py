"""Team members: ``/api/v1/accounts/:account_id/teams/:team_id/team_members``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from ..core import Emulator
from ..errors import ApiError, ok, server_error
from ..params import read_body
from .agents import render_agents
from .teams import get_team


async def _member_write(request: Request) -> tuple[Emulator, dict, dict, list]:
    """What every member write starts with: an administrator, the team, then the request's user ids."""
    emu: Emulator = request.app.state.emu
    _, account, _, _ = emu.account_auth(request, write=True)
    team = get_team(emu, request, account)
    return emu, account, team, await _team_member_ids(emu, request, account)


async def _team_member_ids(emu: Emulator, request: Request, account: dict) -> list:
    params, _ = await read_body(request)
    ids = params.get("user_ids")
    if not isinstance(ids, list):
        raise server_error()  # docs/chatwoot-behaviour.md#team-members missing user_ids → 500
    account_user_ids = {au["user_id"] for au in emu.store.account_users(account_id=account["id"])}
    for x in ids:  # docs/chatwoot-behaviour.md#team-members every id must be a user of the account, else 401
        try:
            ok_id = int(x) in account_user_ids
        except (TypeError, ValueError):
            ok_id = False
        if not ok_id:
            raise ApiError(401, {"error": "Invalid User IDs"})
    return ids


def _team_agents(emu: Emulator, account: dict, team: dict, only: list[int] | None = None) -> list[dict]:
    return render_agents(emu, account["id"], member_table="team_members", member_key=team["id"], user_ids=only)


async def team_members_index(request: Request):
    emu: Emulator = request.app.state.emu
    _, account, _, _ = emu.account_auth(request)
    team = get_team(emu, request, account)
    return ok(_team_agents(emu, account, team))


def _team_add(emu: Emulator, team: dict, ids: list) -> list[int]:
    """Set arithmetic with the raw request values: strings ("5") never equal integer ids (docs/chatwoot-behaviour.md#team-members)."""
    current = emu.store.members("team_members", team["id"])
    to_add = [x for x in ids if x not in current]
    added = [x for x in to_add if isinstance(x, int) and not isinstance(x, bool)]  # non-raising create
    emu.store.add_members("team_members", team["id"], added)
    return added


async def team_members_create(request: Request):
    emu, account, team, ids = await _member_write(request)
    added = _team_add(emu, team, ids)
    return ok(_team_agents(emu, account, team, only=added))  # only the newly added


async def team_members_update(request: Request):
    emu, account, team, ids = await _member_write(request)
    current = emu.store.members("team_members", team["id"])
    _team_add(emu, team, ids)
    emu.store.remove_members("team_members", team["id"], [u for u in current if u not in ids])
    return ok(_team_agents(emu, account, team))  # all members after replace-set


async def team_members_delete(request: Request):
    emu, account, team, ids = await _member_write(request)
    current = emu.store.members("team_members", team["id"])
    emu.store.remove_members("team_members", team["id"], [u for u in current if u in ids])
    return ok()


A = "/api/v1/accounts/{account_id}"
RW = ["PATCH", "PUT"]

ROUTES = [
    Route(f"{A}/teams/{{team_id}}/team_members", team_members_index, methods=["GET"]),
    Route(f"{A}/teams/{{team_id}}/team_members", team_members_create, methods=["POST"]),
    Route(f"{A}/teams/{{team_id}}/team_members", team_members_update, methods=RW),
    Route(f"{A}/teams/{{team_id}}/team_members", team_members_delete, methods=["DELETE"]),
]
