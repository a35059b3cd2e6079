"""Run the locally built pulumi CLI in tests: isolated backend, no prompts, no downloads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def pulumi_bin_dir() -> Path:
    out = subprocess.run(
        ["bash", str(ROOT / "scripts" / "build-pulumi.sh"), "--print-bin"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    return Path(out)


def require_pulumi() -> Path:
    bin_dir = pulumi_bin_dir()
    if not (bin_dir / "pulumi").exists():
        raise RuntimeError(
            f"the Pulumi CLI is not built ({bin_dir}/pulumi missing): run scripts/setup.sh"
        )
    return bin_dir


def json_documents(text: str) -> list[dict]:
    docs, dec, i = [], json.JSONDecoder(), 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return docs
        doc, i = dec.raw_decode(text, i)
        docs.append(doc)


@dataclass
class Pulumi:
    """A pulumi CLI bound to one project directory, one backend and one stack."""

    cwd: Path
    backend: Path
    home: Path
    stack: str
    # repr=False: it carries tokens, and a failing test prints the fixture's repr
    extra_env: dict = field(repr=False)

    def env(self) -> dict:
        bin_dir = require_pulumi()
        env = dict(os.environ)
        env.update(
            PATH=f"{Path(sys.executable).parent}:{bin_dir}:{env.get('PATH', '')}",
            PULUMI_HOME=str(self.home),
            PULUMI_BACKEND_URL=f"file://{self.backend}",
            PULUMI_CONFIG_PASSPHRASE="e2e-test-passphrase",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
            PULUMI_SKIP_UPDATE_CHECK="true",
            PULUMI_PYTHON_CMD=sys.executable,
            PULUMI_STACK=self.stack,
            NO_COLOR="1",
        )
        env.pop("PULUMI_CONFIG_PASSPHRASE_FILE", None)
        # scripts/env.sh (and so scripts/test.sh) exports PULUMI_SKIP_CHECKPOINTS=true: tests get
        # Pulumi's own default unless they ask for it (extra_env), whatever shell they run from
        env.pop("PULUMI_SKIP_CHECKPOINTS", None)
        env.update(self.extra_env)
        return env

    def run(self, *args: str, check: bool = True, timeout: float = 900) -> subprocess.CompletedProcess:
        cmd = ["pulumi", *args, "--non-interactive"]
        if args and args[0] not in ("stack", "config", "version", "state", "cancel", "login", "install", "about"):
            cmd += ["--stack", self.stack]
        proc = subprocess.run(cmd, cwd=self.cwd, env=self.env(), capture_output=True, text=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(
                f"`pulumi {' '.join(args)}` exited {proc.returncode}\n--- stdout\n{proc.stdout[-6000:]}\n--- stderr\n{proc.stderr[-4000:]}"
            )
        return proc

    def init(self, config: dict | None = None, secrets: dict | None = None) -> None:
        self.backend.mkdir(parents=True, exist_ok=True)
        self.home.mkdir(parents=True, exist_ok=True)
        self.run("stack", "init", self.stack)
        for k, v in (config or {}).items():
            self.run("config", "set", "--stack", self.stack, k, str(v))
        for k, v in (secrets or {}).items():
            # via stdin, so the secret never appears in a process list
            proc = subprocess.run(
                ["pulumi", "config", "set", "--secret", "--stack", self.stack, k, "--non-interactive"],
                cwd=self.cwd, env=self.env(), input=str(v), capture_output=True, text=True,
            )
            assert proc.returncode == 0, proc.stderr

    def preview_json(self, *args: str) -> dict:
        proc = self.run("preview", "--json", *args)
        return json.loads(proc.stdout)

    def up_json(self, *args: str) -> list[dict]:
        """`pulumi up --json` prints the plan, then one JSON event per line: return them all."""
        proc = self.run("up", "--yes", "--json", *args)
        return json_documents(proc.stdout)

    def up_summary(self, *args: str) -> dict:
        """The `summaryEvent` of an up: resourceChanges counts by operation, and the result."""
        docs = self.up_json(*args)
        return [d["summaryEvent"] for d in docs if "summaryEvent" in d][-1]

    def outputs(self) -> dict:
        proc = self.run("stack", "output", "--json", "--show-secrets", "--stack", self.stack)
        return json.loads(proc.stdout)

    def export(self) -> dict:
        proc = self.run("stack", "export", "--stack", self.stack)
        return json.loads(proc.stdout)
