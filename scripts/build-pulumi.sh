#!/usr/bin/env bash
# The Pulumi CLI for this project: the official one when it is installed, else built from Go modules.
#
# 1. An official Pulumi CLI on PATH (installer, Homebrew, pulumi/actions/setup) whose version is
#    at least the pinned SDK's (below) is used as it is: nothing is built or written; it bundles
#    the official Python language host and dynamic-provider launcher.
#    CWT_PULUMI=build skips this step (air-gapped runners, or to test the build).
# 2. Otherwise the CLI is built from Go modules at the pinned version (no prebuilt binary is ever
#    downloaded) into a cache outside the repository, keyed by version:
#      ${PULUMI_BUILD_CACHE:-$HOME/.cache/cwtenants}/pulumi-v<version>/bin
#    and next to it:
#    - the official Python language host, built from its Go module
#      (github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3) whenever the module
#      proxy serves it at the pinned version (it is tried again on every run while it is not);
#    - else the project's fallback language host and dynamic-provider host (fallback_hosts/,
#      see its README): two short launchers, rewritten on every run.
#    pulumi-resource-command is not built: the module proxy does not serve it.
#
# `--print-bin` prints the folder of the pulumi that is used (no network, no build). Otherwise
# the folder is the last line of stdout; stderr says which CLI and which language host.
set -euo pipefail

# The pin. Must match `pulumi==` in pyproject.toml (tests/unit/test_pins.py checks it).
PULUMI_VERSION=3.260.0
CLIPBOARD_FORK=github.com/tgummerer/clipboard@v0.0.0-20241001131231-d02d263e614e
LANGHOST_MODULE=github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3

CACHE_ROOT=${PULUMI_BUILD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cwtenants}
BIN="$CACHE_ROOT/pulumi-v$PULUMI_VERSION/bin"

