#!/usr/bin/env bash
# national.sh KOMPASD - what `make bench-national` does (and `make bench`
# after the foundation bench, when the national dataset exists): measure
# kompasd on the national dataset that `make bench-data` built in
# var/bench-pg (BENCH_PGDIR), one scenario after another:
#
#   search      GET /v1/public/events: words + date window + category
#   queue       GET /v1/requests?state=... (coordinator of the largest centre)
#   detail      GET /v1/requests/{id} (opens the citizen's details; logged)
#   guides      GET /v1/requests/{id}/guide-suggestions
#   activities  GET /v1/requests/{id}/activity-suggestions
#   funnel      GET /v1/stats/funnel for a year, all centres (analyst)
#   funnel_centre  the same by centre (group_by=centre), as FriSe's pull asks
#   ics         GET /v1/events.ics (the next 180 days of a centre)
#   intake      POST /v1/requests (portal key; unique reference and
#               Idempotency-Key per call); last, so that the requests it
#               adds do not lengthen the queue measured before it
#
# Each runs with wrk (tools/bench/scenarios/<name>.lua; requests/s, p50,
# p99, answers outside 2xx), and then its pgbench twin
# (tools/bench/pgbench/<name>.sql: the SQL kompasd runs for one request,
# with the same caller context) as the kompasd role: the database's own
# ceiling for that work, and kompasd's ratio to it. kompasd's resident
# memory is sampled while the scenarios run (its peak is the memory target;
# VmHWM, which includes argon2id's 64 MiB at start, is reported beside it). The targets are checked and reported
# as met or missed; a dated section goes to docs/benchmarks.md.
#
# At the end the run's own writes are removed as the schema owner (the
# requests intake and its twin made, the access-log entries of the run,
# the idempotency keys), so that every run starts from the dataset as
# make bench-data built it.
#
# Fails (exit 1) on errors and on any answer outside 2xx; a missed target
# is reported, not a failure.
#
# Environment (defaults in brackets):
#   BENCH_DURATION     wrk and pgbench duration of each measured run [10s]
#   BENCH_WARMUP       unmeasured wrk run per scenario first, 0 for none [2s]
#   BENCH_CONNECTIONS  wrk connections [32]
#   BENCH_WRK_THREADS  wrk threads [2]
#   BENCH_THREADS      kompasd worker threads (= its database connections)
#                      [kompasd's default: kompas.conf's threads, 0 = four per CPU]
#   BENCH_PGBENCH_CLIENTS  pgbench clients [BENCH_THREADS: the same
#                      number of database sessions as kompasd has]
#   BENCH_SCENARIOS    which scenarios, space-separated [all, in the order above]
#   BENCH_PGDIR        the cluster of make bench-data [var/bench-pg]
#   BENCH_REPORT       Markdown file to append to [docs/benchmarks.md]
#   BENCH_LABEL        a note for the report's heading, e.g. "smoke run" []
#   BENCH_AUTOVACUUM_WAIT  seconds to wait for autovacuum to finish on the
#                      dataset before measuring [600]
set -euo pipefail
cd "$(dirname "$0")/../.."

