"""Platform API: ``/platform/api/v1`` accounts, account users and users."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.routing import Route

from .. import views
from ..bootstrap import new_account, new_token, new_user
from ..core import Emulator
from ..errors import ApiError, ok, server_error, unprocessable
from .custom_roles import assigned_role_id
from ..params import permit, read_body
from .agents import ROLES
from .profile import memberships


PLATFORM_NOT_FOUND = ApiError(404, {"status": 404, "error": "Not Found"})
ACCOUNT_ATTRS = ("name", "locale", "domain", "support_email", "status", "features", "limits", "custom_attributes")


def _account_attrs(params: dict) -> dict:
    attrs = permit(params, ACCOUNT_ATTRS)
    if "status" in attrs and attrs["status"] not in ("active", "suspended"):
        raise server_error()  # enum
    if attrs.get("domain") and len(str(attrs["domain"])) > 100:
        raise unprocessable([("domain", "Domain is too long (maximum is 100 characters)")])
    return attrs


def _platform_account(emu: Emulator, request: Request, app_id: int, key: str = "account_id") -> dict:
    acc = emu.store.get("accounts", request.path_params[key])
    if acc is None:
        raise PLATFORM_NOT_FOUND
    emu.require_permissible(app_id, "Account", acc["id"])
    return acc


async def p_accounts_index(request: Request):
    emu: Emulator = request.app.state.emu
    app_id = emu.platform_auth(request)
    accs = [emu.store.get("accounts", i) for i in emu.store.permissible_ids(app_id, "Account")]
    return ok([views.account(a) for a in accs if a])


async def p_accounts_create(request: Request):
    emu: Emulator = request.app.state.emu
    app_id = emu.platform_auth(request)
    params, _ = await read_body(request)
    attrs = _account_attrs(params)
    if not str(attrs.get("name") or "").strip():
        raise unprocessable([("name", "Name can't be blank")])
    acc = new_account(emu.store, attrs.pop("name"), **attrs)
    emu.store.add_permissible(app_id, "Account", acc["id"])  # docs/chatwoot-behaviour.md#platform-apps created → permissible
    return ok(views.account(acc))


async def p_accounts_show(request: Request):
    emu: Emulator = request.app.state.emu
    return ok(views.account(_platform_account(emu, request, emu.platform_auth(request))))


async def p_accounts_update(request: Request):
    emu: Emulator = request.app.state.emu
    acc = _platform_account(emu, request, emu.platform_auth(request))
    params, _ = await read_body(request)
    attrs = _account_attrs(params)
    if "name" in attrs and not str(attrs["name"] or "").strip():
        raise unprocessable([("name", "Name can't be blank")])
    if "features" in attrs and isinstance(attrs["features"], dict):
        attrs["features"] = dict(acc.get("features") or {}, **attrs["features"])
    acc.update(attrs)
    emu.store.put("accounts", acc)
    return ok(views.account(acc))


async def p_accounts_delete(request: Request):
    emu: Emulator = request.app.state.emu
    acc = _platform_account(emu, request, emu.platform_auth(request))
    emu.store.enqueue("account", acc["id"], emu.config.delete_delay)  # docs/chatwoot-behaviour.md#asynchronous-deletion async via DeleteObjectJob
    return ok()


async def p_account_users_index(request: Request):
    emu: Emulator = request.app.state.emu
    acc = _platform_account(emu, request, emu.platform_auth(request))
    return ok(emu.store.account_users(account_id=acc["id"]))  # raw rows


async def p_account_users_create(request: Request):
    emu: Emulator = request.app.state.emu
    acc = _platform_account(emu, request, emu.platform_auth(request))
    params, _ = await read_body(request)
    role = params.get("role", "agent")
    if role not in ROLES:
        raise server_error()
    user = emu.store.get("users", params.get("user_id"))  # any user (docs/chatwoot-behaviour.md#platform-apps: only the account is checked)
    if user is None:
        raise unprocessable([("user", "User must exist")])
    emu.store.upsert_account_user(acc["id"], user["id"], role)  # upsert
    emu.store.set_custom_role(acc["id"], user["id"], assigned_role_id(emu, acc, params.get("custom_role_id")))
    return ok(emu.store.account_user(acc["id"], user["id"]))


async def p_account_users_delete(request: Request):
    emu: Emulator = request.app.state.emu
    acc = _platform_account(emu, request, emu.platform_auth(request))
    params, _ = await read_body(request)
    try:
        uid = int(params.get("user_id"))
    except (TypeError, ValueError):
        return ok()
    emu.store.delete_account_user(acc["id"], uid)  # no-op if absent
    return ok()


PASSWORD_RE = re.compile(r"^(?=.*[a-z])(?=.*[A-Z])(?=.*\d)(?=.*[!@#$%^&*()_+\-=\[\]{}|']).{6,128}$")


def _platform_user(emu: Emulator, request: Request, app_id: int) -> dict:
    user = emu.store.get("users", request.path_params["user_id"])
    if user is None:
        raise PLATFORM_NOT_FOUND
    emu.require_permissible(app_id, "User", user["id"])
    return user


def _render_user(emu: Emulator, user: dict) -> dict:
    return views.user(user, emu.store.token_of("User", user["id"]), memberships(emu, user["id"]))


async def p_users_create(request: Request):
    emu: Emulator = request.app.state.emu
    app_id = emu.platform_auth(request)
    params, _ = await read_body(request)
    email = str(params.get("email") or "").strip().lower()
    user = emu.store.find_by("users", "email", email) if email else None
    if user is None:
        errors = []
        if not str(params.get("name") or "").strip():
            errors.append(("name", "Name can't be blank"))
        if not email:
            errors.append(("email", "Email can't be blank"))
        elif "@" not in email:
            errors.append(("email", "Email is invalid"))
        pw = str(params.get("password") or "")
        if not pw:
            errors.append(("password", "Password can't be blank"))
        elif not PASSWORD_RE.match(pw):
            errors.append(("password", "Password must contain at least 1 uppercase letter, 1 lowercase letter, "
                                       "1 number, and 1 special character"))
        if errors:
            raise unprocessable(errors)
        user = new_user(emu.store, params["name"], email, confirmed=True, display_name=params.get("display_name"),
                        custom_attributes=params.get("custom_attributes") or {})
    emu.store.add_permissible(app_id, "User", user["id"])  # docs/chatwoot-behaviour.md#platform-apps find-or-create claims the user
    return ok(_render_user(emu, user))


async def p_users_show(request: Request):
    emu: Emulator = request.app.state.emu
    return ok(_render_user(emu, _platform_user(emu, request, emu.platform_auth(request))))


async def p_users_update(request: Request):
    emu: Emulator = request.app.state.emu
    user = _platform_user(emu, request, emu.platform_auth(request))
    params, _ = await read_body(request)
    for key in ("name", "display_name"):
        if key in params:
            user[key] = params[key]
    if params.get("email"):
        user["email"] = str(params["email"]).strip().lower()
    if isinstance(params.get("custom_attributes"), dict):
        user["custom_attributes"] = dict(user.get("custom_attributes") or {}, **params["custom_attributes"])
    if not str(user.get("name") or "").strip():
        raise unprocessable([("name", "Name can't be blank")])
    emu.store.put("users", user)
    return ok(_render_user(emu, user))


async def p_users_delete(request: Request):
    emu: Emulator = request.app.state.emu
    user = _platform_user(emu, request, emu.platform_auth(request))
    emu.store.enqueue("user", user["id"], emu.config.delete_delay)  # docs/chatwoot-behaviour.md#asynchronous-deletion async
    return ok()


async def p_users_token(request: Request):
    emu: Emulator = request.app.state.emu
    user = _platform_user(emu, request, emu.platform_auth(request))
    return ok({"access_token": emu.store.token_of("User", user["id"]), "expiry": None,
               "user": {k: user.get(k) for k in ("id", "name", "display_name", "email", "pubsub_token")}})


async def p_users_login(request: Request):
    emu: Emulator = request.app.state.emu
    user = _platform_user(emu, request, emu.platform_auth(request))
    return ok({"url": f"{emu.url}/app/login?email={user['email']}&sso_auth_token={new_token()}"})


P = "/platform/api/v1"
RW = ["PATCH", "PUT"]

ROUTES = [
    Route(f"{P}/accounts", p_accounts_index, methods=["GET"]),
    Route(f"{P}/accounts", p_accounts_create, methods=["POST"]),
    Route(f"{P}/accounts/{{account_id}}", p_accounts_show, methods=["GET"]),
    Route(f"{P}/accounts/{{account_id}}", p_accounts_update, methods=RW),
    Route(f"{P}/accounts/{{account_id}}", p_accounts_delete, methods=["DELETE"]),
    Route(f"{P}/accounts/{{account_id}}/account_users", p_account_users_index, methods=["GET"]),
    Route(f"{P}/accounts/{{account_id}}/account_users", p_account_users_create, methods=["POST"]),
    Route(f"{P}/accounts/{{account_id}}/account_users", p_account_users_delete, methods=["DELETE"]),
    Route(f"{P}/users", p_users_create, methods=["POST"]),
    Route(f"{P}/users/{{user_id}}", p_users_show, methods=["GET"]),
    Route(f"{P}/users/{{user_id}}", p_users_update, methods=RW),
    Route(f"{P}/users/{{user_id}}", p_users_delete, methods=["DELETE"]),
    Route(f"{P}/users/{{user_id}}/token", p_users_token, methods=["POST"]),
    Route(f"{P}/users/{{user_id}}/login", p_users_login, methods=["GET"]),
]
