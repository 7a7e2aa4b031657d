#!/usr/bin/env bash
# pgcluster.sh - a private, throwaway PostgreSQL cluster in a folder.
#
#   tools/pgcluster.sh init   DIR [--fast]   initdb (Unix socket only, trust auth, no TCP)
#   tools/pgcluster.sh replica DIR PRIMARY   a streaming replica of the running cluster in
#                                            PRIMARY (pg_basebackup -R), its own socket; start it
#   tools/pgcluster.sh start  DIR            start it and wait until it accepts connections
#   tools/pgcluster.sh stop   DIR            stop it (fast shutdown), if running
#   tools/pgcluster.sh status DIR            exit 0 when running
#   tools/pgcluster.sh socket DIR            print the socket directory
#   tools/pgcluster.sh psql   DIR [ARGS...]  psql into the cluster as the owner role
#   tools/pgcluster.sh createdb DIR NAME     create database NAME (if missing) and the roles
#                                            kompasd needs: kompas_app (no login; migrations
#                                            grant to it) and kompasd (login, member of it)
#
# No system service is touched. PostgreSQL refuses to run as root, so when
# this runs as root the cluster belongs to the 'postgres' system user and
# every server command runs as that user. --fast turns off fsync for tests.
set -euo pipefail

die() { echo "pgcluster: $*" >&2; exit 1; }

[ $# -ge 2 ] || die "usage: $0 init|start|stop|status|socket|psql DIR [...]"
cmd=$1
dir=$2
shift 2
[ "$cmd" = init ] || [ "$cmd" = replica ] && mkdir -p "$dir"
[ -d "$dir" ] && dir=$(cd "$dir" && pwd)

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bindir" ] && [ -x "$bindir/initdb" ] || die "PostgreSQL server binaries not found (run: make deps)"

as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# The socket path must stay under 107 bytes; a deep checkout gets a short
# socket directory in /tmp instead, recorded in the cluster folder.
socket_dir() {
    if [ -f "$dir/socket_dir" ]; then cat "$dir/socket_dir"; else echo "$dir/run"; fi
}

case "$cmd" in
init)
    [ ! -e "$dir/data/PG_VERSION" ] || die "$dir already holds a cluster"
    sock="$dir/run"
    if [ ${#sock} -gt 90 ]; then
        sock=$(mktemp -d /tmp/kompas-pg-XXXXXX)
    fi
    mkdir -p "$sock"
    [ "$sock" = "$dir/run" ] || echo "$sock" > "$dir/socket_dir"
    if [ "$(id -u)" = 0 ]; then
        id postgres >/dev/null 2>&1 || die "no 'postgres' system user (install the postgresql package: make deps)"
        chown postgres: "$dir" "$sock"
        # postgres must be able to reach the folder: check every parent.
        runuser -u postgres -- test -x "$dir" || die "$dir is not reachable by the postgres user (a parent folder is private); use a checkout under a world-traversable path"
    fi
    chmod 700 "$dir" "$sock"
    fast=()
    [ "${1:-}" = "--fast" ] && fast=(--no-sync)
    as_owner "$bindir/initdb" -D "$dir/data" -U kompas_owner --auth=trust -E UTF8 \
        --locale=C.UTF-8 "${fast[@]}" >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    {
        echo "# written by tools/pgcluster.sh"
        echo "listen_addresses = ''"
        echo "unix_socket_directories = '$sock'"
        echo "unix_socket_permissions = 0700"
        echo "max_connections = 100"
        echo "shared_buffers = 128MB"
        echo "logging_collector = off"
        echo "log_min_messages = warning"
        if [ "${1:-}" = "--fast" ]; then
            echo "fsync = off"
            echo "synchronous_commit = off"
            echo "full_page_writes = off"
        fi
    } | as_owner tee -a "$dir/data/postgresql.conf" >/dev/null
    ;;
replica)
    primary=${1:?primary cluster folder}
    primary=$(cd "$primary" && pwd)
    [ ! -e "$dir/data/PG_VERSION" ] || die "$dir already holds a cluster"
    psock=$(dir=$primary; socket_dir)
    sock="$dir/run"
    if [ ${#sock} -gt 90 ]; then
        sock=$(mktemp -d /tmp/kompas-pg-XXXXXX)
    fi
    mkdir -p "$sock"
    [ "$sock" = "$dir/run" ] || echo "$sock" > "$dir/socket_dir"
    if [ "$(id -u)" = 0 ]; then
        chown postgres: "$dir" "$sock"
        runuser -u postgres -- test -x "$dir" || die "$dir is not reachable by the postgres user"
    fi
    chmod 700 "$dir" "$sock"
    # initdb's pg_hba.conf lets local connections replicate (trust).
    as_owner "$bindir/pg_basebackup" -h "$psock" -U kompas_owner -D "$dir/data" -R -X stream \
        --no-sync >"$dir/basebackup.log" 2>&1 || { cat "$dir/basebackup.log" >&2; die "pg_basebackup failed"; }
    echo "unix_socket_directories = '$sock'" | as_owner tee -a "$dir/data/postgresql.conf" >/dev/null
    ;;
start)
    [ -e "$dir/data/PG_VERSION" ] || die "no cluster in $dir (run init first)"
    if as_owner "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then exit 0; fi
    as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/postgresql.log" -w -t 60 start >/dev/null ||
        { tail -n 20 "$dir/postgresql.log" >&2; die "PostgreSQL did not start"; }
    ;;
stop)
    [ -e "$dir/data/PG_VERSION" ] || exit 0
    if as_owner "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
        as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
    fi
    ;;
status)
    as_owner "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
    ;;
socket)
    socket_dir
    ;;
psql)
    exec "$bindir/psql" -X -q -h "$(socket_dir)" -U kompas_owner "$@"
    ;;
createdb)
    name=${1:?database name}
    q() { "$bindir/psql" -X -q -h "$(socket_dir)" -U kompas_owner -d postgres -v ON_ERROR_STOP=1 -tAc "$1"; }
    [ "$(q "SELECT 1 FROM pg_roles WHERE rolname = 'kompas_app'")" = 1 ] ||
        q "CREATE ROLE kompas_app NOLOGIN NOSUPERUSER NOBYPASSRLS" >/dev/null
    [ "$(q "SELECT 1 FROM pg_roles WHERE rolname = 'kompasd'")" = 1 ] ||
        q "CREATE ROLE kompasd LOGIN NOSUPERUSER NOBYPASSRLS IN ROLE kompas_app" >/dev/null
    [ "$(q "SELECT 1 FROM pg_database WHERE datname = '$name'")" = 1 ] ||
        q "CREATE DATABASE \"$name\"" >/dev/null
    ;;
*)
    die "unknown command $cmd"
    ;;
esac
