import sys
from pathlib import Path

# tests/ helpers (pulumi_cli.py) importable as plain modules
sys.path.insert(0, str(Path(__file__).parent))

# the suite in parts (unit, emulator, cassette, e2e, postgres): fast parts first, a line per part
from suite_parts import (  # noqa: E402,F401  (pytest finds hooks by name in this module)
    pytest_collection_finish,
    pytest_collection_modifyitems,
    pytest_configure,
    pytest_runtest_logreport,
    pytest_runtest_logstart,
    pytest_sessionfinish,
    pytest_terminal_summary,
)
