#!/usr/bin/env bash
# Build the Pulumi CLI from Go modules (no prebuilt binary is ever downloaded) and install the
# launchers of its two Python plugins.
#
# Not built, because the Go module proxy reachable here does not serve them at any version
# (checked 2026-11-25: 403 for tags, commits, @latest and the version list):
#  - pulumi-resource-command (github.com/pulumi/pulumi-command/provider): post-apply steps are
#    done by a dynamic resource of this package instead (see README "Toolchain").
#
# The Python language host (pulumi-language-python) is NOT built here: its Go module
# (github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3) is not served by the
# module proxy at any version (403 for tags, commits and @latest). The project ships its own
# small language host instead (infra/cwtenants/langhost.py); this script installs a short
# launcher for it next to the pulumi binary, where the CLI looks for bundled language hosts.
# Likewise the dynamic-provider launcher runs infra/cwtenants/provider_host.py.
#
# Idempotent: binaries are cached outside the repository in a folder keyed by version,
#   ${PULUMI_BUILD_CACHE:-$HOME/.cache/cwtenants}/pulumi-v<version>/bin
# and a second run that finds all three does nothing.
# Prints the bin directory on its last line of stdout.
set -euo pipefail

# The pin. Must match `pulumi==` in pyproject.toml (tests/unit/test_pins.py checks it).
PULUMI_VERSION=3.260.0
CLIPBOARD_FORK=github.com/tgummerer/clipboard@v0.0.0-20241001131231-d02d263e614e

CACHE_ROOT=${PULUMI_BUILD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cwtenants}
BIN="$CACHE_ROOT/pulumi-v$PULUMI_VERSION/bin"
want=(pulumi pulumi-resource-pulumi-python pulumi-language-python)

have_all() { for b in "${want[@]}"; do [ -x "$BIN/$b" ] || return 1; done; }
if [ "${1:-}" = "--print-bin" ]; then echo "$BIN"; exit 0; fi

# Two launchers, (re)written on every run (cheap, and a cache made by an older version of this
# script gets the current ones). The Python is PULUMI_PYTHON_CMD (scripts/env.sh sets it to
# the project's .venv), else .venv/bin/python in the working directory, else python3.
write_launcher() {  # name, module, what
  cat > "$BIN/$1.tmp" <<SH
#!/bin/sh
# $3 — implemented by the cwtenants package ($2).
if [ -n "\${PULUMI_PYTHON_CMD:-}" ]; then py=\$PULUMI_PYTHON_CMD
elif [ -x .venv/bin/python ]; then py=.venv/bin/python
else py=python3; fi
exec "\$py" -u -m $2 "\$@"
SH
  chmod 0755 "$BIN/$1.tmp" && mv "$BIN/$1.tmp" "$BIN/$1"
}
mkdir -p "$BIN"
write_launcher pulumi-language-python cwtenants.langhost "Pulumi language host for Python programs"
# Replaces the SDK's shim (which runs `python -m pulumi.dynamic`): same server, more worker
# threads (see infra/cwtenants/provider_host.py).
write_launcher pulumi-resource-pulumi-python cwtenants.provider_host "Pulumi dynamic-provider process for Python"
if have_all; then echo "$BIN"; exit 0; fi

command -v go >/dev/null || { echo "build-pulumi: Go toolchain not found (need Go >= 1.25)" >&2; exit 1; }
mkdir -p "$BIN"
start=$(date +%s)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cd "$work"
export GOFLAGS=-mod=mod GOTOOLCHAIN=local
# Only the module proxy: never fall back to cloning repositories (there is no network for it).
GOPROXY=$(go env GOPROXY); export GOPROXY=${GOPROXY%%,direct}
go mod init local/pulumi-build >/dev/null 2>&1
if [ ! -x "$BIN/pulumi" ]; then
  # Replaces of dependencies are ignored by Go, so the wrapper repeats the one that matters.
  go mod edit -replace=github.com/atotto/clipboard=$CLIPBOARD_FORK
  echo "build-pulumi: resolving modules for pulumi v$PULUMI_VERSION (log: $CACHE_ROOT/build.log) ..." >&2
  go get github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION >"$CACHE_ROOT/build.log" 2>&1 \
    || { tail -20 "$CACHE_ROOT/build.log" >&2; exit 1; }
  echo "build-pulumi: building pulumi v$PULUMI_VERSION (a few minutes on 2 cores) ..." >&2
  LD="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION"
  go build -trimpath -tags osusergo,grpcnotrace -ldflags "$LD" -o "$BIN/pulumi.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  mv "$BIN/pulumi.tmp" "$BIN/pulumi"
fi
have_all || { echo "build-pulumi: some binaries are missing in $BIN" >&2; exit 1; }
echo "build-pulumi: done in $(( $(date +%s) - start ))s; $(du -sh "$BIN" | cut -f1) in $BIN" >&2
echo "$BIN"
