#!/usr/bin/env bash
# Set up everything (idempotent) and run the whole test suite. Extra arguments go to pytest.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/setup.sh
. scripts/env.sh
# A private PostgreSQL on loopback for the shared-state tests (tests/e2e/postgres); idempotent,
# installs the Debian package if missing, never prints the password.
bash scripts/postgres.sh up >/dev/null
# pytest's own exit code is the result: 5 ("no tests collected") fails like any other error.
exec .venv/bin/python -m pytest -p no:cacheprovider "$@"
