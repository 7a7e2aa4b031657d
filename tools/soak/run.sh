#!/usr/bin/env bash
# run.sh KOMPASD - `make soak`: kompasd under a steady mixed load for a long
# time, with PostgreSQL restarted in the middle, to find memory growth and
# failures that short tests miss.
#
# A throwaway cluster with the demo data (tools/demo-data.sql), kompasd on
# a free port, then wrk with tools/soak/mix.lua (portal intake, public event
# search, centre reads, statistics, the iCalendar feed) for SOAK_MINUTES.
# Every SOAK_SAMPLE seconds kompasd's resident memory is read from /metrics
# (process_resident_memory_bytes) and from /proc; half-way PostgreSQL is
# stopped for SOAK_OUTAGE seconds and started again, and the time until
# kompasd answers a write again is measured.
#
# Passes when: no answer other than 2xx and 503, every 503 while the
# database is away (wrk reports when the first and last came), recovery
# within 2 s after PostgreSQL is back, and no memory growth: the resident
# size at the end is within SOAK_GROWTH percent (default 10) of the size
# after the warm-up (the first fifth). With
# SOAK_VALGRIND=1 kompasd runs under valgrind memcheck, and the run also
# fails on any definite or indirect leak or memory error at exit.
#
# Environment: SOAK_MINUTES [10], SOAK_SAMPLE [10], SOAK_OUTAGE [3],
# SOAK_CONNECTIONS [16], SOAK_GROWTH [10], SOAK_VALGRIND [0],
# SOAK_RECOVERY_MS [2000; valgrind runs everything some 20 times slower, so
# give it more there].
set -euo pipefail
cd "$(dirname "$0")/../.."

