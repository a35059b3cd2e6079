"""Moved: the fallback language host is ``fallback_hosts.language_host`` (fallback_hosts/README.md).

This stub only keeps launchers written by an older ``scripts/build-pulumi.sh`` (they run
``python -m cwtenants.langhost``) working until every copy of the shared Pulumi cache has the
current launchers; nothing in the product package imports it. Delete it after that.
"""

import sys
from pathlib import Path

try:
    from fallback_hosts.language_host import main
except ModuleNotFoundError:  # a venv installed before fallback_hosts/ existed: it is beside infra/
    sys.path.append(str(Path(__file__).resolve().parents[2]))
    from fallback_hosts.language_host import main

if __name__ == "__main__":
    main()
