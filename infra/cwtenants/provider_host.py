"""Moved: the fallback dynamic-provider host is ``fallback_hosts.provider_host``.

Kept only for launchers written by an older ``scripts/build-pulumi.sh`` (``python -m
cwtenants.provider_host``); nothing in the product package imports it. Delete it after that.
"""

import sys
from pathlib import Path

try:
    from fallback_hosts.provider_host import main
except ModuleNotFoundError:  # a venv installed before fallback_hosts/ existed: it is beside infra/
    sys.path.append(str(Path(__file__).resolve().parents[2]))
    from fallback_hosts.provider_host import main

if __name__ == "__main__":
    main()
