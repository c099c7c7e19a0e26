#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server for the tests and exports
# VIGIL_TEST_POSTGRES naming it; the server stops when the sourcing shell
# exits. Source it (`. .ci/postgres.sh`) from .ci/run, or run it alone with
# a command to run against the server: `.ci/postgres.sh go test ./storage/`.
#
# The server listens only on a unix socket in a temporary directory (no TCP
# port to collide with another job), runs as an unprivileged user because
# PostgreSQL refuses to run as root, and trades durability for speed
# (fsync off): its data is thrown away afterwards.

pg_bin_dir() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return 0; }
  return 1
}

vigil_pg_start() {
  local bin sudo=""
  if ! bin=$(pg_bin_dir); then
    echo "installing postgresql for the storage tests"
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -q && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql
    bin=$(pg_bin_dir) || { echo "postgresql installed but initdb not found" >&2; return 1; }
  fi

  # PostgreSQL will not run as root; Debian's package creates the postgres
  # user, and a machine without it gets one.
  local runas=""
  if [ "$(id -u)" -eq 0 ]; then
    runas=postgres
    id -u "$runas" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$runas"
  fi
  as_pg() { if [ -n "$runas" ]; then runuser -u "$runas" -- "$@"; else "$@"; fi; }

  VIGIL_PG_DIR=$(mktemp -d /tmp/vigil-pg.XXXXXX)
  chmod 755 "$VIGIL_PG_DIR"
  [ -n "$runas" ] && chown "$runas" "$VIGIL_PG_DIR"
  export VIGIL_PG_DIR VIGIL_PG_BIN="$bin" VIGIL_PG_RUNAS="$runas"

  as_pg "$bin/initdb" -D "$VIGIL_PG_DIR/data" -U vigil --auth=trust --locale=C.UTF-8 --encoding=UTF8 >"$VIGIL_PG_DIR/initdb.log" 2>&1 ||
    { cat "$VIGIL_PG_DIR/initdb.log" >&2; return 1; }
  # No TCP (listen_addresses empty): only the socket in the temporary
  # directory, which no other job shares.
  as_pg "$bin/pg_ctl" -D "$VIGIL_PG_DIR/data" -l "$VIGIL_PG_DIR/server.log" -w -t 30 start \
    -o "-k $VIGIL_PG_DIR -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" >/dev/null ||
    { cat "$VIGIL_PG_DIR/server.log" >&2; return 1; }
  as_pg "$bin/createdb" -h "$VIGIL_PG_DIR" -U vigil vigil_test
  # Tests create a database of their own for each test from this one.
  export VIGIL_TEST_POSTGRES="postgres://vigil@/vigil_test?host=$VIGIL_PG_DIR&sslmode=disable"
  echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') running at $VIGIL_PG_DIR; VIGIL_TEST_POSTGRES=$VIGIL_TEST_POSTGRES"
}

vigil_pg_stop() {
  [ -n "${VIGIL_PG_DIR:-}" ] || return 0
  if [ -n "$VIGIL_PG_RUNAS" ]; then
    runuser -u "$VIGIL_PG_RUNAS" -- "$VIGIL_PG_BIN/pg_ctl" -D "$VIGIL_PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  else
    "$VIGIL_PG_BIN/pg_ctl" -D "$VIGIL_PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$VIGIL_PG_DIR"
  unset VIGIL_PG_DIR VIGIL_TEST_POSTGRES
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  # Run alone: start, run the command given (or wait for Ctrl-C), stop.
  set -euo pipefail
  trap vigil_pg_stop EXIT
  vigil_pg_start
  if [ $# -gt 0 ]; then
    "$@"
  else
    echo "press Ctrl-C to stop"
    while sleep 3600; do :; done
  fi
else
  trap vigil_pg_stop EXIT
  vigil_pg_start
fi
