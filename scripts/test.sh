#!/usr/bin/env bash
# Set up everything (idempotent) and run the whole test suite. Extra arguments go to pytest.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/setup.sh
. scripts/env.sh
# pytest's own exit code is the result: 5 ("no tests collected") fails like any other error.
exec .venv/bin/python -m pytest -p no:cacheprovider "$@"