die() { echo "bench-national: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: $0 KOMPASD"
kompasd=$1
duration=${BENCH_DURATION:-10s}
warmup=${BENCH_WARMUP:-2s}
conns=${BENCH_CONNECTIONS:-32}
wrk_threads=${BENCH_WRK_THREADS:-2}
threads=${BENCH_THREADS:-}
pgdir=${BENCH_PGDIR:-var/bench-pg}
report=${BENCH_REPORT:-docs/benchmarks.md}
label=${BENCH_LABEL:-}
all_scenarios="search queue detail guides activities funnel funnel_centre ics intake"
scenarios=${BENCH_SCENARIOS:-$all_scenarios}

[ -x "$kompasd" ] || die "$kompasd not found (run: make)"
for t in wrk pgbench curl jq psql; do command -v "$t" >/dev/null || die "$t not found (run: make deps)"; done
[ -f "$pgdir/dataset.txt" ] || die "no national dataset in $pgdir (run: make bench-data SCALE=1)"
for s in $scenarios; do
    [[ " $all_scenarios " == *" $s "* ]] || die "unknown scenario '$s' (one of: $all_scenarios)"
done
# wrk and pgbench durations in seconds (pgbench -T takes seconds only).
dur_s=$(sed -E 's/^([0-9]+)s?$/\1/' <<<"$duration")
[[ $dur_s =~ ^[0-9]+$ ]] && [ "$dur_s" -gt 0 ] || die "BENCH_DURATION must be whole seconds (e.g. 10s)"

scale=$(awk '$1 == "scale" { print $2 }' "$pgdir/dataset.txt")
tmp=$(mktemp -d /tmp/kompas-national-XXXXXX)
kompasd_pid=
wrk_pid=
drain_pids=()
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    set +e
    [ -n "$kompasd_pid" ] && kill -TERM "$kompasd_pid" 2>/dev/null && wait "$kompasd_pid" 2>/dev/null
    [ -n "$wrk_pid" ] && kill -TERM "$wrk_pid" 2>/dev/null && wait "$wrk_pid" 2>/dev/null
    for p in "${drain_pids[@]+"${drain_pids[@]}"}"; do kill "$p" 2>/dev/null; done
    rm -rf "$tmp"
    exit "$rc"
}
trap cleanup EXIT
trap 'echo "bench-national: interrupted" >&2; exit 130' INT
trap 'echo "bench-national: terminated" >&2; exit 143' TERM

# Start "$@" with stderr to a FIFO; read until "listening on
# http://127.0.0.1:PORT", then keep draining into LOG (as run.sh does).
start_and_wait() {
    local log=$1 line fifo fd
    shift
    fifo=$(mktemp -u "$tmp/fifo-XXXXXX")
    mkfifo "$fifo"
    "$@" 2>"$fifo" >>"$log" &
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
        cat "$log" >&2
        return 1
    fi
    cat <&"$fd" >>"$log" &
    drain_pids+=($!)
    exec {fd}<&-
}

# ------------------------------------------------------------- the database
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
run_start=$(date -u '+%Y-%m-%d %H:%M:%S+00')
tools/pgcluster.sh start "$pgdir"
sock=$(tools/pgcluster.sh socket "$pgdir")
owner() { psql -X -q -v ON_ERROR_STOP=1 -h "$sock" -U kompas_owner -d kompas "$@"; }

