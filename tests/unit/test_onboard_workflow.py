"""The onboarding workflow (.github/workflows/onboard.yml) and its script scripts/ci/onboard-event.sh.

The script's steps run for real against a local bare Git repository standing in for GitHub
(`origin`), with a fake `gh` and a `cwtenants` wrapper: writing the file is the real command
(`--no-apply`, no network), the apply step is recorded instead of running Pulumi.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "onboard.yml"
SCRIPT = ROOT / "scripts" / "ci" / "onboard-event.sh"

RECORD = {"slug": "acme-host", "name": "Acme Host", "timezone": "Europe/Paris", "locales": ["en", "de"],
          "contacts": [{"email": "ann@acme.example", "name": "Ann Lee", "role": "agent"}]}

FAKE_GH = r"""#!/usr/bin/env python3
import json, os, sys
with open(os.path.join(os.environ["FAKE_DIR"], "gh.jsonl"), "a") as f:
    f.write(json.dumps(sys.argv[1:]) + "\n")
if sys.argv[1:3] == ["pr", "create"]:
    print("https://github.com/acme/cw/pull/7")
"""

# real `cwtenants` for writing files; apply calls (no --no-apply / --prepare) are only recorded
FAKE_CWTENANTS = r"""#!/usr/bin/env python3
import json, os, subprocess, sys
args = sys.argv[1:]
data = sys.stdin.read() if args and args[-1] == "-" else ""
with open(os.path.join(os.environ["FAKE_DIR"], "cwtenants.jsonl"), "a") as f:
    f.write(json.dumps({"args": args, "stdin": data}) + "\n")
if "--no-apply" in args or "--prepare" in args:
    args = [a if a != "--prepare" else "--no-apply" for a in args]
    sys.exit(subprocess.run([os.environ["REAL_CWTENANTS"], *args], input=data, text=True).returncode)
