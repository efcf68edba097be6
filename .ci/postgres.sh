#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests (`make test-postgres`).
#
#   .ci/postgres.sh start         install the server if missing, start it, print its URL
#   .ci/postgres.sh url           print the URL of the running server
#   .ci/postgres.sh status        exit 0 when the server is running
#   .ci/postgres.sh stop          stop it (the data directory is kept for the next start)
#   .ci/postgres.sh purge         stop it and delete its data directory
#   .ci/postgres.sh run CMD...    start, run CMD with TEST_DATABASE_URL set, stop (always)
#
# The server listens on 127.0.0.1 only, at a free port chosen on the first start, with a
# random password; its data lives under ${TMPDIR:-/tmp}, one directory per checkout (so
# two checkouts on one machine do not share or stop each other's server). fsync is off:
# nothing in it is worth keeping. The role may CREATE DATABASE, which the tests use to
# give every test a database of its own. Every step is idempotent: `start` on a running
# server only prints the URL, a stopped one is restarted, a broken data directory is
# made anew. Messages go to stderr; stdout carries only the URL.
#
# On a Debian machine without PostgreSQL, `start` installs the distribution's
# `postgresql` package with apt-get (as root). As root, the server runs as the
# `postgres` system user (initdb refuses root); otherwise as the current user.
# Settings: PGTEST_DIR (data directory root), PGTEST_PORT (a fixed port), PG_BINDIR.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CHECKOUT_ID=$(printf '%s' "$ROOT" | cksum | cut -d' ' -f1)
DIR=${PGTEST_DIR:-${TMPDIR:-/tmp}/torun-bot-postgres-$CHECKOUT_ID}
DATA=$DIR/data
SOCKET=$DIR/socket
LOG=$DIR/server.log
ROLE=torun_test
DATABASE=torun_test

say() { printf 'postgres.sh: %s\n' "$*" >&2; }
die() {
    say "$*"
    exit 1
}

# Run a command as the server's owner: `postgres` when we are root, else ourselves.
as_owner() {
    if [ "$(id -u)" = 0 ]; then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

find_bindir() {
    if [ -n "${PG_BINDIR:-}" ]; then
        printf '%s\n' "$PG_BINDIR"
        return
    fi
    local candidate
    # Debian keeps the server programs outside PATH, one folder per major version.
    candidate=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -n "$candidate" ] && [ -x "$candidate/initdb" ] && [ -x "$candidate/psql" ]; then
        printf '%s\n' "$candidate"
        return
    fi
    if command -v initdb >/dev/null && command -v psql >/dev/null; then
        dirname "$(command -v initdb)"
    fi
}

install_server() {
    [ "$(id -u)" = 0 ] || die "PostgreSQL is not installed; as root this script installs it \
(apt-get install postgresql), or set PG_BINDIR to a folder with initdb, pg_ctl and psql"
    command -v apt-get >/dev/null || die "PostgreSQL is not installed and there is no apt-get"
    say "installing the distribution's postgresql package"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends postgresql >&2
}

BINDIR=$(find_bindir)
ensure_bindir() {
    if [ -z "$BINDIR" ]; then
        install_server
        BINDIR=$(find_bindir)
        [ -n "$BINDIR" ] || die "postgresql was installed but initdb was not found"
    fi
    if [ "$(id -u)" = 0 ]; then
        id postgres >/dev/null 2>&1 || die "running as root needs the postgres system user"
    fi
}

# A postmaster process exists for our data directory (it may not answer yet, or any more).
process_exists() {
    [ -n "$BINDIR" ] || BINDIR=$(find_bindir)
    [ -n "$BINDIR" ] && [ -f "$DATA/PG_VERSION" ] \
        && as_owner "$BINDIR/pg_ctl" status -D "$DATA" >/dev/null 2>&1
}

# Our server is up and accepts connections.
running() {
    process_exists && [ -s "$DIR/port" ] \
        && as_owner "$BINDIR/pg_isready" -q -h "$SOCKET" -p "$(cat "$DIR/port")" -t 10
}

port_is_free() {
    python3 - "$1" <<'EOF'
import socket, sys
with socket.socket() as sock:
    # As the server binds (SO_REUSEADDR): a port left in TIME_WAIT by the last run is free.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", int(sys.argv[1])))
    except OSError:
        sys.exit(1)
EOF
}

