#!/usr/bin/env bash
# A private PostgreSQL cluster for tests and local runs: its own data dir and
# port, never the system cluster. Installs Debian's postgresql if missing.
#
# Usage: pg.sh ensure|start|stop|status|url|clean
# Env:   PG_PORT (55432), PG_DATABASE (leadrouter),
#        PG_DATA_DIR ($LEADROUTER_CACHE/pg-data-$PG_PORT),
#        PG_FAST=1 (fsync etc. off: tests only, a crash can lose the cluster),
#        PG_START_TIMEOUT (60 s),
#        LEADROUTER_CACHE (${XDG_CACHE_HOME:-~/.cache}/leadrouter)
set -euo pipefail

CACHE=${LEADROUTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/leadrouter}
PORT=${PG_PORT:-55432}
DB=${PG_DATABASE:-leadrouter}
DATA=${PG_DATA_DIR:-$CACHE/pg-data-$PORT}
URL=postgresql://postgres@127.0.0.1:$PORT/$DB

log() { echo "pg.sh[:$PORT]: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ $DB =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "PG_DATABASE must be a plain identifier"

is_root() { [[ $(id -u) -eq 0 ]]; }

# The server refuses to run as root, so as root every server-side tool runs
# as the postgres OS user (created by the Debian package).
as_pg() {
  if is_root; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Server binaries: the version that made an existing cluster, else the newest.
find_bin() {
  local v
  if [[ -f $DATA/PG_VERSION ]]; then
    v=$(<"$DATA/PG_VERSION")
    [[ -x /usr/lib/postgresql/$v/bin/initdb ]] && { echo "/usr/lib/postgresql/$v/bin"; return 0; }
  fi
  # shellcheck disable=SC2012  # version dirs are plain numbers
  v=$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1)
  [[ -n $v ]] && dirname "$v"
}

cmd_ensure() {
  if find_bin >/dev/null; then return 0; fi
  log "PostgreSQL server not found, installing Debian's postgresql"
  local -a sudo=()
  if ! is_root; then
    command -v sudo >/dev/null ||
      die "PostgreSQL is not installed and we are neither root nor have sudo;" \
        "install it with: apt-get install postgresql"
    sudo=(sudo)
  fi
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  find_bin >/dev/null || die "postgresql installed but no /usr/lib/postgresql/*/bin/initdb"
}

# As root the postgres user must be able to reach the data dir; /root is
# 0700, so the default under $HOME/.cache is unusable there: fall back to
# /var/tmp rather than loosen /root's permissions.
pick_data_dir() {
  is_root && id -u postgres >/dev/null 2>&1 || return 0
  mkdir -p "$(dirname "$DATA")"
  runuser -u postgres -- test -x "$(dirname "$DATA")" && return 0
  [[ -z ${PG_DATA_DIR:-} ]] ||
    die "PG_DATA_DIR=$DATA: its parent is not reachable by the postgres user"
  DATA=/var/tmp/leadrouter/pg-data-$PORT
  mkdir -p "$(dirname "$DATA")"
}

running() { [[ -f $DATA/postmaster.pid ]] && as_pg "$BIN/pg_ctl" status -D "$DATA" >/dev/null 2>&1; }

cmd_start() {
  cmd_ensure
  pick_data_dir
  BIN=$(find_bin)
  # Concurrent starts (parallel test workers) queue here; the later ones
  # then find the server running. The server itself must not inherit fd 9.
  mkdir -p "$(dirname "$DATA")"
  exec 9>"$DATA.lock"
  flock -w "${PG_START_TIMEOUT:-60}" 9 || die "timed out waiting for another start"
  if running; then
    log "already running ($DATA)"
    create_db
    echo "$URL"
    return 0
  fi
  if [[ ! -f $DATA/PG_VERSION ]]; then
    mkdir -p "$DATA"
    if is_root; then chown postgres:postgres "$DATA"; fi
    chmod 700 "$DATA"
    log "initdb $DATA"
    as_pg "$BIN/initdb" -D "$DATA" --auth=trust -U postgres --encoding=UTF8 --no-locale \
      >"$DATA.initdb.log" 2>&1 || { cat "$DATA.initdb.log" >&2; die "initdb failed"; }
    rm -f "$DATA.initdb.log"
  fi
  # TCP on loopback only; the unix socket lives in the data dir so we need
  # neither /var/run/postgresql nor root-owned paths.
  local opts="-c listen_addresses=127.0.0.1 -p $PORT -k '$DATA'"
  if [[ ${PG_FAST:-} == 1 ]]; then
    opts+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  fi
  local timeout=${PG_START_TIMEOUT:-60}
  as_pg "$BIN/pg_ctl" start -D "$DATA" -l "$DATA/server.log" -o "$opts" -w -t "$timeout" \
    >/dev/null 9>&- || { tail -n 50 "$DATA/server.log" >&2 || true; die "pg_ctl start failed"; }
  # pg_ctl -w already waited; pg_isready confirms the TCP listener we hand out.
  local deadline=$((SECONDS + timeout))
  until "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT"; do
    ((SECONDS < deadline)) || { tail -n 50 "$DATA/server.log" >&2; die "not ready after ${timeout}s"; }
    sleep 0.2
  done
  create_db
  log "started ($DATA)"
  echo "$URL"
}

create_db() {
  local exists
  exists=$("$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -tAX \
    -c "SELECT 1 FROM pg_database WHERE datname = '$DB'")
  if [[ $exists != 1 ]]; then
    "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres "$DB"
    log "created database $DB"
  fi
}

cmd_stop() {
  pick_data_dir
  BIN=$(find_bin) || { log "not running (no PostgreSQL installed)"; return 0; }
  if ! running; then log "not running"; return 0; fi
  as_pg "$BIN/pg_ctl" stop -D "$DATA" -m fast -w -t 60 >/dev/null
  log "stopped"
}

cmd_status() {
  pick_data_dir
  BIN=$(find_bin) || { log "not running (no PostgreSQL installed)"; return 1; }
  if running && "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then
    log "running ($DATA)"
    echo "$URL"
    return 0
  fi
  log "not running"
  return 1
}

cmd_clean() {
  cmd_stop
  [[ -n $DATA && $DATA != / ]] || die "refusing to delete '$DATA'"
  rm -rf "$DATA" "$DATA.lock" "$DATA.initdb.log"
  log "deleted $DATA"
}

case ${1:-} in
  ensure | start | stop | status | clean) "cmd_$1" ;;
  url) echo "$URL" ;;
  *) echo "usage: $0 ensure|start|stop|status|url|clean" >&2; exit 2 ;;
esac
