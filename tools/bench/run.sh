#!/usr/bin/env bash
# run.sh KOMPASD - what `make bench` does after building:
# a throwaway PostgreSQL cluster in a temporary folder, kompasd on a free
# port of 127.0.0.1 (serve --migrate, access log to /dev/null), the bare
# libmicrohttpd reference server bench-hello beside it (same daemon flags and
# worker thread count) and the asynchronous database reference server
# bench-pgasync (tools/bench/pgasync.c: epoll, non-blocking libpq
# connections, several per thread, like Kore's async pgsql), then wrk
# against, one after another:
#   kompasd GET /v1      static body: kompasd's per-request overhead
#   kompasd GET /readyz  one database query per request
#   bench-hello GET /    the same daemon with nothing in front of it
#   bench-pgasync GET /  one prepared SELECT 1 per request, sent asynchronously
#   kompasd GET /readyz  the same binary in [http] mode = events (one loop per
#                        CPU, kompas.conf's loop_connections)
#   bench-pgasync GET /  a second instance running kompasd's own readiness
#                        statement (lib/migrate.c) instead of SELECT 1, so
#                        that one ratio compares like with like
# and GET /v1/me alone and during a login storm (tools/bench/login_storm.mjs).
# The results are printed and appended as a dated section to
# docs/benchmarks.md. Everything is stopped and deleted on exit or Ctrl-C.
#
# Environment (defaults in brackets):
#   BENCH_DURATION     wrk duration of each measured run [10s]
#   BENCH_WARMUP       unmeasured wrk run per target before the first round,
#                      0 for none [2s]
#   BENCH_ROUNDS       rounds through the three targets; medians are reported [3]
#   BENCH_CONNECTIONS  wrk connections [32]
#   BENCH_WRK_THREADS  wrk threads [2]
#   BENCH_THREADS      server worker threads, kompasd and bench-hello [kompasd's
#                      default (kompas.conf's threads; 0 = four per CPU), which
#                      bench-hello gets too]
#   BENCH_TARGET       minimum ratio kompasd GET /v1 : bench-hello [0.85]
#   BENCH_PG_THREADS   bench-pgasync's event-loop threads [nproc]
#   BENCH_PG_CONNS     bench-pgasync's database connections per thread [4]
#   BENCH_DB_TARGET    minimum ratio kompasd GET /readyz : bench-pgasync [1.2]
#   BENCH_REPORT       Markdown file to append to [docs/benchmarks.md]
set -euo pipefail
cd "$(dirname "$0")/../.."

