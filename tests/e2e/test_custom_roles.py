"""Custom roles end to end (issue #20): declared in _defaults.yaml and given to a provider agent; on an
account without the `custom_roles` feature Chatwoot answers custom_role_id null, and the reconciler says
so instead of showing drift on every run; once the feature is on, `up --refresh` assigns it."""

from __future__ import annotations

import httpx
import pytest

from typer.testing import CliRunner

from cwtenants.cli import app
from e2e_support import make_deployment

pytestmark = pytest.mark.e2e

ANN = "ann@alpha.example"
NOT_APPLIED = (f"agent {ANN}: custom role 'Provider support' was not applied: the account does not have "
               "Chatwoot's custom_roles feature")


def test_custom_role_without_and_with_the_account_feature(tmp_path, emulator):
    platform_token = emulator.tokens["platform_token"]
    d = make_deployment(tmp_path, emulator, samples=False, extra_env={"CHATWOOT_PLATFORM_TOKEN": platform_token})
    (d.providers / "_defaults.yaml").write_text(
        "custom_roles:\n"
        "  - name: Provider support\n"
        "    permissions: [conversation_participating_manage, knowledge_base_manage]\n")
    d.write_provider("alpha", {"name": "Alpha", "agents": [{"email": ANN, "name": "Ann",
                                                            "custom_role": "Provider support"}]})
    up = d.run("up", "--yes")
    assert NOT_APPLIED in up.stdout + up.stderr
    roles = d.api("GET", "/custom_roles").json()
    assert [(r["name"], r["permissions"]) for r in roles] == [
        ("Provider support", ["conversation_participating_manage", "knowledge_base_manage"])]
    ann = {a["email"]: a for a in d.api("GET", "/agents").json()}[ANN]
    assert (ann["role"], ann["custom_role_id"]) == ("agent", None)

    def plan():
        env = {"NO_COLOR": "1", "CHATWOOT_URL": emulator.url, "CHATWOOT_ACCOUNT_ID": "1", "CWT_PROVIDERS_DIR": "",
               "CHATWOOT_API_TOKEN": emulator.tokens["admin_token"], "CHATWOOT_PLATFORM_TOKEN": platform_token}
        return CliRunner().invoke(app, ["plan", "-d", str(d.providers), "--quiet", "--verbose"], env=env)

    r = plan()
    assert r.exit_code == 0, r.output  # stateless plan agrees: nothing `up` could change
    assert "custom role not in effect: the account has no custom_roles feature" in r.stdout

    # noticed once, not drift on every run (the preview repeats the notice)
    preview = d.run("preview", "--refresh", "--expect-no-changes")
    assert "custom role 'Provider support' is declared but not in effect" in preview.stdout + preview.stderr
    d.reset_stats()
    assert set(d.up()["resourceChanges"]) == {"same"} and d.writes() == 0

    # the operator switches the feature on: now it is drift, and `up --refresh` assigns the role
    httpx.patch(f"{emulator.url}/platform/api/v1/accounts/1", json={"features": {"custom_roles": True}},
                headers={"api_access_token": platform_token}, timeout=10).raise_for_status()
    assert d.run("preview", "--refresh", "--expect-no-changes", check=False).returncode != 0
    d.up("--refresh")
    ann = {a["email"]: a for a in d.api("GET", "/agents").json()}[ANN]
    assert ann["custom_role_id"] == roles[0]["id"]
    d.run("preview", "--refresh", "--expect-no-changes")
    assert plan().exit_code == 0
