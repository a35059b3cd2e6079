"""stackinfo.read / read_in_background: the stack's outputs through `pulumi stack output --json`
(a stand-in `pulumi` on PATH records how it was called and answers with fixed outputs)."""

from __future__ import annotations

import json
import os
import stat
import sys

from cwtenants import stackinfo

OUTPUTS = {"chatwoot_url": "http://chat.example", "chatwoot_account_id": 3,
           "providers": {"acme": {"inbox_id": 1, "team_id": 2, "portal_id": 5, "offboarding": "archive"}}}


def fake_pulumi(tmp_path, monkeypatch, outputs, gate=None, rc=0):
    calls = tmp_path / "calls.jsonl"
    script = tmp_path / "bin" / "pulumi"
    script.parent.mkdir()
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, os, sys, time\n"
        f"gate = {str(gate) if gate else ''!r}\n"
        "deadline = time.monotonic() + 60\n"
        "while gate and not os.path.exists(gate) and time.monotonic() < deadline:\n"
        "    time.sleep(0.02)\n"
        f"open({str(calls)!r}, 'a').write(json.dumps({{'args': sys.argv[1:], 'cwd': os.getcwd()}}) + '\\n')\n"
        f"print({json.dumps(json.dumps(outputs))})\n"
        f"sys.exit({rc})\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{script.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    return lambda: [json.loads(line) for line in calls.read_text().splitlines()] if calls.exists() else []


def test_read_parses_the_stack_outputs(tmp_path, monkeypatch):
    calls = fake_pulumi(tmp_path, monkeypatch, OUTPUTS)
    info = stackinfo.read(tmp_path, "prod")
    assert (info.url, info.account_id) == ("http://chat.example", 3)
    assert info.providers == {"acme": {"inbox": 1, "team": 2, "portal": 5}}
    assert info.offboarding == {"acme": "archive"}
    (call,) = calls()
    assert call["args"][:3] == ["stack", "output", "--json"] and call["args"][-2:] == ["--stack", "prod"]
    assert call["cwd"] == str(tmp_path)


def test_read_in_background_returns_before_the_cli_answers(tmp_path, monkeypatch):
    gate = tmp_path / "answer-now"
    calls = fake_pulumi(tmp_path, monkeypatch, OUTPUTS, gate=gate)
    future = stackinfo.read_in_background(tmp_path, "prod")
    assert not future.done()  # the caller goes on (loads the catalog) while `pulumi stack output` runs
    gate.touch()
    info = future.result(timeout=60)
    assert info.providers == {"acme": {"inbox": 1, "team": 2, "portal": 5}} and len(calls()) == 1


def test_no_outputs_or_a_failing_cli_is_none(tmp_path, monkeypatch):
    fake_pulumi(tmp_path, monkeypatch, {}, rc=0)
    assert stackinfo.read_in_background(tmp_path, "prod").result(timeout=60) is None
    (tmp_path / "bin" / "pulumi").unlink()
    (tmp_path / "bin").rmdir()
    fake_pulumi(tmp_path, monkeypatch, OUTPUTS, rc=255)
    assert stackinfo.read(tmp_path, "prod") is None


def test_the_targeted_run_takes_the_outputs_whole_and_refuses_unreadable_ones(tmp_path, monkeypatch):
    """A targeted update (cwtenants onboard) exports the previous outputs again: it reads them raw
    (secret values left out), and stops rather than export without them."""
    import pytest

    from cwtenants.program import previous_outputs

    fake_pulumi(tmp_path, monkeypatch, {**OUTPUTS, "token": "[secret]"})
    raw = stackinfo.read_in_background(tmp_path, "prod", stackinfo.read_outputs).result(timeout=60)
    assert previous_outputs(raw) == OUTPUTS
    with pytest.raises(Exception, match="could not read the stack outputs"):
        previous_outputs(None)
