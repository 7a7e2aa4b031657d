#!/usr/bin/env bash
# modes.sh - kompasd's worker modes side by side with bench-pgasync
# (docs/benchmarks.md, "Event-loop workers"): one throwaway PostgreSQL
# cluster, then in each round every variant started afresh and measured with
# wrk on GET /readyz and (kompasd only) the authorized GET /v1/me, the
# variants one after another so that a slow spell hits them alike.
#
#   tools/bench/modes.sh VARIANT...
#
# A VARIANT is KIND:BINARY:THREADS:CONNS, KIND one of
#   threads  kompasd with [http] mode = threads and THREADS worker threads
#            (CONNS is ignored: one connection per thread)
#   events   kompasd with [http] mode = events, THREADS loops of CONNS
#            database connections each
#   pgasync  BINARY is bench-pgasync, THREADS loops of CONNS connections
#            (measured on /readyz and /healthz, its answer without the database)
#   pgasync-kompas  the same, running kompasd's readiness statement (lib/migrate.c,
#            migrate_current_version) instead of SELECT 1: like for like
#   hello    BINARY is bench-hello, bare libmicrohttpd with THREADS threads
#            (CONNS is ignored; measured on /healthz only: it answers every
#            path with a static body, libmicrohttpd's cost alone)
# e.g. threads:build/release/kompasd:8:0 events:build/release/kompasd:2:8
#      pgasync:build/release/bench-pgasync:2:4
#
# Per run it reports requests/s, p99, and CPU per request: the server's
# process, the PostgreSQL backends' (every process of the cluster) and the
# whole machine's (/proc/stat, wrk included), in µs. Prints one line per run
# and a table of medians at the end; appends nothing anywhere.
#
# Environment: BENCH_DURATION [5s], BENCH_WARMUP [1s], BENCH_ROUNDS [3],
# BENCH_CONNECTIONS [32], BENCH_WRK_THREADS [2], BENCH_PATHS [/readyz /v1/me],
# BENCH_PERF=DIR: record `perf record -g` of each run's server and backends
# into DIR (round 1 only).
set -euo pipefail
cd "$(dirname "$0")/../.."

