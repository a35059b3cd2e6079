"""scripts/postgres.sh is private to its checkout: two checkouts get two servers (data directory and
port derived from the checkout), and one checkout's `stop` leaves the other's server running."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

from pulumi_cli import ROOT


def checkout(tmp_path, name):
    scripts = tmp_path / name / "scripts"
    scripts.mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "postgres.sh", scripts / "postgres.sh")
    return scripts / "postgres.sh"


def sh(script, *args, check=True):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CWT_PG_")}
    r = subprocess.run(["bash", str(script), *args], capture_output=True, text=True, env=env, timeout=300)
    assert not check or r.returncode == 0, f"{script} {args}: {r.stderr}"
    return r


def test_two_checkouts_never_share_or_stop_each_others_server(tmp_path):
    a, b = checkout(tmp_path, "a"), checkout(tmp_path, "b")
    dir_a = re.search(r"\((.*)/data\)", sh(a, "status", check=False).stdout)[1]
    dir_b = re.search(r"\((.*)/data\)", sh(b, "status", check=False).stdout)[1]
    assert dir_a != dir_b
    try:
        url_a = sh(a, "up").stdout.strip()
        assert sh(b, "status", check=False).returncode == 3  # a's server is not b's
        url_b = sh(b, "up").stdout.strip()
        port = re.compile(r"@127\.0\.0\.1:(\d+)/")
        assert port.search(url_a)[1] != port.search(url_b)[1]
        sh(a, "stop")
        assert sh(b, "status").stdout.startswith("running")
        assert sh(b, "psql", "-qAt", "-c", "select 1").stdout.strip() == "1"
        assert sh(a, "status", check=False).returncode == 3
    finally:
        for script, d in ((a, dir_a), (b, dir_b)):
            sh(script, "stop", check=False)
            shutil.rmtree(d, ignore_errors=True)
            for extra in (f"{d}.lock",):
                if os.path.exists(extra):
                    os.remove(extra)
