#!/usr/bin/env bash
# Build actionlint (the GitHub Actions workflow linter) from its Go module; no prebuilt binary
# is ever downloaded. Used by tests/unit/test_workflows.py.
#
# Idempotent: the binary is cached outside the repository, keyed by version,
#   ${ACTIONLINT_BUILD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cwtenants}/actionlint-v<version>/actionlint
# and a second run that finds it only prints its path.
# Prints the binary's path on the last line of stdout; build output goes to stderr.
set -euo pipefail

# The pin (`go list -m -versions github.com/rhysd/actionlint` lists what the module proxy serves).
ACTIONLINT_VERSION=1.7.12

CACHE_ROOT=${ACTIONLINT_BUILD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cwtenants}
DIR="$CACHE_ROOT/actionlint-v$ACTIONLINT_VERSION"
BIN="$DIR/actionlint"

if [ "${1:-}" = "--print-bin" ]; then echo "$BIN"; exit 0; fi
if [ -x "$BIN" ]; then echo "$BIN"; exit 0; fi

command -v go >/dev/null || { echo "build-actionlint: Go toolchain not found (need Go >= 1.24)" >&2; exit 1; }
mkdir -p "$DIR"
export GOFLAGS=-mod=mod GOTOOLCHAIN=local GOBIN="$DIR/.gobin"
# Only the module proxy: never fall back to cloning repositories (there is no network for it).
GOPROXY=$(go env GOPROXY); export GOPROXY=${GOPROXY%%,direct}
echo "build-actionlint: building actionlint v$ACTIONLINT_VERSION (log: $DIR/build.log) ..." >&2
if ! go install -trimpath -ldflags "-s -w" \
    "github.com/rhysd/actionlint/cmd/actionlint@v$ACTIONLINT_VERSION" >"$DIR/build.log" 2>&1; then
  tail -20 "$DIR/build.log" >&2
  exit 1
fi
mv "$GOBIN/actionlint" "$BIN.tmp" && mv "$BIN.tmp" "$BIN"
rmdir "$GOBIN" 2>/dev/null || true
"$BIN" -version >&2
echo "$BIN"
