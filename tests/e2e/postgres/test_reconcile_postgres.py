"""The reconciler e2e suite with the Pulumi state in PostgreSQL.

The parent suite (tests/e2e/test_reconcile.py) is imported as is: its tests take the
`deployment` fixture, which this folder's conftest binds to a PostgreSQL backend, so every one of
them runs a second time against the database (~70 s). The test below adds what only makes sense
here: the state really is in the table, the file backend is not used, no password is shown.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import test_reconcile as _file_suite  # noqa: E402
from e2e_support import OWNERSHIP_CHECK

pytestmark = pytest.mark.e2e

# The parent suite, re-collected here with the PostgreSQL `deployment` fixture.
for _name in dir(_file_suite):
    if _name.startswith("test_"):
        globals()[f"{_name}__postgres"] = getattr(_file_suite, _name)
del _name


def test_state_lives_in_postgres(deployment, state_table, pg):
    # `stack init` (in the fixture) made the table and the stack's empty checkpoint
    assert state_table.keys() == [".pulumi/meta.yaml", ".pulumi/stacks/cwtenants/e2e.json",
                                  ".pulumi/stacks/cwtenants/e2e.json.bak"]
    summary = deployment.up()
    created = summary["resourceChanges"]
    assert list(created) == ["create"] and created["create"] >= 13, created  # 3 providers × (component + inbox + team + portal …) + stack

    keys = state_table.keys()
    assert ".pulumi/stacks/cwtenants/e2e.json" in keys, keys
    assert state_table.locks() == []  # released after the run
    # the file backend the base fixture prepared stays empty: nothing went to disk
    assert not any(deployment.backend.rglob("*.json")), list(deployment.backend.rglob("*"))

    # The stored checkpoint is the state: same resources and Chatwoot ids as `pulumi stack export`.
    stored = state_table.checkpoint()
    exported = deployment.export()
    ids = lambda dep: sorted((r["urn"], r.get("id")) for r in dep["resources"])  # noqa: E731
    assert ids(stored["checkpoint"]["latest"]) == ids(exported["deployment"])
    inbox_ids = {i["id"] for i in deployment.api("GET", "/inboxes").json()["payload"]}
    stored_inbox_ids = {int(r["id"]) for r in stored["checkpoint"]["latest"]["resources"]
                        if r["type"].endswith("Inbox") or r["urn"].endswith("-inbox")}
    assert stored_inbox_ids == inbox_ids

    deployment.reset_stats()
    assert deployment.up()["resourceChanges"] == {"same": created["create"]}
    assert deployment.stats()["by_route"] == OWNERSHIP_CHECK
    deployment.run("preview", "--expect-no-changes")
    assert deployment.writes() == 0
    # history and backups also went to the database
    assert state_table.keys(".pulumi/history/cwtenants/e2e/"), state_table.keys()

    # The URL carries `passfile=`, not a password: nothing pulumi prints shows one.
    password = Path(pg.url.split("passfile=")[1].split("&")[0]).read_text().strip().split(":")[-1]
    who = subprocess.run(["pulumi", "whoami", "--verbose", "--non-interactive"], cwd=deployment.cwd,
                         env=deployment.env(), capture_output=True, text=True, check=True)
    assert "postgres://cwtenants@127.0.0.1" in who.stdout
    assert len(password) >= 24
    for text in (who.stdout, who.stderr, state_table.url):
        assert password not in text