# An official pulumi on PATH (not one of our builds) at least as new as the pin: print its folder.
official_cli_dir() {
  [ "${CWT_PULUMI:-auto}" = build ] && return 1
  local p v
  while read -r p; do
    [ -n "$p" ] || continue
    case "$(cd "$(dirname "$p")" && pwd -P)" in "$(cd "$CACHE_ROOT" 2>/dev/null && pwd -P || echo //)"/*) continue ;; esac
    v=$("$p" version 2>/dev/null | head -n 1) || continue
    v=${v#v}
    case "$v" in 3.*) ;; *) continue ;; esac
    if [ "$(printf '%s\n%s\n' "$PULUMI_VERSION" "${v%%-*}" | sort -V | head -n 1)" = "$PULUMI_VERSION" ]; then
      dirname "$p"; return 0
    fi
    echo "build-pulumi: $p is pulumi v$v, older than the pinned SDK $PULUMI_VERSION: not used" >&2
  done < <(type -ap pulumi 2>/dev/null)
  return 1
}

if [ "${1:-}" = "--print-bin" ]; then official_cli_dir 2>/dev/null || echo "$BIN"; exit 0; fi
if dir=$(official_cli_dir); then
  echo "build-pulumi: using the official Pulumi CLI $("$dir/pulumi" version) at $dir/pulumi (nothing built)" >&2
  echo "$dir"; exit 0
fi

# The fallback launchers. The Python is PULUMI_PYTHON_CMD (scripts/env.sh sets it to the
# project's .venv), else .venv/bin/python in the working directory, else python3; the provider
# launcher first honours PULUMI_RUNTIME_VIRTUALENV (the `virtualenv` runtime option, relative to
# its working directory) like the SDK's own launcher. A checkout older than fallback_hosts/
# still finds its host in cwtenants (the cache is shared by every checkout of this machine).
write_launcher() {  # name, module, old module, what
  local venv_block=
  if [ "$1" = pulumi-resource-pulumi-python ]; then
    venv_block='if [ -n "${PULUMI_RUNTIME_VIRTUALENV:-}" ]; then
  venv=${PULUMI_RUNTIME_VIRTUALENV%/}
  case $venv in /*) ;; *) venv=$PWD/$venv ;; esac
  if [ ! -x "$venv/bin/python" ]; then
    echo "The virtualenv option in Pulumi.yaml is \"$PULUMI_RUNTIME_VIRTUALENV\", but $venv/bin/python does not exist: run \`pulumi install\`" >&2
    exit 1
  fi
  py=$venv/bin/python
fi'
  fi
  cat > "$BIN/$1.tmp" <<SH
#!/bin/sh
# $4: the cwtenants fallback (fallback_hosts/README.md),
# installed by scripts/build-pulumi.sh because the official one could not be built here.
py=
$venv_block
if [ -n "\$py" ]; then :
elif [ -n "\${PULUMI_PYTHON_CMD:-}" ]; then py=\$PULUMI_PYTHON_CMD
elif [ -x .venv/bin/python ]; then py=.venv/bin/python
else py=python3; fi
exec "\$py" -u -c 'import sys
try:
    try:
        from $2 import main
    except ModuleNotFoundError as exc:  # a checkout older than fallback_hosts/
        if exc.name != "fallback_hosts":
            raise
        from $3 import main
    sys.argv[0] = "$1"
    main()
except ModuleNotFoundError as exc:
    sys.stderr.write(f"$1 (the cwtenants fallback) needs the project venv, but {sys.executable} has no "
                     f"module {exc.name!r}: run scripts/setup.sh in the project folder (it creates .venv "
                     "with the pinned dependencies), then this pulumi command again\\n")
    sys.exit(1)' "\$@"
SH
  chmod 0755 "$BIN/$1.tmp" && mv "$BIN/$1.tmp" "$BIN/$1"
}
official_langhost() { [ -x "$BIN/pulumi-language-python" ] && ! head -c 2 "$BIN/pulumi-language-python" | grep -q '#!'; }

mkdir -p "$BIN"
start=$(date +%s)
go_env() {
  command -v go >/dev/null || { echo "build-pulumi: Go toolchain not found (need Go >= 1.25)" >&2; exit 1; }
  export GOFLAGS=-mod=mod GOTOOLCHAIN=local
  # Only the module proxy: never fall back to cloning repositories (there is no network for it).
  GOPROXY=$(go env GOPROXY); export GOPROXY=${GOPROXY%%,direct}
}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

if [ ! -x "$BIN/pulumi" ]; then
  go_env
  mkdir -p "$work/cli" && cd "$work/cli" && go mod init local/pulumi-build >/dev/null 2>&1
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

if ! official_langhost; then
  go_env
  mkdir -p "$work/lang" && cd "$work/lang" && go mod init local/pulumi-language-python-build >/dev/null 2>&1
  # Its go.mod points pkg/v3 and sdk/v3 at sibling folders (ignored for a dependency): pin them
  # to the CLI's version, and repeat its clipboard replace, as for the CLI.
  go mod edit -replace=github.com/atotto/clipboard=$CLIPBOARD_FORK
  if timeout 60 go get "$LANGHOST_MODULE@v$PULUMI_VERSION" >"$CACHE_ROOT/langhost.log" 2>&1 \
     && go get github.com/pulumi/pulumi/pkg/v3@v$PULUMI_VERSION github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION >>"$CACHE_ROOT/langhost.log" 2>&1; then
    echo "build-pulumi: building the official pulumi-language-python v$PULUMI_VERSION ..." >&2
    go build -trimpath -ldflags "-s -w" -o "$BIN/pulumi-language-python.tmp" "$LANGHOST_MODULE" \
      && mv "$BIN/pulumi-language-python.tmp" "$BIN/pulumi-language-python" \
      || echo "build-pulumi: building the official language host failed; using the fallback" >&2
  else
    echo "build-pulumi: the module proxy does not serve $LANGHOST_MODULE@v$PULUMI_VERSION ($(grep -o '[0-9][0-9][0-9] [A-Za-z ]*' "$CACHE_ROOT/langhost.log" | head -n 1 || true)): installing the fallback language host (fallback_hosts/)" >&2
  fi
fi
if official_langhost; then
  # The official host runs programs through an executor script that ships only with CLI
  # releases (not in its Go module): ours has the same command line (fallback_hosts/program_runner.py).
  printf '%s\n' '#!/usr/bin/env python3' '# Executor for the official pulumi-language-python (fallback_hosts/program_runner.py).' \
    'from fallback_hosts.program_runner import main' 'main()' > "$BIN/pulumi-language-python-exec"
  chmod 0755 "$BIN/pulumi-language-python-exec"
else
  write_launcher pulumi-language-python fallback_hosts.language_host cwtenants.langhost "Pulumi language host for Python programs"
fi
# The SDK's launcher ships only with CLI releases too. Ours: same server (python -m pulumi.dynamic),
# more worker threads, the same choice of Python.
write_launcher pulumi-resource-pulumi-python fallback_hosts.provider_host cwtenants.provider_host "Pulumi dynamic-provider process for Python"
[ -x "$BIN/pulumi" ] || { echo "build-pulumi: $BIN/pulumi is missing" >&2; exit 1; }
host=fallback; official_langhost && host=official
echo "build-pulumi: pulumi v$PULUMI_VERSION built from Go modules, $host language host, in $BIN ($(( $(date +%s) - start ))s)" >&2
echo "$BIN"
