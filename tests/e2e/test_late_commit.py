"""Late commit after a client timeout (issue 15): the server finishes a create after the client has
given up. The reconciler must not send it again in the same run (inbox names are not unique in
Chatwoot: a second POST would make a duplicate); the run fails for those objects saying a re-run
adopts, and the next runs adopt what the server committed. Every `up` ends by checking that each
provider owns exactly one inbox, team and portal, and fails loudly on a duplicate."""

import time

import pytest

pytestmark = pytest.mark.e2e

TIMEOUT = 2  # the client's read timeout (CWT_HTTP_TIMEOUT)
DELAY = 4  # the emulator commits that long after the request, when the client has gone


def _counts(d) -> dict:
    inboxes = [i["name"] for i in d.api("GET", "/inboxes").json()["payload"]]
    teams = [t["name"] for t in d.api("GET", "/teams").json()]
    portals = [p["slug"] for p in d.api("GET", "/portals").json()["payload"]]
    return {"inboxes": sorted(inboxes), "teams": sorted(teams), "portals": sorted(portals)}


def _settle(d, before: int) -> None:
    """Wait until the emulator has committed the late creates (a hang guard, not a speed check)."""
    deadline = time.monotonic() + 120
    time.sleep(DELAY + 1)
    while time.monotonic() < deadline and sum(map(len, _counts(d).values())) == before:
        time.sleep(0.5)


@pytest.fixture
def late(tmp_path, emulator):
    from e2e_support import make_deployment

    return make_deployment(tmp_path, emulator, samples=True, name="late",
                           extra_env={"CWT_HTTP_TIMEOUT": str(TIMEOUT)})


def test_creates_committed_after_the_client_gave_up_make_no_duplicates(late):
    d = late
    d.emulator.control("POST", "faults", json={"late_commit_rate": 1.0, "late_commit_delay": DELAY})
    outputs = []
    for _ in range(4):  # each run: creates time out and are not repeated; the next run adopts them
        proc = d.run("up", "--yes", "--continue-on-error", check=False)
        outputs.append(proc.stdout + proc.stderr)
        if proc.returncode == 0:
            break
        _settle(d, sum(map(len, _counts(d).values())))
    d.emulator.control("POST", "faults", json={"late_commit_rate": 0})
    _settle(d, -1)
    counts = _counts(d)
    assert counts == {
        "inboxes": ["Greenleaf Hosting Support", "Harbor VPS Support", "Nimbus Cloud Support"],
        "teams": ["greenleaf hosting team", "harbor vps team", "nimbus cloud team"],
        "portals": ["greenleaf-hosting-965a9ea1", "harbor-vps-help", "nimbus-cloud-d231b58d"],
    }  # zero duplicates
    stats = d.stats()["by_route"]
    assert stats.get("POST /api/v1/accounts/{account_id}/inboxes") == 3, stats  # each create sent once
    first = outputs[0]
    assert "outcome unknown" in first and "not sent again" in first and "it adopts" in first, first[-3000:]
    # the API error is its message, not the provider's Python traceback (the program's own report of
    # a dependency that failed to register is the language host's business)
    assert "dynamic/__main__.py" not in first and "resources/base.py" not in first, first[-3000:]
    assert proc.returncode == 0, outputs[-1][-3000:]
    d.reset_stats()
    d.up()
    assert d.writes() == 0


def test_an_up_fails_loudly_on_a_duplicate_inbox(deployment):
    deployment.up()
    # a second API inbox with a provider's name, made behind the stack's back
    made = deployment.api("POST", "/inboxes", json={"name": "Harbor VPS Support", "channel": {"type": "api"}})
    assert made.status_code == 200, made.text
    proc = deployment.run("up", "--yes", check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "provider harbor-vps: 2 inboxes 'Harbor VPS Support' exist in Chatwoot" in out, out[-3000:]
    assert str(made.json()["id"]) in out
    assert "Traceback" not in out


def test_a_500_on_a_create_is_one_line_saying_a_rerun_converges(deployment):
    """500s on writes: each failed object is one `error:` line (no Python traceback) that says a
    re-run converges — and it does."""
    deployment.emulator.control("POST", "faults", json={"error_rate": 0.5, "seed": 5})
    proc = deployment.run("up", "--yes", check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    posts = [line.strip() for line in out.splitlines() if line.strip().startswith("error: POST ") and "→ 500" in line]
    assert posts, out[-3000:]  # at half the requests failing, some create got a 500
    assert all("run `pulumi up` again: it converges" in line for line in posts), posts
    assert "Traceback" not in out and "dynamic/__main__.py" not in out, out[-3000:]
    deployment.emulator.control("POST", "faults", json={"error_rate": 0})
    deployment.up()  # the re-run converges
    deployment.reset_stats()
    deployment.up()
    assert deployment.writes() == 0
