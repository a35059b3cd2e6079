"""Nothing in the repository refers to a file or document outside it.

Chatwoot's behaviour is documented in the project's own words in docs/chatwoot-behaviour.md; code comments,
READMEs, docs and tests point at its sections. A reader of a clone has nothing else, so every tracked file
is scanned for references to material beside or outside the checkout: folders next to the clone, a build
machine's paths, outside documents or their numbered sections, and absolute home directories (the exact
patterns are FORBIDDEN below, spelled in pieces).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SELF = Path(__file__).resolve().relative_to(ROOT).as_posix()

# Spelled in pieces so that this file does not match itself.
FORBIDDEN = {
    "a sibling shared folder": re.compile(r"\.\./" + "shared"),
    "a build-machine path": re.compile("/" + r"work/"),
    "an outside API notes file, by name": re.compile(r"chatwoot-api" + r"\.md"),
    "an outside reference document": re.compile("fact" + r"[ -]sheet", re.IGNORECASE),
    "a section number of an outside document": re.compile("\u00a7" + r"\s?[0-9A-Z]"),
    "an absolute home directory": re.compile(r"(?<![\w.~-])/(?:home|Users)/[A-Za-z0-9_.-]+|(?<![\w.~-])/" + "root/"),
}


def tracked_files() -> list[str]:
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: the tracked files are unknown")
    return [f for f in out.decode().split("\0") if f]


def scan(files: list[str]) -> list[str]:
    problems = []
    for rel in files:
        if rel == SELF:
            continue
        path = ROOT / rel
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
            continue  # binary, or deleted in the work tree
        for lineno, line in enumerate(text.splitlines(), 1):
            for what, pattern in FORBIDDEN.items():
                m = pattern.search(line)
                if m:
                    problems.append(f"{rel}:{lineno}: {what}: {m.group(0)!r} — point at docs/chatwoot-behaviour.md "
                                    "(or describe it in the project's own words) instead")
    return problems


def test_no_tracked_file_refers_to_anything_outside_the_repository():
    files = tracked_files()
    assert len(files) > 50
    problems = scan(files)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("line", [
    "see ../" + "shared/samples/x.json",
    "Behaviour follows /" + "work/shared/notes.md",
    "as chatwoot-api" + ".md says",
    "(fact" + " sheet, inboxes)",
    "raise server_error()  # \u00a7" + "3.1 enum",
    "notes \u00a7" + "A3 shows it",
    "open('/" + "home/alice/chatwoot/x')",
    "cat /" + "root/.config/x",
])
def test_the_scan_catches_each_kind(tmp_path, monkeypatch, line):
    planted = tmp_path / "planted.md"
    planted.write_text(f"fine line\n{line}\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert scan(["planted.md"]) and scan(["planted.md"])[0].startswith("planted.md:2: ")


@pytest.mark.parametrize("line", [
    "docs/chatwoot-behaviour.md#inboxes: enum → 500",
    "~/.cache/cwtenants/pulumi (a cache in the user's home)",
    "section 5 above",
    "http://127.0.0.1:3917/api",
])
def test_the_scan_leaves_own_references_alone(tmp_path, monkeypatch, line):
    (tmp_path / "ok.md").write_text(line + "\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert scan(["ok.md"]) == []