die() { echo "modes: $*" >&2; exit 1; }
[ $# -ge 1 ] || die "usage: $0 KIND:BINARY:THREADS:CONNS..."
duration=${BENCH_DURATION:-5s}
warmup=${BENCH_WARMUP:-1s}
rounds=${BENCH_ROUNDS:-3}
conns=${BENCH_CONNECTIONS:-32}
wrk_threads=${BENCH_WRK_THREADS:-2}
paths=${BENCH_PATHS:-/readyz /v1/me}
first_kompasd=
for v in "$@"; do
    IFS=: read -r kind bin _ _ <<<"$v"
    [[ $kind =~ ^(threads|events|pgasync|pgasync-kompas|hello)$ ]] || die "unknown kind in $v"
    [ -x "$bin" ] || die "$bin not found"
    [[ $kind =~ ^(pgasync|pgasync-kompas|hello)$ ]] || [ -n "$first_kompasd" ] || first_kompasd=$bin
done
[ -n "$first_kompasd" ] || die "at least one kompasd variant is needed (to migrate)"
# kompasd's readiness statement, from its source (as tools/bench/run.sh reads it).
ready_sql=$(sed -n 's/.*DB_STMT("migrate_current_version", "\([^"]*\)", 0).*/\1/p' lib/migrate.c)
[ -n "$ready_sql" ] || die "cannot find kompasd's readiness statement in lib/migrate.c"

tmp=$(mktemp -d /tmp/kompas-modes-XXXXXX)
pgdir=$(mktemp -d /tmp/kompas-modes-pg-XXXXXX)
server_pid=
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    set +e
    [ -n "$server_pid" ] && kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    tools/pgcluster.sh stop "$pgdir" >/dev/null 2>&1
    rm -rf "$tmp" "$pgdir"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

tools/pgcluster.sh init "$pgdir" --fast >/dev/null
tools/pgcluster.sh start "$pgdir" >/dev/null
sock=$(tools/pgcluster.sh socket "$pgdir")
tools/pgcluster.sh createdb "$pgdir" kompas >/dev/null
postmaster=$(head -n 1 "$pgdir/data/postmaster.pid")

export KOMPAS_DATABASE_CONNINFO="host=$sock dbname=kompas user=kompasd"
export KOMPAS_DATABASE_MIGRATE_CONNINFO="host=$sock dbname=kompas user=kompas_owner"
(umask 077; "$first_kompasd" gen-keyfile >"$tmp/kompas.key")
export KOMPAS_CRYPTO_KEY_FILE=$tmp/kompas.key
export KOMPAS_HTTP_LISTEN=127.0.0.1 KOMPAS_HTTP_PORT=0 KOMPAS_LOG_ACCESS_LOG=/dev/null
export KOMPAS_LOG_LEVEL=info
[ "$(id -u)" != 0 ] || export KOMPAS_SERVER_USER=postgres

# start VARIANT: sets server_pid and port (waits for "listening on").
start() {
    local kind bin th cn log=$tmp/server.log
    IFS=: read -r kind bin th cn <<<"$1"
    : >"$log"
    case $kind in
    pgasync) "$bin" 0 "$th" "$cn" "$KOMPAS_DATABASE_CONNINFO application_name=bench-pgasync" \
                 >"$log" 2>&1 & ;;
    pgasync-kompas)
        "$bin" 0 "$th" "$cn" "$KOMPAS_DATABASE_CONNINFO application_name=bench-pgasync" \
            "$ready_sql" >"$log" 2>&1 & ;;
    hello) "$bin" 0 "$th" >"$log" 2>&1 & ;;
    *) [ "$cn" != 0 ] || cn=8 # unused by threads
       KOMPAS_HTTP_MODE=$kind KOMPAS_HTTP_THREADS=$th KOMPAS_DATABASE_LOOP_CONNECTIONS=$cn \
           "$bin" -c kompas.conf serve --migrate >"$log" 2>&1 & ;;
    esac
    server_pid=$!
    port=
    for _ in $(seq 600); do
        port=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -n 1)
        [ -n "$port" ] && break
        kill -0 "$server_pid" 2>/dev/null || { cat "$log" >&2; die "$1 did not start"; }
        sleep 0.1
    done
    [ -n "$port" ] || die "$1 did not start"
}
stop() {
    [ -z "${BENCH_LOGS:-}" ] || cat "$tmp/server.log" >>"$BENCH_LOGS"
    kill -TERM "$server_pid"
    wait "$server_pid" || die "server exited with $? after SIGTERM"
    server_pid=
}

# The bench coordinator (demo password), for GET /v1/me.
hash='$argon2id$v=19$m=65536,t=2,p=1$oJSPmbfj8nO7rOTy28BAHQ$joh+LUJX4UuBmGSxGD0ZDDOC7llKQCISRoN0Ew4YM3A'
start "threads:$first_kompasd:2:0"
tools/pgcluster.sh psql "$pgdir" -d kompas -v ON_ERROR_STOP=1 -qc "
    INSERT INTO centre (id, slug, name, municipality)
    VALUES ('00000000-0000-4000-8000-0000000000b1', 'bench', 'Frivilligcenter Bench', 'Benchkommune');
    INSERT INTO account (email, display_name, role, centre_id, password_hash)
    VALUES ('bench-coordinator@test.invalid', 'Bench', 'coordinator',
            '00000000-0000-4000-8000-0000000000b1', '$hash');" >/dev/null
