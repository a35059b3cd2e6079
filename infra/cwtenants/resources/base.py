"""What every Chatwoot dynamic resource shares: credentials, the client, and the CRUD skeleton.

Each Chatwoot object (inbox, team, portal, ...) is described by an ``ObjectKind``: which input
keys it has, which of them force a replacement, how to find it by its natural key (adoption),
how to create / read / update / delete it and how to normalise an API response onto the input
keys. ``KindProvider`` turns an ``ObjectKind`` into a ``pulumi.dynamic.ResourceProvider``.

Provider classes are **stateless** (no attributes): Pulumi pickles them by reference, so the
state holds only ``module.ClassName`` and the provider process imports the current code.
Credentials come from the stack config given to ``configure()`` (``cwtenants:apiToken`` as a
secret) or from the environment (``CHATWOOT_*``), and live in this module's process-wide
client, never on the instance and never in state.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field, replace
from typing import Any, Callable, ClassVar

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from ..chatwoot import ChatwootClient, Settings
from ..chatwoot.errors import ChatwootError, ConfigError, NotFound, OutcomeUnknown, Unauthorized


class ReconcileError(RuntimeError):
    """A failure the operator can act on from its message alone (shown without a Python traceback)."""


# Errors that are the operator's business, not a bug: shown as their message only.
QUIET_ERRORS = (ChatwootError, ConfigError, ReconcileError)


def quiet_error_details() -> None:
    """In the dynamic-provider server (``python -m pulumi.dynamic``), report an API or
    reconcile error as its message instead of ``traceback.format_exc()``'s ~25 lines per
    resource; anything else (a bug) keeps its traceback. The server looks ``traceback`` up in
    its module globals at the time of the error, so this swaps in a stand-in there."""
    server = sys.modules.get("__main__")
    spec = getattr(server, "__spec__", None)
    if getattr(spec, "name", None) != "pulumi.dynamic.__main__" or not hasattr(server, "traceback"):
        return

    class _Traceback:
        def __getattr__(self, name):
            return getattr(traceback, name)

        @staticmethod
        def format_exc(*args, **kwargs) -> str:
            exc = sys.exc_info()[1]
            if isinstance(exc, Unauthorized):  # the other resources of the run need not repeat it
                token_refused(f"Chatwoot refused the API token ({exc.status}: {exc.message}); see the first "
                              "error of this run")
            if isinstance(exc, QUIET_ERRORS):
                return str(exc)
            return traceback.format_exc(*args, **kwargs)

    server.traceback = _Traceback()


quiet_error_details()

# --------------------------------------------------------------------------------------------
# Credentials and the shared client (one per provider process)

_lock = threading.Lock()
_config: dict[str, str] = {}
_client: ChatwootClient | None = None

# stack config key (namespace cwtenants) -> environment variable
CONFIG_ENV = {
    "url": "CHATWOOT_URL",
    "accountId": "CHATWOOT_ACCOUNT_ID",
    "apiToken": "CHATWOOT_API_TOKEN",
    "platformToken": "CHATWOOT_PLATFORM_TOKEN",
    "requestsPerMinute": "CWT_REQUESTS_PER_MINUTE",
    "allowOtherChatwoot": "CWT_ALLOW_OTHER_CHATWOOT",
}


def remember_config(req: ConfigureRequest) -> None:
    """Keep the stack config values this project reads (called from ``configure``)."""
    global _client
    found = {}
    for key in CONFIG_ENV:
        value = req.config.get(f"cwtenants:{key}")
        if value not in (None, ""):
            found[key] = str(value)
    with _lock:
        if found != _config:
            _config.clear()
            _config.update(found)
            _client = None


def settings() -> Settings:
    """Stack config first, then the environment (``CHATWOOT_URL`` ...)."""
    env = dict(os.environ)
    for key, var in CONFIG_ENV.items():
        if key in _config:
            env[var] = _config[key]
    return Settings.from_env(env)


# --------------------------------------------------------------------------------------------
# One request budget, two processes. A `pulumi up` calls Chatwoot from two processes: this
# dynamic-provider process (every resource) and the program process, whose ownership check
# (cwtenants.ownership) sends 3 list calls at the end of every `up`. Each process has its own
# limiter (a limiter cannot see another process's requests), so the budget
# (cwtenants:requestsPerMinute, CWT_REQUESTS_PER_MINUTE) is split between them: the program's
# client may send PROGRAM_RESERVE requests per window (its 3 calls, and a retry of each without
# waiting), the provider's limiter gets the rest. Each limiter keeps its own share in every window,
# so the two together never send more than the budget. Before this split both limiters had the
# whole budget, and the N=1000 benchmark's first `up` peaked at 2,403 requests in 60 s for 2,400.

PROGRAM_RESERVE = 6


def budget_split(requests_per_minute: int) -> tuple[int, int]:
    """(provider process's share, program process's share) of the request budget; 0 = no limit."""
    if requests_per_minute == 0:
        return 0, 0
    if requests_per_minute < 2:
        raise ConfigError(
            "cwtenants:requestsPerMinute / CWT_REQUESTS_PER_MINUTE must be 0 (no limit) or at least 2: a "
            "`pulumi up` splits it between the provider process and the program's ownership check, "
            f"got {requests_per_minute}")
    program = min(PROGRAM_RESERVE, requests_per_minute // 2)
    return requests_per_minute - program, program


def provider_settings(s: Settings) -> Settings:
    """The settings of this provider process's client: the budget less the program's reserve."""
    return replace(s, requests_per_minute=budget_split(s.requests_per_minute)[0])


def program_settings(s: Settings) -> Settings:
    """The settings of the program process's client (the ownership check): the reserve only."""
    return replace(s, requests_per_minute=budget_split(s.requests_per_minute)[1])


