"""Which Pulumi CLI and which Python language host this shell uses (``cwtenants doctor``, setup).

The CLI is the first ``pulumi`` on PATH: an official one (installer, Homebrew, pulumi/actions) or
the one ``scripts/build-pulumi.sh`` built from Go modules. The language host is found the way
the CLI finds it: ``pulumi-language-python`` on PATH, else next to the ``pulumi`` binary. A
short launcher script naming ``fallback_hosts`` is the project's fallback host; one naming only
``cwtenants.langhost`` was written by an older setup (that module is gone: setup rewrites it); a
binary is the official host.

``python -m cwtenants.toolchain`` prints the same lines.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path


def _version_tuple(text: str) -> tuple[int, ...] | None:
    m = re.search(r"(\d+)\.(\d+)\.(\d+)", text)
    return tuple(map(int, m.groups())) if m else None


def language_host(pulumi: Path) -> tuple[Path | None, str]:
    """(path, "official" | "fallback" | "outdated" | "missing") of the pulumi-language-python the CLI would start."""
    found = shutil.which("pulumi-language-python")
    path = Path(found) if found else pulumi.resolve().parent / "pulumi-language-python"
    if not path.exists():
        return None, "missing"
    head = path.read_bytes()[:4000]
    if head.startswith(b"#!") and b"fallback_hosts" in head:
        return path, "fallback"
    if head.startswith(b"#!") and b"cwtenants.langhost" in head:
        return path, "outdated"
    return path, "official"


def describe() -> list[tuple[bool, str]]:
    """(fine, message) lines about the Pulumi CLI and the language host in use."""
    found = shutil.which("pulumi")
    if not found:
        return [(False, "pulumi CLI: not on PATH; install the official Pulumi CLI, or run scripts/setup.sh "
                        "and `. scripts/env.sh`")]
    pulumi = Path(found)
    try:
        version = subprocess.run([str(pulumi), "version"], capture_output=True, text=True, timeout=60).stdout.strip()
    except (OSError, subprocess.SubprocessError) as exc:
        return [(False, f"pulumi CLI: {pulumi} does not run ({exc})")]
    built = "/cwtenants/pulumi-v" in str(pulumi.resolve()) or (
        os.environ.get("PULUMI_BUILD_CACHE") and str(pulumi.resolve()).startswith(
            str(Path(os.environ["PULUMI_BUILD_CACHE"]).resolve())))
    origin = "built from Go modules by scripts/build-pulumi.sh" if built else "official"
    sdk = metadata.version("pulumi")
    lines = []
    cli_v, sdk_v = _version_tuple(version), _version_tuple(sdk)
    fine = bool(cli_v and sdk_v and cli_v[0] == sdk_v[0] and cli_v >= sdk_v)
    lines.append((fine, f"pulumi CLI: {version} ({origin}) at {pulumi}"
                  + ("" if fine else f"; older than the pinned SDK {sdk}: upgrade it, or run scripts/setup.sh")))
    path, kind = language_host(pulumi)
    if kind == "missing":
        lines.append((False, "language host: pulumi-language-python not found next to pulumi or on PATH; "
                             "run scripts/setup.sh"))
    elif kind == "outdated":
        lines.append((False, f"language host: {path} was written by an older scripts/build-pulumi.sh and runs "
                             "cwtenants.langhost, which no longer exists; run scripts/setup.sh (it rewrites it)"))
    elif kind == "fallback":
        lines.append((True, f"language host: the project's fallback (fallback_hosts/, see its README) at {path}"))
    else:
        lines.append((True, f"language host: official pulumi-language-python at {path}"))
    return lines


def main() -> None:
    for fine, msg in describe():
        print(("" if fine else "warning: ") + msg)
    sys.exit(0)


if __name__ == "__main__":
    main()
