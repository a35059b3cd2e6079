"""`cwtenants emulator`: it proves the server it prints is the emulator it started, never defaults to
Chatwoot's port, fails with one line when the port is taken, and stops on Ctrl-C without a traceback."""

from __future__ import annotations

import http.server
import inspect
import json
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from chatwoot_emulator.__main__ import DEFAULT_PORT as EMULATOR_DEFAULT_PORT
from cwtenants import cli, local_emulator


def _launch(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "cwtenants.cli", "emulator", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**__import__("os").environ, "NO_COLOR": "1"})


def _read_until_ready(proc) -> str:
    lines = []
    while True:
        line = proc.stderr.readline()
        lines.append(line)
        if not line or "Ctrl-C" in line:
            return "".join(lines)


def test_default_port_is_not_chatwoots_and_is_the_emulators():
    default = inspect.signature(cli.emulator).parameters["port"].default
    assert default == local_emulator.DEFAULT_PORT == EMULATOR_DEFAULT_PORT != 3000


def test_port_zero_starts_on_a_free_port_proven_by_its_nonce(tmp_path):
    proc = _launch("--port", "0", "--state-dir", str(tmp_path / "state"))
    try:
        text = _read_until_ready(proc)
        assert "emulator ready at http://127.0.0.1:" in text, text
        url = text.split("emulator ready at ")[1].split()[0]
        tokens = json.loads((tmp_path / "state" / "tokens.json").read_text())
        assert tokens["url"] == url and f"export CHATWOOT_URL={url} " in text
        assert str((tmp_path / "state" / "tokens.json").resolve()) in text  # works from any directory
        assert tokens["admin_token"] not in text
        assert local_emulator.emulator_instance(url)  # it carries the identity header
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Traceback" not in out + err and "emulator stopped" in err
    with pytest.raises(httpx.HTTPError):
        httpx.get(url + "/api", timeout=1)  # the child went with it


def test_a_taken_port_is_one_error_line_and_no_tokens(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = _launch("--port", str(port), "--state-dir", str(tmp_path / "state"))
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert err.strip().splitlines() == [
        f"error: port {port} on 127.0.0.1 is already in use (another server listens there, maybe a real "
        "Chatwoot); choose another with --port N, or --port 0 for a free one"]
    assert "emulator ready" not in out + err and not (tmp_path / "state" / "tokens.json").exists()


class _Foreign(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # a server that looks like Chatwoot's GET /api but is not the emulator
        body = b'{"version":"4.15.1"}'
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_a_foreign_server_is_not_taken_for_the_emulator(tmp_path, monkeypatch):
    server = http.server.HTTPServer(("127.0.0.1", 0), _Foreign)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        assert local_emulator.emulator_instance(url) is None
        # even if the port check were fooled (a race), the started process must prove itself
        monkeypatch.setattr(local_emulator, "port_in_use", lambda port, host="127.0.0.1": False)
        with pytest.raises(local_emulator.EmulatorStartError, match="exited with code 3 before listening"):
            local_emulator.start(server.server_address[1], tmp_path / "state", timeout=30)
        assert not (tmp_path / "state" / "tokens.json").exists()
    finally:
        server.shutdown()


def test_start_rejects_an_answer_without_its_nonce(tmp_path, monkeypatch):
    """The "listening" line is not enough: the server at that URL must echo this start's nonce."""
    monkeypatch.setattr(local_emulator, "emulator_instance", lambda url, timeout=2.0: "someone-else")
    with pytest.raises(local_emulator.EmulatorStartError, match="does not answer as the emulator just started"):
        local_emulator.start(0, tmp_path / "state", timeout=30)


def test_cli_md_documents_the_default_port():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text()
    assert f"cwtenants emulator [--port {local_emulator.DEFAULT_PORT}]" in doc
