#!/usr/bin/env bash
# Throwaway PostgreSQL 15 cluster for tests.
#
#   scripts/pg-temp.sh start DIR   # prints postgres://postgres@127.0.0.1:PORT/postgres once it accepts connections
#   scripts/pg-temp.sh stop DIR    # stops the cluster and removes DIR
#
# The cluster belongs to the `postgres` user (initdb refuses to run as root), uses trust auth, listens only on
# 127.0.0.1 (first free port from PG_TEMP_PORT, default 5544, upward) and keeps its unix socket in DIR.
# Both commands are safe to repeat: `start` on a running cluster prints its URL again, `stop` on a missing DIR
# does nothing.
set -euo pipefail

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PGUSER_OS=${PG_TEMP_OS_USER:-postgres}
FIRST_PORT=${PG_TEMP_PORT:-5544}
MARKER=.fairlabel-pg-temp

die() { echo "pg-temp: $*" >&2; exit 1; }

as_pg() {
  if [ "$(id -un)" = "$PGUSER_OS" ]; then "$@"; else runuser -u "$PGUSER_OS" -- "$@"; fi
}

port_busy() { # true when something accepts connections on 127.0.0.1:$1
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

url_for() { echo "postgres://postgres@127.0.0.1:$1/postgres"; }

# Give the postgres user search (x) permission on every ancestor of $1 that lacks it.
make_traversable() {
  local d
  d=$(dirname "$1")
  while [ "$d" != "/" ]; do
    if ! as_pg test -x "$d"; then
      echo "pg-temp: adding o+x to $d so $PGUSER_OS can reach the cluster" >&2
      chmod o+x "$d"
    fi
    d=$(dirname "$d")
  done
}

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || die "usage: $0 start|stop DIR"
case "$dir" in /*) ;; *) dir="$(pwd)/$dir" ;; esac
dir=${dir%/}
[ -n "$dir" ] && [ "$dir" != "/" ] || die "refusing to use / as DIR"
data="$dir/data"

do_stop() {
  [ -e "$dir" ] || return 0
  if [ -e "$dir" ] && [ ! -e "$dir/$MARKER" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then
    die "$dir is not a pg-temp directory (no $MARKER); not touching it"
  fi
  if [ -f "$data/postmaster.pid" ]; then
    as_pg "$PGBIN/pg_ctl" -D "$data" -m fast -w -t 30 stop >/dev/null 2>&1 || \
      as_pg "$PGBIN/pg_ctl" -D "$data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
  fi
  rm -rf -- "$dir"
}

do_start() {
  command -v "$PGBIN/initdb" >/dev/null || die "initdb not found in $PGBIN"
  if [ -f "$dir/$MARKER" ] && [ -f "$dir/port" ] && as_pg "$PGBIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    url_for "$(cat "$dir/port")"      # already running: same answer again
    return 0
  fi
  if [ -e "$dir" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ] && [ ! -f "$dir/$MARKER" ]; then
    die "$dir exists and is not empty"
  fi
  # A half-made cluster from an earlier failed start: throw it away and begin again.
  [ -f "$dir/$MARKER" ] && do_stop
  mkdir -p "$dir"
  touch "$dir/$MARKER"
  make_traversable "$dir"
  chown "$PGUSER_OS:" "$dir"
  chmod 700 "$dir"
  trap 'echo "pg-temp: start failed, cleaning up" >&2; do_stop' ERR

  as_pg "$PGBIN/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || as_pg "$PGBIN/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --locale=C >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; false; }

  local port=$FIRST_PORT tries=0
  while :; do
    tries=$((tries + 1))
    [ "$tries" -le 100 ] || { echo "pg-temp: no free port from $FIRST_PORT" >&2; false; }
    if port_busy "$port"; then port=$((port + 1)); continue; fi
    cat >"$data/postgresql.auto.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
fsync = on
max_connections = 200
CONF
    chown "$PGUSER_OS:" "$data/postgresql.auto.conf"
    if as_pg "$PGBIN/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 start >/dev/null 2>&1; then
      break
    fi
    # Lost a race for the port (or some other start failure): try the next one.
    as_pg "$PGBIN/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
    tail -n 5 "$dir/server.log" >&2 2>/dev/null || true
    port=$((port + 1))
  done
  echo "$port" >"$dir/port"
  local i
  for i in $(seq 1 100); do
    if "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres; then
      trap - ERR
      url_for "$port"
      return 0
    fi
    sleep 0.1
  done
  echo "pg-temp: server on port $port does not accept connections" >&2
  false
}

case "$cmd" in
  start) do_start ;;
  stop) do_stop ;;
  *) die "usage: $0 start|stop DIR" ;;
esac