die() { echo "bench: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: $0 KOMPASD"
[[ ${BENCH_ROUNDS:-3} =~ ^[1-9][0-9]*$ ]] || die "BENCH_ROUNDS must be a positive number"
kompasd=$1
hello=$(dirname "$kompasd")/bench-hello
pgasync=$(dirname "$kompasd")/bench-pgasync
duration=${BENCH_DURATION:-10s}
warmup=${BENCH_WARMUP:-2s}
rounds=${BENCH_ROUNDS:-3}
conns=${BENCH_CONNECTIONS:-32}
wrk_threads=${BENCH_WRK_THREADS:-2}
threads=${BENCH_THREADS:-}
target=${BENCH_TARGET:-0.85}
pg_threads=${BENCH_PG_THREADS:-$(nproc)}
pg_conns=${BENCH_PG_CONNS:-4}
db_target=${BENCH_DB_TARGET:-1.2}
report=${BENCH_REPORT:-docs/benchmarks.md}

[ -x "$kompasd" ] || die "$kompasd not found (run: make bench)"
command -v wrk >/dev/null || die "wrk not found (run: make deps)"
command -v curl >/dev/null || die "curl not found (run: make deps)"
# Build the reference server with the project's CFLAGS (make bench already
# did; this covers running the script by hand).
make --no-print-directory -s "$hello" >/dev/null || die "cannot build $hello"
make --no-print-directory -s "$pgasync" >/dev/null || die "cannot build $pgasync"

# ---------------------------------------------------------------- cleanup
tmp=$(mktemp -d /tmp/kompas-bench-XXXXXX)
# Its own folder: when this runs as root, pgcluster.sh hands it to the
# postgres user, who cannot enter the private $tmp.
pgdir=$(mktemp -d /tmp/kompas-bench-pg-XXXXXX)
kompasd_pid=
hello_pid=
pgasync_pid=
events_pid=
same_pid=
drain_pids=()

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    set +e
    [ -n "$kompasd_pid" ] && kill -TERM "$kompasd_pid" 2>/dev/null && wait "$kompasd_pid" 2>/dev/null
    [ -n "$hello_pid" ] && kill -TERM "$hello_pid" 2>/dev/null && wait "$hello_pid" 2>/dev/null
    [ -n "$pgasync_pid" ] && kill -TERM "$pgasync_pid" 2>/dev/null && wait "$pgasync_pid" 2>/dev/null
    [ -n "$events_pid" ] && kill -TERM "$events_pid" 2>/dev/null && wait "$events_pid" 2>/dev/null
    [ -n "$same_pid" ] && kill -TERM "$same_pid" 2>/dev/null && wait "$same_pid" 2>/dev/null
    [ -n "${wrk_pid:-}" ] && kill -TERM "$wrk_pid" 2>/dev/null && wait "$wrk_pid" 2>/dev/null
    for p in "${drain_pids[@]+"${drain_pids[@]}"}"; do
        kill "$p" 2>/dev/null || true
    done
    tools/pgcluster.sh stop "$pgdir" 2>/dev/null || true
    rm -rf "$tmp" "$pgdir"
    # The socket folder of a cluster in a deep path lives elsewhere.
    [ -n "${sock:-}" ] && [[ $sock == /tmp/kompas-pg-* ]] && rm -rf "$sock"
    exit "$rc"
}
trap cleanup EXIT
trap 'echo "bench: interrupted" >&2; exit 130' INT
trap 'echo "bench: terminated" >&2; exit 143' TERM

