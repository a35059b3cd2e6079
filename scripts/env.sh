# Source this file to use the project's toolchain in your shell:  . scripts/env.sh
# It puts the project venv and the Pulumi CLI (an official one on PATH when compatible, else the
# one scripts/build-pulumi.sh built) first on PATH and keeps all
# Pulumi state of the demo inside the repository's ignored .state/ folder.
_cwt_root=$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)
_cwt_bin=$(PULUMI_BUILD_ONLY_PRINT=1 bash "$_cwt_root/scripts/build-pulumi.sh" --print-bin)
export CWT_ROOT="$_cwt_root"
export PATH="$_cwt_root/.venv/bin:$_cwt_bin:$PATH"
export PULUMI_HOME="${PULUMI_HOME:-$_cwt_root/.state/pulumi-home}"
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$_cwt_root/.state/backend}"
# State written once per update instead of after every step (the self-managed backends rewrite the
# whole state at each step: cost grows with the square of the stack). Same default as the apply
# workflow and `cwtenants onboard`; a killed run is recovered as README "Recovering from an
# interrupted run" says. PULUMI_SKIP_CHECKPOINTS=false before sourcing keeps Pulumi's own default.
export PULUMI_SKIP_CHECKPOINTS="${PULUMI_SKIP_CHECKPOINTS:-true}"
# Never download plugins: everything is built by scripts/setup.sh.
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=true
export PULUMI_PYTHON_CMD="$_cwt_root/.venv/bin/python"
# Local demo passphrase: random, per machine, file readable only by you (see README "State and secrets").
if [ -z "${PULUMI_CONFIG_PASSPHRASE:-}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  if [ ! -s "$_cwt_root/.state/passphrase" ]; then
    mkdir -p "$_cwt_root/.state" && (umask 077 && "$_cwt_root/.venv/bin/python" -c 'import secrets;print(secrets.token_urlsafe(32))' > "$_cwt_root/.state/passphrase")
  fi
  export PULUMI_CONFIG_PASSPHRASE_FILE="$_cwt_root/.state/passphrase"
fi
mkdir -p "$_cwt_root/.state/backend" "$PULUMI_HOME"
unset _cwt_root _cwt_bin
