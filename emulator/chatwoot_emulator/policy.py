"""Who may do what: Chatwoot's Pundit policies as the emulator applies them (one place for every rule).

A denial is always 401 "You are not authorized to do this action" (Chatwoot never answers 403 here).
Administrators of the account may do everything; an ``agent``-role user may read, and only what its
inbox memberships give it.  See docs/chatwoot-behaviour.md, "Roles and permissions".
"""

from __future__ import annotations

from .errors import forbidden_action


def is_admin(account_user: dict) -> bool:
    return account_user["role"] == "administrator"


def require_admin(account_user: dict) -> None:
    """Writes (create, update, delete) need the administrator role."""
    if not is_admin(account_user):
        raise forbidden_action()


def visible_inbox_ids(store, user_id: int) -> set[int]:
    """Inboxes an agent-role user sees: those it is a member of."""
    return set(store.inboxes_of_user(user_id))


def require_inbox_read(store, account_user: dict, inbox: dict) -> None:
    """Reading one inbox (GET /inboxes/:id, its members): administrators always, agents only as a member."""
    if not is_admin(account_user) and inbox["id"] not in visible_inbox_ids(store, account_user["user_id"]):
        raise forbidden_action()
