#!/usr/bin/env bash
# data.sh KOMPASD [SCALE] - what `make bench-data SCALE=...` does: (re)build
# the national benchmark dataset in a persistent PostgreSQL cluster under
# var/bench-pg (BENCH_PGDIR), so that repeated `make bench-national` runs
# reuse it:
#   1. stop and delete the old cluster, if any; initdb (fsync off, like the
#      foundation bench), start it, create the database kompas and roles;
#   2. a new key file var/bench-pg/kompas.key (kompasd serves the dataset
#      with it: the citizens' details are sealed with its data key);
#   3. kompasd migrate, as the schema owner;
#   4. tools/bench/data.sql at the scale (default 1), which seals the
#      citizens' details through tools/bench/seal.sh (kompasd seal-requests);
#   5. print the time it took and the row counts, and keep them in
#      var/bench-pg/dataset.txt (national.sh reports them).
# The cluster is left running; `make bench-stop` (or tools/pgcluster.sh stop
# var/bench-pg) stops it.
set -euo pipefail
cd "$(dirname "$0")/../.."

die() { echo "bench-data: $*" >&2; exit 1; }

[ $# -ge 1 ] && [ $# -le 2 ] || die "usage: $0 KOMPASD [SCALE]"
kompasd=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
scale=${2:-${BENCH_SCALE:-1}}
pgdir=${BENCH_PGDIR:-var/bench-pg}
[[ $scale =~ ^[0-9]*\.?[0-9]+$ ]] || die "SCALE must be a positive number, not '$scale'"
awk -v s="$scale" 'BEGIN { exit !(s > 0 && s <= 100) }' || die "SCALE must be above 0 and at most 100"
[ -x "$kompasd" ] || die "$kompasd not found (run: make)"

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
t_start=$(date +%s.%N)
echo "bench-data: rebuilding the cluster in $pgdir (scale $scale)"
tools/pgcluster.sh stop "$pgdir" 2>/dev/null || true
if [ -e "$pgdir" ]; then
    sock_old=$( [ -f "$pgdir/socket_dir" ] && cat "$pgdir/socket_dir" || true)
    rm -rf "$pgdir"
    [ -n "$sock_old" ] && [[ $sock_old == /tmp/kompas-pg-* ]] && rm -rf "$sock_old"
fi
tools/pgcluster.sh init "$pgdir" --fast
# Bulk load and the benchmark's sorts: more memory than the defaults.
{
    echo "maintenance_work_mem = 256MB"
    echo "work_mem = 16MB"
    echo "max_wal_size = 4GB"
} | if [ "$(id -u)" = 0 ]; then runuser -u postgres -- tee -a "$pgdir/data/postgresql.conf"; else tee -a "$pgdir/data/postgresql.conf"; fi >/dev/null
tools/pgcluster.sh start "$pgdir"
tools/pgcluster.sh createdb "$pgdir" kompas
sock=$(tools/pgcluster.sh socket "$pgdir")

(umask 077; "$kompasd" gen-keyfile >"$pgdir/kompas.key") || die "gen-keyfile failed"
if [ "$(id -u)" = 0 ]; then chown root: "$pgdir/kompas.key"; fi

export PGHOST=$sock PGDATABASE=kompas PGUSER=kompas_owner
export KOMPASD=$kompasd KOMPAS_CRYPTO_KEY_FILE=$(cd "$pgdir" && pwd)/kompas.key
export KOMPAS_DATABASE_MIGRATE_CONNINFO="host=$sock dbname=kompas user=kompas_owner"
export KOMPAS_DATABASE_CONNINFO="host=$sock dbname=kompas user=kompasd"
"$kompasd" -c kompas.conf migrate >/dev/null || die "kompasd migrate failed"

t_load=$(date +%s.%N)
export BENCH_SEALER="sh tools/bench/seal.sh"
# From a copy kept with the dataset (the generator that built it; psql reads
# a file as it goes, so an edit during the load cannot reach it).
cp tools/bench/data.sql "$pgdir/data.sql"
: >"$pgdir/load.log"
psql -X -e -v ON_ERROR_STOP=1 -v scale="$scale" -f "$pgdir/data.sql" >"$pgdir/load.log" 2>&1 &
psql_pid=$!
tail -n +1 -f --pid="$psql_pid" "$pgdir/load.log" | grep --line-buffered '^data.sql:' || true
wait "$psql_pid" || { tail -n 20 "$pgdir/load.log" >&2; die "data.sql failed (the whole output: $pgdir/load.log)"; }
t_end=$(date +%s.%N)

counts=$(psql -X -q -At -F ' ' -c "
SELECT t, n FROM (VALUES
  (1, 'centre', (SELECT count(*) FROM centre)),
  (2, 'association', (SELECT count(*) FROM association)),
  (3, 'event_series', (SELECT count(*) FROM event_series)),
  (4, 'event', (SELECT count(*) FROM event)),
  (5, 'event_category', (SELECT count(*) FROM event_category)),
  (6, 'volunteer', (SELECT count(*) FROM volunteer)),
  (7, 'volunteer_status_change', (SELECT count(*) FROM volunteer_status_change)),
  (8, 'request', (SELECT count(*) FROM request)),
  (9, 'request_anonymised', (SELECT count(*) FROM request WHERE anonymised_at IS NOT NULL)),
  (10, 'request_open', (SELECT count(*) FROM request WHERE closed_at IS NULL)),
  (11, 'request_event', (SELECT count(*) FROM request_event)),
  (12, 'request_consent', (SELECT count(*) FROM request_consent)),
  (13, 'conversation', (SELECT count(*) FROM conversation)),
  (14, 'course', (SELECT count(*) FROM course)),
  (15, 'visit', (SELECT count(*) FROM visit)),
  (16, 'referral', (SELECT count(*) FROM referral)),
  (17, 'measurement', (SELECT count(*) FROM measurement))) v (o, t, n) ORDER BY o")
size=$(psql -X -q -At -c "SELECT pg_size_pretty(pg_database_size('kompas'))")
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", b - a }'; }
{
    echo "scale $scale"
    echo "built $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "seconds_total $(secs "$t_start" "$t_end")"
    echo "seconds_data_sql $(secs "$t_load" "$t_end")"
    echo "load_before $load_start"
    echo "size $size"
    sed 's/^/rows /' <<<"$counts"
} >"$pgdir/dataset.txt"

echo
echo "bench-data: scale $scale built in $(secs "$t_start" "$t_end") s (data.sql $(secs "$t_load" "$t_end") s; load average before: $load_start); database $size"
awk '{ printf "  %-26s %10d\n", $1, $2 }' <<<"$counts"
# The statements that took more than two seconds (psql -e echoes each one,
# \timing follows it with its time).
echo "bench-data: statements over 2 s:"
awk '/^(INSERT 0 [0-9]+|CREATE TABLE|UPDATE [0-9]+|DELETE [0-9]+|COPY [0-9]+)$/ { next }
     /^(INSERT|CREATE|UPDATE|VACUUM|EXPLAIN|COPY|DELETE)/ { stmt = substr($0, 1, 70) }
     /^Time: / { if ($2 > 2000) printf "  %7.1f s  %s\n", $2 / 1000, stmt }' "$pgdir/load.log" |
    tee "$pgdir/slow.txt"
# Where the time of the largest inserts went: the triggers (foreign keys
# included) as EXPLAIN ANALYZE reported them.
echo "bench-data: the largest inserts (EXPLAIN ANALYZE in $pgdir/load.log):"
awk '/^data.sql: measured:/ { sub(/^data.sql: measured: /, ""); name = $0 }
     /Trigger .*time=/ { t = $0; sub(/^ */, "", t); printf "  %-30s %s\n", name, t }
     /Execution Time:/ { printf "  %-30s total %s %s\n", name, $3, $4 }' "$pgdir/load.log" | tee "$pgdir/triggers.txt"
echo "bench-data: the cluster is running in $pgdir; make bench-national measures against it"
