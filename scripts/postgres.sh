#!/usr/bin/env bash
# A private PostgreSQL server on loopback for Pulumi state (DIY backend, postgres:// URLs).
#
#   scripts/postgres.sh [up]     install (Debian packages) if missing, init, start, create role + db;
#                                prints the backend URL (no password in it) on stdout
#   scripts/postgres.sh start|stop|restart|status
#   scripts/postgres.sh url      prints the backend URL
#   scripts/postgres.sh env      prints `export PULUMI_BACKEND_URL=...` (for eval)
#   scripts/postgres.sh psql ... runs psql as the state role (password from the passfile)
#
# Idempotent: every subcommand may be repeated. The password is random, kept in a 0600
# libpq password file ($CWT_PG_DIR/pgpass) and never printed: the URL names that file with
# `passfile=`, which lib/pq (inside the pulumi CLI) and psql read.
#
# Private to this checkout: the defaults are derived from the checkout's path, so two checkouts
# on one machine never share (or `stop`) each other's server.
#
# Settings (environment): CWT_PG_DIR (default /tmp/cwtenants-pg-<8 hex of the checkout path>;
# outside the repository, short because of the Unix socket path limit), CWT_PG_PORT (default:
# chosen once, when the cluster is created, as the first free port from 40000 + <checkout
# hash> mod 20000, and kept in $CWT_PG_DIR/port), CWT_PG_USER / CWT_PG_DB (default cwtenants /
# cwtenants_state). `status` prints the data directory and port.
set -euo pipefail

CHECKOUT=$(cd "$(dirname "$0")/.." && pwd -P)
KEY=$(printf '%s' "$CHECKOUT" | sha256sum | cut -c1-8)
PGROOT=${CWT_PG_DIR:-/tmp/cwtenants-pg-$KEY}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

