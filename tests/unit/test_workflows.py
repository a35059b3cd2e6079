"""The GitHub workflow files: actionlint, structural rules, and the scripts they call (with a fake gh)."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
CI = ROOT / "scripts" / "ci"


def load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as True
    return data


# ------------------------------------------------------------------------------------------ actionlint

@pytest.fixture(scope="session")
def actionlint() -> str:
    """Built from the Go module proxy by scripts/build-actionlint.sh (cached outside the repo)."""
    r = subprocess.run(["bash", str(ROOT / "scripts" / "build-actionlint.sh")], capture_output=True, text=True,
                       timeout=900)
    if r.returncode != 0:
        pytest.fail(f"scripts/build-actionlint.sh failed (exit {r.returncode}):\n{r.stderr[-3000:]}")
    binary = r.stdout.strip().splitlines()[-1]
    assert os.access(binary, os.X_OK), binary
    return binary


def test_build_script_is_idempotent_and_pinned(actionlint):
    r = subprocess.run(["bash", str(ROOT / "scripts" / "build-actionlint.sh")], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.strip() == actionlint
    assert "building" not in r.stderr  # second run builds nothing
    version = re.search(r"^ACTIONLINT_VERSION=(\S+)$", (ROOT / "scripts/build-actionlint.sh").read_text(), re.M)[1]
    assert f"actionlint-v{version}" in actionlint
    assert not actionlint.startswith(str(ROOT))  # cache outside the repository
    out = subprocess.run([actionlint, "-version"], capture_output=True, text=True).stdout
    assert out.splitlines()[0] == f"v{version}"


def test_workflows_pass_actionlint(actionlint):
    assert WORKFLOWS, "no workflow files"
    r = subprocess.run([actionlint, "-no-color", "-oneline", *map(str, WORKFLOWS)], cwd=ROOT,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_actionlint_catches_a_broken_workflow(actionlint, tmp_path):
    """The lint can fail: an undefined step output and an unknown runner key are reported."""
    wf = tmp_path / ".github" / "workflows"
    wf.mkdir(parents=True)
    (wf / "bad.yml").write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    step:\n      - run: echo ${{ steps.x.outputs.y }}\n")
    r = subprocess.run([actionlint, "-no-color", "-oneline", str(wf / "bad.yml")], cwd=tmp_path,
                       capture_output=True, text=True)
    assert r.returncode == 1 and "bad.yml" in r.stdout


# ------------------------------------------------------------------------------------------ structure

def test_the_three_workflows_exist():
    triggers = {p.name: load(p)["on"] for p in WORKFLOWS}
    assert "pull_request" in triggers["pull-request.yml"]
    assert triggers["apply.yml"]["push"]["branches"] == ["main"]
    assert "schedule" in triggers["drift.yml"]


def test_pull_request_not_pull_request_target():
    for p in WORKFLOWS:
        assert "pull_request_target" not in load(p)["on"], p.name


@pytest.mark.parametrize("path", WORKFLOWS + [ROOT / ".github/actions/setup/action.yml"], ids=lambda p: p.name)
def test_actions_pinned_by_full_sha(path):
    uses = re.findall(r"uses:\s*(\S+)", path.read_text())
    assert uses
    for u in uses:
        if u.startswith("./"):
            continue
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", u), f"{path.name}: {u} is not pinned by commit SHA"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_least_privilege_permissions(path):
    wf = load(path)
    assert wf["permissions"] == {"contents": "read"}, "top-level permissions must be read-only"
    for name, job in wf["jobs"].items():
        for scope, level in (job.get("permissions") or {}).items():
            # only the onboarding workflow commits (providers/<slug>.yaml from a marketplace event)
            writes_contents = path.name == "onboard.yml"
            assert scope in ("contents", "pull-requests", "issues") and (
                level == "read" or scope != "contents" or writes_contents)


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_secrets_only_from_the_secret_store(path):
    text = path.read_text()
    for var in ("CHATWOOT_API_TOKEN", "PULUMI_CONFIG_PASSPHRASE", "PULUMI_BACKEND_URL"):
        for m in re.finditer(rf"^\s*{var}:\s*(.+)$", text, re.M):
            assert m[1].strip() == f"${{{{ secrets.{var} }}}}", f"{var} in {path.name}: {m[1]}"


def test_preview_skipped_without_secrets():
    job = load(ROOT / ".github/workflows/pull-request.yml")["jobs"]["preview"]
    assert "secrets.CHATWOOT_API_TOKEN" in job["env"]["HAS_SECRETS"]
    for step in job["steps"]:
        if step.get("uses", "").startswith("actions/checkout") or "pulumi" in step.get("run", ""):
            assert "env.HAS_SECRETS == 'true'" in step["if"], step


def test_commands_in_the_workflows():
    pr = (ROOT / ".github/workflows/pull-request.yml").read_text()
    assert "cwtenants validate --format github" in pr and "pulumi preview --diff" in pr
    assert "scripts/ci/sticky-comment.sh" in pr
    assert "pulumi up --yes" in (ROOT / ".github/workflows/apply.yml").read_text()
    drift = (ROOT / ".github/workflows/drift.yml").read_text()
    assert "pulumi preview --refresh --expect-no-changes" in drift and "cwtenants drift" in drift
    assert "scripts/ci/drift-issue.sh open" in drift


# ------------------------------------------------------------------------------------------ scripts, fake gh

FAKE_GH = r"""#!/usr/bin/env python3
import json, os, sys
state = os.environ["FAKE_GH_DIR"]
args = sys.argv[1:]
files = {}
for a in args:  # record the contents of -F body=@file and --body-file file
    if a.startswith("body=@"):
        files["body"] = open(a[6:]).read()
