#!/usr/bin/env bash
# dev-run.sh KOMPASD - what `make run` does after building:
# a private PostgreSQL in var/pg (created on first use, reused afterwards),
# migrations, demo data, a dev key file, then kompasd in the foreground.
#
# The demo comes in two parts, each loaded once: tools/demo-data.sql (centres,
# accounts, associations, volunteers, events) into an empty database, and
# the citizens (requests, conversations, courses, referrals, measurements)
# through the API with tools/demo-load.mjs once kompasd is ready, while the
# database has no requests: their personal data is sealed with a key only
# kompasd holds.
#
# Ctrl-C or SIGTERM stops kompasd and that PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
kompasd=$1
pgdir=var/pg
mkdir -p var

if [ ! -e "$pgdir/data/PG_VERSION" ]; then
    echo "make run: creating a private PostgreSQL cluster in $pgdir"
    tools/pgcluster.sh init "$pgdir"
fi
tools/pgcluster.sh start "$pgdir"
stop_pg() { tools/pgcluster.sh stop "$pgdir" && echo "make run: stopped PostgreSQL ($pgdir)"; }
trap stop_pg EXIT

tools/pgcluster.sh createdb "$pgdir" kompas
sock=$(tools/pgcluster.sh socket "$pgdir")
# kompasd connects as the unprivileged kompasd role; migrations as the owner.
export KOMPAS_DATABASE_CONNINFO="host=$sock dbname=kompas user=kompasd"
export KOMPAS_DATABASE_MIGRATE_CONNINFO="host=$sock dbname=kompas user=kompas_owner"
sql() { tools/pgcluster.sh psql "$pgdir" -d kompas -v ON_ERROR_STOP=1 "$@"; }

# A development key file, made once; production keys never live in the checkout.
if [ ! -s var/kompas.key ]; then
    (umask 077; "$kompasd" gen-keyfile > var/kompas.key)
fi
chmod 600 var/kompas.key

"$kompasd" -c kompas.conf migrate
if [ "$(sql -tAc "SELECT count(*) FROM centre")" = 0 ]; then
    echo "make run: loading demo data (tools/demo-data.sql)"
    sql -f tools/demo-data.sql
fi

port=${KOMPAS_HTTP_PORT:-8080}
base=http://127.0.0.1:$port

# kompasd does not serve as root: as root, it switches to the account that
# owns the private cluster (the one that can reach its socket).
[ "$(id -u)" != 0 ] || export KOMPAS_SERVER_USER=${KOMPAS_SERVER_USER:-postgres}

# kompasd runs as a child so that leaving stops it (SIGTERM: as a background
# job it ignores SIGINT) and then PostgreSQL.
"$kompasd" -c kompas.conf serve &
pid=$!
stop_all() {
    if kill -TERM "$pid" 2>/dev/null; then wait "$pid" 2>/dev/null || true; fi
    stop_pg
}
trap stop_all EXIT
trap 'exit 130' INT TERM

# Wait until it answers /readyz (bounded: 30 s), or has exited.
ready=
for _ in $(seq 150); do
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "make run: kompasd exited before it was ready (see its log above)" >&2
        exit 1
    fi
    if [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$base/readyz" || true)" = 200 ]; then
        ready=1
        break
    fi
    sleep 0.2
done
if [ -z "$ready" ]; then
    echo "make run: kompasd did not answer $base/readyz with 200 within 30 seconds" >&2
    exit 1
fi

# The demo citizens, once: through the API, then their history moved back
# in time (the timeline the loader writes).
if [ "$(sql -tAc "SELECT count(*) FROM request")" = 0 ]; then
    if [ "$(sql -tAc "SELECT count(*) FROM association")" = 0 ]; then
        echo "make run: $pgdir holds no demo associations (its demo data predates them): serving without" >&2
        echo "          the demo citizens; for the whole demo: make stop && rm -rf $pgdir" >&2
    elif command -v node >/dev/null 2>&1 && node -e 'process.exit(typeof fetch === "function" ? 0 : 1)'; then
        echo "make run: loading the demo citizens through the API (tools/demo-load.mjs)"
        timeline=var/demo-timeline.sql
        rm -f "$timeline" var/demo-portal-keys
        if ! node tools/demo-load.mjs "$base" --timeline "$timeline" --keys var/demo-portal-keys; then
            echo "make run: loading the demo citizens failed (above). The database may hold some of them;" >&2
            echo "          to start afresh: make stop && rm -rf $pgdir" >&2
            exit 1
        fi
        sql -f "$timeline"
        rm -f "$timeline"
    else
        echo "make run: Node 18 or later is needed to load the demo citizens (make deps); serving without them" >&2
    fi
fi

keys=
if [ -s var/demo-portal-keys ]; then
    keys="    portal      the socialkompas keys in var/demo-portal-keys (centre and key per line)
"
fi
cat <<MSG

  Kompas is running on http://127.0.0.1:$port/v1
    web client       http://127.0.0.1:$port/app/  (log in with a demo login below)
    API index        http://127.0.0.1:$port/v1
    OpenAPI          http://127.0.0.1:$port/v1/openapi.yaml
    centres          http://127.0.0.1:$port/v1/centres
    health / ready   http://127.0.0.1:$port/healthz  /readyz
    metrics          http://127.0.0.1:$port/metrics
  Demo data: $(sql -tA -F ' ' -c "SELECT (SELECT count(*) FROM centre) || ' centres, ' || (SELECT count(*) FROM association) || ' associations, ' || (SELECT count(*) FROM volunteer) || ' volunteers, ' || (SELECT count(*) FROM event) || ' events, ' || (SELECT count(*) FROM request) || ' requests, ' || (SELECT count(*) FROM course) || ' courses'")
  Demo logins (password for all: kompas-demo-2026), e.g.
    curl -s -X POST http://127.0.0.1:$port/v1/sessions -H 'Content-Type: application/json' \\
         -d '{"email":"koordinator@odense.demo","password":"kompas-demo-2026"}'
$(sql -tA -F ' ' -c "SELECT '    ' || rpad(a.role, 12) || rpad(a.email, 30) || coalesce(c.name, '(national)') || coalesce(' - ' || s.name, '') FROM account a LEFT JOIN centre c ON c.id = a.centre_id LEFT JOIN association s ON s.id = a.association_id WHERE a.email LIKE '%.demo' ORDER BY a.role, a.email")
${keys}  Database: $KOMPAS_DATABASE_CONNINFO
  Config: kompas.conf (override any key with KOMPAS_<SECTION>_<KEY>)
  Stop with Ctrl-C; the private PostgreSQL stops with it.

MSG

# Serve in the foreground: SIGINT/SIGTERM go on to kompasd as SIGTERM.
trap 'kill -TERM $pid 2>/dev/null' INT TERM
wait $pid || true
wait $pid 2>/dev/null || true
