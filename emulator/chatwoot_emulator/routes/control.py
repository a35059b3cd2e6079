"""The emulator control plane ``/__emulator__/`` (loopback clients only; never faulted or counted)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from ..bootstrap import bootstrap
from ..core import Emulator
from ..errors import ApiError, ok
from ..faults import config_dict
from ..params import read_body


def _loopback_only(request: Request) -> None:
    host = request.client.host if request.client else ""
    if host not in ("127.0.0.1", "::1", "localhost", "testclient"):
        raise ApiError(403, {"error": "control plane is loopback only"})


async def c_stats(request: Request):
    _loopback_only(request)
    return ok(request.app.state.emu.stats.snapshot())


async def c_stats_reset(request: Request):
    _loopback_only(request)
    request.app.state.emu.stats.reset()
    return ok({"ok": True})


async def c_faults(request: Request):
    _loopback_only(request)
    emu: Emulator = request.app.state.emu
    if request.method == "POST":
        params, _ = await read_body(request)
        seed = params.pop("seed", None)
        try:
            if params.get("unknown_portal_status", 500) not in (500, 404):
                raise ValueError("unknown_portal_status must be 500 or 404")
            seed = None if seed is None else int(seed)
            emu.config.update(params)
        except (ValueError, TypeError) as exc:
            raise ApiError(400, {"error": str(exc)})
        if seed is not None:
            emu.engine.reseed(seed)
    return ok(config_dict(emu.config))


async def c_jobs_run(request: Request):
    _loopback_only(request)
    return ok({"ran": request.app.state.emu.run_jobs(all_jobs=True)})


async def c_reset(request: Request):
    """Wipe all state and bootstrap again with the same tokens (tokens.json stays valid)."""
    _loopback_only(request)
    emu: Emulator = request.app.state.emu
    tokens = dict(emu.tokens)
    emu.store.wipe()
    emu.tokens = bootstrap(emu.store, reuse=tokens)
    emu.stats.reset()
    emu.presence.clear()
    return ok({"ok": True})


async def c_identity(request: Request):
    """Which emulator answers here: the per-start instance id (also in every X-Chatwoot-Emulator header)."""
    _loopback_only(request)
    emu: Emulator = request.app.state.emu
    return ok({"instance_id": emu.instance_id, "state_dir": str(emu.state_dir), "url": emu.url})


async def c_presence(request: Request):
    """Live dashboard sessions. ``POST {"user_id": 2, "online": true, "account_id": 1}`` marks a user online
    (or, with ``"online": false``, offline again) in an account (default: every account it belongs to);
    answers the current list ``{"online": [{"account_id", "user_id"}]}`` (GET reads it)."""
    _loopback_only(request)
    emu: Emulator = request.app.state.emu
    if request.method == "POST":
        params, _ = await read_body(request)
        try:
            user_id = int(params["user_id"])
            accounts = ([int(params["account_id"])] if params.get("account_id") is not None
                        else [au["account_id"] for au in emu.store.account_users(user_id=user_id)])
        except (KeyError, TypeError, ValueError):
            raise ApiError(400, {"error": "user_id (integer) is required; account_id is optional"})
        for account_id in accounts:
            if params.get("online", True):
                emu.presence.add((account_id, user_id))
            else:
                emu.presence.discard((account_id, user_id))
    return ok({"online": [{"account_id": a, "user_id": u} for a, u in sorted(emu.presence)]})


ROUTES = [
    Route("/__emulator__/stats", c_stats, methods=["GET"]),
    Route("/__emulator__/stats/reset", c_stats_reset, methods=["POST"]),
    Route("/__emulator__/faults", c_faults, methods=["GET", "POST"]),
    Route("/__emulator__/jobs/run", c_jobs_run, methods=["POST"]),
    Route("/__emulator__/reset", c_reset, methods=["POST"]),
    Route("/__emulator__/identity", c_identity, methods=["GET"]),
    Route("/__emulator__/presence", c_presence, methods=["GET", "POST"]),
]