if "--body-file" in args:
    files["body"] = open(args[args.index("--body-file") + 1]).read()
with open(os.path.join(state, "calls.jsonl"), "a") as f:
    f.write(json.dumps({"args": args, **files}) + "\n")
# canned answers for the list calls
if args[:1] == ["api"] and "--paginate" in args:
    print(os.environ.get("FAKE_GH_COMMENT_IDS", ""), end="")
elif args[:2] == ["issue", "list"]:
    print(os.environ.get("FAKE_GH_ISSUE", ""))
sys.exit(int(os.environ.get("FAKE_GH_EXIT", "0")))
"""


@pytest.fixture
def fake_gh(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text(FAKE_GH)
    gh.chmod(gh.stat().st_mode | stat.S_IEXEC)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "FAKE_GH_DIR": str(tmp_path),
           "GITHUB_REPOSITORY": "acme/cw", "GITHUB_RUN_ID": "42", "GITHUB_SHA": "abc123"}

    def run(script: str, *args: str, **extra: str) -> tuple[subprocess.CompletedProcess, list[dict]]:
        calls = tmp_path / "calls.jsonl"
        calls.unlink(missing_ok=True)
        r = subprocess.run(["bash", str(CI / script), *args], env={**env, **extra}, capture_output=True,
                           text=True, cwd=tmp_path)
        recorded = [json.loads(line) for line in calls.read_text().splitlines()] if calls.exists() else []
        return r, recorded
    return run


def test_sticky_comment_creates_the_first_comment(fake_gh, tmp_path):
    (tmp_path / "body.md").write_text("plan text\n")
    r, calls = fake_gh("sticky-comment.sh", "7", "cwtenants-plan", "body.md")
    assert r.returncode == 0, r.stderr
    assert calls[0]["args"][:3] == ["api", "--paginate", "repos/acme/cw/issues/7/comments"]
    assert 'contains("<!-- cwtenants-plan -->")' in calls[0]["args"][-1]
    post = calls[1]
    assert post["args"][:4] == ["api", "--method", "POST", "repos/acme/cw/issues/7/comments"]
    assert post["body"] == "<!-- cwtenants-plan -->\nplan text\n"
    assert len(calls) == 2


def test_sticky_comment_updates_the_marked_comment(fake_gh, tmp_path):
    (tmp_path / "body.md").write_text("new plan\n")
    r, calls = fake_gh("sticky-comment.sh", "7", "cwtenants-plan", "body.md", FAKE_GH_COMMENT_IDS="991\n992\n")
    assert r.returncode == 0, r.stderr
    assert [c["args"][:4] for c in calls[1:]] == [["api", "--method", "PATCH", "repos/acme/cw/issues/comments/991"]]
    assert calls[1]["body"].startswith("<!-- cwtenants-plan -->\nnew plan")
    assert "updated comment 991" in r.stdout


def test_sticky_comment_fails_when_gh_fails(fake_gh, tmp_path):
    (tmp_path / "body.md").write_text("x\n")
    r, _ = fake_gh("sticky-comment.sh", "7", "m", "body.md", FAKE_GH_EXIT="1")
    assert r.returncode != 0


def test_render_plan_wraps_and_truncates(fake_gh, tmp_path):
    (tmp_path / "out.txt").write_text("+ cwtenants:index:Inbox acme-inbox create\n")
    r, _ = fake_gh("render-plan.sh", "Pulumi plan", "out.txt", "0")
    assert "### Pulumi plan" in r.stdout and "````diff\n+ cwtenants:index:Inbox acme-inbox create\n````" in r.stdout
    assert "succeeded" in r.stdout and "abc123" in r.stdout
    (tmp_path / "big.txt").write_text("x" * 500 + "THE END")
    r, _ = fake_gh("render-plan.sh", "Pulumi plan", "big.txt", "255", MAX_CHARS="100")
    assert "first 407 characters cut" in r.stdout and "THE END\n````" in r.stdout
    assert "**failed** (exit code 255)" in r.stdout and "actions/runs/42" in r.stdout


def test_render_plan_says_which_deletes_are_kept(fake_gh, tmp_path):
    """`- N to delete` also counts objects Chatwoot keeps (delete[retain]): the comment says so."""
    (tmp_path / "out.txt").write_text(
        "- pulumi-python:dynamic/cwtenants:Inbox: (delete[retain])\n"
        "- pulumi-python:dynamic/cwtenants:Team: (delete[retain])\n"
        "    - cwtenants:index:Provider: (delete)\nResources:\n    - 3 to delete\n")
    r, _ = fake_gh("render-plan.sh", "Pulumi plan", "out.txt", "0")
    assert "**Kept in Chatwoot:** 2 of the objects" in r.stdout and "`[retain]`" in r.stdout
    (tmp_path / "out.txt").write_text("- pulumi-python:dynamic/cwtenants:Inbox: (delete)\n")
    assert "Kept in Chatwoot" not in fake_gh("render-plan.sh", "Pulumi plan", "out.txt", "0")[0].stdout


def test_drift_issue_opens_one_labelled_issue(fake_gh, tmp_path):
    (tmp_path / "report.txt").write_text("provider acme: drift\n")
    r, calls = fake_gh("drift-issue.sh", "open", "report.txt")
    assert r.returncode == 0, r.stderr
    assert calls[0]["args"][:2] == ["issue", "list"] and "--label" in calls[0]["args"]
    assert calls[1]["args"][:3] == ["label", "create", "drift"]
    create = calls[2]
    assert create["args"][:2] == ["issue", "create"]
    assert create["args"][create["args"].index("--label") + 1] == "drift"
    assert "provider acme: drift" in create["body"]


def test_drift_issue_updates_the_open_issue(fake_gh, tmp_path):
    (tmp_path / "report.txt").write_text("provider acme: drift\n")
    r, calls = fake_gh("drift-issue.sh", "open", "report.txt", FAKE_GH_ISSUE="12")
    assert r.returncode == 0, r.stderr
    assert [c["args"][:3] for c in calls[1:]] == [["issue", "edit", "12"]]
    assert "provider acme: drift" in calls[1]["body"]


def test_drift_issue_resolve(fake_gh):
    r, calls = fake_gh("drift-issue.sh", "resolve", FAKE_GH_ISSUE="12")
    assert r.returncode == 0 and calls[1]["args"][:3] == ["issue", "close", "12"]
    r, calls = fake_gh("drift-issue.sh", "resolve")
    assert r.returncode == 0 and len(calls) == 1 and "nothing to do" in r.stdout
    r, _ = fake_gh("drift-issue.sh", "bogus")
    assert r.returncode == 2
