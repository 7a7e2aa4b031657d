#!/usr/bin/env bash
# backup-restore-check.sh - prove that a backup of a Kompas database restores
# to the same data: dump it (pg_dump -Fc), note the row count and a checksum
# of every table and the value of every sequence, restore the dump, take the
# same figures again and compare them.
#
#   tools/backup-restore-check.sh [--drop] DBNAME [DUMPFILE]
#
#   default  restore into a scratch database DBNAME_restorecheck (dropped
#            afterwards): the live database is not touched, so this may run
#            against production as a regular check of the backups.
#   --drop   the disaster drill: drop DBNAME itself and restore it from the
#            dump with pg_restore --create (owner, grants and database
#            settings come back too). Stop kompasd first.
#
# DUMPFILE (default: a temporary file, removed afterwards) is kept when given.
# Connects with the libpq environment (PGHOST, PGPORT, PGUSER, ...) as a
# superuser such as postgres: row-level security hides rows from others.
# Prints one line per table and "backup-restore-check: ok" at the end;
# exits 1 when anything differs.
set -euo pipefail

drop=0
if [ "${1:-}" = --drop ]; then
    drop=1
    shift
fi
[ $# -ge 1 ] || { echo "usage: $0 [--drop] DBNAME [DUMPFILE]" >&2; exit 2; }
db=$1
dump=${2:-}
keep_dump=1
if [ -z "$dump" ]; then
    dump=$(mktemp /tmp/kompas-backup-XXXXXX.dump)
    keep_dump=0
fi
work=$(mktemp -d /tmp/kompas-backup-check-XXXXXX)
scratch="${db}_restorecheck"
cleanup() {
    rm -rf "$work"
    [ $keep_dump = 1 ] || rm -f "$dump"
    if [ $drop = 0 ]; then dropdb --if-exists "$scratch" 2>/dev/null || true; fi
}
trap cleanup EXIT

# One line per table: "schema.table rows checksum", and per sequence
# "schema.sequence last_value is_called", sorted.
figures() {
    local target=$1 out=$2
    psql -X -q -v ON_ERROR_STOP=1 -d "$target" -tA -F ' ' >"$work/queries.sql" <<'SQL'
SELECT format('SELECT %L, count(*), coalesce(md5(string_agg(t::text, E''\n'' ORDER BY t::text)), ''-'') FROM %I.%I t;',
              n.nspname || '.' || c.relname, n.nspname, c.relname)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg_toast%'
UNION ALL
SELECT format('SELECT %L, last_value, is_called FROM %I.%I;', n.nspname || '.' || c.relname, n.nspname, c.relname)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'S' AND n.nspname NOT IN ('pg_catalog', 'information_schema');
SQL
    psql -X -q -v ON_ERROR_STOP=1 -d "$target" -tA -F ' ' -f "$work/queries.sql" | sort >"$out"
}

figures "$db" "$work/before"
[ -s "$work/before" ] || { echo "backup-restore-check: $db has no tables" >&2; exit 1; }
pg_dump -Fc -d "$db" -f "$dump"
echo "backup-restore-check: dumped $db to $dump ($(wc -c <"$dump") bytes)"

if [ $drop = 1 ]; then
    dropdb "$db"
    echo "backup-restore-check: dropped $db"
    pg_restore --create --exit-on-error -d postgres "$dump"
    target=$db
else
    dropdb --if-exists "$scratch"
    createdb -T template0 "$scratch"
    pg_restore --exit-on-error -d "$scratch" "$dump"
    target=$scratch
fi
echo "backup-restore-check: restored into $target"
figures "$target" "$work/after"

awk '{ printf "  %-40s %s rows\n", $1, $2 }' "$work/after"
if ! diff -u "$work/before" "$work/after"; then
    echo "backup-restore-check: FAILED: the restored database differs (above)" >&2
    exit 1
fi
echo "backup-restore-check: ok ($(wc -l <"$work/after") tables and sequences identical)"
