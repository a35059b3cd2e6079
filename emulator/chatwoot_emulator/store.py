"""SQLite persistence for the emulator.

Design (kept deliberately simple and visible):

* Every Chatwoot object kind lives in its own table with the same shape:
  ``id INTEGER PRIMARY KEY AUTOINCREMENT, account_id INTEGER, parent_id INTEGER, data TEXT``.
  ``data`` is the object's JSON document (it also contains ``id``); ``account_id`` is indexed so
  list calls are a single indexed ``SELECT`` even with thousands of rows.  ``parent_id`` is the
  portal id for categories and articles.
* Relations that need set arithmetic (memberships, permissibles, tokens, async jobs) are plain
  relational tables.
* The database runs in WAL mode; every write method commits before returning, so a response that
  is lost after the handler ran (fault "lost response after commit") really is committed.
* One connection, guarded by a lock: the server is a single process and SQLite calls are short.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Iterable

DB_FILE = "chatwoot.sqlite3"

# kind -> extra DDL (indexes) beyond the common shape
DOC_KINDS = ("accounts", "users", "platform_apps", "inboxes", "teams", "portals", "categories", "articles",
             "custom_roles")

SCHEMA = """
CREATE TABLE IF NOT EXISTS account_users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    role TEXT NOT NULL,
    availability TEXT NOT NULL DEFAULT 'online',
    auto_offline INTEGER NOT NULL DEFAULT 1,
    inviter_id INTEGER,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    active_at TEXT,
    UNIQUE (account_id, user_id)
);
CREATE INDEX IF NOT EXISTS account_users_user ON account_users(user_id);
CREATE TABLE IF NOT EXISTS inbox_members (
    inbox_id INTEGER NOT NULL, user_id INTEGER NOT NULL, PRIMARY KEY (inbox_id, user_id)
);
CREATE TABLE IF NOT EXISTS team_members (
    team_id INTEGER NOT NULL, user_id INTEGER NOT NULL, PRIMARY KEY (team_id, user_id)
);
CREATE TABLE IF NOT EXISTS access_tokens (
    token TEXT PRIMARY KEY, owner_type TEXT NOT NULL, owner_id INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS access_tokens_owner ON access_tokens(owner_type, owner_id);
CREATE TABLE IF NOT EXISTS permissibles (
    app_id INTEGER NOT NULL, ptype TEXT NOT NULL, pid INTEGER NOT NULL, PRIMARY KEY (app_id, ptype, pid)
);
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, target_id INTEGER NOT NULL, run_at REAL NOT NULL
);
"""


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


class Store:
    def __init__(self, state_dir: str | Path):
        self.state_dir = Path(state_dir)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.path = self.state_dir / DB_FILE
        self.lock = threading.RLock()
        # The database holds every access token and inbox secret: owner-only, like tokens.json.
        # SQLite gives its -wal/-shm files the database file's mode; older state dirs are fixed too.
        os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        self.db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        for f in self.state_dir.glob(DB_FILE + "*"):
            os.chmod(f, 0o600)
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=OFF")
        self._create_schema()

    def _create_schema(self) -> None:
        with self.lock:
            for kind in DOC_KINDS:
                self.db.execute(
                    f"CREATE TABLE IF NOT EXISTS {kind} (id INTEGER PRIMARY KEY AUTOINCREMENT,"
                    " account_id INTEGER, parent_id INTEGER, data TEXT NOT NULL)"
                )
                self.db.execute(f"CREATE INDEX IF NOT EXISTS {kind}_account ON {kind}(account_id)")
            self.db.execute("CREATE INDEX IF NOT EXISTS categories_parent ON categories(parent_id)")
            self.db.execute("CREATE INDEX IF NOT EXISTS articles_parent ON articles(parent_id)")
            # docs/chatwoot-behaviour.md#duplicates-and-missing-objects: portal slug / custom_domain unique installation-wide -> index the JSON fields
            self.db.execute("CREATE INDEX IF NOT EXISTS portals_slug ON portals(json_extract(data,'$.slug'))")
            self.db.execute("CREATE INDEX IF NOT EXISTS users_email ON users(json_extract(data,'$.email'))")
            self.db.executescript(SCHEMA)
            # enterprise column (custom roles); added this way so state dirs from before it keep working
            cols = [r["name"] for r in self.db.execute("PRAGMA table_info(account_users)")]
            if "custom_role_id" not in cols:
                self.db.execute("ALTER TABLE account_users ADD COLUMN custom_role_id INTEGER")

    def close(self) -> None:
        with self.lock:
            self.db.close()

    def wipe(self) -> None:
        """Drop all rows (used by ``POST /__emulator__/reset``)."""
        with self.lock:
            self.db.execute("BEGIN")
            for kind in DOC_KINDS:
                self.db.execute(f"DELETE FROM {kind}")
            for t in ("account_users", "inbox_members", "team_members", "access_tokens", "permissibles", "jobs"):
                self.db.execute(f"DELETE FROM {t}")
            self.db.execute("DELETE FROM sqlite_sequence")
            self.db.execute("DROP TABLE IF EXISTS counters")
            self.db.execute("COMMIT")

    # ---------------------------------------------------------------- generic documents
    def insert(self, kind: str, data: dict, account_id: int | None = None, parent_id: int | None = None) -> dict:
        with self.lock:
            cur = self.db.execute(
                f"INSERT INTO {kind}(account_id, parent_id, data) VALUES (?,?,?)", (account_id, parent_id, "{}")
            )
            obj = dict(data, id=cur.lastrowid)
            self.db.execute(f"UPDATE {kind} SET data=? WHERE id=?", (json.dumps(obj), obj["id"]))
            return obj

    def insert_many(self, kind: str, rows: Iterable[tuple[int | None, dict]]) -> int:
        """Bulk insert (account_id, data) pairs in one transaction; used by the performance test."""
        n = 0
        with self.lock:
            self.db.execute("BEGIN")
            for account_id, data in rows:
                cur = self.db.execute(f"INSERT INTO {kind}(account_id, data) VALUES (?, '{{}}')", (account_id,))
                self.db.execute(
                    f"UPDATE {kind} SET data=? WHERE id=?", (json.dumps(dict(data, id=cur.lastrowid)), cur.lastrowid)
                )
                n += 1
            self.db.execute("COMMIT")
        return n

    def get(self, kind: str, obj_id: Any, account_id: int | None = None) -> dict | None:
        try:
            obj_id = int(obj_id)
        except (TypeError, ValueError):
            return None
        with self.lock:
            if account_id is None:
                row = self.db.execute(f"SELECT data FROM {kind} WHERE id=?", (obj_id,)).fetchone()
            else:
                row = self.db.execute(
                    f"SELECT data FROM {kind} WHERE id=? AND account_id=?", (obj_id, account_id)
                ).fetchone()
        return json.loads(row["data"]) if row else None

    def put(self, kind: str, obj: dict) -> dict:
        with self.lock:
            self.db.execute(f"UPDATE {kind} SET data=? WHERE id=?", (json.dumps(obj), obj["id"]))
        return obj

    def delete(self, kind: str, obj_id: int) -> None:
        with self.lock:
            self.db.execute(f"DELETE FROM {kind} WHERE id=?", (obj_id,))

    def list(self, kind: str, account_id: int | None = None, parent_id: int | None = None) -> list[dict]:
        sql, args = f"SELECT data FROM {kind}", []
        if account_id is not None:
            sql, args = sql + " WHERE account_id=?", [account_id]
        if parent_id is not None:
            sql += (" AND" if args else " WHERE") + " parent_id=?"
            args.append(parent_id)
        with self.lock:
            return [json.loads(r["data"]) for r in self.db.execute(sql + " ORDER BY id", args)]

    def find_by(self, kind: str, field: str, value: Any, account_id: int | None = None) -> dict | None:
        sql = f"SELECT data FROM {kind} WHERE json_extract(data, '$.{field}') = ?"
        args: list = [value]
        if account_id is not None:
            sql += " AND account_id=?"
            args.append(account_id)
        with self.lock:
            row = self.db.execute(sql + " ORDER BY id LIMIT 1", args).fetchone()
        return json.loads(row["data"]) if row else None

    # ---------------------------------------------------------------- list queries (one SELECT each)
    def list_inboxes(self, account_id: int) -> list[tuple[dict, dict | None]]:
        """docs/chatwoot-behaviour.md#inboxes inbox index ordered by lower(name); the linked portal comes from a LEFT JOIN."""
        sql = (
            "SELECT i.data AS i, p.data AS p FROM inboxes i "
            "LEFT JOIN portals p ON p.id = json_extract(i.data, '$.portal_id') "
            "WHERE i.account_id=? ORDER BY lower(json_extract(i.data, '$.name')), i.id"
        )
        with self.lock:
            rows = self.db.execute(sql, (account_id,)).fetchall()
        return [(json.loads(r["i"]), json.loads(r["p"]) if r["p"] else None) for r in rows]

    def list_teams(self, account_id: int, caller_id: int) -> list[tuple[dict, bool]]:
        sql = (
            "SELECT t.data AS t, EXISTS(SELECT 1 FROM team_members m WHERE m.team_id=t.id AND m.user_id=?) AS mine "
            "FROM teams t WHERE t.account_id=? ORDER BY t.id"
        )
        with self.lock:
            rows = self.db.execute(sql, (caller_id, account_id)).fetchall()
        return [(json.loads(r["t"]), bool(r["mine"])) for r in rows]

    def list_portals(self, account_id: int) -> list[tuple[dict, list, list]]:
        """Portals with the locales of their categories and articles (for config counts)."""
        sql = (
            "SELECT p.data AS p,"
            " (SELECT json_group_array(json_extract(c.data,'$.locale')) FROM categories c WHERE c.parent_id=p.id) AS cl,"
            " (SELECT json_group_array(json_extract(a.data,'$.locale')) FROM articles a WHERE a.parent_id=p.id) AS al "
            "FROM portals p WHERE p.account_id=? ORDER BY p.id"
        )
        with self.lock:
            rows = self.db.execute(sql, (account_id,)).fetchall()
        return [(json.loads(r["p"]), json.loads(r["cl"]), json.loads(r["al"])) for r in rows]

    def child_locales(self, portal_id: int) -> tuple[list, list]:
        with self.lock:
            cl = [r[0] for r in self.db.execute(
                "SELECT json_extract(data,'$.locale') FROM categories WHERE parent_id=?", (portal_id,))]
            al = [r[0] for r in self.db.execute(
                "SELECT json_extract(data,'$.locale') FROM articles WHERE parent_id=?", (portal_id,))]
        return cl, al

    def article_statuses(self, portal_id: int) -> list[tuple[str, int]]:
        """(status, author_id) of every article of a portal."""
        with self.lock:
            return [(r[0], r[1]) for r in self.db.execute(
                "SELECT json_extract(data,'$.status'), json_extract(data,'$.author_id') FROM articles "
                "WHERE parent_id=?", (portal_id,))]

    def list_agents(self, account_id: int, user_ids: Iterable[int] | None = None, member_table: str | None = None,
                    member_key: int | None = None) -> list[tuple[dict, dict]]:
        """Account users joined with users, ordered by lower(name) (docs/chatwoot-behaviour.md#agents).

        With ``member_table``/``member_key`` only members of that inbox/team are returned (docs/chatwoot-behaviour.md#inbox-members/#team-members).
        """
        sql = (
            "SELECT u.data AS u, au.id AS au_id, au.account_id, au.user_id, au.role, au.availability,"
            " au.auto_offline, au.inviter_id, au.created_at, au.updated_at, au.active_at, au.custom_role_id "
            "FROM account_users au JOIN users u ON u.id = au.user_id WHERE au.account_id=?"
        )
        args: list = [account_id]
        if member_table:
            col = "inbox_id" if member_table == "inbox_members" else "team_id"
            sql += f" AND au.user_id IN (SELECT user_id FROM {member_table} WHERE {col}=?)"
            args.append(member_key)
        if user_ids is not None:
            ids = list(user_ids)
            sql += f" AND au.user_id IN ({','.join('?' * len(ids)) or 'NULL'})"
            args.extend(ids)
        sql += " ORDER BY lower(json_extract(u.data,'$.name')), u.id"
        with self.lock:
            rows = self.db.execute(sql, args).fetchall()
        return [(json.loads(r["u"]), self._au_row(r)) for r in rows]

    # ---------------------------------------------------------------- account users
    @staticmethod
    def _au_row(r: sqlite3.Row) -> dict:
        keys = r.keys()
        return {
            "id": r["au_id"] if "au_id" in keys else r["id"],
            "account_id": r["account_id"], "user_id": r["user_id"], "role": r["role"],
            "inviter_id": r["inviter_id"], "created_at": r["created_at"], "updated_at": r["updated_at"],
            "active_at": r["active_at"], "availability": r["availability"],
            "auto_offline": bool(r["auto_offline"]),
            "custom_role_id": r["custom_role_id"] if "custom_role_id" in keys else None,
            "agent_capacity_policy_id": None,
        }

    def account_user(self, account_id: int, user_id: int) -> dict | None:
        with self.lock:
            r = self.db.execute(
                "SELECT * FROM account_users WHERE account_id=? AND user_id=?", (account_id, user_id)
            ).fetchone()
        return self._au_row(r) if r else None

    def account_users(self, account_id: int | None = None, user_id: int | None = None) -> list[dict]:
        sql, args = "SELECT * FROM account_users WHERE 1=1", []
        if account_id is not None:
            sql, args = sql + " AND account_id=?", args + [account_id]
        if user_id is not None:
            sql, args = sql + " AND user_id=?", args + [user_id]
        with self.lock:
            return [self._au_row(r) for r in self.db.execute(sql + " ORDER BY id", args)]

    def upsert_account_user(self, account_id: int, user_id: int, role: str, availability: str | None = None,
                            auto_offline: bool | None = None, inviter_id: int | None = None) -> dict:
        ts = now_iso()
        with self.lock:
            existing = self.account_user(account_id, user_id)
            if existing:
                self.db.execute(
                    "UPDATE account_users SET role=?, availability=coalesce(?, availability),"
                    " auto_offline=coalesce(?, auto_offline), updated_at=? WHERE account_id=? AND user_id=?",
                    (role, availability, None if auto_offline is None else int(auto_offline), ts, account_id, user_id),
                )
            else:
                self.db.execute(
                    "INSERT INTO account_users(account_id,user_id,role,availability,auto_offline,inviter_id,"
                    "created_at,updated_at,active_at) VALUES (?,?,?,?,?,?,?,?,?)",
                    (account_id, user_id, role, availability or "online", int(True if auto_offline is None else auto_offline),
                     inviter_id,
                     ts, ts, None),
                )
            return self.account_user(account_id, user_id)  # type: ignore[return-value]

    def set_custom_role(self, account_id: int, user_id: int, role_id: int | None) -> None:
        with self.lock:
            self.db.execute("UPDATE account_users SET custom_role_id=? WHERE account_id=? AND user_id=?",
                            (role_id, account_id, user_id))

    def clear_custom_role(self, account_id: int, role_id: int) -> None:
        """A deleted custom role: its account users fall back to their plain role (nullify)."""
        with self.lock:
            self.db.execute("UPDATE account_users SET custom_role_id=NULL WHERE account_id=? AND custom_role_id=?",
                            (account_id, role_id))

    def delete_account_user(self, account_id: int, user_id: int) -> None:
        """Removes the membership plus the user's inbox/team memberships in that account."""
        with self.lock:
            self.db.execute("BEGIN")
            self.db.execute("DELETE FROM account_users WHERE account_id=? AND user_id=?", (account_id, user_id))
            self.db.execute(
                "DELETE FROM inbox_members WHERE user_id=? AND inbox_id IN (SELECT id FROM inboxes WHERE account_id=?)",
                (user_id, account_id))
            self.db.execute(
                "DELETE FROM team_members WHERE user_id=? AND team_id IN (SELECT id FROM teams WHERE account_id=?)",
                (user_id, account_id))
            self.db.execute("COMMIT")

    # ---------------------------------------------------------------- memberships (inbox / team)
    def members(self, table: str, key: int) -> list[int]:
        col = "inbox_id" if table == "inbox_members" else "team_id"
        with self.lock:
            return [r[0] for r in self.db.execute(f"SELECT user_id FROM {table} WHERE {col}=? ORDER BY user_id", (key,))]

    def add_members(self, table: str, key: int, user_ids: Iterable[int]) -> None:
        col = "inbox_id" if table == "inbox_members" else "team_id"
        with self.lock:
            self.db.executemany(f"INSERT OR IGNORE INTO {table}({col}, user_id) VALUES (?,?)",
                                [(key, u) for u in user_ids])

    def remove_members(self, table: str, key: int, user_ids: Iterable[int] | None = None) -> None:
        col = "inbox_id" if table == "inbox_members" else "team_id"
        with self.lock:
            if user_ids is None:
                self.db.execute(f"DELETE FROM {table} WHERE {col}=?", (key,))
            else:
                self.db.executemany(f"DELETE FROM {table} WHERE {col}=? AND user_id=?", [(key, u) for u in user_ids])

    def inboxes_of_user(self, user_id: int) -> list[int]:
        with self.lock:
            return [r[0] for r in self.db.execute("SELECT inbox_id FROM inbox_members WHERE user_id=?", (user_id,))]

    def next_channel_id(self) -> int:
        """Channel ids: one sequence shared by all channel types (kept in sqlite_sequence-like counter)."""
        with self.lock:
            self.db.execute("CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)")
            self.db.execute("INSERT INTO counters(name, value) VALUES ('channel', 1)"
                            " ON CONFLICT(name) DO UPDATE SET value = value + 1")
            return self.db.execute("SELECT value FROM counters WHERE name='channel'").fetchone()[0]

    # ---------------------------------------------------------------- tokens, permissibles
    def add_token(self, token: str, owner_type: str, owner_id: int) -> None:
        with self.lock:
            self.db.execute("INSERT INTO access_tokens(token, owner_type, owner_id) VALUES (?,?,?)",
                            (token, owner_type, owner_id))

    def token_owner(self, token: str) -> tuple[str, int] | None:
        with self.lock:
            r = self.db.execute("SELECT owner_type, owner_id FROM access_tokens WHERE token=?", (token,)).fetchone()
        return (r["owner_type"], r["owner_id"]) if r else None

    def token_of(self, owner_type: str, owner_id: int) -> str | None:
        with self.lock:
            r = self.db.execute("SELECT token FROM access_tokens WHERE owner_type=? AND owner_id=?",
                                (owner_type, owner_id)).fetchone()
        return r["token"] if r else None

    def add_permissible(self, app_id: int, ptype: str, pid: int) -> None:
        with self.lock:
            self.db.execute("INSERT OR IGNORE INTO permissibles(app_id, ptype, pid) VALUES (?,?,?)", (app_id, ptype, pid))

    def is_permissible(self, app_id: int, ptype: str, pid: int) -> bool:
        with self.lock:
            return self.db.execute("SELECT 1 FROM permissibles WHERE app_id=? AND ptype=? AND pid=?",
                                   (app_id, ptype, pid)).fetchone() is not None

    def permissible_ids(self, app_id: int, ptype: str) -> list[int]:
        with self.lock:
            return [r[0] for r in self.db.execute(
                "SELECT pid FROM permissibles WHERE app_id=? AND ptype=? ORDER BY pid", (app_id, ptype))]

    # ---------------------------------------------------------------- async jobs (docs/chatwoot-behaviour.md#asynchronous-deletion)
    def enqueue(self, kind: str, target_id: int, delay: float) -> None:
        with self.lock:
            self.db.execute("INSERT INTO jobs(kind, target_id, run_at) VALUES (?,?,?)", (kind, target_id, time.time() + delay))

    def due_jobs(self, all_jobs: bool = False) -> list[dict]:
        with self.lock:
            if all_jobs:
                rows = self.db.execute("SELECT * FROM jobs ORDER BY id").fetchall()
            else:
                rows = self.db.execute("SELECT * FROM jobs WHERE run_at <= ? ORDER BY id", (time.time(),)).fetchall()
        return [dict(r) for r in rows]

    def finish_job(self, job_id: int) -> None:
        with self.lock:
            self.db.execute("DELETE FROM jobs WHERE id=?", (job_id,))

    # ---------------------------------------------------------------- cascades
    def destroy_inbox(self, inbox_id: int) -> None:
        with self.lock:
            self.db.execute("BEGIN")
            self.db.execute("DELETE FROM inboxes WHERE id=?", (inbox_id,))
            self.db.execute("DELETE FROM inbox_members WHERE inbox_id=?", (inbox_id,))
            self.db.execute("COMMIT")

    def destroy_team(self, team_id: int) -> None:
        with self.lock:
            self.db.execute("BEGIN")
            self.db.execute("DELETE FROM teams WHERE id=?", (team_id,))
            self.db.execute("DELETE FROM team_members WHERE team_id=?", (team_id,))
            self.db.execute("COMMIT")

    def destroy_portal(self, portal_id: int) -> None:
        """docs/chatwoot-behaviour.md#portals: row deleted synchronously, children removed, inboxes' portal_id nulled."""
        with self.lock:
            self.db.execute("BEGIN")
            self.db.execute("DELETE FROM portals WHERE id=?", (portal_id,))
            self.db.execute("DELETE FROM categories WHERE parent_id=?", (portal_id,))
            self.db.execute("DELETE FROM articles WHERE parent_id=?", (portal_id,))
            self.db.execute(
                "UPDATE inboxes SET data=json_set(data, '$.portal_id', json('null'))"
                " WHERE json_extract(data, '$.portal_id') = ?", (portal_id,))
            self.db.execute("COMMIT")

    def destroy_account(self, account_id: int) -> None:
        with self.lock:
            self.db.execute("BEGIN")
            for t in ("inboxes", "teams", "portals", "categories", "articles"):
                if t == "inboxes":
                    self.db.execute("DELETE FROM inbox_members WHERE inbox_id IN (SELECT id FROM inboxes WHERE account_id=?)", (account_id,))
                if t == "teams":
                    self.db.execute("DELETE FROM team_members WHERE team_id IN (SELECT id FROM teams WHERE account_id=?)", (account_id,))
                self.db.execute(f"DELETE FROM {t} WHERE account_id=?", (account_id,))
            self.db.execute("DELETE FROM account_users WHERE account_id=?", (account_id,))
            self.db.execute("DELETE FROM permissibles WHERE ptype='Account' AND pid=?", (account_id,))
            self.db.execute("DELETE FROM accounts WHERE id=?", (account_id,))
            self.db.execute("COMMIT")

    def destroy_user(self, user_id: int) -> None:
        with self.lock:
            self.db.execute("BEGIN")
            self.db.execute("DELETE FROM users WHERE id=?", (user_id,))
            self.db.execute("DELETE FROM account_users WHERE user_id=?", (user_id,))
            self.db.execute("DELETE FROM inbox_members WHERE user_id=?", (user_id,))
            self.db.execute("DELETE FROM team_members WHERE user_id=?", (user_id,))
            self.db.execute("DELETE FROM access_tokens WHERE owner_type='User' AND owner_id=?", (user_id,))
            self.db.execute("DELETE FROM permissibles WHERE ptype='User' AND pid=?", (user_id,))
            self.db.execute("COMMIT")
