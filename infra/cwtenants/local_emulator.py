"""The local Chatwoot emulator as the CLI sees it: how to tell it apart from a real Chatwoot.

The emulator (package ``chatwoot_emulator``, never imported here) answers every request with an
``X-Chatwoot-Emulator`` header whose value is a nonce chosen at each start; a real Chatwoot sends no such
header. ``GET /api`` itself has exactly the keys of a real server.

``start`` runs it for ``cwtenants emulator``: the port is checked first (never 3000 by default), a nonce
is passed with ``--instance-id`` and must come back in the header, and tokens.json must name the URL the
emulator printed once it listened.
"""

from __future__ import annotations

import json
import queue
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

IDENTITY_HEADER = "x-chatwoot-emulator"


def emulator_instance(url: str, timeout: float = 2.0) -> str | None:
    """The emulator instance answering at ``url`` (its nonce), or None for a real Chatwoot / no answer."""
    try:
        response = httpx.get(url.rstrip("/") + "/api", timeout=timeout)
    except httpx.HTTPError:
        return None
    return response.headers.get(IDENTITY_HEADER) or None


#: Not 3000 (Chatwoot's own default port): `cwtenants emulator` must never be mistaken for, or shadow, a real one.
DEFAULT_PORT = 3917
READY_LINE = re.compile(r"^chatwoot emulator listening on (\S+) \(instance (\w+)\)")


class EmulatorStartError(Exception):
    """The emulator could not be started or did not prove to be the one started (one line, no traceback)."""


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """True when something listens on host:port already (binding it fails)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


@dataclass
class Started:
    proc: subprocess.Popen
    url: str
    instance_id: str
    tokens_path: Path


def start(port: int, state_dir: Path, latency_ms: float = 0.0, timeout: float = 30.0) -> Started:
    """Start ``python -m chatwoot_emulator serve`` with a fresh nonce and return once *that* process
    listens: its stdout names the URL (also for ``--port 0``), the server there answers with the nonce
    in ``X-Chatwoot-Emulator``, and tokens.json names that URL. Raises EmulatorStartError otherwise."""
    if port and port_in_use(port):
        raise EmulatorStartError(f"port {port} on 127.0.0.1 is already in use (another server listens there, "
                                 "maybe a real Chatwoot); choose another with --port N, or --port 0 for a free one")
    nonce = secrets.token_hex(16)
    cmd = [sys.executable, "-m", "chatwoot_emulator", "serve", "--port", str(port), "--state-dir", str(state_dir),
           "--latency-ms", str(latency_ms), "--log-level", "warning", "--instance-id", nonce]
    # its own process group: Ctrl-C in the terminal reaches only this launcher, which stops the child
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        url = _wait_listening(proc, nonce, timeout)
        if emulator_instance(url) != nonce:
            raise EmulatorStartError(f"{url} does not answer as the emulator just started (another server?)")
        tokens_path = state_dir / "tokens.json"
        if json.loads(tokens_path.read_text()).get("url") != url:
            raise EmulatorStartError(f"{tokens_path} does not name {url}")
    except BaseException:  # EmulatorStartError, Ctrl-C while starting: never leave the child running
        stop(proc)
        raise
    return Started(proc, url, nonce, tokens_path)


def _wait_listening(proc: subprocess.Popen, nonce: str, timeout: float) -> str:
    """The URL from the emulator's "listening" line carrying our nonce (stdout is drained by a thread)."""
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()
    deadline = time.monotonic() + timeout
    while True:
        try:
            match = READY_LINE.match(lines.get(timeout=0.1))
        except queue.Empty:
            if proc.poll() is not None:
                raise EmulatorStartError(f"the emulator exited with code {proc.returncode} before listening") from None
            if time.monotonic() > deadline:
                raise EmulatorStartError(f"the emulator did not start listening within {timeout:.0f}s") from None
            continue
        if match and match.group(2) == nonce:
            return match.group(1)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
