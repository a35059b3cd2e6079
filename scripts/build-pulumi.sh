#!/usr/bin/env bash
# Build the Pulumi CLI and the command provider from Go modules, and install the
# dynamic-provider shim shipped in the sdk module (no prebuilt binary is ever downloaded).
#
# The Python language host (pulumi-language-python) is NOT built here: its Go module
# (github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3) is not served by the
# module proxy at any version (403 for tags, commits and @latest). The project ships its own
# small language host instead: the `pulumi-language-python` console script of this package
# (infra/cwtenants/langhost.py), found by the CLI on PATH (see README "Toolchain").
#
# Idempotent: binaries are cached outside the repository in a folder keyed by version,
#   ${PULUMI_BUILD_CACHE:-$HOME/.cache/cwtenants}/pulumi-v<version>/bin
# and a second run that finds all four binaries does nothing.
# Prints the bin directory on its last line of stdout.
set -euo pipefail

# The pin. Must match `pulumi==` in pyproject.toml (tests/unit/test_pins.py checks it).
PULUMI_VERSION=3.260.0
COMMAND_VERSION=1.2.1
COMMAND_COMMIT=7f3eb6f3b77c   # pulumi-command v1.2.1; its provider/ module has no own tag
CLIPBOARD_FORK=github.com/tgummerer/clipboard@v0.0.0-20241001131231-d02d263e614e

CACHE_ROOT=${PULUMI_BUILD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cwtenants}
BIN="$CACHE_ROOT/pulumi-v$PULUMI_VERSION/bin"
want=(pulumi pulumi-resource-pulumi-python pulumi-resource-command)

have_all() { for b in "${want[@]}"; do [ -x "$BIN/$b" ] || return 1; done; }
if have_all; then echo "$BIN"; exit 0; fi

command -v go >/dev/null || { echo "build-pulumi: Go toolchain not found (need Go >= 1.25)" >&2; exit 1; }
mkdir -p "$BIN"
start=$(date +%s)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cd "$work"
export GOFLAGS=-mod=mod GOTOOLCHAIN=local
go mod init local/pulumi-build >/dev/null 2>&1
# Replaces of dependencies are ignored by Go, so the wrapper repeats the one that matters.
go mod edit -replace=github.com/atotto/clipboard=$CLIPBOARD_FORK
echo "build-pulumi: resolving modules for pulumi v$PULUMI_VERSION ..." >&2
go get github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION >&2
LD="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION"
if [ ! -x "$BIN/pulumi" ]; then
  echo "build-pulumi: building pulumi ..." >&2
  go build -trimpath -tags osusergo,grpcnotrace -ldflags "$LD" -o "$BIN/pulumi.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  mv "$BIN/pulumi.tmp" "$BIN/pulumi"
fi
# The dynamic-provider shim is a shell script inside the sdk module zip (the zip drops the exec bit).
sdkdir=$(go mod download -json github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION | python3 -c 'import json,sys;print(json.load(sys.stdin)["Dir"])')
install -m 0755 "$sdkdir/python/dist/pulumi-resource-pulumi-python" "$BIN/pulumi-resource-pulumi-python"
if [ ! -x "$BIN/pulumi-resource-command" ]; then
  echo "build-pulumi: building pulumi-resource-command v$COMMAND_VERSION ..." >&2
  GOBIN="$BIN" GOFLAGS= go install -trimpath \
    -ldflags "-s -w -X github.com/pulumi/pulumi-command/provider/pkg/version.Version=$COMMAND_VERSION" \
    github.com/pulumi/pulumi-command/provider/cmd/pulumi-resource-command@$COMMAND_COMMIT >&2
fi
have_all || { echo "build-pulumi: some binaries are missing in $BIN" >&2; exit 1; }
echo "build-pulumi: done in $(( $(date +%s) - start ))s; $(du -sh "$BIN" | cut -f1) in $BIN" >&2
echo "$BIN"
