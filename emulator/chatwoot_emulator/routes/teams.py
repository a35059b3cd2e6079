"""Teams: ``/api/v1/accounts/:account_id/teams``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from .. import views
from ..core import Emulator
from ..errors import not_found, ok, unprocessable
from ..params import as_bool, permit, read_body, root_param


TEAM_COLUMNS = ("name", "description", "allow_auto_assign", "account_id")


def _team_name_errors(emu: Emulator, account_id: int, name, exclude_id: int | None = None) -> list:
    if not str(name or "").strip():
        return [("name", "Name must not be blank")]
    other = emu.store.find_by("teams", "name", name, account_id)
    if other and other["id"] != exclude_id:
        return [("name", "Name has already been taken")]
    return []


def get_team(emu: Emulator, request: Request, account: dict) -> dict:
    doc = emu.store.get("teams", request.path_params["team_id"], account["id"])
    if doc is None:
        raise not_found()
    return doc


def is_member(emu: Emulator, table: str, key: int, user_id: int) -> bool:
    return user_id in emu.store.members(table, key)


async def teams_index(request: Request):
    emu: Emulator = request.app.state.emu
    user, account, _, _ = emu.account_auth(request)
    return ok([views.team(t, mine) for t, mine in emu.store.list_teams(account["id"], user["id"])])


async def teams_show(request: Request):
    emu: Emulator = request.app.state.emu
    user, account, _, _ = emu.account_auth(request)
    team = get_team(emu, request, account)
    return ok(views.team(team, is_member(emu, "team_members", team["id"], user["id"])))


async def teams_create(request: Request):
    emu: Emulator = request.app.state.emu
    user, account, _, _ = emu.account_auth(request, write=True)
    params, is_json = await read_body(request)
    attrs = permit(root_param(params, is_json, "team", TEAM_COLUMNS), ("name", "description", "allow_auto_assign"))
    name = str(attrs.get("name") or "").lower()  # docs/chatwoot-behaviour.md#teams downcased before validation
    errors = _team_name_errors(emu, account["id"], name)
    if errors:
        raise unprocessable(errors)
    doc = {"name": name, "description": attrs.get("description"),
           "allow_auto_assign": as_bool(attrs.get("allow_auto_assign", True)), "account_id": account["id"]}
    doc = emu.store.insert("teams", doc, account_id=account["id"])
    return ok(views.team(doc, False))


async def teams_update(request: Request):
    emu: Emulator = request.app.state.emu
    user, account, _, _ = emu.account_auth(request, write=True)
    team = get_team(emu, request, account)
    params, is_json = await read_body(request)
    attrs = permit(root_param(params, is_json, "team", TEAM_COLUMNS), ("name", "description", "allow_auto_assign"))
    if "name" in attrs:
        attrs["name"] = str(attrs["name"] or "").lower()
        errors = _team_name_errors(emu, account["id"], attrs["name"], team["id"])
        if errors:
            raise unprocessable(errors)
    if "allow_auto_assign" in attrs:
        attrs["allow_auto_assign"] = as_bool(attrs["allow_auto_assign"])
    team.update(attrs)
    emu.store.put("teams", team)
    return ok(views.team(team, is_member(emu, "team_members", team["id"], user["id"])))


async def teams_delete(request: Request):
    emu: Emulator = request.app.state.emu
    _, account, _, _ = emu.account_auth(request, write=True)
    team = get_team(emu, request, account)
    emu.store.destroy_team(team["id"])  # docs/chatwoot-behaviour.md#teams synchronous
    return ok()


A = "/api/v1/accounts/{account_id}"
RW = ["PATCH", "PUT"]

ROUTES = [
    Route(f"{A}/teams", teams_index, methods=["GET"]),
    Route(f"{A}/teams", teams_create, methods=["POST"]),
    Route(f"{A}/teams/{{team_id}}", teams_show, methods=["GET"]),
    Route(f"{A}/teams/{{team_id}}", teams_update, methods=RW),
    Route(f"{A}/teams/{{team_id}}", teams_delete, methods=["DELETE"]),
]