die() { echo "soak: $*" >&2; exit 1; }
[ $# -eq 1 ] || die "usage: $0 KOMPASD"
kompasd=$1
minutes=${SOAK_MINUTES:-10}
sample=${SOAK_SAMPLE:-10}
outage=${SOAK_OUTAGE:-3}
conns=${SOAK_CONNECTIONS:-16}
growth=${SOAK_GROWTH:-10}
recovery_limit=${SOAK_RECOVERY_MS:-2000}
[[ $minutes =~ ^[0-9]+$ && $minutes -ge 1 ]] || die "SOAK_MINUTES must be a whole number of minutes >= 1"
command -v wrk >/dev/null || die "wrk not found (run: make deps)"
duration=$((minutes * 60))

tmp=$(mktemp -d /tmp/kompas-soak-XXXXXX)
pgdir=$(mktemp -d /tmp/kompas-soak-pg-XXXXXX)
chmod 755 "$tmp"
pid=
wrk_pid=
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    set +e
    [ -n "$wrk_pid" ] && kill "$wrk_pid" 2>/dev/null
    [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    tools/pgcluster.sh stop "$pgdir" >/dev/null 2>&1
    rm -rf "$tmp" "$pgdir"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

tools/pgcluster.sh init "$pgdir" --fast >/dev/null
tools/pgcluster.sh start "$pgdir"
tools/pgcluster.sh createdb "$pgdir" kompas
sock=$(tools/pgcluster.sh socket "$pgdir")
export KOMPAS_DATABASE_CONNINFO="host=$sock dbname=kompas user=kompasd"
export KOMPAS_DATABASE_MIGRATE_CONNINFO="host=$sock dbname=kompas user=kompas_owner"
(umask 077; "$kompasd" gen-keyfile >"$tmp/kompas.key")
export KOMPAS_CRYPTO_KEY_FILE=$tmp/kompas.key KOMPAS_HTTP_PORT=0 KOMPAS_LOG_ACCESS_LOG=/dev/null
# As root, kompasd switches to the postgres account after binding.
[ "$(id -u)" != 0 ] || export KOMPAS_SERVER_USER=${KOMPAS_SERVER_USER:-postgres}
"$kompasd" -c kompas.conf migrate >/dev/null
tools/pgcluster.sh psql "$pgdir" -d kompas -v ON_ERROR_STOP=1 -f tools/demo-data.sql >/dev/null

cmd=("$kompasd" -c kompas.conf serve)
if [ "${SOAK_VALGRIND:-0}" = 1 ]; then
    # valgrind cannot run under the system-call filter (as in make valgrind).
    export KOMPAS_SECURITY_SECCOMP=0
    cmd=(valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect
         --errors-for-leak-kinds=definite,indirect --suppressions=tools/valgrind.supp "${cmd[@]}")
fi
"${cmd[@]}" 2>"$tmp/kompasd.log" &
pid=$!
port=
for _ in $(seq 600); do
    port=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/kompasd.log" | head -n 1)
    [ -n "$port" ] && break
    kill -0 "$pid" 2>/dev/null || { cat "$tmp/kompasd.log" >&2; die "kompasd did not start"; }
    sleep 0.1
done
[ -n "$port" ] || die "kompasd did not start"
base=http://127.0.0.1:$port
echo "soak: kompasd (pid $pid) on $base, ${minutes} min, $conns connections"

token=$(curl -sf -H 'Content-Type: application/json' -d '{"email":"admin@kompas.demo","password":"kompas-demo-2026"}' \
    "$base/v1/sessions" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
[ -n "$token" ] || die "cannot log in as the demo admin"
key() {
    curl -sf -H 'Content-Type: application/json' -H "Authorization: Bearer $token" -d "$1" "$base/v1/api-keys" |
        sed -n 's/.*"key":"\([^"]*\)".*/\1/p'
}
SOAK_PORTAL_KEY=$(key '{"name":"soak portal","role":"portal","centre_id":"a0000000-0000-4000-8000-000000000001"}')
SOAK_ANALYST_KEY=$(key '{"name":"soak analyst","role":"analyst"}')
[ -n "$SOAK_PORTAL_KEY" ] && [ -n "$SOAK_ANALYST_KEY" ] || die "cannot make the integration keys"
export SOAK_PORTAL_KEY SOAK_ANALYST_KEY SOAK_CENTRE=odense

rss_metric() { curl -sf "$base/metrics" | sed -n 's/^process_resident_memory_bytes \([0-9]*\)$/\1/p'; }
rss_proc() { awk '/^VmRSS/ { print $2 * 1024 }' "/proc/$pid/status" 2>/dev/null; }

wrk -t2 -c"$conns" -d"${duration}s" --latency -s tools/soak/mix.lua "$base" >"$tmp/wrk.out" 2>&1 &
wrk_pid=$!
start=$(date +%s)
warm_until=$((start + duration / 5))
outage_at=$((start + duration / 2))
base_rss=
recovery_ms=
samples=()
while kill -0 "$wrk_pid" 2>/dev/null; do
    now=$(date +%s)
    if [ -z "$recovery_ms" ] && [ "$now" -ge "$outage_at" ]; then
        echo "soak: stopping PostgreSQL for ${outage}s"
        outage_from=$(date +%s)
        tools/pgcluster.sh stop "$pgdir"
        sleep "$outage"
        tools/pgcluster.sh start "$pgdir"
        back=$(date +%s%N)
        until curl -sf -o /dev/null "$base/readyz"; do sleep 0.05; done
        recovery_ms=$((($(date +%s%N) - back) / 1000000))
        outage_to=$(date +%s)
        echo "soak: ready again ${recovery_ms} ms after PostgreSQL was back"
    fi
    m=$(rss_metric || true)
    p=$(rss_proc || true)
    if [ -n "$m" ]; then
        samples+=("$((now - start))s metrics=$m proc=${p:-?}")
        if [ -z "$base_rss" ] && [ "$now" -ge "$warm_until" ]; then base_rss=$m; fi
    fi
    sleep "$sample"
done
wait "$wrk_pid" || true
wrk_pid=
end_rss=$(rss_metric)
cat "$tmp/wrk.out"
printf 'soak: memory samples (resident bytes):\n'
printf '  %s\n' "${samples[@]}"
metrics=$(curl -sf "$base/metrics")
by_status=$(printf '%s\n' "$metrics" |
    sed -n 's/^kompas_http_requests_total{.*,status="\([^"]*\)"} \([0-9]*\)$/\1 \2/p' |
    awk '{ s[$1] += $2 } END { for (k in s) printf "%s=%d ", k, s[k] }')
echo "soak: answers by status: $by_status"
printf '%s\n' "$metrics" | grep '^kompas_http_requests_total' | grep -v 'status="2' | sed 's/^/soak:   /' || true
kill -TERM "$pid"
vg_rc=0
wait "$pid" || vg_rc=$?
pid=

fail=0
bad=$(echo "$by_status" | tr ' ' '\n' | grep -Ev '^(2[0-9][0-9]|503)=|^$' || true)
[ -z "$bad" ] || { echo "soak: FAIL: answers other than 2xx and 503: $bad"; fail=1; }
# Every 503 inside the outage: from stopping PostgreSQL to kompasd ready
# again (whole seconds, so one second of slack at either end).
first503= last503=
read -r first503 last503 < <(sed -n 's/^soak: 503 answers from \([0-9]*\) to \([0-9]*\)$/\1 \2/p' "$tmp/wrk.out") || true
if [ -z "${first503:-}" ]; then echo "soak: FAIL: wrk did not report when the 503 answers came"; fail=1;
elif [ "$first503" != 0 ] && [ -n "${outage_from:-}" ] &&
     { [ "$first503" -lt $((outage_from - 1)) ] || [ "$last503" -gt $((outage_to + 1)) ]; }; then
    echo "soak: FAIL: 503 answers from $first503 to $last503, outside the outage ($outage_from to $outage_to)"; fail=1
elif [ "$first503" != 0 ]; then
    echo "soak: every 503 came during the outage (from $first503 to $last503; outage $outage_from to $outage_to)"
fi
if [ -z "$recovery_ms" ]; then echo "soak: FAIL: the outage was not run"; fail=1;
elif [ "$recovery_ms" -gt "$recovery_limit" ]; then echo "soak: FAIL: recovery took ${recovery_ms} ms (target ${recovery_limit})"; fail=1; fi
if [ -n "$base_rss" ] && [ -n "$end_rss" ]; then
    pct=$(( (end_rss - base_rss) * 100 / base_rss ))
    echo "soak: resident memory after warm-up ${base_rss} B, at the end ${end_rss} B (${pct}%)"
    [ "$pct" -le "$growth" ] || { echo "soak: FAIL: memory grew by ${pct}% (limit ${growth}%)"; fail=1; }
else
    echo "soak: FAIL: no memory samples"; fail=1
fi
if [ "$vg_rc" -ne 0 ]; then
    echo "soak: FAIL: kompasd exited with $vg_rc (valgrind errors or leaks: see below)"
    grep -v '"type":"access"' "$tmp/kompasd.log" | tail -n 40
    fail=1
fi
[ "$fail" = 0 ] && echo "soak: PASS"
exit "$fail"