# --------------------------------------------------------------------------------------------
# Which Chatwoot an object lives in. Every resource's outputs record it (``chatwoot``: URL and
# account id); reading, diffing, updating or deleting it against another Chatwoot or account is
# refused, because its id would mean another object there (or none, so a refresh would forget it).

CHATWOOT_KEY = "chatwoot"
# inputs that only steer a create and are not kept in the outputs
NOT_STORED = ("claimed_ids",)


def chatwoot_marker() -> str | None:
    try:
        s = settings()
    except ConfigError:
        return None  # no settings, no Chatwoot call either (a client() would fail with this error)
    return f"{s.url}/app/accounts/{s.account_id}"


# The resources' expected, explained failures (shown as their message, without a traceback).
Refused = ReconcileError


_token_refused: str | None = None


def token_refused(message: str) -> None:
    """Chatwoot answered 401 to this process: later operations fail at once with one short line
    instead of each sending a request and repeating the same 401."""
    global _token_refused
    _token_refused = message


def guard_chatwoot(props: dict, what: str) -> None:
    recorded = props.get(CHATWOOT_KEY)
    if not recorded:
        return  # state from before the marker: recorded on the next write
    current = chatwoot_marker()
    if current is None:
        return
    allow = (os.environ.get("CWT_ALLOW_OTHER_CHATWOOT") or _config.get("allowOtherChatwoot") or "").lower()
    if recorded != current and allow not in ("1", "true", "yes"):
        raise Refused(
            f"{what} belongs to Chatwoot {recorded}, but this run points at {current}; refusing to touch it "
            "(check CHATWOOT_URL / CHATWOOT_ACCOUNT_ID or cwtenants:url / cwtenants:accountId; to move the "
            "stack on purpose set cwtenants:allowOtherChatwoot true for one run)")


def claimed_by(live: dict, inputs: dict, what: str) -> None:
    """Refuse to adopt an object another provider of this stack already owns (by id)."""
    owner = (inputs.get("claimed_ids") or {}).get(str(live.get("id")))
    if owner:
        raise Refused(
            f"{what} (id {live.get('id')}) already belongs to provider {owner} of this stack — probably "
            f"renamed in Chatwoot; not adopting it a second time. Keep one provider file for it (run "
            f"`pulumi up --refresh` to give it back the name provider {owner} declares, or rename it there)")


