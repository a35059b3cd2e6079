#!/usr/bin/env bash
# Idempotent set-up of everything the project needs on a fresh machine:
#   1. .venv with the exact pinned Python dependencies (requirements.lock) and this package (editable)
#   2. the Pulumi CLI: an official one on PATH when compatible, else built from Go modules with
#      the official or (when that cannot be built) the fallback language host (scripts/build-pulumi.sh)
# Re-running it is cheap: it only does what is missing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
py=${PYTHON:-python3}
stamp=.venv/.cwt-installed
want=$(cat pyproject.toml requirements.lock | sha256sum | cut -c1-16)
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv" >&2
  "$py" -m venv .venv
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing pinned Python dependencies" >&2
  .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.lock
  .venv/bin/python -m pip install -q --disable-pip-version-check --no-deps -e .
  echo "$want" > "$stamp"
fi
bin=$(bash scripts/build-pulumi.sh | tail -n 1)
"$bin/pulumi" version >/dev/null
PATH="$bin:$PATH" .venv/bin/python -m cwtenants.toolchain | sed 's/^/setup: /' >&2
echo "setup: ok (python deps pinned by requirements.lock)" >&2
