#!/usr/bin/env bash
# The main job, end to end on this machine: set up, start the embedded Chatwoot emulator, show
# the diff (`pulumi preview --diff`), apply it (`pulumi up`) to the sample providers in
# providers/, and print a per-provider summary. State: local file backend in .state/backend,
# stack "demo". Run it again: the preview shows no changes and the up makes no write call.
#
# Against a real Chatwoot instead of the emulator: export CHATWOOT_URL, CHATWOOT_ACCOUNT_ID and
# CHATWOOT_API_TOKEN (an administrator's token) before running; the emulator is then not started.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/setup.sh
. scripts/env.sh
stack=${CWT_STACK:-demo}

if [ -z "${CHATWOOT_URL:-}" ]; then
  state=.state/emulator
  port=${CWT_EMULATOR_PORT:-38080}
  if python -c "import socket,sys; s=socket.socket(); sys.exit(s.connect_ex(('127.0.0.1', $port)) != 0)"; then
    port=$(python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  fi
  echo "demo: starting the Chatwoot emulator on 127.0.0.1:$port (state in $state)"
  # a per-start nonce: ready only when the server on the port answers with it (X-Chatwoot-Emulator),
  # i.e. it is this emulator and not some other server that had the port
  nonce=$(python -c 'import secrets; print(secrets.token_hex(16))')
  python -m chatwoot_emulator serve --port "$port" --state-dir "$state" --log-level warning \
      --instance-id "$nonce" >"$state.log" 2>&1 &
  emu=$!
  trap 'kill $emu 2>/dev/null; wait $emu 2>/dev/null || true' EXIT
  ready=0
  for _ in $(seq 200); do
    if python -c 'import httpx,sys; sys.exit(httpx.get(sys.argv[1] + "/api", timeout=1).headers.get("x-chatwoot-emulator") != sys.argv[2])' \
        "http://127.0.0.1:$port" "$nonce" 2>/dev/null; then ready=1; break; fi
    kill -0 $emu 2>/dev/null || { cat "$state.log" >&2; exit 1; }
    sleep 0.1
  done
  [ "$ready" = 1 ] || { echo "demo: the emulator did not answer on 127.0.0.1:$port (see $state.log)" >&2; exit 1; }
  export CHATWOOT_URL="http://127.0.0.1:$port"
  # tokens.json is mode 0600 and read here without echoing anything
  CHATWOOT_ACCOUNT_ID=$(python -c 'import json,sys; print(json.load(open(sys.argv[1]))["account_id"])' "$state/tokens.json")
  CHATWOOT_API_TOKEN=$(python -c 'import json,sys; print(json.load(open(sys.argv[1]))["admin_token"])' "$state/tokens.json")
  export CHATWOOT_ACCOUNT_ID CHATWOOT_API_TOKEN
fi

cwtenants validate   # a bad catalog stops here, before any API call
pulumi stack select "$stack" --create --non-interactive >/dev/null
echo; echo "demo: the diff (pulumi preview --diff)"; echo
pulumi preview --diff --non-interactive
echo; echo "demo: applying it (pulumi up)"; echo
pulumi up --yes --skip-preview --non-interactive
echo
pulumi stack output --json | python -m cwtenants.summary