"""


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path):
    """A clone of a bare 'origin' holding a providers/ folder, plus fake gh / cwtenants on PATH."""
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], check=True)
    seed = tmp_path / "seed"
    subprocess.run(["git", "clone", "-q", str(origin), str(seed)], check=True, capture_output=True)
    shutil.copytree(ROOT / "tests" / "fixtures" / "catalog", seed / "providers")
    for args in (["config", "user.email", "t@example.com"], ["config", "user.name", "t"], ["add", "-A"],
                 ["commit", "-q", "-m", "seed"], ["push", "-q", "origin", "HEAD:main"]):
        git(seed, *args)
    work = tmp_path / "work"
    subprocess.run(["git", "clone", "-q", str(origin), str(work)], check=True, capture_output=True)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in (("gh", FAKE_GH), ("cwtenants", FAKE_CWTENANTS)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    real = Path(sys.executable).parent / "cwtenants"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHATWOOT_", "GITHUB_"))}
    env.update(PATH=f"{bin_dir}:{Path(sys.executable).parent}:{os.environ['PATH']}", FAKE_DIR=str(tmp_path),
               REAL_CWTENANTS=str(real), GITHUB_RUN_ID="42", GIT_CONFIG_NOSYSTEM="1",
               HOME=str(tmp_path), GITHUB_OUTPUT=str(tmp_path / "output"))
    return work, origin, seed, env, tmp_path


def run(step: str, work: Path, env: dict, event: str = "provider-onboarded", record=RECORD, **extra):
    e = {**env, "EVENT": event, "RECORD": json.dumps(record) if not isinstance(record, str) else record, **extra}
    return subprocess.run(["bash", str(SCRIPT), step], cwd=work, env=e, capture_output=True, text=True)


def calls(tmp: Path, name: str) -> list:
    f = tmp / f"{name}.jsonl"
    return [json.loads(line) for line in f.read_text().splitlines()] if f.exists() else []


def origin_log(origin: Path) -> list[str]:
    return git(origin, "log", "--format=%s", "main").splitlines()


def test_workflow_trigger_and_steps():
    wf = yaml.safe_load(WORKFLOW.read_text())
    on = wf.pop(True, wf.get("on"))
    assert on == {"repository_dispatch": {"types": ["provider-onboarded", "provider-offboarded"]}}
    steps = wf["jobs"]["onboard"]["steps"]
    runs = [s.get("run", "") for s in steps]
    assert [r for r in runs if "onboard-event.sh" in r] == [
        "bash scripts/ci/onboard-event.sh file", "bash scripts/ci/onboard-event.sh publish",
        "bash scripts/ci/onboard-event.sh apply"]
    env = wf["jobs"]["onboard"]["env"]
    # the payload reaches the shell only through the environment, never spliced into a script
    assert env["RECORD"] == "${{ toJSON(github.event.client_payload) }}"
    assert all("${{" not in r for r in runs)
    assert env["ONBOARD_VIA_PR"] == "${{ vars.ONBOARD_VIA_PR || 'false' }}"


def test_onboard_event_commits_to_main_then_applies(repo):
    work, origin, _seed, env, tmp = repo
    r = run("file", work, env)
    assert r.returncode == 0, r.stderr
    text = (work / "providers/acme-host.yaml").read_text()
    assert "generated-by: cwtenants onboard" in text and "ann@acme.example" in text
    assert "changed=true" in (tmp / "output").read_text()
    r = run("publish", work, env)
    assert r.returncode == 0, r.stderr
    assert origin_log(origin)[0] == "providers: onboard acme-host (Acme Host) from the marketplace"
    assert "acme-host.yaml" in git(origin, "show", "--name-only", "--format=", "main")
    r = run("apply", work, env)
    assert r.returncode == 0, r.stderr
    applied = [c for c in calls(tmp, "cwtenants") if "--no-apply" not in c["args"]]
    assert applied == [{"args": ["onboard", "-"], "stdin": json.dumps(RECORD)}]
    assert calls(tmp, "gh") == []


def test_redelivery_commits_nothing(repo):
    work, origin, _seed, env, tmp = repo
    for step in ("file", "publish"):
        assert run(step, work, env).returncode == 0
    before = origin_log(origin)
    r = run("file", work, env)
    assert r.returncode == 0 and "changed=false" in r.stdout
    r = run("publish", work, env)
    assert r.returncode == 0 and "nothing to commit" in r.stdout
    assert origin_log(origin) == before


def test_changed_record_is_an_update_commit(repo):
    work, origin, _seed, env, _tmp = repo
    for step in ("file", "publish"):
        assert run(step, work, env).returncode == 0
    changed = {**RECORD, "timezone": "Europe/Berlin"}
    for step in ("file", "publish"):
        r = run(step, work, env, record=changed)
        assert r.returncode == 0, r.stderr
    assert origin_log(origin)[0] == "providers: update acme-host (Acme Host) from the marketplace"


def test_push_race_is_rebased_and_retried(repo):
    work, origin, seed, env, _tmp = repo
    assert run("file", work, env).returncode == 0
    # another event lands on main first
    (seed / "providers" / "other.txt").write_text("x\n")
    git(seed, "add", "-A")
    git(seed, "commit", "-q", "-m", "someone else")
    git(seed, "push", "-q", "origin", "HEAD:main")
    r = run("publish", work, env)
    assert r.returncode == 0, r.stderr
    assert "rejected (attempt 1/5)" in r.stderr
    assert origin_log(origin)[:2] == ["providers: onboard acme-host (Acme Host) from the marketplace",
                                      "someone else"]


def test_pull_request_mode_opens_an_auto_merge_pr(repo):
    work, origin, _seed, env, tmp = repo
    assert run("file", work, env).returncode == 0
    r = run("publish", work, env, ONBOARD_VIA_PR="true")
    assert r.returncode == 0, r.stderr
    assert origin_log(origin) == ["seed"]  # main untouched
    assert "onboarding/acme-host-42" in git(origin, "branch", "--list")
    gh = calls(tmp, "gh")
    assert gh[0][:2] == ["pr", "create"] and gh[0][gh[0].index("--head") + 1] == "onboarding/acme-host-42"
    assert gh[1] == ["pr", "merge", "--auto", "--squash", "https://github.com/acme/cw/pull/7"]


def test_bad_record_fails_before_anything_is_written(repo):
    work, origin, _seed, env, tmp = repo
    bad = {**RECORD, "timezone": "Mars/Base", "contacts": [{"email": "not-an-email"}]}
    r = run("file", work, env, record=bad)
    assert r.returncode == 1
    assert "timezone: unknown timezone 'Mars/Base'" in r.stderr
    assert "contacts[0].email: invalid email" in r.stderr
    assert git(work, "status", "--porcelain") == ""
    r = run("file", work, env, record={"name": "No Slug"})
    assert r.returncode == 1 and "slug: required field is missing" in r.stderr
    assert origin_log(origin) == ["seed"]


@pytest.mark.parametrize("policy", ["archive", "retain"])
def test_offboard_event_removes_or_marks_the_file_and_commits(repo, policy):
    work, origin, _seed, env, tmp = repo
    for step in ("file", "publish"):
        assert run(step, work, env, record={**RECORD, "offboarding": policy}).returncode == 0
    record = {"slug": "acme-host", "name": "Acme Host"}
    for step in ("file", "publish", "apply"):
        r = run(step, work, env, event="provider-offboarded", record=record)
        assert r.returncode == 0, r.stderr
    assert origin_log(origin)[0] == "providers: offboard acme-host from the marketplace"
    if policy == "retain":  # marked, and the mark is what was committed
        assert (work / "providers/acme-host.yaml").read_text().endswith("\noffboarded: true\n")
        assert git(work, "status", "--porcelain") == ""
        assert "offboarded: true" in git(origin, "show", "main:providers/acme-host.yaml")
    else:
        assert not (work / "providers/acme-host.yaml").exists()
    offboard = [c["args"] for c in calls(tmp, "cwtenants") if c["args"][0] == "offboard"]
    assert offboard == [["offboard", "acme-host", "--prepare"], ["offboard", "acme-host"]]


def test_unknown_event_type_is_refused(repo):
    work, _origin, _seed, env, _tmp = repo
    r = run("file", work, env, event="provider-renamed")
    assert r.returncode == 2 and "unknown event type" in r.stderr
