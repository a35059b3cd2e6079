"""Stacks sharded by provider group, and moving a provider between shards without touching Chatwoot.

Each stack sets `cwtenants:group` and declares only that group's providers (the whole catalog is
still loaded and validated). A provider changes shard by "forget, then adopt" (docs/team.md, "Moving a provider to another
shard"): the old stack drops it from its state with `pulumi state delete`, the new stack's
create() adopts the existing objects by natural key. Chatwoot ids stay, nothing is deleted or
recreated. (`pulumi state move` refuses here: each shard's default dynamic provider carries the
stack's config, `cwtenants:group` included, so the providers differ.)
"""

from __future__ import annotations

import dataclasses
import json

import pytest

pytestmark = pytest.mark.e2e


def _shard(d, stack: str, group: str):
    s = dataclasses.replace(d, stack=stack)
    s.emulator, s.providers = d.emulator, d.providers
    s.run("stack", "init", stack)
    s.run("config", "set", "--stack", stack, "cwtenants:group", group)
    return s


def _urns(stack) -> dict[str, dict]:
    return {r["urn"]: r for r in stack.export()["deployment"]["resources"]}


def _by_name(resources: dict, suffix: str) -> dict:
    [r] = [r for u, r in resources.items() if u.endswith("::" + suffix)]
    return r


def _set_group(d, slug: str, group: str) -> None:
    path = d.providers / f"{slug}.yaml"
    lines = [ln for ln in path.read_text().splitlines() if not ln.startswith("group:")]
    path.write_text("\n".join(lines + [f"group: {group}", ""]))


def test_group_selection():
    from types import SimpleNamespace as P

    from cwtenants.program import in_group

    ps = [P(slug="a", group="eu"), P(slug="b", group="us"), P(slug="c", group=None), P(slug="d", group="eu")]
    slugs = lambda g: [p.slug for p in in_group(ps, g)]  # noqa: E731
    assert slugs("*") == ["a", "b", "c", "d"]
    assert slugs("eu") == ["a", "d"]
    assert slugs("-") == ["c"]
    with pytest.raises(Exception, match=r"no provider has group 'eu-west'.*\['-', 'eu', 'us'\]"):
        in_group(ps, "eu-west")


def test_moving_a_provider_between_shards_keeps_its_chatwoot_objects(deployment):
    d = deployment
    _set_group(d, "nimbus-cloud", "us")  # two shards: us (greenleaf-hosting, nimbus-cloud), eu (harbor-vps)
    us, eu = _shard(d, "us", "us"), _shard(d, "eu", "eu")
    us.up()
    assert sorted(i["name"] for i in d.api("GET", "/inboxes").json()["payload"]) == [
        "Greenleaf Hosting Support", "Nimbus Cloud Support"]  # only the us shard's providers
    eu.up()
    assert set(eu.outputs()["providers"]) == {"harbor-vps"}

    # a group nobody has is an error before any API call: a typo must not empty a stack
    typo = _shard(d, "typo", "eu-west")
    d.reset_stats()
    proc = typo.run("up", "--yes", check=False)
    assert proc.returncode != 0 and "no provider has group 'eu-west'" in proc.stdout
    assert d.stats()["total"] == 0
    before_us = _urns(us)
    ids_before = {u.split("::")[-1]: r.get("id") for u, r in before_us.items() if r.get("id")}
    users_before = {a["email"]: a["id"] for a in d.api("GET", "/agents").json()}
    d.reset_stats()

    # --- the procedure (docs/team.md, "Moving a provider to another shard") ---------------------
    # 1. the file says where the provider lives now
    _set_group(d, "greenleaf-hosting", "eu")
    # 2. the old shard forgets (never deletes) what it would no longer declare: every planned
    #    delete of its preview — the provider's objects and the agents no provider left there lists
    planned = [s for s in us.preview_json()["steps"] if s["op"] != "same"]
    assert planned and {s["op"] for s in planned} == {"delete"}, [(s["op"], s["urn"]) for s in planned]
    forget = [s["urn"] for s in planned]
    assert any("greenleaf-hosting-inbox" in u for u in forget) and any(":Agent::" in u for u in forget)
    comp = [u for u in forget if u.endswith("cwtenants:index:Provider::greenleaf-hosting")]
    assert len(comp) == 1
    us.run("state", "delete", "--stack", "us", "--yes", "--target-dependents", comp[0])  # + its children
    left = [s["urn"] for s in us.preview_json()["steps"] if s["op"] != "same"]
    assert left and all(":Agent::" in u for u in left), left  # agents live at the stack's top level
    for urn in left:
        us.run("state", "delete", "--stack", "us", "--yes", urn)
    us.run("preview", "--expect-no-changes")
    us.up()  # refreshes the shard's outputs only
    # 3. the new shard adopts them by natural key on create(): same ids, nothing recreated
    eu.up()
    # -------------------------------------------------------------------------------------------

    by = d.stats()["by_method"]
    assert by.get("DELETE", 0) == 0 and by.get("POST", 0) == 0, by
    after_eu = _urns(eu)
    assert set(eu.outputs()["providers"]) == {"greenleaf-hosting", "harbor-vps"}
    assert not any("greenleaf" in u for u in _urns(us)), "the old shard must have forgotten it"
    assert set(us.outputs()["providers"]) == {"nimbus-cloud"}
    ids_after = {u.split("::")[-1]: r.get("id") for u, r in after_eu.items() if r.get("id")}
    moved = {k: v for k, v in ids_before.items() if k.startswith("greenleaf-hosting") or "agent-" in k}
    assert moved and {k: ids_after.get(k) for k in moved} == moved, json.dumps([moved, ids_after], indent=1)
    assert {a["email"]: a["id"] for a in d.api("GET", "/agents").json()} == users_before
    eu.run("preview", "--expect-no-changes")
