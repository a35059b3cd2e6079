"""Durable state, bootstrap, tokens.json, CLI, reset, loopback binding and list performance.

ARCHITECTURE.md "Emulator contract"; docs/chatwoot-behaviour.md sections as cited per test.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import time

import httpx
import pytest

from chatwoot_emulator.routes.inboxes import build_inbox_doc
from chatwoot_emulator.store import Store
from chatwoot_emulator.testing import EmulatorProcess
from cw_emu_helpers import A1, new_agent, new_inbox

P = "/platform/api/v1"


def test_database_files_are_owner_only(emu):
    """The SQLite files hold every access token and inbox secret: mode 0600 like tokens.json."""
    files = sorted(emu.state_dir.glob("chatwoot.sqlite3*"))
    assert files and files[0].name == "chatwoot.sqlite3"
    assert {f.name: stat.S_IMODE(os.stat(f).st_mode) for f in files} == {f.name: 0o600 for f in files}


def test_tokens_file(emu):
    """docs/chatwoot-behaviour.md#profile/ARCHITECTURE: tokens.json mode 0600 with url, account_id, admin/agent/platform tokens, admin_email."""
    path = emu.state_dir / "tokens.json"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    t = json.loads(path.read_text())
    assert {"url", "account_id", "admin_token", "agent_token", "platform_token", "admin_email"} <= set(t)
    assert t["url"] == emu.url and t["account_id"] == 1


def test_bootstrap_objects(admin, platform):
    """docs/chatwoot-behaviour.md#platform-apps: account 1 "Marketplace", an administrator and an agent, platform app permissible on all three."""
    assert platform.get(f"{P}/accounts/1").json()["name"] == "Marketplace"
    roles = sorted(a["role"] for a in admin.get(f"{A1}/agents").json()[:2])
    assert roles == ["administrator", "agent"]
    assert platform.get(f"{P}/users/1").status_code == 200
    assert platform.get(f"{P}/users/2").status_code == 200


def test_restart_keeps_every_object(emu, admin, platform):
    """Durability: after a restart every object (inbox, team, members, portal, agent, account, user) is back."""
    inbox = new_inbox(admin, "Durable")
    team = admin.post(f"{A1}/teams", json={"name": "durable team"}).json()
    a = new_agent(admin, "durable@example.com")
    admin.post(f"{A1}/teams/{team['id']}/team_members", json={"user_ids": [a["id"]]})
    admin.post(f"{A1}/inbox_members", json={"inbox_id": inbox["id"], "user_ids": [a["id"]]})
    admin.post(f"{A1}/portals", json={"name": "Durable", "slug": "durable", "config": {"allowed_locales": ["en", "de"]}})
    acc = platform.post(f"{P}/accounts", json={"name": "Durable Co"}).json()
    admin.delete(f"{A1}/inboxes/{new_inbox(admin, 'pending delete')['id']}")

    def snapshot():
        return {
            "inboxes": admin.get(f"{A1}/inboxes").json(),
            "teams": admin.get(f"{A1}/teams").json(),
            "team_members": admin.get(f"{A1}/teams/{team['id']}/team_members").json(),
            "inbox_members": admin.get(f"{A1}/inbox_members/{inbox['id']}").json(),
            "portals": admin.get(f"{A1}/portals").json(),
            "agents": admin.get(f"{A1}/agents").json(),
            "accounts": platform.get(f"{P}/accounts").json(),
        }

    before = snapshot()
    tokens = emu.tokens
    emu.stop()
    emu.start()
    assert emu.tokens == tokens
    assert snapshot() == before
    assert platform.get(f"{P}/accounts/{acc['id']}").status_code == 200
    # pending async jobs survive a restart as well
    assert emu.control("POST", "jobs/run")["ran"] == 1


def test_wal_mode(emu):
    """Durability: SQLite runs in WAL mode."""
    import sqlite3
    db = sqlite3.connect(emu.state_dir / "chatwoot.sqlite3")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()


def test_tokens_never_logged_or_printed(emu, admin):
    """ARCHITECTURE: tokens are never printed; log lines never contain tokens."""
    admin.get(f"{A1}/inboxes")
    log = emu.log_path.read_text()
    for key in ("admin_token", "agent_token", "platform_token"):
        assert emu.tokens[key] not in log


def test_binds_loopback_only(emu):
    """Server binds 127.0.0.1 by default: a non-loopback address of this host is refused."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("10.255.255.255", 1))
            ip = s.getsockname()[0]
    except OSError:
        pytest.skip("no non-loopback address")
    if ip.startswith("127."):
        pytest.skip("no non-loopback address")
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://{ip}:{emu.port}/api", timeout=2)


def test_control_reset_keeps_tokens(tmp_path):
    """Control plane POST reset: wipes state, bootstraps again with the same tokens."""
    with EmulatorProcess(tmp_path / "r") as e:
        c = httpx.Client(base_url=e.url, headers={"api_access_token": e.tokens["admin_token"]})
        c.post(f"{A1}/teams", json={"name": "wiped"})
        assert e.control("POST", "reset") == {"ok": True}
        assert c.get(f"{A1}/teams").json() == []
        assert c.get("/api/v1/profile").status_code == 200
        c.close()


def test_reset_subcommand(tmp_path):
    """CLI: `reset --state-dir` deletes the database and tokens.json; next start bootstraps fresh tokens."""
    d = tmp_path / "sub"
    with EmulatorProcess(d) as e:
        old = e.tokens["admin_token"]
    out = subprocess.run([sys.executable, "-m", "chatwoot_emulator", "reset", "--state-dir", str(d)],
                         capture_output=True, text=True, check=True)
    assert "reset" in out.stdout and old not in out.stdout
    assert not (d / "tokens.json").exists() and not (d / "chatwoot.sqlite3").exists()
    with EmulatorProcess(d) as e:
        assert e.tokens["admin_token"] != old


def test_cli_help():
    """CLI: --help and serve --help are readable and list the contract flags."""
    out = subprocess.run([sys.executable, "-m", "chatwoot_emulator", "serve", "--help"],
                         capture_output=True, text=True, check=True).stdout
    for flag in ("--port", "--state-dir", "--latency-ms", "--rate-limit", "--fault-seed", "--delete-delay",
                 "--unknown-portal-status"):
        assert flag in out
    out = subprocess.run([sys.executable, "-m", "chatwoot_emulator", "--help"],
                         capture_output=True, text=True, check=True).stdout
    assert "serve" in out and "reset" in out


def test_list_3000_inboxes_via_storage(emu, admin):
    """docs/chatwoot-behaviour.md#inboxes list is not paginated: 3000 inboxes inserted through the storage layer list in one call."""
    store = Store(emu.state_dir)  # a second connection to the same WAL database
    t0 = time.perf_counter()
    docs = [(1, build_inbox_doc(store, 1, {"name": f"bulk {i:04d}"}, {"type": "api"})) for i in range(3000)]
    store.insert_many("inboxes", docs)
    store.close()
    t1 = time.perf_counter()
    r = admin.get(f"{A1}/inboxes", timeout=60)
    t2 = time.perf_counter()
    assert r.status_code == 200
    assert sum(1 for i in r.json()["payload"] if i["name"].startswith("bulk ")) == 3000
    print(f"\ninsert 3000 inboxes: {t1 - t0:.2f}s; GET /inboxes with {len(r.json()['payload'])}: {t2 - t1:.2f}s")
