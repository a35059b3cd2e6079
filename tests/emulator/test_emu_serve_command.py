"""``python -m chatwoot_emulator serve``: its port, its identity, tokens.json only once listening, and
clean exits (a taken port is one line and exit 3; Ctrl-C is exit 0 without a traceback)."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys

import httpx

from chatwoot_emulator.__main__ import DEFAULT_PORT, EXIT_PORT_IN_USE, build_parser


def _serve(state_dir, *args) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "chatwoot_emulator", "serve", "--state-dir", str(state_dir), "--log-level", "warning",
           *args]
    # SIGINT restored to the default: a test runner may have started us with it ignored
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def _listening_line(proc) -> str:
    line = proc.stdout.readline()
    assert line.startswith("chatwoot emulator listening on http://127.0.0.1:"), line
    return line


def test_default_port_is_not_chatwoots():
    assert DEFAULT_PORT != 3000
    assert build_parser().parse_args(["serve"]).port == DEFAULT_PORT


def test_port_zero_picks_a_free_port_prints_it_and_writes_tokens_once_listening(tmp_path):
    proc = _serve(tmp_path / "state", "--port", "0", "--instance-id", "nonce-of-this-test")
    try:
        line = _listening_line(proc)
        url = line.split()[4]
        assert "(instance nonce-of-this-test)" in line
        tokens = json.loads((tmp_path / "state" / "tokens.json").read_text())
        assert tokens["url"] == url and not url.endswith(":0")
        r = httpx.get(url + "/api")
        assert r.status_code == 200 and r.headers["x-chatwoot-emulator"] == "nonce-of-this-test"
        assert tokens["admin_token"] not in line
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def test_a_taken_port_is_one_line_exit_3_and_leaves_tokens_alone(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    before = json.dumps({"url": "http://127.0.0.1:1", "admin_token": "x"})
    (state / "tokens.json").write_text(before)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = _serve(state, "--port", str(port))
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == EXIT_PORT_IN_USE == 3
    assert err.strip().splitlines() == [
        f"chatwoot_emulator: port {port} on 127.0.0.1 is already in use (another server listens there); "
        "choose another with --port N, or --port 0 for a free one"]
    assert out == ""
    assert (state / "tokens.json").read_text() == before  # not rewritten to a port it never got


def test_ctrl_c_stops_without_a_traceback(tmp_path):
    proc = _serve(tmp_path / "state", "--port", "0")
    _listening_line(proc)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Traceback" not in err + out and "KeyboardInterrupt" not in err + out

