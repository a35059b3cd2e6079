"""Where an API token ends up (issue 15, README "No secret in clear"): a token given through the
environment is nowhere in the state; a token set with `pulumi config set --secret` is recorded by
the engine only as an input of the default dynamic provider, encrypted (never in clear without
--show-secrets, never in a Chatwoot resource's inputs or outputs)."""

import json
import subprocess

import pytest

pytestmark = pytest.mark.e2e


def _export(d, *args: str) -> dict:
    return json.loads(d.run("stack", "export", "--stack", d.stack, *args).stdout)


def _holding(export: dict, token: str) -> set[str]:
    return {r["type"] for r in export["deployment"].get("resources", []) if token in json.dumps(r)}


def test_a_token_from_the_environment_is_not_in_the_state(deployment):
    token = deployment.extra_env["CHATWOOT_API_TOKEN"]
    deployment.up()
    assert _holding(_export(deployment, "--show-secrets"), token) == set()


def test_a_token_from_secret_config_is_only_in_the_default_providers_encrypted_inputs(deployment):
    d = deployment
    token = d.extra_env["CHATWOOT_API_TOKEN"]
    proc = subprocess.run(["pulumi", "config", "set", "--secret", "--stack", d.stack, "cwtenants:apiToken",
                           "--non-interactive"], cwd=d.cwd, env=d.env(), input=token, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    d.extra_env["CHATWOOT_API_TOKEN"] = "not-the-token"  # the config one must be what works
    d.up()
    assert token not in json.dumps(_export(d))  # encrypted at rest
    assert _holding(_export(d, "--show-secrets"), token) == {"pulumi:providers:pulumi-python"}
