"""What a user sees from the language host in use (today the fallback, fallback_hosts/).

A failed run ends with the error (no host traceback, no KeyboardInterrupt); an exception in the
program shows the program's own frames only; a missing __main__.py is one short message;
`pulumi install` creates the `virtualenv` of the runtime options and installs requirements.txt;
`pulumi about` shows the toolchain; after SIGKILL of `pulumi up` no process it started survives.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import psutil
import pytest

from pulumi_cli import ROOT, Pulumi, require_pulumi

pytestmark = pytest.mark.e2e


def host_in_use() -> str:
    text = (require_pulumi() / "pulumi-language-python").read_bytes()[:2000]
    return "fallback" if b"fallback_hosts" in text else "official"


@pytest.fixture
def prog(tmp_path):
    project = tmp_path / "fallback"
    shutil.copytree(ROOT / "tests" / "e2e" / "programs" / "fallback", project)
    p = Pulumi(cwd=project, backend=tmp_path / "backend", home=tmp_path / "home", stack="dev",
               extra_env={"FALLBACK_TEST_MARKER": str(tmp_path / "marker")})
    p.init()
    return p


def up(p: Pulumi, mode: str) -> subprocess.CompletedProcess:
    p.run("config", "set", "--stack", p.stack, "mode", mode)
    proc = p.run("up", "--yes", check=False)
    assert proc.returncode != 0
    return proc


def test_a_failed_create_ends_with_the_error_and_no_host_traceback(prog):
    proc = up(prog, "fail-create")
    out = proc.stdout + proc.stderr
    assert "create refused by the test provider" in out
    assert "KeyboardInterrupt" not in out
    for host_file in ("language_host.py", "program_runner.py", "lifeline.py"):
        assert host_file not in out
    assert proc.stdout.rstrip().splitlines()[-1].startswith("Duration")  # the summary is the last thing shown
    assert "Traceback" not in proc.stderr


def test_an_exception_in_the_program_shows_its_own_frames_only(prog):
    proc = up(prog, "raise")
    out = proc.stdout + proc.stderr
    assert "Program failed with an unhandled exception:" in out
    assert "ValueError: the program broke in a helper" in out
    frames = [line.strip() for line in out.splitlines() if line.strip().startswith('File "')]
    assert [f.split('"')[1].rsplit("/", 1)[1] for f in frames] == ["__main__.py", "behaviours.py"], frames
    assert "runpy" not in out and "site-packages" not in out and "KeyboardInterrupt" not in out


def test_a_missing_main_is_one_short_message(prog):
    (prog.cwd / "__main__.py").rename(prog.cwd / "elsewhere.py")
    proc = up(prog, "raise")
    out = proc.stdout + proc.stderr
    assert "Traceback" not in out
    errors = [line for line in out.splitlines() if "error:" in line]
    assert any("__main__.py" in line for line in errors), out  # names what is missing
    assert len(out.splitlines()) < 25, out


def test_about_shows_the_toolchain(prog):
    proc = prog.run("about")
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("This project is written in python"))
    assert f"executable='{sys.executable}'" in line or "executable='" in line
    assert "toolchain='pip'" in line and "toolchainVersion=" in line
    if host_in_use() == "fallback":
        assert "languageHost='cwtenants fallback language host" in line
    about = json.loads(prog.run("about", "--json").stdout)
    names = {d["name"].lower() for d in about.get("dependencies") or []}
    assert "cwtenants" in names and "pulumi" not in names  # GetProgramDependencies: top-level packages only


def tiny_wheel(folder: Path) -> Path:
    """A pure-Python wheel built by hand (no build backend, no network): module `tinypkg`."""
    whl = folder / "tinypkg-0.1-py3-none-any.whl"
    with zipfile.ZipFile(whl, "w") as z:
        z.writestr("tinypkg/__init__.py", "VALUE = 'installed by pulumi install'\n")
        z.writestr("tinypkg-0.1.dist-info/METADATA", "Metadata-Version: 2.1\nName: tinypkg\nVersion: 0.1\n")
        z.writestr("tinypkg-0.1.dist-info/WHEEL", "Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        z.writestr("tinypkg-0.1.dist-info/RECORD", "tinypkg/__init__.py,,\ntinypkg-0.1.dist-info/METADATA,,\n"
                   "tinypkg-0.1.dist-info/WHEEL,,\ntinypkg-0.1.dist-info/RECORD,,\n")
    return whl


def test_install_creates_the_virtualenv_and_installs_requirements(prog, tmp_path):
    wheel = tiny_wheel(tmp_path)
    project = prog.cwd / "Pulumi.yaml"
    project.write_text(project.read_text().replace(
        "runtime: python", "runtime:\n  name: python\n  options:\n    toolchain: pip\n    virtualenv: venv"))
    (prog.cwd / "requirements.txt").write_text(f"--no-index\n{wheel}\n")
    proc = prog.run("install")
    assert "Finished installing dependencies" in proc.stdout + proc.stderr
    venv_python = prog.cwd / "venv" / "bin" / "python"
    out = subprocess.run([str(venv_python), "-c", "import tinypkg; print(tinypkg.VALUE)"],
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == "installed by pulumi install"
    # a second install reuses the venv and still succeeds
    assert "Finished installing dependencies" in prog.run("install").stdout


def test_install_names_a_broken_requirement(prog, tmp_path):
    (prog.cwd / "requirements.txt").write_text(f"--no-index\n{tmp_path / 'missing-0.1-py3-none-any.whl'}\n")
    proc = prog.run("install", check=False)
    assert proc.returncode != 0
    assert "requirements.txt" in proc.stdout + proc.stderr


def _tree(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def test_sigkill_of_pulumi_up_leaves_no_process_behind(prog, tmp_path):
    prog.run("config", "set", "--stack", prog.stack, "mode", "slow-create")
    marker = tmp_path / "marker"
    cmd = ["pulumi", "up", "--yes", "--non-interactive", "--stack", prog.stack]
    cli = subprocess.Popen(cmd, cwd=prog.cwd, env=prog.env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):  # the provider's create is running, with its own child process
            if marker.exists() and marker.read_text().endswith("\n"):
                break
            assert cli.poll() is None, "pulumi up ended before the slow create started"
            time.sleep(0.2)
        else:
            pytest.fail("the slow create never started")
        started = _tree(cli.pid)
        provider_pid, sleeper_pid = map(int, marker.read_text().split())
        pids = {p.pid for p in started}
        assert {provider_pid, sleeper_pid} <= pids
        assert any("program_runner.py" in " ".join(p.cmdline()) or "pulumi-language-python-exec" in " ".join(p.cmdline())
                   for p in started if p.is_running())  # the program is running too
        os.kill(cli.pid, signal.SIGKILL)
        cli.wait()
        _, alive = psutil.wait_procs(started, timeout=30)
        assert [(p.pid, p.cmdline()) for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE] == []
    finally:
        for p in _tree(cli.pid) + [psutil.Process(cli.pid)] if cli.poll() is None else []:
            p.kill()
