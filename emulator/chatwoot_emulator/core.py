"""The emulator object shared by every route module: state, fault engine, async jobs and authentication."""

from __future__ import annotations

import asyncio
import logging
import secrets
from pathlib import Path

from starlette.requests import Request

from .bootstrap import bootstrap, read_tokens, write_tokens
from . import policy
from .errors import ApiError, not_found
from .faults import FaultConfig, FaultEngine, Stats
from .store import Store

log = logging.getLogger("chatwoot_emulator")


#: Response header on every answer of the emulator (real Chatwoot has none); its value is the instance id,
#: a nonce chosen per start, so a launcher can prove that the server on a port is the one it started.
IDENTITY_HEADER = "x-chatwoot-emulator"


class Emulator:
    def __init__(self, state_dir: str | Path, config: FaultConfig, url: str = "", instance_id: str | None = None):
        self.instance_id = instance_id or secrets.token_hex(16)
        self.state_dir = Path(state_dir)
        self.config = config
        self.store = Store(self.state_dir)
        self.engine = FaultEngine(config)
        self.stats = Stats()
        self.url = url
        self.tokens = bootstrap(self.store, reuse=read_tokens(self.state_dir))
        # Live dashboard sessions ("presence"), set through the control plane only: (account_id, user_id).
        # Chatwoot keeps presence in Redis for 60 s after the last heartbeat; here it lasts until cleared.
        self.presence: set[tuple[int, int]] = set()

    def publish_tokens(self) -> Path:
        """Write <state-dir>/tokens.json (mode 0600) with this instance's URL — called once it is listening,
        so tokens.json never names a port this emulator did not get."""
        return write_tokens(self.state_dir, self.url, self.tokens)

    def online(self, account_id: int, user_id: int) -> bool:
        return (account_id, user_id) in self.presence

    # ------------------------------------------------------------ async jobs (docs/chatwoot-behaviour.md#asynchronous-deletion)
    def run_jobs(self, all_jobs: bool = False) -> int:
        n = 0
        for job in self.store.due_jobs(all_jobs):
            kind, target = job["kind"], job["target_id"]
            if kind == "inbox":
                self.store.destroy_inbox(target)
            elif kind == "account":
                self.store.destroy_account(target)
            elif kind == "user":
                self.store.destroy_user(target)
            elif kind == "orphan_user" and not self.store.account_users(user_id=target):
                self.store.destroy_user(target)
            self.store.finish_job(job["id"])
            n += 1
        return n

    async def job_loop(self) -> None:
        while True:
            await asyncio.sleep(0.1)
            try:
                self.run_jobs()
            except Exception:  # pragma: no cover - keep the worker alive
                log.exception("background job failed")

    # ------------------------------------------------------------ auth (docs/chatwoot-behaviour.md#authentication, #errors)
    def token_owner(self, request: Request):
        token = request.headers.get("api_access_token") or request.headers.get("api-access-token")
        if not token:
            return None, None
        owner = self.store.token_owner(token)
        return token, owner

    def user_auth(self, request: Request):
        token, owner = self.token_owner(request)
        if token is None:
            raise ApiError(401, {"errors": ["You need to sign in or sign up before continuing."]})
        if owner is None:
            raise ApiError(401, {"error": "Invalid Access Token"})
        if owner[0] != "User":
            raise ApiError(401, {"error": "Access to this endpoint is not authorized for bots"})
        user = self.store.get("users", owner[1])
        if user is None:
            raise ApiError(401, {"error": "Invalid Access Token"})
        return user

    def account_auth(self, request: Request, write: bool = False):
        """Returns (user, account, account_user, is_admin) or raises the error of docs/chatwoot-behaviour.md#errors."""
        user = self.user_auth(request)
        account = self.store.get("accounts", request.path_params["account_id"])
        if account is None:
            raise not_found()
        au = self.store.account_user(account["id"], user["id"])
        if au is None:
            raise ApiError(401, {"error": "You are not authorized to access this account"})
        if account["status"] == "suspended":
            raise ApiError(401, {"error": "Account is suspended"})
        if write:
            policy.require_admin(au)
        return user, account, au, policy.is_admin(au)

    def platform_auth(self, request: Request) -> int:
        """docs/chatwoot-behaviour.md#platform-apps: token must belong to a PlatformApp."""
        _, owner = self.token_owner(request)
        if owner is None or owner[0] != "PlatformApp":
            raise ApiError(401, {"error": "Invalid access_token"})
        return owner[1]

    def require_permissible(self, app_id: int, ptype: str, pid: int) -> None:
        if not self.store.is_permissible(app_id, ptype, pid):
            raise ApiError(401, {"error": "Non permissible resource"})
