"""The Pulumi CLI built by scripts/build-pulumi.sh and the Python SDK must be the same version."""

import re
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_cli_build_pin_equals_sdk_pin_everywhere():
    script = (ROOT / "scripts" / "build-pulumi.sh").read_text()
    cli = re.search(r"^PULUMI_VERSION=(\S+)$", script, re.M).group(1)
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    sdk = [d.split("==")[1].split()[0] for d in deps if d.startswith("pulumi==")]
    lock = re.search(r"^pulumi==(\S+)$", (ROOT / "requirements.lock").read_text(), re.M).group(1)
    assert sdk == [cli] and lock == cli
    assert metadata.version("pulumi") == cli


def test_every_dependency_is_pinned_exactly():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = project["dependencies"] + project["optional-dependencies"]["dev"]
    loose = [r for r in reqs if "==" not in r]
    assert loose == []
    canon = lambda n: re.sub(r"[-_.]+", "-", n).lower()  # noqa: E731  (PEP 503 names)
    lock = {
        canon(line.split("==")[0]): line.split("==")[1].strip()
        for line in (ROOT / "requirements.lock").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    }
    for r in reqs:
        name, version = r.split("==")
        assert lock.get(canon(name)) == version.split()[0], f"{r} differs from requirements.lock"
