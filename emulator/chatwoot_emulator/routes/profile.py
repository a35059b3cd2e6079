"""Profile of the token's user: ``GET /api/v1/profile``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from .. import views
from ..core import Emulator
from ..errors import ok


def memberships(emu: Emulator, user_id: int) -> list[tuple[dict, dict]]:
    out = []
    for au in emu.store.account_users(user_id=user_id):
        acc = emu.store.get("accounts", au["account_id"])
        if acc:
            out.append((acc, au))
    return out


async def profile(request: Request):
    emu: Emulator = request.app.state.emu
    user = emu.user_auth(request)
    token = emu.store.token_of("User", user["id"])
    return ok(views.profile(user, token, memberships(emu, user["id"]),
                            online=lambda au: emu.online(au["account_id"], au["user_id"])))


ROUTES = [
    Route("/api/v1/profile", profile, methods=["GET"]),
]