# Autovacuum works through a freshly built dataset for a while after
# make bench-data (seen: the event and request tables a minute later); a
# scenario measured meanwhile shares the machine with it (search at half
# its usual rate). Wait until no autovacuum worker is busy on the
# database, at most BENCH_AUTOVACUUM_WAIT seconds [600].
av_wait=${BENCH_AUTOVACUUM_WAIT:-600}
av_start=$(date +%s)
while :; do
    busy=$(owner -At -c "SELECT string_agg(query, '; ') FROM pg_stat_activity
                          WHERE backend_type = 'autovacuum worker' AND datname = 'kompas'")
    [ -z "$busy" ] && break
    [ $(( $(date +%s) - av_start )) -lt "$av_wait" ] ||
        die "autovacuum still busy after ${av_wait}s: $busy"
    echo "bench-national: waiting for autovacuum ($busy)"
    sleep 5
done

# The inputs of the scenarios, shared by the wrk scripts and the pgbench
# twins: the largest centre's requests, centres by size, words, dates.
owner <<'SQL'
DROP SCHEMA IF EXISTS bench CASCADE;
CREATE SCHEMA bench;
CREATE TABLE bench.input (scenario text, n int, a text, b text, c text, d text, e text,
                          PRIMARY KEY (scenario, n));
CREATE TEMP TABLE big AS SELECT c.id FROM centre c ORDER BY (SELECT count(*) FROM request r WHERE r.centre_id = c.id) DESC LIMIT 1;
INSERT INTO bench.input (scenario, n, a, b)
SELECT 'queue', row_number() OVER (), s.sql, s.api
  FROM (VALUES ('{received,accepted}', 'received,accepted'), ('{received}', 'received'),
               ('{accepted,guide_assigned}', 'accepted,guide_assigned'),
               ('{guide_assigned,contacted,conversation_held}', 'guide_assigned,contacted,conversation_held'),
               ('{course_started,referred,signposted}', 'course_started,referred,signposted')) s (sql, api);
INSERT INTO bench.input (scenario, n, a)
SELECT 'detail', row_number() OVER (), id::text
  FROM (SELECT r.id FROM request r, big WHERE r.centre_id = big.id AND r.anonymised_at IS NULL
         ORDER BY random() LIMIT 2000) x;
INSERT INTO bench.input (scenario, n, a)
SELECT 'guides', row_number() OVER (), id::text
  FROM (SELECT r.id FROM request r, big WHERE r.centre_id = big.id AND r.closed_at IS NULL
         ORDER BY r.state NOT IN ('received', 'accepted'), random() LIMIT 200) x;
INSERT INTO bench.input (scenario, n, a)
SELECT 'activities', row_number() OVER (), id::text
  FROM (SELECT r.id FROM request r, big WHERE r.centre_id = big.id AND r.closed_at IS NULL
         ORDER BY random() LIMIT 500) x;
INSERT INTO bench.input (scenario, n, a, b)
SELECT 'funnel', row_number() OVER (), f::text, t::text
  FROM (VALUES ((date_trunc('month', current_date) - interval '12 months')::date, (date_trunc('month', current_date) - interval '1 day')::date),
               (make_date(extract(year FROM current_date)::int - 1, 1, 1), make_date(extract(year FROM current_date)::int - 1, 12, 31)),
               (make_date(extract(year FROM current_date)::int - 2, 1, 1), make_date(extract(year FROM current_date)::int - 2, 12, 31))) y (f, t);
-- Centres chosen as often as their share of the requests.
CREATE TEMP TABLE pick AS
SELECT c.slug, row_number() OVER () AS n
  FROM (SELECT r.centre_id FROM request r ORDER BY random() LIMIT 500) x JOIN centre c ON c.id = x.centre_id;
INSERT INTO bench.input (scenario, n, a, b, c, d, e)
SELECT 'search', p.n, w.word, (current_date + d.k)::text, (current_date + d.k + 30)::text, cat.id::text, p.slug
  FROM pick p
 CROSS JOIN LATERAL (SELECT (ARRAY['gåtur', 'fællesspisning', 'strikkecafé', 'korsang', 'brætspil', 'motion',
                                   'naturtur', 'værksted', 'sprogcafé', 'læsekreds', 'havedag', 'cykeltur',
                                   'kaffe', 'velkomne'])[1 + (p.n % 14)::int] AS word,
                            (p.n * 7 % 60)::int AS k) w
 CROSS JOIN LATERAL (SELECT w.k) d
 CROSS JOIN LATERAL (SELECT c.id FROM category c WHERE c.centre_id IS NULL AND c.kind = 'activity'
                      ORDER BY c.slug OFFSET (p.n % 12) LIMIT 1) cat;
INSERT INTO bench.input (scenario, n, e) SELECT 'ics', n, slug FROM pick;
GRANT USAGE ON SCHEMA bench TO kompas_app;
GRANT SELECT ON bench.input TO kompas_app;
ANALYZE bench.input;
-- The idempotency keys of a table in use: without them the run starts with
-- idempotency_key known to be empty (the last run's keys were deleted and
-- vacuumed), the prepared statements get plans that scan it, and it grows
-- by a thousand rows a second until autovacuum analyzes it, longer than a
-- run. 20,000 keys of another principal (a day at a fifth of a request a
-- second) and ANALYZE give the plans a table in steady state. They are
-- removed with the run's own keys at the end (created_at >= run_start).
INSERT INTO idempotency_key (principal, key, centre_id, method, path, body_hash, status, created_at)
SELECT '00000000-0000-4000-8000-0000000000ff', 'prefill-' || g, NULL, 'POST', '/v1/requests',
       sha256(g::text::bytea), 201, now()
  FROM generate_series(1, 20000) g;
ANALYZE idempotency_key;
SQL
for s in detail guides activities; do
    n=$(owner -At -c "SELECT count(*) FROM bench.input WHERE scenario = '$s'")
    [ "$n" -gt 0 ] || die "the dataset has no requests for the $s scenario (is it too small?)"
done
# The same rows as a Lua table for the wrk scripts.
owner -At -c "
SELECT 'return {' || string_agg(s, ',') || '}' FROM (
  SELECT scenario || ' = {' || string_agg('{' || concat_ws(',',
           'a=' || quote_literal(a), 'b=' || quote_literal(b), 'c=' || quote_literal(c),
           'd=' || quote_literal(d), 'e=' || quote_literal(e)) || '}', ',' ORDER BY n) || '}' AS s
    FROM bench.input GROUP BY scenario) x" >"$tmp/inputs.lua"
# quote_literal's '...' is a Lua string too for every value here: words,
# dates, uuids, slugs and state lists, none with a quote or a backslash.
count_of() { owner -At -c "SELECT count(*) FROM bench.input WHERE scenario = '${1%_centre}'"; }

# ------------------------------------------------------------------ kompasd
export KOMPAS_DATABASE_CONNINFO="host=$sock dbname=kompas user=kompasd"
export KOMPAS_DATABASE_MIGRATE_CONNINFO="host=$sock dbname=kompas user=kompas_owner"
export KOMPAS_CRYPTO_KEY_FILE=$(cd "$pgdir" && pwd)/kompas.key
export KOMPAS_HTTP_LISTEN=127.0.0.1
export KOMPAS_HTTP_PORT=0
# As root (CI), kompasd switches to the postgres account after binding.
[ "$(id -u)" != 0 ] || export KOMPAS_SERVER_USER=${KOMPAS_SERVER_USER:-postgres}
[ -z "$threads" ] || export KOMPAS_HTTP_THREADS=$threads
export KOMPAS_LOG_ACCESS_LOG=/dev/null
export KOMPAS_LOG_LEVEL=info
start_and_wait "$tmp/kompasd.log" "$kompasd" -c kompas.conf serve --migrate ||
    die "kompasd did not start"
kompasd_pid=$started_pid
base=http://127.0.0.1:$started_port
threads=$(sed -n 's/.*listening on .* with \([0-9]*\) worker threads.*/\1/p' "$tmp/kompasd.log" | head -n 1)
[ -n "$threads" ] || die "cannot tell kompasd's worker threads from its log"
pg_clients=${BENCH_PGBENCH_CLIENTS:-$threads}
echo "bench-national: kompasd (pid $kompasd_pid) on $base, $threads worker threads; dataset scale $scale"

api() { # METHOD PATH TOKEN [BODY] -> body; fails unless 2xx
    local out code
    out=$(curl -sS -o "$tmp/api.out" -w '%{http_code}' -X "$1" "$base$2" \
        -H 'Accept: application/json' ${3:+-H "Authorization: Bearer $3"} \
        ${4:+-H 'Content-Type: application/json' --data "$4"}) || die "$1 $2: no answer"
    code=$out
    [[ $code == 2?? ]] || { cat "$tmp/api.out" >&2; die "$1 $2 answered $code"; }
    cat "$tmp/api.out"
}
big=$(owner -At -c "SELECT c.slug FROM centre c ORDER BY (SELECT count(*) FROM request r WHERE r.centre_id = c.id) DESC LIMIT 1")
login() { api POST /v1/sessions "" "{\"email\":\"$1\",\"password\":\"kompas-demo-2026\"}" | jq -er .token; }
export BENCH_TOKEN_COORDINATOR=$(login "koordinator@$big.bench.invalid")
export BENCH_TOKEN_ANALYST=$(login analytiker@bench.invalid)
export BENCH_RUN_ID=$(date +%s)
export BENCH_TOKEN_PORTAL=$(api POST /v1/api-keys "$BENCH_TOKEN_COORDINATOR" \
    "{\"name\":\"bench portal $BENCH_RUN_ID\",\"role\":\"portal\"}" | jq -er .key)
export BENCH_INPUTS=$tmp/inputs.lua BENCH_SCENARIOS=$PWD/tools/bench/scenarios
# The hashes of the same credentials, for the pgbench twins' authentication.
hash_of_session() {
    owner -At -c "SELECT '\\x' || encode(s.token_hash, 'hex') FROM session s JOIN account a ON a.id = s.account_id
                   WHERE a.email = '$1' AND s.revoked_at IS NULL ORDER BY s.created_at DESC LIMIT 1"
}
hash_coordinator=$(hash_of_session "koordinator@$big.bench.invalid")
hash_analyst=$(hash_of_session analytiker@bench.invalid)
hash_portal=$(owner -At -c "SELECT '\\x' || encode(key_hash, 'hex') FROM api_key WHERE name = 'bench portal $BENCH_RUN_ID'")
idle=$(sed -n 's/^session_idle_timeout[[:space:]]*=[[:space:]]*\([0-9]*\).*/\1/p' kompas.conf | head -n 1)

# kompasd's resident memory, sampled every 0.2 s from here on: after the
# logins, whose argon2id (64 MiB, like the dummy hash kompasd makes at
# start) would otherwise be the peak. VmHWM, the peak since start, is
# reported beside it.
( while kill -0 "$kompasd_pid" 2>/dev/null; do
      awk '/^VmRSS:/ { print $2 }' "/proc/$kompasd_pid/status" 2>/dev/null
      sleep 0.2
  done ) >"$tmp/rss.txt" &
drain_pids+=($!)

# ---------------------------------------------------------------- measuring
to_ms() {
    awk -v v="$1" 'BEGIN {
        if (v ~ /us$/) f = 0.001; else if (v ~ /ms$/) f = 1; else if (v ~ /m$/) f = 60000;
        else if (v ~ /s$/) f = 1000; else f = 1;
        sub(/[a-z]+$/, "", v); printf "%.2f", v * f }'
}
run_wrk() { # OUT SCRIPT DURATION
    wrk -t"$wrk_threads" -c"$conns" -d"$3" --latency -s "tools/bench/scenarios/$2.lua" "$base" >"$1" 2>&1 &
    wrk_pid=$!
    wait "$wrk_pid" || { cat "$1" >&2; die "wrk failed ($2)"; }
    wrk_pid=
}
declare -A rps p50 p99 bad unanswered tps ratio size
failed=0
for s in $scenarios; do
    case $s in
        intake) h=$hash_portal ;;
        funnel | funnel_centre) h=$hash_analyst ;;
        *) h=$hash_coordinator ;;
    esac
    if [ "$warmup" != 0 ] && [ "$warmup" != 0s ]; then
        run_wrk "$tmp/warm-$s.txt" "$s" "$warmup"
    fi
    echo "bench-national: $s: wrk -t$wrk_threads -c$conns -d$duration"
    run_wrk "$tmp/wrk-$s.txt" "$s" "$duration"
    kill -0 "$kompasd_pid" 2>/dev/null || die "kompasd is gone during $s"
    out=$(cat "$tmp/wrk-$s.txt")
    rps[$s]=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' <<<"$out")
    l50=$(awk '/Latency Distribution/ { d = 1 } d && $1 == "50%" { print $2; exit }' <<<"$out")
    l99=$(awk '/Latency Distribution/ { d = 1 } d && $1 == "99%" { print $2; exit }' <<<"$out")
    bad[$s]=$(awk '/^bench-non2xx/ { print $2 }' <<<"$out")
    if [ -z "${rps[$s]}" ] || [ -z "$l50" ] || [ -z "$l99" ] || [ -z "${bad[$s]}" ]; then
        printf '%s\n' "$out" >&2
        die "cannot parse wrk's output ($s)"
    fi
    p50[$s]=$(to_ms "$l50")
    p99[$s]=$(to_ms "$l99")
    # Requests that got no answer in wrk's time limit (2 s) or lost their
    # connection count as failed answers: wrk leaves them out of the latency.
    unanswered[$s]=$(awk '/Socket errors:/ { gsub(",", ""); print $4 + $6 + $8 + $10; f = 1 }
                         END { if (!f) print 0 }' <<<"$out")
    if [ "${unanswered[$s]}" != 0 ]; then
        echo "bench-national: warning: $s: $(grep 'Socket errors' <<<"$out")" >&2
    fi
    [ "${bad[$s]}" = 0 ] || { echo "bench-national: $s: ${bad[$s]} answers outside 2xx" >&2; failed=1; }

    echo "bench-national: $s: pgbench -M prepared -n -T $dur_s -c $pg_clients -j 2 -f tools/bench/pgbench/$s.sql"
    n=1
    [ "$s" = intake ] || n=$(count_of "$s")
    if ! pgbench -M prepared -n -T "$dur_s" -c "$pg_clients" -j 2 -h "$sock" -U kompasd \
        -D hash="$h" -D idle="$idle" -D ninputs="$n" -f "tools/bench/pgbench/$s.sql" kompas \
        >"$tmp/pgbench-$s.txt" 2>&1; then
        cat "$tmp/pgbench-$s.txt" >&2
        die "pgbench failed ($s)"
    fi
    tps[$s]=$(awk '/^tps = / { printf "%.0f", $3 }' "$tmp/pgbench-$s.txt")
    [ -n "${tps[$s]}" ] || { cat "$tmp/pgbench-$s.txt" >&2; die "cannot parse pgbench's output ($s)"; }
    grep -q 'number of failed transactions: 0 ' "$tmp/pgbench-$s.txt" ||
        ! grep -q 'number of failed transactions' "$tmp/pgbench-$s.txt" ||
        { cat "$tmp/pgbench-$s.txt" >&2; die "pgbench had failed transactions ($s)"; }
    ratio[$s]=$(awk -v a="${rps[$s]}" -v b="${tps[$s]}" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
    echo "bench-national: $s: ${rps[$s]} requests/s (p50 ${p50[$s]} ms, p99 ${p99[$s]} ms," \
        "${bad[$s]} outside 2xx); pgbench ${tps[$s]} tps; ratio ${ratio[$s]}"
done
hwm_kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/$kompasd_pid/status")
hwm=$(awk -v k="$hwm_kb" 'BEGIN { printf "%.1f", k / 1024 }')
rss=$(awk '$1 > m { m = $1 } END { printf "%.1f", m / 1024 }' "$tmp/rss.txt")
kill -TERM "$kompasd_pid"
set +e
wait "$kompasd_pid"
krc=$?
set -e
kompasd_pid=
[ "$krc" = 0 ] || { tail -n 20 "$tmp/kompasd.log" >&2; die "kompasd exited with $krc after SIGTERM"; }
# Back to the dataset as built: what this run wrote goes again.
owner -At -v run_start="$run_start" <<'SQL' >/dev/null
CREATE TEMP TABLE gone AS
SELECT id FROM request WHERE portal_reference LIKE 'bench-%' OR portal_reference LIKE 'pgb-%';
DELETE FROM access_log WHERE at >= :'run_start'::timestamptz OR subject_id IN (SELECT id FROM gone);
DELETE FROM request_event WHERE request_id IN (SELECT id FROM gone);
DELETE FROM request_consent WHERE request_id IN (SELECT id FROM gone);
DELETE FROM request_category WHERE request_id IN (SELECT id FROM gone);
DELETE FROM webhook_event WHERE payload ->> 'request_id' IN (SELECT id::text FROM gone);
DELETE FROM request WHERE id IN (SELECT id FROM gone);
DELETE FROM idempotency_key WHERE created_at >= :'run_start'::timestamptz;
UPDATE api_key SET revoked_at = now() WHERE name LIKE 'bench portal %' AND revoked_at IS NULL;
DROP SCHEMA bench CASCADE;
SQL
owner -c "VACUUM (ANALYZE) request, request_event, request_consent, request_category, access_log, idempotency_key"

# ------------------------------------------------------------------ targets
verdict() { # VALUE OP LIMIT -> met / missed
    if awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN { exit !((op == ">=" && v >= l) || (op == "<" && v < l)) }'
    then echo "met"; else echo "**missed**"; fi
}
targets=()
for s in $scenarios; do
    targets+=("| $s: no answer outside 2xx, none unanswered | ${bad[$s]} outside 2xx, ${unanswered[$s]} unanswered | $( [ "${bad[$s]}" = 0 ] && [ "${unanswered[$s]}" = 0 ] && echo met || echo '**missed**') |")
done
for s in search queue; do
    [[ " $scenarios " == *" $s "* ]] &&
        targets+=("| $s: kompasd at 0.7x of pgbench or better | ${ratio[$s]}x | $(verdict "${ratio[$s]}" '>=' 0.7) |")
done
at_scale=""
awk -v s="$scale" 'BEGIN { exit !(s == 1) }' || at_scale=" (the target is for scale 1; this is scale $scale)"
for s in guides activities; do
    [[ " $scenarios " == *" $s "* ]] &&
        targets+=("| $s: p99 under 20 ms$at_scale | ${p99[$s]} ms | $( [ "${unanswered[$s]}" = 0 ] && [ "${rps[$s]}" != 0 ] && verdict "${p99[$s]}" '<' 20 || echo '**missed** (requests timed out)') |")
done
[[ " $scenarios " == *" funnel "* ]] &&
    targets+=("| funnel: p99 under 50 ms$at_scale | ${p99[funnel]} ms | $( [ "${unanswered[funnel]}" = 0 ] && verdict "${p99[funnel]}" '<' 50 || echo '**missed** (requests timed out)') |")
[[ " $scenarios " == *" funnel_centre "* ]] &&
    targets+=("| funnel_centre: p99 under 100 ms$at_scale | ${p99[funnel_centre]} ms | $( [ "${unanswered[funnel_centre]}" = 0 ] && verdict "${p99[funnel_centre]}" '<' 100 || echo '**missed** (requests timed out)') |")
targets+=("| kompasd peak memory under 64 MB (resident, sampled during the scenarios) | $rss MB | $(verdict "$rss" '<' 64) |")

# ------------------------------------------------------------------- report
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if git status --porcelain 2>/dev/null | grep -qvF " $report"; then commit="$commit-uncommitted"; fi
cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
mem=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
pgv=$(owner -At -c "SHOW server_version" | awk '{ print $1 }')
wrkv=$( (wrk -v 2>&1 || true) | awk 'NR == 1 { print $2 }')
built=$(awk '$1 == "built" { $1 = ""; print substr($0, 2) }' "$pgdir/dataset.txt")
rows=$(awk '$1 == "rows" { printf "%s%s %s", sep, $2, $3; sep = ", " }' "$pgdir/dataset.txt")
table() {
    echo "| Scenario | Requests/s | p50 | p99 | Outside 2xx | pgbench tps (same SQL) | kompasd : pgbench |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    for s in $scenarios; do
        printf '| %s | %s | %s ms | %s ms | %s | %s | %sx |\n' "$s" "${rps[$s]}" "${p50[$s]}" \
            "${p99[$s]}" "${bad[$s]}" "${tps[$s]}" "${ratio[$s]}"
    done
}
section() {
    echo
    echo "## National dataset, $(date -u '+%Y-%m-%d %H:%M UTC') — $commit${label:+ — $label}"
    echo
    echo "- Machine: $(nproc) CPUs ($cpu_model), $mem RAM, Linux $(uname -r);" \
        "load average $load_start before the run"
    echo "- Software: PostgreSQL $pgv (fsync off), wrk $wrkv, pgbench"
    echo "- Dataset: scale $scale, built $built ($rows)"
    echo "- kompasd: $threads worker threads (one database connection each), access log to /dev/null"
    echo "- Load: \`wrk -t$wrk_threads -c$conns -d$duration --latency\` per scenario after a $warmup warm-up;" \
        "pgbench \`-M prepared -n -T $dur_s -c $pg_clients -j 2\` as the kompasd role; all on the same machine"
    echo "- kompasd memory: peak resident $rss MB while the scenarios ran (sampled every 0.2 s);" \
        "VmHWM $hwm MB since start, which includes argon2id's 64 MiB (the dummy hash at start, each login)"
    echo
    table
    echo
    echo "| Target | Measured | |"
    echo "|---|---:|---|"
    printf '%s\n' "${targets[@]}"
}
[ -s "$report" ] || die "$report is missing (it has the introduction)"
section >>"$report"
echo
table
echo
printf '%s\n' "${targets[@]}" | sed 's/\*\*//g'
echo "bench-national: kompasd peak resident memory $rss MB during the scenarios (VmHWM $hwm MB); appended to $report"
[ "$failed" = 0 ] || die "answers outside 2xx (see above)"
