"""Fixtures: the e2e deployment with the Pulumi state in PostgreSQL (see pg_support.py)."""

from __future__ import annotations

import re
import shutil
import socket
import tempfile
import uuid
from pathlib import Path

import pytest

from pg_support import Postgres, StateTable, make_deployment, start_postgres


@pytest.fixture(scope="session")
def pg() -> Postgres:
    """The shared server of scripts/postgres.sh (never stopped by tests: see `private_pg`)."""
    return start_postgres()


@pytest.fixture
def private_pg():
    """A server of its own (own data dir and port) for tests that stop and restart PostgreSQL."""
    root = Path(tempfile.mkdtemp(prefix="cwtpg-", dir="/tmp"))  # short: the socket path is limited
    root.chmod(0o755)  # the server runs as `postgres` when we are root
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = start_postgres({"CWT_PG_DIR": str(root / "pg"), "CWT_PG_PORT": str(port)})
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def state_table(pg, request) -> StateTable:
    base = re.sub(r"[^a-z0-9]+", "_", request.node.name.lower())[:30]
    table = StateTable(pg, f"st_{base}_{uuid.uuid4().hex[:8]}")
    yield table
    if pg.running():
        pg.sql(f"DROP TABLE IF EXISTS {table.name}")


@pytest.fixture
def pg_env(state_table) -> dict:
    return {"PULUMI_BACKEND_URL": state_table.url}


@pytest.fixture
def deployment(tmp_path, emulator, pg_env):
    """The sample providers, not yet applied; state in PostgreSQL."""
    return make_deployment(tmp_path, emulator, samples=True, extra_env=pg_env)


@pytest.fixture
def empty_deployment(tmp_path, emulator, pg_env):
    return make_deployment(tmp_path, emulator, samples=False, extra_env=pg_env)


