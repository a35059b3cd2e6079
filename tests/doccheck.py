"""Doc-check: the shell snippets of the documentation, run as written.

Every ```sh block in README.md and docs/*.md is preceded by a marker:

    <!-- doc-check: run SCENARIO -->      run it, in document order, with the other blocks of SCENARIO
    <!-- doc-check: skip REASON -->       not run, and why (a placeholder URL, a remote, the demo itself)

`tests/unit/test_doccheck.py` fails on an unmarked block, so a new snippet is never silently
unchecked; the e2e tests (`tests/e2e/test_docs.py`, `tests/e2e/postgres/test_docs_team.py`) run
the scenarios in a fresh copy of the checkout (its tracked and new files, its own venv) against
the emulator.

A scenario's blocks become one bash script, one shell, so `. scripts/env.sh` and `export` carry
over like in a terminal. Each command line must exit 0, or the code its comment documents
(`cmd   # exit 2: "text"` also requires "text" in its output). A line starting with
`cwtenants emulator` is what the docs run "in a second terminal": it is started in the
background on a free port, and its printed export lines are evaluated ("paste the export lines").
`pulumi up` / `preview` run with PULUMI_SKIP_CONFIRMATIONS=true (the terminal's "yes").
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

_BLOCK = re.compile(r"^```(sh|bash)[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)
_MARK = re.compile(r"<!--\s*doc-check:\s*(run|skip)\b\s*(.*?)\s*-->\s*$")
_COMMENT = re.compile(r"\s{2,}#\s?(.*)$|^#\s?(.*)$")


@dataclass
class Block:
    file: Path
    line: int  # of the opening fence
    action: str | None  # run | skip | None (unmarked)
    arg: str
    text: str

    @property
    def name(self) -> str:
        return str(self.file.relative_to(ROOT)) if self.file.is_relative_to(ROOT) else self.file.name

    @property
    def where(self) -> str:
        return f"{self.name}:{self.line}"


def blocks(path: Path) -> list[Block]:
    text = path.read_text(encoding="utf-8")
    out = []
    for m in _BLOCK.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        before = text[:m.start()].rstrip("\n").rsplit("\n", 1)[-1]
        mark = _MARK.search(before)
        out.append(Block(path, line, mark.group(1) if mark else None, mark.group(2) if mark else "", m.group(2)))
    return out


def scenario(name: str) -> list[Block]:
    found = [b for doc in DOCS for b in blocks(doc) if b.action == "run" and b.arg == name]
    assert found, f"no `<!-- doc-check: run {name} -->` block in the docs"
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _split(line: str) -> tuple[str, str]:
    """(command, comment) of one snippet line; a '#' inside the command needs two spaces before it."""
    m = _COMMENT.search(line)
    if not m:
        return line.strip(), ""
    return line[:m.start()].strip(), (m.group(1) or m.group(2) or "").strip()


def to_script(blocks_: list[Block]) -> str:
    """The bash script of a scenario (see module docstring)."""
    out = [
        'T=$(mktemp -d); EMU_PID=""',
        'trap \'[ -n "$EMU_PID" ] && kill "$EMU_PID" 2>/dev/null; wait 2>/dev/null\' EXIT',
        'fail() { echo "doc-check FAILED: $*" >&2; exit 1; }',
    ]
    for b in blocks_:
        for i, raw in enumerate(b.text.splitlines(), b.line + 1):
            cmd, comment = _split(raw)
            if not cmd:
                continue
            where = f"{b.name}:{i}"
            out.append(f"echo {shlex.quote(f'$ {cmd}    ({where})')} >&2")
            if cmd.startswith("cwtenants emulator"):
                out += [
                    f'{cmd} --port {free_port()} >"$T/emu.out" 2>"$T/emu.err" & EMU_PID=$!',
                    'for _ in $(seq 600); do grep -q "export CHATWOOT_API_TOKEN" "$T/emu.err" && break; '
                    'kill -0 "$EMU_PID" 2>/dev/null || break; sleep 0.1; done',
                    'cat "$T/emu.err" >&2',
                    'exports=$(grep -E "^[[:space:]]+export " "$T/emu.err")',
                    f'[ "$(printf "%s\\n" "$exports" | grep -c export)" = 2 ] || '
                    f'fail {shlex.quote(where)}: "expected the two export lines the doc announces"',
                    'eval "$exports"',
                ]
                continue
            rc = re.search(r"\bexit (\d+)", comment)
            expected = re.search(r'\bexit \d+: "([^"]+)"', comment)
            out += [
                f"{{ {cmd}\n}} >\"$T/out\" 2>&1",
                'rc=$?; cat "$T/out" >&2',
                f'[ "$rc" = {rc.group(1) if rc else 0} ] || fail {shlex.quote(where)}: "exit $rc, the doc says '
                f'{rc.group(1) if rc else 0}"',
            ]
            if expected:
                out.append(f"grep -qF -- {shlex.quote(expected.group(1))} \"$T/out\" || "
                           f"fail {shlex.quote(where)}: {shlex.quote('output lacks ' + repr(expected.group(1)))}")
    out.append('echo "doc-check: ok" >&2')
    return "\n".join(out) + "\n"


def checkout_copy(dest: Path) -> Path:
    """A fresh-clone-like copy of this checkout: its tracked and new files, a git repository of its
    own (one commit), no .venv or .state (the doc's `bash scripts/setup.sh` makes its own venv; the
    Pulumi build is cached outside the repository)."""
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, files):
        src = ROOT / name
        if not src.exists() and not src.is_symlink():
            continue  # deleted in the working tree
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():
            target.symlink_to(os.readlink(src))
        else:
            shutil.copy2(src, target)
    env = git_env()
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "doc-check copy"]):
        subprocess.run(["git", *args], cwd=dest, env=env, check=True, capture_output=True)
    return dest


def git_env() -> dict:
    return {**os.environ, "GIT_AUTHOR_NAME": "doc-check", "GIT_AUTHOR_EMAIL": "doc-check@example.invalid",
            "GIT_COMMITTER_NAME": "doc-check", "GIT_COMMITTER_EMAIL": "doc-check@example.invalid"}


def clean_env(extra: dict | None = None) -> dict:
    """A newcomer's shell: none of this checkout's settings, confirmations answered "yes"."""
    drop = ("CHATWOOT_", "PULUMI_", "CWT_", "VIRTUAL_ENV")
    env = {k: v for k, v in git_env().items() if not k.startswith(drop)}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if not p.startswith(str(ROOT)))
    env.update({"PULUMI_SKIP_CONFIRMATIONS": "true", "NO_COLOR": "1", **(extra or {})})
    return env


def run(script: str, cwd: Path, env: dict, timeout: float = 1800) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", script], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)