free_port() {
    python3 -c 'import socket
with socket.socket() as s:
    s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

superuser_psql() {
    as_owner "$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCKET" -p "$(cat "$DIR/port")" \
        -U postgres -d postgres "$@"
}

print_url() {
    printf 'postgresql+psycopg://%s:%s@127.0.0.1:%s/%s\n' \
        "$ROLE" "$(cat "$DIR/password")" "$(cat "$DIR/port")" "$DATABASE"
}

init_cluster() {
    local version
    version=$("$BINDIR/pg_ctl" --version | sed -E 's/.* ([0-9]+)(\.[0-9]+)*.*/\1/')
    if [ -f "$DATA/PG_VERSION" ] && [ "$(cat "$DATA/PG_VERSION")" = "$version" ]; then
        return
    fi
    # Missing, half-made (an interrupted initdb) or of another major version: start afresh.
    rm -rf "$DATA"
    say "creating a cluster in $DATA (PostgreSQL $version)"
    as_owner mkdir -p "$DATA"
    as_owner "$BINDIR/initdb" -D "$DATA" -U postgres --auth-local=trust \
        --auth-host=scram-sha-256 --encoding=UTF8 --locale=C >"$DIR/initdb.log" 2>&1 \
        || die "initdb failed: $(tail -n 5 "$DIR/initdb.log")"
    echo "include_if_exists = 'torun_test.conf'" | as_owner tee -a "$DATA/postgresql.conf" \
        >/dev/null
}

start() {
    ensure_bindir
    mkdir -p "$DIR"
    chmod 700 "$DIR"
    [ "$(id -u)" = 0 ] && chown postgres: "$DIR"
    if [ ! -s "$DIR/password" ]; then
        (umask 077 && od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$DIR/password")
    fi
    if running; then
        say "already running on port $(cat "$DIR/port")"
    else
        if process_exists; then
            # A postmaster that does not answer (killed children, a full disk...): end it.
            say "the server process does not answer; stopping it"
            as_owner "$BINDIR/pg_ctl" stop -D "$DATA" -m immediate -w -t 30 >/dev/null || true
        fi
        init_cluster
        local port=${PGTEST_PORT:-}
        if [ -z "$port" ] && [ -s "$DIR/port" ] && port_is_free "$(cat "$DIR/port")"; then
            port=$(cat "$DIR/port")
        fi
        [ -n "$port" ] || port=$(free_port)
        echo "$port" >"$DIR/port"
        as_owner mkdir -p "$SOCKET"
        as_owner chmod 700 "$SOCKET"
        as_owner tee "$DATA/torun_test.conf" >/dev/null <<EOF
# Written by .ci/postgres.sh at each start: a throwaway server for tests.
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$SOCKET'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
        as_owner "$BINDIR/pg_ctl" start -D "$DATA" -l "$LOG" -w -t 60 >/dev/null \
            || die "the server did not start: $(tail -n 20 "$LOG" 2>/dev/null)"
        say "started on 127.0.0.1:$port (data in $DATA, log in $LOG)"
    fi
    local password
    password=$(cat "$DIR/password")
    superuser_psql <<EOF
SELECT format('CREATE ROLE %I LOGIN', '$ROLE')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$ROLE') \gexec
ALTER ROLE $ROLE LOGIN CREATEDB PASSWORD '$password';
SELECT format('CREATE DATABASE %I OWNER %I', '$DATABASE', '$ROLE')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$DATABASE') \gexec
EOF
    print_url
}

stop() {
    if process_exists; then
        as_owner "$BINDIR/pg_ctl" stop -D "$DATA" -m fast -w -t 60 >/dev/null
        say "stopped"
    fi
}

case "${1:-}" in
start) start ;;
url)
    running || die "not running (start it with: $0 start)"
    print_url
    ;;
status)
    if running; then
        say "running on 127.0.0.1:$(cat "$DIR/port") (data in $DATA)"
    else
        say "not running"
        exit 1
    fi
    ;;
stop) stop ;;
purge)
    stop
    rm -rf "$DIR"
    say "removed $DIR"
    ;;
run)
    shift
    [ $# -gt 0 ] || die "usage: $0 run COMMAND [ARGS...]"
    url=$(start)
    trap stop EXIT
    trap 'exit 130' INT TERM
    status=0
    TEST_DATABASE_URL=$url "$@" || status=$?
    exit "$status"
    ;;
*)
    sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
