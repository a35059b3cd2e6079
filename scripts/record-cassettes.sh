#!/usr/bin/env bash
# Record (or re-record) every cassette under cassettes/ — see docs/recording.md.
#
#   scripts/record-cassettes.sh                 # against CHATWOOT_URL / CHATWOOT_API_TOKEN /
#                                               #   CHATWOOT_ACCOUNT_ID (+ CHATWOOT_PLATFORM_TOKEN)
#   scripts/record-cassettes.sh --emulator      # start a fresh chatwoot_emulator and record against it
#   scripts/record-cassettes.sh --emulator --check
#                                               # record into a temp dir and compare it structurally with
#                                               #   the committed cassettes (conformance: emulator vs the
#                                               #   real recordings; tests/emulator runs this in CI)
#   scripts/record-cassettes.sh --emulator --live
#                                               # run the same tests live, no cassettes read or written
#   scripts/record-cassettes.sh -- -k team      # extra pytest arguments after --
#
# After recording, the cassettes are replayed once with the network blocked (what CI runs),
# which also runs the secret scanner and the provenance checks.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
py="$root/.venv/bin/python"
[ -x "$py" ] || py=python3

emulator=0 check=0 live=0
while [ $# -gt 0 ]; do
  case "$1" in
    --emulator) emulator=1 ;;
    --check) check=1 ;;
    --live) live=1 ;;
    --) shift; break ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

emu_pid=""
work=$(mktemp -d "${TMPDIR:-/tmp}/cwt-record.XXXXXX")
cleanup() {
  if [ -n "$emu_pid" ]; then kill "$emu_pid" 2>/dev/null || true; wait "$emu_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

if [ "$emulator" = 1 ]; then
  port=$("$py" -c 'from chatwoot_emulator.testing import free_port; print(free_port())')
  # --delete-delay 0: inbox deletion finishes at once, so the poll after DELETE is deterministic
  # ready only when the server on the port answers with this start's nonce (X-Chatwoot-Emulator)
  nonce=$("$py" -c 'import secrets; print(secrets.token_hex(16))')
  "$py" -m chatwoot_emulator serve --port "$port" --state-dir "$work/emulator" --instance-id "$nonce" \
      --delete-delay 0 --log-level warning >"$work/emulator.log" 2>&1 &
  emu_pid=$!
  ready=0
  for _ in $(seq 1 200); do
    if "$py" -c 'import httpx,sys; sys.exit(httpx.get(sys.argv[1] + "/api", timeout=1).headers.get("x-chatwoot-emulator") != sys.argv[2])' \
        "http://127.0.0.1:$port" "$nonce" 2>/dev/null; then ready=1; break; fi
    kill -0 "$emu_pid" 2>/dev/null || { cat "$work/emulator.log" >&2; exit 1; }
    sleep 0.1
  done
  [ "$ready" = 1 ] || { echo "record: the emulator did not answer on port $port" >&2; cat "$work/emulator.log" >&2; exit 1; }
  export CHATWOOT_URL="http://127.0.0.1:$port"
  # tokens come from the emulator's tokens.json (mode 0600) straight into the environment, never printed
  CHATWOOT_API_TOKEN=$("$py" -c "import json,sys; print(json.load(open(sys.argv[1]))['admin_token'])" "$work/emulator/tokens.json")
  CHATWOOT_PLATFORM_TOKEN=$("$py" -c "import json,sys; print(json.load(open(sys.argv[1]))['platform_token'])" "$work/emulator/tokens.json")
  CHATWOOT_ACCOUNT_ID=$("$py" -c "import json,sys; print(json.load(open(sys.argv[1]))['account_id'])" "$work/emulator/tokens.json")
  export CHATWOOT_API_TOKEN CHATWOOT_PLATFORM_TOKEN CHATWOOT_ACCOUNT_ID
  echo "record: fresh emulator on $CHATWOOT_URL (state in a temp dir, removed afterwards)"
fi

for v in CHATWOOT_URL CHATWOOT_API_TOKEN CHATWOOT_ACCOUNT_ID; do
  [ -n "${!v:-}" ] || { echo "record: $v is not set (or use --emulator); see docs/recording.md" >&2; exit 2; }
done
[ -n "${CHATWOOT_PLATFORM_TOKEN:-}" ] || echo "record: CHATWOOT_PLATFORM_TOKEN is not set: Platform API tests will fail" >&2

pytest=("$py" -m pytest -p no:cacheprovider -q)

if [ "$live" = 1 ]; then
  CWT_RECORD=1 "${pytest[@]}" tests/cassette --disable-recording "$@"
  exit $?
fi

if [ "$check" = 1 ]; then
  # record a complete fresh set into a temp dir, then compare with the committed one
  export CWT_CASSETTE_DIR="$work/cassettes"
  mkdir -p "$CWT_CASSETTE_DIR"
fi

# one session, fixed test order: a fresh server then yields the same ids every time
CWT_RECORD=1 "${pytest[@]}" tests/cassette --record-mode=rewrite "$@"

# replay what was just written, network blocked, exactly like CI (plus hygiene + provenance)
env -u CHATWOOT_URL -u CHATWOOT_API_TOKEN -u CHATWOOT_PLATFORM_TOKEN -u CHATWOOT_ACCOUNT_ID -u CWT_RECORD \
  "${pytest[@]}" tests/cassette

if [ "$check" = 1 ]; then
  "$py" tests/cassette/compare_cassettes.py "$root/cassettes" "$CWT_CASSETTE_DIR"
fi
echo "record: done"
