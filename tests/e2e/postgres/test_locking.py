"""Two runs on one stack at once, and a run killed while it holds the lock.

The DIY backends (file and PostgreSQL alike) lock a stack by writing a lock object
`.pulumi/locks/<org>/<project>/<stack>/<uuid>.json` before an update and deleting it at the end;
an update that finds another stack lock fails at once with "the stack is currently locked".
A run that dies without deleting its lock leaves it behind: `pulumi cancel --yes` deletes every
lock of the stack (that is all `cancel` does on a DIY backend), after which pending creates from
the dead run are cleared with `pulumi refresh --clear-pending-creates` and the next `up`
converges, adopting by natural key whatever the dead run had already created in Chatwoot.
"""

from __future__ import annotations

import time

import pytest

from pg_support import (assert_no_duplicates, kill_tree, make_deployment, pulumi_popen,
                      wait_until)

pytestmark = pytest.mark.e2e

LOCKED = "the stack is currently locked"


def _two_providers(d) -> None:
    d.write_provider("acme-hosting", {"name": "Acme Hosting"})
    d.write_provider("bolt-servers", {"name": "Bolt Servers", "group": "eu"})


@pytest.fixture(params=["postgres", "file"])
def small(request, tmp_path, emulator):
    """Two minimal providers (no agents), on the PostgreSQL or on the file backend."""
    env = request.getfixturevalue("pg_env") if request.param == "postgres" else {}
    d = make_deployment(tmp_path, emulator, samples=False, extra_env=env)
    _two_providers(d)
    d.backend_kind = request.param
    return d


def _lock_count(d, state_table=None) -> int:
    if state_table is not None:
        return len(state_table.locks())
    return len(list((d.backend / ".pulumi" / "locks").rglob("*.json")))


def test_second_concurrent_up_fails_fast_and_state_survives(small, request):
    d = small
    table = request.getfixturevalue("state_table") if d.backend_kind == "postgres" else None
    d.emulator.control("POST", "faults", json={"latency_ms": 1500})
    first = pulumi_popen(d, "up", "--yes", "--skip-preview")
    try:
        # the first run holds the lock once it talks to Chatwoot
        wait_until(lambda: d.stats()["total"] > 0, 60, "the first run to reach Chatwoot")
        assert _lock_count(d, table) == 1

        started = time.monotonic()
        second = d.run("up", "--yes", "--skip-preview", check=False, timeout=60)
        took = time.monotonic() - started
        assert second.returncode != 0
        out = second.stdout + second.stderr
        assert LOCKED in out, out[-3000:]
        assert "pulumi cancel" in out  # the message names the way out
        assert took < 20, f"the locked run should fail fast, took {took:.1f}s"
        assert first.poll() is None, "the first run must still be going (the test proves nothing otherwise)"

        out_first, _ = first.communicate(timeout=180)
        assert first.returncode == 0, out_first[-4000:]
    finally:
        if first.poll() is None:
            kill_tree(first)
    d.emulator.control("POST", "faults", json={"latency_ms": 0})

    assert _lock_count(d, table) == 0
    exported = d.export()  # valid JSON with the full state
    assert not exported["deployment"].get("pending_operations")
    d.reset_stats()
    summary = d.up()
    assert set(summary["resourceChanges"]) == {"same"}, summary
    assert d.writes() == 0
    inv = assert_no_duplicates(d)
    assert {"inbox:Acme Hosting Support", "inbox:Bolt Servers Support"} <= set(inv)


def test_run_killed_while_holding_the_lock_recovers(deployment, state_table):
    d = deployment
    for slug in ("greenleaf-hosting", "harbor-vps"):  # keep it small: no agents
        d.remove_provider(slug)
    _two_providers(d)
    d.emulator.control("POST", "faults", json={"latency_ms": 300})
    run = pulumi_popen(d, "up", "--yes", "--skip-preview")
    try:
        # kill it after it created something in Chatwoot, before it finished
        wait_until(lambda: d.stats()["by_method"].get("POST", 0) >= 2, 60, "the run to create objects")
    finally:
        kill_tree(run)  # SIGKILL: the CLI, its language host and provider processes
    d.emulator.control("POST", "faults", json={"latency_ms": 0})

    # The lock of the dead run is still there and blocks the next run.
    assert len(state_table.locks()) == 1
    blocked = d.run("up", "--yes", check=False, timeout=60)
    assert blocked.returncode != 0 and LOCKED in blocked.stdout + blocked.stderr

    # Recovery, step 1: `pulumi cancel` deletes the stack's locks on a DIY backend.
    d.run("cancel", "--yes", "--stack", d.stack)
    assert state_table.locks() == []

    # Step 2: creates the dead run had started are "pending" in the state; clear them.
    pending = d.export()["deployment"].get("pending_operations") or []
    if pending:
        d.run("refresh", "--yes", "--clear-pending-creates")
        assert not d.export()["deployment"].get("pending_operations")

    # Step 3: the next up converges; what the dead run created is adopted, not duplicated.
    d.up()
    inv = assert_no_duplicates(d)
    assert {"inbox:Acme Hosting Support", "inbox:Bolt Servers Support", "inbox:Nimbus Cloud Support"} <= set(inv)
    d.reset_stats()
    d.run("preview", "--refresh", "--expect-no-changes")
    assert d.writes() == 0