token=$(curl -fsS -H 'Content-Type: application/json' \
    -d '{"email":"bench-coordinator@test.invalid","password":"kompas-demo-2026"}' \
    "http://127.0.0.1:$port/v1/sessions" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
[ -n "$token" ] || die "cannot log in the bench coordinator"
stop

ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
pg_ticks() {
    local s=0 p
    for p in $(pgrep -P "$postmaster") "$postmaster"; do s=$((s + $(ticks "$p"))); done
    echo "$s"
}
# Busy ticks of the whole machine (all but idle and iowait).
cpu_busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
tck=$(getconf CLK_TCK)
per_req() { awk -v t="$1" -v n="$2" -v k="$tck" 'BEGIN { printf "%.1f", (n > 0 ? t / k * 1e6 / n : 0) }'; }

results=$tmp/results
: >"$results"
echo "modes: load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u '+%H:%M UTC'), $rounds rounds of $duration"
for round in $(seq "$rounds"); do
    for v in "$@"; do
        kind=${v%%:*}
        start "$v"
        for path in $paths; do
            case $kind:$path in
            pgasync*:/readyz | pgasync*:/healthz | hello:/healthz) ;;
            pgasync*:* | hello:*) continue ;;
            esac
            hdr=()
            [ "$path" = /readyz ] || [ "$path" = /healthz ] || hdr=(-H "Authorization: Bearer $token")
            url=http://127.0.0.1:$port$path
            code=$(curl -s -o /dev/null -w '%{http_code}' "${hdr[@]}" "$url")
            [ "$code" = 200 ] || die "$v $path answered $code"
            [ "$warmup" = 0 ] || wrk -t"$wrk_threads" -c"$conns" -d"$warmup" "${hdr[@]}" "$url" >/dev/null
            load=$(cut -d' ' -f1 /proc/loadavg)
            s0=$(ticks "$server_pid") p0=$(pg_ticks) m0=$(cpu_busy)
            if [ -n "${BENCH_PERF:-}" ] && [ "$round" = 1 ]; then
                mkdir -p "$BENCH_PERF"
                perf record -q -g -o "$BENCH_PERF/${kind}-${v##*:}-${path//\//_}.data" \
                    -p "$server_pid,$(pgrep -d, -P "$postmaster")" -- sleep "${duration%s}" \
                    >/dev/null 2>&1 &
                perf_pid=$!
            fi
            wrk -t"$wrk_threads" -c"$conns" -d"$duration" --latency "${hdr[@]}" "$url" >"$tmp/wrk.txt"
            s1=$(ticks "$server_pid") p1=$(pg_ticks) m1=$(cpu_busy)
            [ -z "${perf_pid:-}" ] || { wait "$perf_pid" || true; perf_pid=; }
            n=$(awk '/ requests in / { print $1 }' "$tmp/wrk.txt")
            rps=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$tmp/wrk.txt")
            p99=$(awk '/Latency Distribution/ { d = 1 } d && $1 == "99%" { print $2; exit }' "$tmp/wrk.txt")
            bad=$(awk '/Non-2xx/ { print $NF }' "$tmp/wrk.txt")
            [ -z "$bad" ] || echo "modes: warning: $v $path: $bad non-2xx" >&2
            line="$v $path $rps $p99 $(per_req $((s1 - s0)) "$n") $(per_req $((p1 - p0)) "$n")"
            line+=" $(per_req $((m1 - m0)) "$n") $load"
            echo "$line" >>"$results"
            printf 'round %s: %-44s %-7s %6s req/s p99 %7s  server %5s µs  pg %5s µs  machine %5s µs  load %s\n' \
                "$round" "$v" "$path" $(cut -d' ' -f3- <<<"$line")
        done
        stop
    done
done

echo
echo "| variant | path | requests/s (median; each round) | server µs | backends µs | machine µs | load |"
echo "|---|---|---:|---:|---:|---:|---|"
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
for v in "$@"; do
    for path in $paths; do
        rows=$(awk -v v="$v" -v p="$path" '$1 == v && $2 == p' "$results")
        [ -n "$rows" ] || continue
        printf '| %s | %s | %s (%s) | %s | %s | %s | %s |\n' "$v" "$path" \
            "$(awk '{ print $3 }' <<<"$rows" | median)" "$(awk '{ printf "%s%s", s, $3; s = ", " }' <<<"$rows")" \
            "$(awk '{ print $5 }' <<<"$rows" | median)" "$(awk '{ print $6 }' <<<"$rows" | median)" \
            "$(awk '{ print $7 }' <<<"$rows" | median)" "$(awk '{ printf "%s%s", s, $8; s = "-" }' <<<"$rows")"
    done
done