def client() -> ChatwootClient:
    global _client
    if _token_refused:
        raise Refused(f"not attempted: {_token_refused}")
    with _lock:
        if _client is None:
            _client = ChatwootClient(provider_settings(settings()))
        return _client


# --------------------------------------------------------------------------------------------
# A short-lived per-process cache of list calls.
#
# Adoption looks objects up by natural key, and refresh reads many objects of one kind; both
# would otherwise cost one list (or show) call per resource. Within one deployment, a list
# fetched a few seconds ago is as good as a new one, and objects we create are added to it.
# ``fresh=True`` bypasses it (used after an unknown-outcome write).


class ListCache:
    def __init__(self, ttl: float = 20.0, clock: Callable[[], float] = time.monotonic):
        self.ttl = ttl
        self.clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, list[dict]]] = {}
        self._loading: dict[str, threading.Lock] = {}

    def get(self, key: str, load: Callable[[], list[dict]], fresh: bool = False) -> list[dict]:
        with self._lock:
            gate = self._loading.setdefault(key, threading.Lock())
        with gate:  # one loader per key; others wait and reuse its answer
            with self._lock:
                hit = self._entries.get(key)
                if hit and not fresh and self.clock() - hit[0] < self.ttl:
                    return list(hit[1])
            items = load()
            with self._lock:
                self._entries[key] = (self.clock(), list(items))
            return list(items)

    def upsert(self, key: str, item: dict, id_key: str = "id") -> None:
        with self._lock:
            hit = self._entries.get(key)
            if hit:
                rest = [i for i in hit[1] if i.get(id_key) != item.get(id_key)]
                self._entries[key] = (hit[0], rest + [item])

    def drop(self, key: str, item_id: Any, id_key: str = "id") -> None:
        with self._lock:
            hit = self._entries.get(key)
            if hit:
                self._entries[key] = (hit[0], [i for i in hit[1] if i.get(id_key) != item_id])

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


lists = ListCache()

# Teams and inboxes this provider process created (not adopted) during this deployment, as
# ("team" | "inbox", id). Chatwoot creates them with no members, so the membership resources
# that run right after need not read their member lists (one GET less per team and inbox).
created_empty: set[tuple[str, int]] = set()


# --------------------------------------------------------------------------------------------
# The per-object contract and the generic provider


class Gone(Exception):
    """The object no longer exists in Chatwoot."""


@dataclass
class ObjectKind:
    """How one kind of Chatwoot object is reconciled. Subclass per object module."""

    name: ClassVar[str]
    # Desired-state keys compared by diff (everything the API can change in place).
    compared: ClassVar[tuple[str, ...]]
    # Keys whose change forces a replacement (Chatwoot cannot change them in place).
    replaces: ClassVar[tuple[str, ...]] = ()
    # Inputs that steer the reconciler but are not Chatwoot fields (kept as they are on read).
    local: ClassVar[tuple[str, ...]] = ()
    # Server-owned outputs that must be stored as Pulumi secrets.
    secret_outputs: ClassVar[tuple[str, ...]] = ()
    # Inputs that Chatwoot does not return (e.g. the inbox's ``portal_id``): a refresh keeps them,
    # so it does not show them as removed.
    carried: ClassVar[tuple[str, ...]] = ()

    def check(self, news: dict) -> list[tuple[str, str]]:
        """Return (property, reason) problems with the inputs."""
        return []

    def create(self, c: ChatwootClient, inputs: dict) -> tuple[str, dict]:
        raise NotImplementedError

    def read(self, c: ChatwootClient, id_: str, props: dict) -> dict:
        """Return the live object, raising ``Gone`` when it no longer exists."""
        raise NotImplementedError

    def update(self, c: ChatwootClient, id_: str, olds: dict, news: dict) -> dict:
        raise NotImplementedError

    def delete(self, c: ChatwootClient, id_: str, props: dict) -> None:
        raise NotImplementedError

    def normalise(self, live: dict) -> dict:
        """Project an API object onto the ``compared`` keys, in the same form as the inputs."""
        raise NotImplementedError

    def server_outputs(self, live: dict) -> dict:
        """Server-owned values worth keeping in state (ids, identifiers)."""
        return {}

    def normalise_inputs(self, inputs: dict) -> dict:
        return {k: inputs.get(k) for k in self.compared}


