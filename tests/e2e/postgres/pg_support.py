"""Helpers for the PostgreSQL-backend e2e tests (fixtures are in conftest.py next to this file).

`scripts/postgres.sh` starts (once per session, idempotently) this checkout's private PostgreSQL
server on 127.0.0.1 (data directory and port derived from the checkout). Every test gets its own state *table* in that database (the DIY backend's
`table=` URL parameter), so tests never see each other's stacks or locks, and a test can read
exactly its own rows with SQL. Tests that stop the server get one of their own (`private_pg`).

`make_deployment` is the e2e harness's (tests/e2e_support.py); the
`PULUMI_BACKEND_URL` passed in `extra_env` overrides the `file://` one `Pulumi.env()` sets,
because `extra_env` is applied last.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass

from e2e_support import make_deployment  # noqa: F401  (re-exported for the postgres tests)
from pulumi_cli import ROOT

SCRIPT = ROOT / "scripts" / "postgres.sh"





@dataclass
class Postgres:
    url: str  # postgres://… with passfile=, without table=
    env: dict | None = None  # CWT_PG_DIR / CWT_PG_PORT for a private cluster

    def _env(self) -> dict:
        return {**os.environ, **(self.env or {})}

    def script(self, *args: str) -> str:
        proc = subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True, timeout=180,
                              env=self._env())
        assert proc.returncode == 0, f"postgres.sh {' '.join(args)}: {proc.stderr}"
        return proc.stdout

    def stop(self) -> None:
        self.script("stop")

    def start(self) -> None:
        self.script("start")

    def restart(self) -> None:
        self.script("restart")

    def running(self) -> bool:
        return subprocess.run(["bash", str(SCRIPT), "status"], capture_output=True, env=self._env()).returncode == 0

    def sql(self, query: str) -> list[list[str]]:
        """Rows of a query as the state role (psql, tab-separated)."""
        proc = subprocess.run(
            ["bash", str(SCRIPT), "psql", "-qAt", "-F", "\t", "-c", query],
            capture_output=True, text=True, timeout=60, env=self._env(),
        )
        assert proc.returncode == 0, proc.stderr
        return [line.split("\t") for line in proc.stdout.splitlines() if line]


@dataclass
class StateTable:
    """One test's slice of the database: the table the backend URL names."""

    pg: Postgres
    name: str

    @property
    def url(self) -> str:
        return f"{self.pg.url}&table={self.name}"

    @property
    def root(self) -> str:
        """Keys start with the database name: the URL path is the bucket prefix."""
        return self.pg.url.split("?")[0].rsplit("/", 1)[1] + "/"

    def keys(self, prefix: str = "") -> list[str]:
        """Keys (without the database-name prefix) under `prefix`; [] if the table is not there yet."""
        if not self.pg.sql(f"SELECT 1 FROM pg_tables WHERE tablename = '{self.name}'"):
            return []
        rows = self.pg.sql(f"SELECT key FROM {self.name} WHERE key LIKE '{self.root}{prefix}%' ORDER BY key")
        return [r[0][len(self.root):] for r in rows]

    def locks(self) -> list[str]:
        return self.keys(".pulumi/locks/")

    def checkpoint(self, stack: str = "e2e", project: str = "cwtenants") -> dict:
        """The stack's checkpoint as stored: the backend keeps {"data": base64(bytes)} per key."""
        import base64

        key = f"{self.root}.pulumi/stacks/{project}/{stack}.json"
        rows = self.pg.sql(f"SELECT data FROM {self.name} WHERE key = '{key}'")
        assert rows, f"no checkpoint row for {project}/{stack} in {self.name}: {self.keys()}"
        return json.loads(base64.b64decode(json.loads(rows[0][0])["data"]))


def start_postgres(env: dict | None = None) -> Postgres:
    """`scripts/postgres.sh up` (idempotent); the URL it prints."""
    env_all = {**os.environ, **(env or {})}
    proc = subprocess.run(["bash", str(SCRIPT), "up"], capture_output=True, text=True, timeout=600, env=env_all)
    assert proc.returncode == 0, f"scripts/postgres.sh up failed:\n{proc.stderr[-3000:]}"
    url = proc.stdout.strip().splitlines()[-1]
    assert url.startswith("postgres://") and ":" not in url.split("@")[0][len("postgres://"):], \
        "the printed URL must not carry a password"
    return Postgres(url=url, env=env)


def pulumi_popen(d, *args: str) -> subprocess.Popen:
    """Start `pulumi <args>` for a Deployment in the background (own process group)."""
    cmd = ["pulumi", *args, "--non-interactive", "--stack", d.stack]
    return subprocess.Popen(cmd, cwd=d.cwd, env=d.env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)


def wait_until(predicate, timeout: float, what: str, interval: float = 0.1):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def kill_tree(proc: subprocess.Popen) -> None:
    """SIGKILL the CLI and everything it started (language host, dynamic-provider processes)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=30)


def chatwoot_inventory(d) -> dict:
    """Every object the reconciler manages, by natural key → id (duplicates would show as lists)."""
    inv: dict[str, list] = {}
    for i in d.api("GET", "/inboxes").json()["payload"]:
        inv.setdefault(f"inbox:{i['name']}", []).append(i["id"])
    for t in d.api("GET", "/teams").json():
        inv.setdefault(f"team:{t['name'].lower()}", []).append(t["id"])
    for p in d.api("GET", "/portals").json()["payload"]:
        inv.setdefault(f"portal:{p['slug']}", []).append(p["id"])
    return inv


def assert_no_duplicates(d) -> dict:
    inv = chatwoot_inventory(d)
    dupes = {k: v for k, v in inv.items() if len(v) != 1}
    assert not dupes, f"duplicate objects in Chatwoot: {dupes}"
    return inv
