#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server for the tests and prints the variables that point
# the tests at it:
#
#   eval "$(scripts/start-postgres.sh)"      # exports TEST_DATABASE_URL
#   REQUIRE_POSTGRES=1 .venv/bin/pytest -m postgres
#   scripts/start-postgres.sh stop           # stops it and removes its files
#
# Installs Debian's postgresql when no server binaries are found (as root or with sudo).
# The cluster lives under $PG_TEST_DIR (default /tmp/expertmusic-postgres-$PG_TEST_PORT),
# listens on 127.0.0.1:$PG_TEST_PORT (default 55432) only, and trusts local connections:
# it is for tests, never for data anyone keeps. Running it again while the server is up
# just prints the variables again. Logs go to stderr; stdout carries only the exports.
set -euo pipefail

PORT="${PG_TEST_PORT:-55432}"
DIR="${PG_TEST_DIR:-/tmp/expertmusic-postgres-$PORT}"
DATABASE="${PG_TEST_DATABASE:-expertmusic_test}"
USER_NAME=postgres

log() { echo "start-postgres: $*" >&2; }

find_bindir() {
  local candidate
  if command -v pg_config >/dev/null && [ -x "$(pg_config --bindir)/initdb" ]; then
    pg_config --bindir
    return
  fi
  # Debian installs the server binaries out of PATH, one directory per major version.
  for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$candidate/initdb" ] && { echo "$candidate"; return; }
  done
}

# The server refuses to run as root: run its commands as the postgres user then.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

BINDIR="$(find_bindir || true)"

if [ "${1:-}" = "stop" ]; then
  if [ -n "$BINDIR" ] && [ -f "$DIR/data/postmaster.pid" ]; then
    as_owner "$BINDIR/pg_ctl" -D "$DIR/data" -m fast -w stop >&2 || true
  fi
  rm -rf "$DIR"
  log "stopped and removed $DIR"
  exit 0
fi

if [ -z "$BINDIR" ]; then
  log "installing Debian's postgresql"
  bash "$(dirname "$0")/install-system-packages.sh" postgresql >&2
  BINDIR="$(find_bindir)"
fi

if [ "$(id -u)" -eq 0 ]; then
  USER_NAME=postgres
  id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql postgres
else
  USER_NAME="$(id -un)"
fi

url="postgresql://$USER_NAME@127.0.0.1:$PORT/$DATABASE"

if ! "$BINDIR/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then
  mkdir -p "$DIR"
  [ "$(id -u)" -eq 0 ] && chown postgres "$DIR"
  if [ ! -f "$DIR/data/PG_VERSION" ]; then
    as_owner "$BINDIR/initdb" -D "$DIR/data" -U "$USER_NAME" -A trust -E UTF8 \
      --no-instructions >&2
  fi
  # fsync off and a small WAL: the data is thrown away, so speed matters more.
  as_owner "$BINDIR/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 start \
    -o "-h 127.0.0.1 -p $PORT -k $DIR -c fsync=off -c synchronous_commit=off \
        -c full_page_writes=off -c max_connections=100" >&2
  log "server started on 127.0.0.1:$PORT (data in $DIR/data, log in $DIR/server.log)"
fi

if ! as_owner "$BINDIR/psql" -h 127.0.0.1 -p "$PORT" -U "$USER_NAME" -d postgres -tAc \
  "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'" | grep -q 1; then
  as_owner "$BINDIR/createdb" -h 127.0.0.1 -p "$PORT" -U "$USER_NAME" "$DATABASE"
  log "created database $DATABASE"
fi

echo "export TEST_DATABASE_URL=$url"