def read_state(kind: ObjectKind, live: dict, props: dict) -> dict:
    """The live values as a refresh stores them: where Chatwoot's form only normalises what was
    declared (a lower-cased team name, a reshaped locale list), the declared form is kept, so a
    refresh shows no change (``name: "Nimbus Cloud Team" => "nimbus cloud team"``) without drift."""
    have = kind.normalise(live)
    declared = kind.normalise_inputs(props)
    for k in kind.compared:
        if k in props and declared.get(k) == have.get(k):
            have[k] = props[k]
    return have


def changed_keys(kind: ObjectKind, olds: dict, news: dict) -> list[str]:
    want = kind.normalise_inputs(news)
    have = kind.normalise_inputs(olds)
    keys = [k for k in kind.compared if want.get(k) != have.get(k)]
    keys += [k for k in kind.local if news.get(k) != olds.get(k)]
    return keys


class KindProvider(ResourceProvider):
    """A stateless dynamic provider driven by ``kind`` (a class attribute, never pickled by value)."""

    kind: ClassVar[ObjectKind]
    serialize_as_secret_always = False  # the blob is a module reference: nothing secret in it

    def configure(self, req: ConfigureRequest) -> None:
        remember_config(req)

    def check(self, _olds: dict, news: dict) -> CheckResult:
        failures = [CheckFailure(p, r) for p, r in self.kind.check(news)]
        return CheckResult(news, failures)

    def who(self, id_: str, props: dict) -> str:
        slug = props.get("provider_slug")
        return f"{self.kind.name} {id_}" + (f" of provider {slug}" if slug else "")

    def diff(self, _id: str, olds: dict, news: dict) -> DiffResult:
        guard_chatwoot(olds, self.who(_id, olds))
        keys = changed_keys(self.kind, olds, news)
        replaces = [k for k in keys if k in self.kind.replaces]
        return DiffResult(changes=bool(keys), replaces=replaces, delete_before_replace=False)

    def _outs(self, inputs: dict, live: dict) -> dict:
        outs = {k: v for k, v in inputs.items() if not k.startswith("__") and k not in NOT_STORED}
        outs.update(self.kind.server_outputs(live))
        outs[CHATWOOT_KEY] = chatwoot_marker()
        return outs

    def api_changes(self, olds: dict, news: dict) -> bool:
        """Does an update need an API call? Not when only local keys (offboarding ...) changed."""
        return any(k in self.kind.compared for k in changed_keys(self.kind, olds, news))

    def create(self, props: dict) -> CreateResult:
        id_, live = self.kind.create(client(), props)
        return CreateResult(id_, self._outs(props, live))

    def read(self, id_: str, props: dict) -> ReadResult:
        guard_chatwoot(props, self.who(id_, props))
        try:
            live = self.kind.read(client(), id_, props)
        except Gone:
            return ReadResult("", {})
        state = {k: props.get(k) for k in (*self.kind.local, *self.kind.carried) if k in props}
        state.update(read_state(self.kind, live, props))
        return ReadResult(id_, {**state, **self.kind.server_outputs(live), CHATWOOT_KEY: chatwoot_marker()}, state)

    def update(self, id_: str, olds: dict, news: dict) -> UpdateResult:
        guard_chatwoot(olds, self.who(id_, olds))
        if not self.api_changes(olds, news):
            # e.g. only `offboarding` changed: it lives in the state, Chatwoot has nothing to change
            kept = {k: v for k, v in olds.items() if k not in news and not k.startswith("__")}
            return UpdateResult({**kept, **{k: v for k, v in news.items()
                                            if not k.startswith("__") and k not in NOT_STORED},
                                 CHATWOOT_KEY: chatwoot_marker()})
        live = self.kind.update(client(), id_, olds, news)
        return UpdateResult(self._outs(news, live))

    def delete(self, id_: str, props: dict) -> None:
        guard_chatwoot(props, self.who(id_, props))
        self.kind.delete(client(), id_, props)


