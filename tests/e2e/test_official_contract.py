"""The main road: the project run the way the official Pulumi toolchain runs it.

What the official toolchain does differently from scripts/env.sh, reproduced here so that it
does not rot unseen while the build machines use the fallback host:
- no PULUMI_PYTHON_CMD and no activated venv: the program's Python comes only from the
  `virtualenv` runtime option of Pulumi.yaml (relative to the project root);
- the dynamic-provider plugin is the SDK's launcher: it reads PULUMI_RUNTIME_VIRTUALENV (the same
  option, passed verbatim by the engine), resolves it against its working directory — which is
  `main` (infra/), pulumi/pulumi#7061 — and runs the stock `python -m pulumi.dynamic`. The
  launcher below has exactly that behaviour and is put first on PATH, where the CLI prefers it
  over the one next to the pulumi binary;
- the language host is the one in use (the official one wherever it could be built).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import yaml

from e2e_support import make_deployment

pytestmark = pytest.mark.e2e

SDK_LAUNCHER = r"""#!/bin/sh
# Test double with the behaviour of the SDK's pulumi-resource-pulumi-python launcher.
if [ -n "${PULUMI_RUNTIME_VIRTUALENV:-}" ]; then
  venv=${PULUMI_RUNTIME_VIRTUALENV%/}
  case $venv in /*) ;; *) venv=$PWD/$venv ;; esac
  if [ ! -f "$venv/bin/python" ]; then echo "virtualenv $venv does not exist" >&2; exit 1; fi
  PATH="$venv/bin:$PATH"; export PATH
  py=$venv/bin/python
else
  py=${PULUMI_PYTHON_CMD:-python3}
fi
echo "$PWD $PULUMI_RUNTIME_VIRTUALENV $py" >> "$OFFICIAL_CONTRACT_LOG"
exec "$py" -u -m pulumi.dynamic "$@"
"""


def test_runtime_block_and_sdk_launcher_without_python_cmd(tmp_path, emulator):
    options = yaml.safe_load((Path(__file__).resolve().parents[2] / "Pulumi.yaml").read_text())["runtime"]["options"]
    assert options == {"toolchain": "pip", "virtualenv": ".venv"}

    d = make_deployment(tmp_path, emulator, samples=False, name="official")
    d.write_provider("contract-host", {"name": "Contract Host"})
    shim_dir = tmp_path / "sdk-launcher"
    shim_dir.mkdir()
    (shim_dir / "pulumi-resource-pulumi-python").write_text(SDK_LAUNCHER)
    (shim_dir / "pulumi-resource-pulumi-python").chmod(0o755)
    log = tmp_path / "launcher.log"

    venv_bin = str(Path(sys.executable).parent)
    base_env = d.env

    def official_env() -> dict:
        env = base_env()
        env.pop("PULUMI_PYTHON_CMD", None)
        env.pop("VIRTUAL_ENV", None)
        env["PATH"] = ":".join([str(shim_dir), *(p for p in env["PATH"].split(":") if p != venv_bin)])
        env["OFFICIAL_CONTRACT_LOG"] = str(log)
        return env

    d.env = official_env
    assert "PULUMI_PYTHON_CMD" not in d.env() and venv_bin not in d.env()["PATH"].split(":")

    summary = d.up()
    assert summary["resourceChanges"].get("create", 0) >= 4, summary  # stack + inbox, team, portal
    d.run("preview", "--expect-no-changes")

    # The SDK-style launcher served the dynamic resources: from infra/ (#7061), with the option as
    # written, through the committed infra/.venv link to the project's venv.
    runs = [line.split() for line in log.read_text().splitlines()]
    assert runs, "the SDK-style provider launcher was never started"
    for pwd, venv, py in runs:
        assert Path(pwd).name == "infra" and venv == ".venv"
        assert py == f"{pwd}/.venv/bin/python"
        assert os.path.realpath(py) == os.path.realpath(sys.executable)
