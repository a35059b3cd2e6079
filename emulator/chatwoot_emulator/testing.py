"""Test helper: run the emulator in a subprocess.

    with EmulatorProcess(tmp_path, delete_delay=0.5) as emu:
        httpx.get(emu.url + "/api/v1/profile", headers={"api_access_token": emu.tokens["admin_token"]})
        emu.control("POST", "faults", json={"error_rate": 0.5, "seed": 7})
        emu.stop(); emu.start()          # restart on the same port and state dir

Keyword options map to ``serve`` flags: ``latency_ms=5`` → ``--latency-ms 5``.
Server output goes to ``<state_dir>/emulator.log``.  After the readiness probe the fault streams are
re-seeded with ``fault_seed`` and stats are reset, so tests see the sequence from request n = 0.
"""

from __future__ import annotations

import json
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from .core import IDENTITY_HEADER


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class EmulatorProcess:
    def __init__(self, state_dir, port: int | None = None, startup_timeout: float = 20.0, **opts):
        self.state_dir = Path(state_dir)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.opts = opts
        self.startup_timeout = startup_timeout
        self.proc: subprocess.Popen | None = None
        self._log = None
        #: sent as --instance-id and expected back in X-Chatwoot-Emulator: proof that the server answering
        #: on the port is this process, not another one that got the port first
        self.instance_id = secrets.token_hex(16)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def tokens(self) -> dict:
        return json.loads((self.state_dir / "tokens.json").read_text())

    @property
    def log_path(self) -> Path:
        return self.state_dir / "emulator.log"

    def command(self) -> list[str]:
        cmd = [sys.executable, "-m", "chatwoot_emulator", "serve", "--port", str(self.port),
               "--state-dir", str(self.state_dir), "--instance-id", self.instance_id]
        opts = {"log_level": "info", **self.opts}
        for key, value in opts.items():
            cmd += [f"--{key.replace('_', '-')}", str(value)]
        return cmd

    def start(self) -> "EmulatorProcess":
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.command(), stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"emulator exited with {self.proc.returncode}; see {self.log_path}")
            try:
                ready = self._answers()
            except RuntimeError:
                self.stop()
                raise
            if ready:
                self._after_ready()
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"emulator did not answer GET /api within {self.startup_timeout}s; see {self.log_path}")

    def _answers(self) -> bool:
        """Ready when GET /api gives any HTTP answer (it may be an injected 500 or a 429) or, if faults
        drop it, when the control plane answers — from this process (its X-Chatwoot-Emulator header)."""
        for path in ("/api", "/__emulator__/faults"):
            try:
                r = httpx.get(self.url + path, timeout=1.0)
            except httpx.HTTPError:
                continue
            if r.headers.get(IDENTITY_HEADER) != self.instance_id:
                raise RuntimeError(f"another server answers on port {self.port} (not this emulator)")
            return True
        return False

    def _after_ready(self) -> None:
        """The readiness probe consumed fault draws: re-seed (sequence restarts at n = 0) and clear stats."""
        seed = int(self.opts.get("fault_seed", 0))
        self.control("POST", "faults", json={"seed": seed})
        self.control("POST", "stats/reset")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if self._log:
            self._log.close()
            self._log = None

    def control(self, method: str, path: str, json=None):
        """Call ``/__emulator__/<path>`` and return the decoded JSON body (raises on HTTP errors)."""
        r = httpx.request(method, f"{self.url}/__emulator__/{path.lstrip('/')}", json=json, timeout=30.0)
        r.raise_for_status()
        return r.json()

    def __enter__(self) -> "EmulatorProcess":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
