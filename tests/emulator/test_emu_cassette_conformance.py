"""The emulator has the structure of the real Chatwoot the committed cassettes were recorded against.

``scripts/record-cassettes.sh --emulator --check`` starts a fresh emulator, records the whole cassette
suite against it into a temporary directory, replays that once, and compares it structurally with the
committed cassettes (``tests/cassette/compare_cassettes.py``: request sequence, status codes, media
types, JSON keys and value types; ids, timestamps and scrubbed values ignored). Zero differences is the
bar. The comparison itself is tested on planted differences below.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "record-cassettes.sh"
CASSETTES = ROOT / "cassettes"


def _compare_module():
    spec = importlib.util.spec_from_file_location("compare_cassettes", ROOT / "tests/cassette/compare_cassettes.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


compare = _compare_module()


def test_emulator_recording_has_the_structure_of_the_committed_real_cassettes():
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CHATWOOT_", "CWT_RECORD", "CWT_CASSETTE_DIR", "PYTEST_"))}
    proc = subprocess.run(["bash", str(SCRIPT), "--emulator", "--check"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900)
    tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-60:])
    assert proc.returncode == 0, tail
    assert "compare: 14 common file(s), 0 difference(s)" in proc.stdout, tail


def _tree(tmp_path: Path, name: str, edit=None) -> Path:
    """A copy of one committed cassette, optionally edited as text."""
    src = CASSETTES / "test_cw_team" / "test_team_lifecycle.yaml"
    dst = tmp_path / name / "test_cw_team" / src.name
    dst.parent.mkdir(parents=True)
    text = src.read_text()
    if edit:
        changed = edit(text)
        assert changed != text, "the planted edit did not apply"
        text = changed
    dst.write_text(text)
    return tmp_path / name


@pytest.mark.parametrize("edit, expected", [
    (lambda t: t.replace('"is_member":false', '"is_member":false,"extra":1', 1), "extra: only in second"),
    (lambda t: t.replace('"is_member":false', '"is_member":"no"', 1), "is_member: bool vs string"),
    (lambda t: t.replace("code: 404", "code: 200", 1), "request sequence or status codes differ"),
    (lambda t: t.replace("method: PATCH", "method: PUT", 1), "request sequence or status codes differ"),
    (lambda t: t.replace("application/json; charset=utf-8", "text/html", 1), "content type"),
])
def test_structural_compare_reports_planted_differences(tmp_path, capsys, edit, expected):
    assert compare.structural(_tree(tmp_path, "a"), _tree(tmp_path, "b", edit)) >= 1
    assert expected in capsys.readouterr().out


def test_structural_compare_ignores_values_ids_and_deletion_polls(tmp_path, capsys):
    def values_only(text: str) -> str:
        text = text.replace("/teams/13", "/teams/99").replace('"id":13', '"id":99')  # ids
        text = text.replace('"timestamp":"', '"timestamp":"x', 1)                    # timestamps
        return text.replace("cwt-rec-team-lifecycle", "another-name")                  # values

    assert compare.structural(_tree(tmp_path, "a"), _tree(tmp_path, "b", values_only)) == 0
    assert "0 difference(s)" in capsys.readouterr().out
    # a server that still answers 200 once after the DELETE (its deletion job not run yet) is no difference
    a = tmp_path / "a" / "test_cw_team" / "test_team_lifecycle.yaml"
    text = a.read_text()
    head, sep, tail = text.partition("- request:\n    body: ''\n    headers:\n      accept:\n      - application/json\n"
                                     "      api_access_token:\n      - REDACTED\n      user-agent:\n"
                                     "      - cwtenants-chatwoot-client\n    method: GET\n"
                                     "    uri: http://chatwoot.invalid/api/v1/accounts/7/teams/13\n")
    assert sep, "the GET after DELETE was not found"
    poll = sep + "  response:\n    body:\n      string: '{\"id\":13}'\n    headers:\n      content-type:\n" \
                 "      - application/json; charset=utf-8\n    status:\n      code: 200\n      message: OK\n"
    b = _tree(tmp_path, "c") / "test_cw_team" / "test_team_lifecycle.yaml"
    b.write_text(head + poll + sep + tail)
    assert compare.structural(tmp_path / "a", tmp_path / "c") == 0
