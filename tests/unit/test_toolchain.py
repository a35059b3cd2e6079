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
    (b"#!/bin/sh\nexec \"$py\" -u -m cwtenants.langhost \"$@\"\n", "fallback"),  # written by an older setup
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
