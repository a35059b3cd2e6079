"""Scale: many providers in one stack, through the real pulumi CLI and the emulator (issue 9).

Not timed (the benchmark is ``bench/run.py``). What it proves:

* the program registers 5 dynamic resources per provider (+ one per agent) without the dill
  ``RecursionError`` of Pulumi's ``serialize_provider`` (it bites after a few hundred
  resources for providers holding state; ours are stateless classes pickled by reference);
* everything is created once (one inbox, team and portal per provider in Chatwoot);
* a ``pulumi preview --expect-no-changes`` right after is clean, and ``no-op up`` writes nothing;
* no 60-second window carried more requests than the client-side budget (emulator ``peak_60s``).

Size: 200 providers by default (~1,000 dynamic resources, so CI covers scale); 1000 providers
with ``CWT_SCALE_TEST=1`` (``scripts/scale-test.sh``), or any N with ``CWT_SCALE_N``.

Runs with ``PULUMI_SKIP_CHECKPOINTS=true``: the file backend otherwise rewrites the whole state
after every step, which makes a first ``up`` quadratic in the number of resources (see
docs/benchmarks.md). That is safe here because every create adopts an existing object by its
natural key, so a run that dies before writing state is repaired by the next run.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from chatwoot_emulator.testing import EmulatorProcess
from e2e_support import make_deployment
from cwtenants.catalog import scaffold_provider

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

FULL = os.environ.get("CWT_SCALE_TEST") == "1"
N = int(os.environ.get("CWT_SCALE_N") or (1000 if FULL else 200))
BUDGET = 2400
TIMEOUT = 3600


def write_catalog(folder: Path, n: int) -> int:
    """N providers (every 4th with one agent, every 4th offset 2 with two, from a shared pool);
    returns the number of distinct agents."""
    pool = max(2, n // 10)
    used = set()
    for i in range(n):
        doc = yaml.safe_load(scaffold_provider(f"Scale Provider {i:04d}"))
        agents = []
        for j in range({1: 1, 2: 2}.get(i % 4, 0)):
            a = (i + j) % pool
            used.add(a)
            # a pool shared by several providers on purpose: the catalog requires saying so
            agents.append({"email": f"scale-agent-{a:04d}@scale.example", "name": f"Scale Agent {a:04d}",
                           "shared": True})
        if agents:
            doc["agents"] = agents
        (folder / f"{doc['slug']}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    return len(used)


@pytest.fixture
def scale_emulator(tmp_path):
    with EmulatorProcess(tmp_path / "emulator", delete_delay=0.5, rate_limit=3000, log_level="warning") as emu:
        yield emu


def test_many_providers_up_then_clean_preview(tmp_path, scale_emulator):
    d = make_deployment(
        tmp_path, scale_emulator, samples=False, name="scale",
        extra_env={"PULUMI_SKIP_CHECKPOINTS": "true", "CWT_REQUESTS_PER_MINUTE": str(BUDGET)},
    )
    agents = write_catalog(d.providers, N)
    # plus the marketplace staff of the fixture's _defaults.yaml (an Agent each, listed or not)
    agents += len(yaml.safe_load((d.providers / "_defaults.yaml").read_text()).get("staff") or [])

    up = d.run("up", "--yes", "--skip-preview", timeout=TIMEOUT)
    output = up.stdout + up.stderr
    assert "RecursionError" not in output and "maximum recursion depth" not in output
    assert d.stats()["peak_60s"] <= BUDGET

    inboxes = d.api("GET", "/inboxes").json()["payload"]
    teams = d.api("GET", "/teams").json()
    portals = d.api("GET", "/portals").json()["payload"]
    assert len({i["name"] for i in inboxes}) == len(inboxes) == N
    assert len({t["name"] for t in teams}) == len(teams) == N
    assert len({p["slug"] for p in portals}) == len(portals) == N

    state = d.export()
    dynamic = [r for r in state["deployment"]["resources"] if r["type"].startswith("pulumi-python:dynamic")]
    assert len(dynamic) == 5 * N + agents

    d.reset_stats()
    preview = d.run("preview", "--expect-no-changes", timeout=TIMEOUT)
    assert "RecursionError" not in preview.stdout + preview.stderr
    d.run("up", "--yes", "--skip-preview", "--expect-no-changes", timeout=TIMEOUT)
    assert d.writes() == 0