# Start "$@" in the background with the stream named by $1 (stdout or
# stderr) going to a FIFO, read it until a line contains
# "listening on http://127.0.0.1:PORT", then keep draining it into LOG.
# Sets started_pid and started_port. No sleeping: the line is the signal.
start_and_wait() {
    local stream=$1 log=$2 line fifo fd
    shift 2
    fifo=$(mktemp -u "$tmp/fifo-XXXXXX")
    mkfifo "$fifo"
    if [ "$stream" = stderr ]; then
        "$@" 2>"$fifo" >>"$log" &
    else
        "$@" >"$fifo" 2>>"$log" &
    fi
    started_pid=$!
    started_port=
    exec {fd}<"$fifo"
    rm -f "$fifo"
    while IFS= read -r -t 60 -u "$fd" line; do
        printf '%s\n' "$line" >>"$log"
        if [[ $line =~ listening\ on\ http://127\.0\.0\.1:([0-9]+) ]]; then
            started_port=${BASH_REMATCH[1]}
            break
        fi
    done
    if [ -z "$started_port" ]; then
        exec {fd}<&-
        echo "bench: $1 did not start; its output:" >&2
        cat "$log" >&2
        return 1
    fi
    cat <&"$fd" >>"$log" &
    drain_pids+=($!)
    exec {fd}<&-
}

# -------------------------------------------------------------- PostgreSQL
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
echo "bench: creating a throwaway PostgreSQL cluster in $pgdir"
tools/pgcluster.sh init "$pgdir" --fast
tools/pgcluster.sh start "$pgdir"
sock=$(tools/pgcluster.sh socket "$pgdir")
# The database and the roles kompasd needs (kompasd, kompas_app).
tools/pgcluster.sh createdb "$pgdir" kompas

# ------------------------------------------------------------------ servers
# As in production: kompasd serves as its unprivileged role and migrates
# (serve --migrate) as the schema owner.
export KOMPAS_DATABASE_CONNINFO="host=$sock dbname=kompas user=kompasd"
export KOMPAS_DATABASE_MIGRATE_CONNINFO="host=$sock dbname=kompas user=kompas_owner"
(umask 077; "$kompasd" gen-keyfile >"$tmp/kompas.key") || die "$kompasd gen-keyfile failed"
export KOMPAS_CRYPTO_KEY_FILE=$tmp/kompas.key
export KOMPAS_HTTP_LISTEN=127.0.0.1
export KOMPAS_HTTP_PORT=0
[ -z "$threads" ] || export KOMPAS_HTTP_THREADS=$threads
export KOMPAS_LOG_ACCESS_LOG=/dev/null
export KOMPAS_LOG_LEVEL=info # the "listening on" line is logged at info
export KOMPAS_HTTP_TRUSTED_PROXY=127.0.0.1 # the login storm's rotating X-Forwarded-For
# kompasd does not serve as root: as root, it switches to the cluster's owner.
[ "$(id -u)" != 0 ] || export KOMPAS_SERVER_USER=postgres

start_and_wait stderr "$tmp/kompasd.log" "$kompasd" -c kompas.conf serve --migrate
kompasd_pid=$started_pid
kompasd_port=$started_port
# Its worker threads, from "listening on ... with N worker threads".
threads=$(sed -n 's/.*listening on .* with \([0-9]*\) worker threads.*/\1/p' "$tmp/kompasd.log" | head -n 1)
[ -n "$threads" ] || die "cannot tell kompasd's worker threads from its log"
echo "bench: kompasd (pid $kompasd_pid) on 127.0.0.1:$kompasd_port, $threads worker threads"

# The reference gets kompasd's connection timeout and limits: kompas.conf's,
# or their KOMPAS_HTTP_* overrides.
conf() { sed -n "s/^$1[[:space:]]*=[[:space:]]*\([0-9]*\).*/\1/p" kompas.conf | head -n 1; }
start_and_wait stdout "$tmp/hello.log" "$hello" 0 "$threads" \
    "${KOMPAS_HTTP_CONNECTION_TIMEOUT:-$(conf connection_timeout)}" \
    "${KOMPAS_HTTP_CONNECTION_LIMIT:-$(conf connection_limit)}" \
    "${KOMPAS_HTTP_PER_IP_CONNECTION_LIMIT:-$(conf per_ip_connection_limit)}"
hello_pid=$started_pid
hello_port=$started_port
echo "bench: bench-hello (pid $hello_pid) on 127.0.0.1:$hello_port, $threads worker threads"

# The asynchronous database reference, as kompasd's role on the same cluster.
start_and_wait stdout "$tmp/pgasync.log" "$pgasync" 0 "$pg_threads" "$pg_conns" \
    "$KOMPAS_DATABASE_CONNINFO application_name=bench-pgasync"
pgasync_pid=$started_pid
pgasync_port=$started_port
echo "bench: bench-pgasync (pid $pgasync_pid) on 127.0.0.1:$pgasync_port, $pg_threads threads," \
    "$pg_conns database connections each"

# The same kompasd in events mode (the schema is migrated already), and the
# reference again with kompasd's readiness statement, read from its source
# so that the two cannot drift apart.
start_and_wait stderr "$tmp/kompasd-events.log" env KOMPAS_HTTP_MODE=events KOMPAS_HTTP_THREADS=0 \
    "$kompasd" -c kompas.conf serve
events_pid=$started_pid
events_port=$started_port
echo "bench: kompasd in events mode (pid $events_pid) on 127.0.0.1:$events_port"
ready_sql=$(sed -n 's/.*DB_STMT("migrate_current_version", "\([^"]*\)", 0).*/\1/p' lib/migrate.c)
[ -n "$ready_sql" ] || die "cannot find kompasd's readiness statement in lib/migrate.c"
start_and_wait stdout "$tmp/pgasync-same.log" "$pgasync" 0 "$pg_threads" "$pg_conns" \
    "$KOMPAS_DATABASE_CONNINFO application_name=bench-pgasync-same" "$ready_sql"
same_pid=$started_pid
same_port=$started_port
echo "bench: bench-pgasync with \"$ready_sql\" (pid $same_pid) on 127.0.0.1:$same_port"

# Every target must answer 200 before it is measured.
names=("kompasd GET /v1" "kompasd GET /readyz (1 DB query)" "bench-hello (bare libmicrohttpd)"
       "bench-pgasync (async libpq SELECT 1)" "kompasd events mode GET /readyz"
       "bench-pgasync (kompasd's readiness statement)")
urls=("http://127.0.0.1:$kompasd_port/v1" "http://127.0.0.1:$kompasd_port/readyz"
      "http://127.0.0.1:$hello_port/" "http://127.0.0.1:$pgasync_port/readyz"
      "http://127.0.0.1:$events_port/readyz" "http://127.0.0.1:$same_port/readyz")
sizes=()
for i in "${!urls[@]}"; do
    out=$(curl -s -o /dev/null -w '%{http_code} %{size_download} %{size_header}' "${urls[$i]}") ||
        die "${urls[$i]} does not answer"
    read -r code body_bytes header_bytes <<<"$out"
    [ "$code" = 200 ] || die "${urls[$i]} answered $code, not 200"
    sizes+=("$body_bytes B body, $header_bytes B headers")
done

# --------------------------------------------------------------------- wrk
# p99 from wrk's "Latency Distribution" (e.g. "99%  1.23ms") in ms.
to_ms() {
    awk -v v="$1" 'BEGIN {
        if (v ~ /us$/) f = 0.001; else if (v ~ /ms$/) f = 1; else if (v ~ /m$/) f = 60000;
        else if (v ~ /s$/) f = 1000; else f = 1;
        sub(/[a-z]+$/, "", v); printf "%.2f", v * f }'
}

# Server CPU time (user + system, all threads) in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
tck=$(getconf CLK_TCK)
median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END {
    if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# wrk OUT ARGS...: wrk in the background and `wait` for it, so that Ctrl-C
# runs the INT trap at once (wrk itself catches SIGINT and exits 0, which
# a foreground wait would take for a normal end).
wrk_pid=
run_wrk() {
    local out=$1
    shift
    wrk -t"$wrk_threads" -c"$conns" "$@" >"$out" 2>&1 &
    wrk_pid=$!
    wait "$wrk_pid" || { cat "$out" >&2; die "wrk failed"; }
    wrk_pid=
}

# Rounds go through the targets in turn, so a slow spell of the machine
# (other processes, wrk's own scheduling) hits all of them alike; the
# report takes the median of the rounds.
pids=("$kompasd_pid" "$kompasd_pid" "$hello_pid" "$pgasync_pid" "$events_pid" "$same_pid")
runs_rps=("" "" "" "" "" "")
runs_p99=("" "" "" "" "" "")
runs_cpu=("" "" "" "" "" "")
errors=("" "" "" "" "" "")
for round in $(seq "$rounds"); do
    for i in "${!urls[@]}"; do
        if [ "$round" = 1 ] && [ "$warmup" != 0 ] && [ "$warmup" != 0s ]; then
            run_wrk "$tmp/warmup-$i.txt" -d"$warmup" "${urls[$i]}"
        fi
        echo "bench: round $round/$rounds: wrk -t$wrk_threads -c$conns -d$duration --latency ${urls[$i]}"
        c0=$(cpu_ticks "${pids[$i]}")
        run_wrk "$tmp/wrk-$round-$i.txt" -d"$duration" --latency "${urls[$i]}"
        kill -0 "${pids[$i]}" 2>/dev/null || die "the server of ${names[$i]} is gone (killed?)"
        c1=$(cpu_ticks "${pids[$i]}")
        out=$(cat "$tmp/wrk-$round-$i.txt")
        n=$(awk '/ requests in / { print $1 }' <<<"$out")
        r=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' <<<"$out")
        l=$(awk '/Latency Distribution/ { d = 1 } d && $1 == "99%" { print $2; exit }' <<<"$out")
        if [ -z "$n" ] || [ -z "$r" ] || [ -z "$l" ]; then
            printf '%s\n' "$out" >&2
            die "cannot parse wrk's output"
        fi
        runs_rps[i]+="$r "
        runs_p99[i]+="$(to_ms "$l") "
        runs_cpu[i]+="$(awk -v c=$((c1 - c0)) -v k="$tck" -v n="$n" \
            'BEGIN { printf "%.1f", (n > 0 ? c / k * 1e6 / n : 0) }') "
        e=$(awk '/Non-2xx or 3xx responses:/ { printf "%s non-2xx ", $NF }
                 /Socket errors:/ { sub(/^ *Socket errors: */, ""); printf "socket errors: %s", $0 }' <<<"$out")
        if [ -n "$e" ]; then
            errors[i]+="round $round: $e; "
            echo "bench: warning: ${names[$i]}: $e" >&2
        fi
    done
done
rps=()
p99=()
cpu=()
for i in "${!urls[@]}"; do
    rps+=("$(median <<<"${runs_rps[$i]}" | awk '{ printf "%.0f", $1 }')")
    p99+=("$(median <<<"${runs_p99[$i]}" | awk '{ printf "%.2f", $1 }')")
    cpu+=("$(median <<<"${runs_cpu[$i]}" | awk '{ printf "%.1f", $1 }')")
done

# ------------------------------------------------------------ login storm
# GET /v1/me alone and during 16 concurrent wrong-password logins
# (tools/bench/login_storm.mjs): a coordinator made directly in the database
# with the demo password's hash, logged in once.
hash='$argon2id$v=19$m=65536,t=2,p=1$oJSPmbfj8nO7rOTy28BAHQ$joh+LUJX4UuBmGSxGD0ZDDOC7llKQCISRoN0Ew4YM3A'
tools/pgcluster.sh psql "$pgdir" -d kompas -v ON_ERROR_STOP=1 -qc "
    INSERT INTO centre (id, slug, name, municipality)
    VALUES ('00000000-0000-4000-8000-0000000000b1', 'bench', 'Frivilligcenter Bench', 'Benchkommune')
    ON CONFLICT DO NOTHING;
    INSERT INTO account (email, display_name, role, centre_id, password_hash)
    VALUES ('bench-coordinator@test.invalid', 'Bench', 'coordinator',
            '00000000-0000-4000-8000-0000000000b1', '$hash')
    ON CONFLICT DO NOTHING;" >/dev/null || die "cannot make the bench account"
token=$(curl -fsS -H 'Content-Type: application/json' \
    -d '{"email":"bench-coordinator@test.invalid","password":"kompas-demo-2026"}' \
    "http://127.0.0.1:$kompasd_port/v1/sessions" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
[ -n "$token" ] || die "cannot log in the bench coordinator"
echo "bench: GET /v1/me alone and during a login storm (tools/bench/login_storm.mjs)"
storm=$(node tools/bench/login_storm.mjs "http://127.0.0.1:$kompasd_port" "$token" \
    nobody@test.invalid) || die "the login storm scenario failed"
echo "bench: $storm"
storm_row() {
    node -e 'const r = JSON.parse(process.argv[1]); const f = (s) => `${s.p50} ms | ${s.p99} ms | ${s.max} ms | ${s.n}`;
console.log(`| GET /v1/me alone | ${f(r.alone)} |`);
console.log(`| GET /v1/me during ${r.storm} concurrent wrong logins | ${f(r.during)} |`);
console.log(""); console.log(`Logins answered during the storm (${r.seconds} s): ` + Object.entries(r.logins).map(([k, v]) => `${v} × ${k}`).join(", ") + ".");' "$storm"
}

# ------------------------------------------------------------- stop kompasd
kill -TERM "$kompasd_pid"
set +e
wait "$kompasd_pid"
kompasd_rc=$?
set -e
kompasd_pid=
[ "$kompasd_rc" = 0 ] || { tail -n 20 "$tmp/kompasd.log" >&2; die "kompasd exited with $kompasd_rc after SIGTERM"; }
kill -TERM "$hello_pid"
wait "$hello_pid" || die "bench-hello exited with $? after SIGTERM"
hello_pid=
kill -TERM "$pgasync_pid"
wait "$pgasync_pid" || die "bench-pgasync exited with $? after SIGTERM"
pgasync_pid=
kill -TERM "$events_pid"
wait "$events_pid" || die "kompasd in events mode exited with $? after SIGTERM"
events_pid=
kill -TERM "$same_pid"
wait "$same_pid" || die "the second bench-pgasync exited with $? after SIGTERM"
same_pid=

# ------------------------------------------------------------------ report
ratio=$(awk -v a="${rps[0]}" -v b="${rps[2]}" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
if awk -v r="$ratio" -v t="$target" 'BEGIN { exit !(r >= t) }'; then
    verdict="meets the target of ${target}x or better"
else
    verdict="is **below** the target of ${target}x"
fi
cpu_ratio=$(awk -v a="${cpu[0]}" -v b="${cpu[2]}" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
db_ratio=$(awk -v a="${rps[1]}" -v b="${rps[3]}" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
if awk -v r="$db_ratio" -v t="$db_target" 'BEGIN { exit !(r >= t) }'; then
    db_verdict="meets the target of ${db_target}x or better"
else
    db_verdict="is **below** the target of ${db_target}x"
fi
# Events mode against both references, and the default mode like for like.
ratio_of() { awk -v a="${rps[$1]}" -v b="${rps[$2]}" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
events_ratio=$(ratio_of 4 3)
events_same_ratio=$(ratio_of 4 5)
same_ratio=$(ratio_of 1 5)

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
# Dirty: any change but this report (tracked or not) is in the binary or
# the way it was measured.
if git status --porcelain 2>/dev/null | grep -qvF " $report"; then
    commit="$commit-uncommitted"
fi
cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
mem=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
mhd=$(pkg-config --modversion libmicrohttpd 2>/dev/null || echo "?")
pgv=$(tools/pgcluster.sh psql "$pgdir" -d postgres -tAc "SHOW server_version" 2>/dev/null | awk '{ print $1 }')
wrkv=$( (wrk -v 2>&1 || true) | awk 'NR == 1 { print $2 }')

table() {
    echo "| Target | Requests/s | p99 latency | Server CPU per request | Requests/s of each round |"
    echo "|---|---:|---:|---:|---|"
    local each
    for i in "${!names[@]}"; do
        each=${runs_rps[$i]% }
        printf '| %s | %s | %s ms | %s µs | %s |\n' "${names[$i]}" "${rps[$i]}" "${p99[$i]}" \
            "${cpu[$i]}" "${each// /, }"
    done
}

section() {
    echo
    echo "## $(date -u '+%Y-%m-%d %H:%M UTC') — $commit"
    echo
    echo "- Machine: $(nproc) CPUs ($cpu_model), $mem RAM, Linux $(uname -r);" \
        "load average $load_start before the run (other processes compete with it)"
    echo "- Software: libmicrohttpd $mhd, PostgreSQL $pgv (fsync off), wrk $wrkv"
    echo "- Servers: kompasd and bench-hello $threads worker threads each, 127.0.0.1, access log" \
        "to /dev/null; bench-pgasync $pg_threads event-loop threads with $pg_conns database" \
        "connections each; kompasd in events mode one event loop per CPU, a second" \
        "bench-pgasync as the first, running \`$ready_sql\`"
    echo "- Load: \`wrk -t$wrk_threads -c$conns -d$duration --latency\`, $rounds rounds through" \
        "the targets one after another (medians below), an unmeasured ${warmup} warm-up" \
        "per target first; wrk shares the machine"
    echo "- Responses: GET /v1 ${sizes[0]}; GET /readyz ${sizes[1]}; bench-hello ${sizes[2]};" \
        "bench-pgasync ${sizes[3]}"
    for i in "${!names[@]}"; do
        [ -z "${errors[$i]}" ] || echo "- Errors during ${names[$i]}: ${errors[$i]}"
    done
    echo
    table
    echo
    echo "kompasd GET /v1 : bench-hello = **${ratio}x** in requests/s, which $verdict" \
        "(server CPU per request: ${cpu_ratio}x bench-hello's)."
    echo
    echo "kompasd GET /readyz : bench-pgasync = **${db_ratio}x** in requests/s, which $db_verdict."
    echo "In events mode: **${events_ratio}x**. Like for like (the reference running kompasd's" \
        "readiness statement instead of SELECT 1): ${same_ratio}x, in events mode ${events_same_ratio}x."
    echo
    echo "Login storm (one request at a time on one connection; the storm's clients pause 50 ms" \
        "after a 503; $(nproc) CPUs, password checks on their own threads):"
    echo
    echo "| GET /v1/me | p50 | p99 | max | requests |"
    echo "|---|---:|---:|---:|---:|"
    storm_row
}

if [ ! -s "$report" ]; then
    cat >"$report" <<'INTRO'
# Benchmarks

`make bench` (tools/bench/run.sh) measures kompasd against a bare
libmicrohttpd server on the same machine and appends a dated section here;
older sections are kept for comparison.

What is measured, with the same wrk settings, over keep-alive connections to
127.0.0.1, in rounds that go through the targets one after another:

- **kompasd GET /v1**: a static body built at start. Everything kompasd does
  per request besides the handler: request id, routing, query-parameter
  validation, standard headers, metrics and the access log (written to
  /dev/null).
- **kompasd GET /readyz**: one prepared query on the worker thread's own
  PostgreSQL connection (a throwaway cluster with fsync off).
- **bench-hello** (tools/bench/hello.c): libmicrohttpd started with kompasd's
  daemon flags, worker thread count, connection timeout and limits, answering
  a static JSON body of about the same size. It is the ceiling for kompasd.
- **bench-pgasync** (tools/bench/pgasync.c): the database-bound reference, a
  stand-in for Kore's asynchronous pgsql. Worker threads (nproc,
  `BENCH_PG_THREADS`) each run one epoll loop over their HTTP connections and
  their own non-blocking libpq connections (4 each, `BENCH_PG_CONNS`; Kore's
  pgsql_conn_max), a statement prepared on each; a request sends it with
  PQsendQueryPrepared on an idle connection or waits in the thread's queue,
  and is answered when the result has come in. Its HTTP side is a small
  keep-alive parser of its own (as Kore has its own; no timeouts or limits,
  so it is cheaper than libmicrohttpd); every path answers
  `{"status":"ready","schema_version":1}`, the 1 from the database
  (`SELECT $1::int` with 1); `GET /healthz` answers without the database
  (its HTTP side alone, for tools/bench/modes.sh).
- **kompasd GET /readyz in events mode**: the same binary started a second
  time with `[http] mode = events` (one event loop per CPU, kompas.conf's
  `loop_connections`), where the readiness statements of a loop pass are
  pipelined (docs/decisions.md, D12).
- **bench-pgasync with kompasd's statement**: a second instance running
  kompasd's own readiness statement (read from lib/migrate.c) instead of
  `SELECT 1`. It costs the database about 30% more than `SELECT 1`
  (pgbench, 2026-12-08), so the ratio against it compares how the two
  servers wait on PostgreSQL, like for like.

The target is kompasd GET /v1 at **0.85x or better** of bench-hello's
requests per second, and kompasd GET /readyz at **1.2x or better** of
bench-pgasync's (`BENCH_DB_TARGET`); every run also reports events mode's
ratio and both modes' ratios like for like. Requests/s and p99 are the medians of the rounds;
"server CPU per request" is the server process's user + system time divided by
the requests answered, which varies less than requests/s when the machine is
busy. Numbers from different machines, or from runs with different settings,
do not compare; ratios within one section do. wrk runs on the same CPUs as the
servers, and other processes (a test run, a build) disturb the numbers: check
the load average and the spread of the rounds, and keep the default 10 s
(`BENCH_DURATION`) and 3 rounds (`BENCH_ROUNDS`) for results worth keeping.
INTRO
fi
section >>"$report"

echo
table
echo
echo "kompasd GET /v1 : bench-hello = ${ratio}x in requests/s, which ${verdict//\*\*/}" \
    "(server CPU per request: ${cpu_ratio}x)."
echo "kompasd GET /readyz : bench-pgasync = ${db_ratio}x in requests/s, which ${db_verdict//\*\*/};" \
    "events mode ${events_ratio}x; like for like ${same_ratio}x, events mode ${events_same_ratio}x."
echo "bench: appended to $report"
