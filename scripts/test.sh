#!/usr/bin/env bash
# Set up everything (idempotent) and run the whole test suite. Extra arguments go to pytest.
#
# The suite runs in parts, fast ones first: unit, emulator, cassette, e2e, postgres
# (tests/suite_parts.py); a line announces each part and gives its counts and time, and the
# summary lists them all. `./scripts/test.sh -x` stops at the first failure, within seconds for
# a unit test. The postgres part starts this checkout's own PostgreSQL (scripts/postgres.sh up)
# when it gets there.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/setup.sh
. scripts/env.sh
# pytest's own exit code is the result: 5 ("no tests collected") fails like any other error.
exec .venv/bin/python -m pytest -p no:cacheprovider "$@"