choose_port() {
  local p=$((40000 + 16#$KEY % 20000)) i
  for i in $(seq 0 99); do
    if port_free $((p + i)); then echo $((p + i)); return 0; fi
  done
  log "no free port in $p..$((p + 99)); set CWT_PG_PORT"; exit 1
}

if [ -n "${CWT_PG_PORT:-}" ]; then PORT=$CWT_PG_PORT
elif [ -s "$PGROOT/port" ]; then PORT=$(cat "$PGROOT/port")
else PORT=""  # chosen by init_cluster
fi
ROLE=${CWT_PG_USER:-cwtenants}
DB=${CWT_PG_DB:-cwtenants_state}
DATA=$PGROOT/data
RUN=$PGROOT/run
LOG=$PGROOT/server.log
PASSFILE=$PGROOT/pgpass
URLFILE=$PGROOT/url

log() { echo "postgres.sh: $*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo -n "$@"
  else log "need root (or sudo) to run: $*"; exit 1
  fi
}

pg_bin() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$d" ] && [ -x "$d/initdb" ] && echo "$d"
}

install_pg() {
  [ -n "$(pg_bin)" ] && return 0
  log "installing PostgreSQL from Debian packages"
  export DEBIAN_FRONTEND=noninteractive
  # A fresh machine may have empty package lists.
  if ! as_root apt-get install -y --no-install-recommends postgresql >/dev/null 2>&1; then
    as_root apt-get update -q >/dev/null
    as_root apt-get install -y --no-install-recommends postgresql >/dev/null
  fi
  [ -n "$(pg_bin)" ] || { log "postgresql installed but no /usr/lib/postgresql/*/bin/initdb"; exit 1; }
}

# The server runs as `postgres` when we are root (initdb refuses root), else as the caller.
SERVER_USER=$(id -un)
if [ "$(id -u)" -eq 0 ]; then SERVER_USER=postgres; fi

as_server() {
  if [ "$(id -un)" = "$SERVER_USER" ]; then (cd / && "$@")
  else (cd / && runuser -u "$SERVER_USER" -- "$@")
  fi
}

ensure_user() {
  id -u "$SERVER_USER" >/dev/null 2>&1 && return 0
  # normally created by the postgresql package
  as_root adduser --system --group --home /var/lib/postgresql --shell /bin/bash "$SERVER_USER" >/dev/null
}

running() {
  local bin; bin=$(pg_bin) || return 1
  [ -f "$DATA/PG_VERSION" ] && as_server "$bin/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

init_cluster() {
  local bin; bin=$(pg_bin)
  mkdir -p "$PGROOT"
  chmod 0755 "$PGROOT"
  if ! as_server test -x "$PGROOT"; then
    log "user $SERVER_USER cannot reach $PGROOT (a parent directory is private): choose another CWT_PG_DIR"
    exit 1
  fi
  mkdir -p "$DATA" "$RUN"
  [ "$SERVER_USER" != "$(id -un)" ] && chown "$SERVER_USER:" "$DATA" "$RUN"
  chmod 0700 "$DATA"
  if [ ! -f "$DATA/PG_VERSION" ]; then
    [ -n "$PORT" ] || PORT=$(choose_port)
    echo "$PORT" > "$PGROOT/port"
    log "initdb $DATA (port $PORT)"
    as_server "$bin/initdb" -D "$DATA" -U "$SERVER_USER" --auth-local=peer --auth-host=scram-sha-256 \
      -E UTF8 --locale=C.UTF-8 >"$PGROOT/initdb.log" 2>&1 \
      || as_server "$bin/initdb" -D "$DATA" -U "$SERVER_USER" --auth-local=peer --auth-host=scram-sha-256 \
        -E UTF8 --no-locale >"$PGROOT/initdb.log" 2>&1 \
      || { cat "$PGROOT/initdb.log" >&2; exit 1; }
    # loopback TCP only; the socket in our own run/ directory (no /var/run/postgresql needed)
    as_server sh -c "cat >> '$DATA/postgresql.conf'" <<EOF
# cwtenants (scripts/postgres.sh)
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$RUN'
password_encryption = 'scram-sha-256'
fsync = on
log_min_messages = warning
EOF
  fi
}

start() {
  local bin; bin=$(pg_bin)
  if running; then return 0; fi
  # a server killed hard leaves its pid file behind; pg_ctl handles a stale one
  touch "$LOG"; [ "$SERVER_USER" != "$(id -un)" ] && chown "$SERVER_USER:" "$LOG"
  # 9>&-: the server must not inherit (and keep) our flock descriptor
  as_server "$bin/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start >/dev/null 9>&- \
    || { tail -n 30 "$LOG" >&2; exit 1; }
}

stop() {
  local bin; bin=$(pg_bin) || return 0
  running || return 0
  as_server "$bin/pg_ctl" -D "$DATA" -m fast -w -t 60 stop >/dev/null
}

url() {
  [ -n "$PORT" ] || { log "no server for this checkout yet ($PGROOT): run scripts/postgres.sh up"; exit 1; }
  echo "postgres://$ROLE@127.0.0.1:$PORT/$DB?sslmode=disable&passfile=$PASSFILE"
}

su_psql() {
  local bin; bin=$(pg_bin)
  as_server "$bin/psql" -h "$RUN" -p "$PORT" -U "$SERVER_USER" -d postgres -v ON_ERROR_STOP=1 -qAt "$@"
}

create_role_db() {
  local pw
  if [ ! -s "$PASSFILE" ]; then
    pw=$(head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32)
    (umask 077 && printf '127.0.0.1:%s:*:%s:%s\n' "$PORT" "$ROLE" "$pw" > "$PASSFILE")
  fi
  chmod 0600 "$PASSFILE"
  pw=$(cut -d: -f5 "$PASSFILE")
  # SQL over stdin: the password never appears in a process list or on the terminal
  su_psql <<EOF >/dev/null
SELECT 'CREATE ROLE "$ROLE" LOGIN' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$ROLE') \gexec
ALTER ROLE "$ROLE" LOGIN PASSWORD '$pw';
SELECT 'CREATE DATABASE "$DB" OWNER "$ROLE"' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$DB') \gexec
EOF
  url > "$URLFILE"
}

up() {
  install_pg
  ensure_user
  init_cluster
  start
  create_role_db
  url
}

locked() {
  # parallel callers (pytest-xdist workers, several CI steps) must not initdb/start twice
  mkdir -p "$(dirname "$PGROOT")"
  exec 9>"$PGROOT.lock"
  flock -w 120 9 || { log "timed out waiting for $PGROOT.lock"; exit 1; }
  "$@"
  exec 9>&-
}

cmd=${1:-up}
[ $# -gt 0 ] && shift
case "$cmd" in
  up) locked up ;;
  start) locked install_pg; locked ensure_user; locked init_cluster; locked start ;;
  stop) locked stop ;;
  restart) locked stop; locked start ;;
  status) if running; then echo "running on 127.0.0.1:$PORT ($DATA)"; else echo "stopped ($DATA)"; exit 3; fi ;;
  url) url ;;
  env) echo "export PULUMI_BACKEND_URL='$(url)'" ;;
  psql) exec "$(pg_bin)/psql" "$(url)" -v ON_ERROR_STOP=1 "$@" ;;
  *) echo "usage: $0 [up|start|stop|restart|status|url|env|psql ...]" >&2; exit 2 ;;
esac
