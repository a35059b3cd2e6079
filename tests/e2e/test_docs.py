"""The newcomer's path, as written: docs/add-a-provider.md run by the doc-check (tests/doccheck.py)
in a fresh copy of the checkout, against the emulator; then the copy, with the new provider in
its catalog, still passes the tests that read the real catalog (the unit part of the suite)."""

from __future__ import annotations

import subprocess

import pytest
import yaml

import doccheck

pytestmark = pytest.mark.e2e


def test_add_a_provider_as_written(tmp_path):
    clone = doccheck.checkout_copy(tmp_path / "clone")
    # the doc's premise: Acme Hosting is not in the catalog yet (a repository may have followed the
    # doc before and committed it)
    (clone / "providers" / "acme-hosting.yaml").unlink(missing_ok=True)
    owners = clone / ".github" / "CODEOWNERS"
    owners.write_text("".join(line for line in owners.read_text().splitlines(keepends=True)
                              if "/providers/acme-hosting.yaml" not in line))
    for args in (["add", "-A"], ["commit", "-q", "--allow-empty", "-m", "without the doc's example provider"]):
        subprocess.run(["git", *args], cwd=clone, env=doccheck.git_env(), check=True)
    script = doccheck.to_script(doccheck.scenario("add-a-provider"))
    r = doccheck.run(script, clone, doccheck.clean_env())
    assert r.returncode == 0, r.stderr[-6000:]
    assert "doc-check: ok" in r.stderr

    new = clone / "providers" / "acme-hosting.yaml"
    doc = yaml.safe_load(new.read_text())
    assert doc["slug"] == "acme-hosting" and doc["portal"]["locales"] == ["en", "de"]
    assert "/providers/acme-hosting.yaml" in (clone / ".github" / "CODEOWNERS").read_text()
    branch = subprocess.run(["git", "branch", "--show-current"], cwd=clone, capture_output=True, text=True)
    assert branch.stdout.strip() == "add-acme-hosting"

    # what the pull request's author then commits (the doc's step 4 without the push) ...
    for args in (["add", "providers/acme-hosting.yaml", ".github/CODEOWNERS"],
                 ["commit", "-q", "-m", "Add provider Acme Hosting"]):
        subprocess.run(["git", *args], cwd=clone, env=doccheck.git_env(), check=True)
    # ... passes the tests that look at the real catalog: nothing else depends on its size
    t = subprocess.run([str(clone / ".venv" / "bin" / "python"), "-m", "pytest", "-p", "no:cacheprovider", "-q",
                        "tests/unit"], cwd=clone, env=doccheck.clean_env(), capture_output=True, text=True,
                       timeout=1800)
    assert t.returncode == 0, t.stdout[-4000:]