def text_or_none(v: Any) -> str | None:
    """"" and null both mean "not set" for Chatwoot's optional text fields: compare them as None."""
    return v if v not in (None, "") else None


def integer(v: Any) -> Any:
    """Positions are integers in Chatwoot; Pulumi hands numbers to the provider as floats (1.0)."""
    return int(v) if isinstance(v, float) and v.is_integer() else v


def find_or_create(
    find: Callable[[bool], dict | None],
    post: Callable[[], dict],
    taken: Callable[[Exception], bool] = lambda exc: False,
) -> tuple[dict, bool]:
    """Create an object at most once; return ``(live object, adopted)``.

    ``find(fresh)`` looks the object up by its natural key. It runs first (adoption), and again
    when the POST's outcome is unknown (the write may be committed: a lost response must not
    become a duplicate) or when ``taken(exc)`` says the server refused it as already existing
    (another run made it in between).

    A POST whose outcome is unknown is never sent again in the same run: when the lookup does
    not find the object, the server may still be working on the request (Rails finishes a
    request whose client timed out and went away), and inbox names are not unique in Chatwoot,
    so a second POST could make a duplicate. The resource fails instead; the next run adopts
    the object if it was created, or creates it."""
    live = find(False)
    if live is not None:
        return live, True
    try:
        return post(), False
    except OutcomeUnknown as exc:
        live = find(True)
        if live is not None:
            return live, False
        raise ReconcileError(
            f"{exc.method} {exc.path}: outcome unknown ({exc.message}) and the object is not visible yet; "
            "Chatwoot may still create it, so it was not sent again. Run `pulumi up` again: it adopts the "
            "object if it was created, or creates it") from None
    except Exception as exc:
        if not taken(exc):
            raise
        live = find(True)
        if live is None:
            raise
        return live, True


def settle_created(kind: ObjectKind, live: dict, adopted: bool, inputs: dict, what: str, list_key: str,
                   patch: Callable[[dict], dict], created: tuple | None = None) -> dict:
    """What follows ``find_or_create``: an adopted object must not belong to another provider of
    the stack (``claimed_by``) and is announced; a new one is remembered as ``created`` (see
    ``created_empty``); either goes into the list cache, and is PATCHed (``patch(live)``) when it
    differs from the inputs (adopted as it was, or defaults the POST ignored)."""
    if adopted:
        claimed_by(live, inputs, what)
        say(f"{what} (id {live['id']}) already exists: adopting it")
    elif created is not None:
        created_empty.add(created)
    lists.upsert(list_key, live)
    if kind.normalise(live) != kind.normalise_inputs(inputs):
        live = patch(live)
        lists.upsert(list_key, live)
    return live


def patch_managed(c: ChatwootClient, path: str, payload: dict, list_key: str, what: str) -> dict:
    """PATCH an object the stack manages and keep the list cache current; 404 → ``vanished(what)``."""
    try:
        live = c.patch(path, payload)
    except NotFound:
        raise vanished(what) from None
    lists.upsert(list_key, live)
    return live


def delete_managed(c: ChatwootClient, path: str, list_key: str, id_: str) -> bool:
    """DELETE an object and drop it from the list cache; False when it was already gone (404)."""
    try:
        c.delete(path)
        gone_before = False
    except NotFound:
        gone_before = True
    lists.drop(list_key, int(id_))
    return not gone_before


def vanished(what: str) -> ReconcileError:
    """The error for an update of an object that was deleted in Chatwoot behind our back."""
    return ReconcileError(
        f"{what} no longer exists in Chatwoot; run `pulumi refresh` (or `pulumi up --refresh`) "
        "so it is created again"
    )


_SAY_LOCK = threading.Lock()


def say(message: str) -> None:
    """A line in the pulumi CLI output (the engine passes the provider's stdout through, one
    diagnostic message per line). One write per line, under a lock: `print()` writes the text
    and the newline separately, so two provider threads interleaved them into "…adopting
    itportal '…'" plus an empty message (counted in the engine's "N messages")."""
    line = " ".join(str(message).splitlines()) + "\n"
    with _SAY_LOCK:
        sys.stdout.write(line)
        sys.stdout.flush()
