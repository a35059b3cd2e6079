"""Which Pulumi CLI and language host are used: an official CLI on PATH first, else the build."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from cwtenants import toolchain

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "build-pulumi.sh"


def fake_cli(folder: Path, version: str, langhost: bytes | None = b"\x7fELF official host") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pulumi").write_text(f"#!/bin/sh\necho v{version}\n")
    (folder / "pulumi").chmod(0o755)
    if langhost is not None:
        (folder / "pulumi-language-python").write_bytes(langhost)
        (folder / "pulumi-language-python").chmod(0o755)
    return folder


def build_script(tmp_path: Path, path_dirs: list[Path], *args: str, **env: str) -> subprocess.CompletedProcess:
    base = [d for d in os.environ["PATH"].split(":") if not (Path(d) / "pulumi").exists()]
    return subprocess.run(
        ["bash", str(SCRIPT), *args], capture_output=True, text=True, timeout=120,
        env={**os.environ, "PATH": ":".join([*map(str, path_dirs), *base]),
             "PULUMI_BUILD_CACHE": str(tmp_path / "cache"), **env},
    )


def pinned() -> str:
    return next(line.split("=", 1)[1] for line in SCRIPT.read_text().splitlines() if line.startswith("PULUMI_VERSION="))


def bump(version: str) -> str:
    major, minor, patch = map(int, version.split("."))
    return f"{major}.{minor + 1}.{patch}"


def test_a_compatible_official_cli_on_path_is_used_and_nothing_is_built(tmp_path):
    official = fake_cli(tmp_path / "official", bump(pinned()))
    r = build_script(tmp_path, [official], "--print-bin")
    assert r.stdout.strip() == str(official)
    r = build_script(tmp_path, [official])
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == str(official)
    assert "using the official Pulumi CLI" in r.stderr
    assert not (tmp_path / "cache").exists()  # nothing built, no launcher written anywhere
    assert sorted(p.name for p in official.iterdir()) == ["pulumi", "pulumi-language-python"]


def test_an_older_cli_or_cwt_pulumi_build_means_the_built_one(tmp_path):
    cache_bin = tmp_path / "cache" / f"pulumi-v{pinned()}" / "bin"
    old = fake_cli(tmp_path / "old", "3.100.0")
    assert build_script(tmp_path, [old], "--print-bin").stdout.strip() == str(cache_bin)
    new = fake_cli(tmp_path / "new", bump(pinned()))
    assert build_script(tmp_path, [new], "--print-bin", CWT_PULUMI="build").stdout.strip() == str(cache_bin)


@pytest.mark.parametrize("launcher, kind", [
    (b"\x7fELF...", "official"),
    (b"#!/bin/sh\nexec python -u -c 'from fallback_hosts.language_host import main'\n", "fallback"),
])
def test_describe_names_the_cli_and_the_language_host(tmp_path, monkeypatch, launcher, kind):
    from importlib import metadata

    folder = fake_cli(tmp_path / "bin", metadata.version("pulumi"), launcher)
    monkeypatch.setenv("PATH", f"{folder}:/usr/bin:/bin")
    lines = toolchain.describe()
    assert lines[0][0] is True and f"at {folder / 'pulumi'}" in lines[0][1]
    assert lines[1] == (True, lines[1][1]) and kind in lines[1][1]


def test_describe_warns_about_an_old_cli_and_a_missing_host(tmp_path, monkeypatch):
    folder = fake_cli(tmp_path / "bin", "3.100.0", None)
    monkeypatch.setenv("PATH", f"{folder}:/usr/bin:/bin")
    (cli_fine, cli_msg), (host_fine, host_msg) = toolchain.describe()
    assert not cli_fine and "older than the pinned SDK" in cli_msg
    assert not host_fine and "not found" in host_msg
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    [(fine, msg)] = toolchain.describe()
    assert not fine and "not on PATH" in msg


def test_describe_warns_about_a_launcher_written_by_an_older_setup(tmp_path, monkeypatch):
    from importlib import metadata

    old = b"#!/bin/sh\nexec \"$py\" -u -m cwtenants.langhost \"$@\"\n"  # the module is gone
    monkeypatch.setenv("PATH", f"{fake_cli(tmp_path / 'bin', metadata.version('pulumi'), old)}:/usr/bin:/bin")
    (cli_fine, _), (host_fine, host_msg) = toolchain.describe()
    assert cli_fine and not host_fine
    assert "older scripts/build-pulumi.sh" in host_msg and "run scripts/setup.sh" in host_msg


def test_ci_installs_the_official_cli_at_the_pin_and_go_modules_only_on_request():
    import yaml
    from importlib import metadata

    action = yaml.safe_load((ROOT / ".github" / "actions" / "setup" / "action.yml").read_text())
    steps = action["runs"]["steps"]
    official = [s for s in steps if s.get("uses", "").startswith("pulumi/actions@")]
    assert len(official) == 1 and official[0]["with"]["pulumi-version"] == metadata.version("pulumi") == pinned()
    assert official[0]["if"] == "inputs.pulumi == 'official'" and action["inputs"]["pulumi"]["default"] == "official"
    go = [s for s in steps if s.get("uses", "").startswith("actions/setup-go@")]
    assert len(go) == 1 and go[0]["if"] == "inputs.pulumi == 'go-modules'"


def test_fallback_launcher_without_the_project_venv_says_what_to_run(tmp_path):
    """`pulumi install` on a fresh clone with the fallback host: one line naming the fix, no traceback."""
    import sys

    sys.path.insert(0, str(ROOT / "tests"))
    from pulumi_cli import require_pulumi

    # this checkout's launchers, written by build-pulumi.sh into a private cache around the built CLI
    cache_bin = tmp_path / "cache" / f"pulumi-v{pinned()}" / "bin"
    cache_bin.mkdir(parents=True)
    (cache_bin / "pulumi").symlink_to(require_pulumi() / "pulumi")
    r = build_script(tmp_path, [], CWT_PULUMI="build")
    assert r.returncode == 0, r.stderr
    launcher = cache_bin / "pulumi-language-python"
    if b"fallback_hosts" not in launcher.read_bytes()[:4000]:
        pytest.skip("the official language host could be built")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "bare")], check=True)
    r = subprocess.run([str(launcher), "127.0.0.1:1"], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                       env={**os.environ, "PULUMI_PYTHON_CMD": str(tmp_path / "bare" / "bin" / "python")})
    assert r.returncode == 1 and r.stdout == ""
    assert "needs the project venv" in r.stderr and "run scripts/setup.sh" in r.stderr
    assert "Traceback" not in r.stderr


def test_the_fallback_hosts_stand_apart_from_the_product():
    """fallback_hosts never imports cwtenants, and cwtenants only forwards to it (the two stubs)."""
    import ast

    def imports(path: Path) -> set[str]:
        tree = ast.parse(path.read_text())
        names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        return {n.split(".")[0] for n in names}

    hosts = sorted((ROOT / "fallback_hosts").glob("*.py"))
    assert {p.name for p in hosts} >= {"language_host.py", "program_runner.py", "provider_host.py", "lifeline.py"}
    assert all("cwtenants" not in imports(p) for p in hosts)
    product = [p for p in (ROOT / "infra" / "cwtenants").rglob("*.py") if "fallback_hosts" in imports(p)]
    assert product == []  # the product package neither is nor forwards to a host


def test_fallback_readme_lists_exactly_what_the_language_host_implements():
    import ast
    import re

    from pulumi.runtime.proto import language_pb2

    service = {m.name for m in language_pb2.DESCRIPTOR.services_by_name["LanguageRuntime"].methods}
    tree = ast.parse((ROOT / "fallback_hosts" / "language_host.py").read_text())
    host = next(n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name == "Host")
    implemented = {f.name for f in host.body if isinstance(f, ast.FunctionDef)}
    assert implemented <= service
    readme = (ROOT / "fallback_hosts" / "README.md").read_text()
    rows = re.findall(r"^\| (`.+?`) \| (yes|\*\*no\*\*)", readme, re.M)
    said = {name: answer == "yes" for cell, answer in rows for name in re.findall(r"`(\w+)`", cell)}
    assert set(said) == service, set(said) ^ service
    assert {n for n, yes in said.items() if yes} == implemented
    assert f"{len(implemented)} of the {len(service)} `LanguageRuntime` calls" in readme
