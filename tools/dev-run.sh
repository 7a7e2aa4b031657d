#!/usr/bin/env bash
# dev-run.sh KOMPASD - what `make run` does after building:
# a private PostgreSQL in var/pg (created on first use, reused afterwards),
# migrations, demo data, a dev key file, then kompasd in the foreground.
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

# A development key file, made once; production keys never live in the checkout.
if [ ! -s var/kompas.key ]; then
    (umask 077; "$kompasd" gen-keyfile > var/kompas.key)
fi
chmod 600 var/kompas.key

"$kompasd" -c kompas.conf migrate
if [ "$(tools/pgcluster.sh psql "$pgdir" -d kompas -tAc "SELECT count(*) FROM centre")" = 0 ]; then
    echo "make run: loading demo data"
    tools/pgcluster.sh psql "$pgdir" -d kompas -v ON_ERROR_STOP=1 -f tools/demo-data.sql
fi

port=${KOMPAS_HTTP_PORT:-8080}
cat <<MSG

  Kompas is starting on http://127.0.0.1:$port/v1
    API index        http://127.0.0.1:$port/v1
    OpenAPI          http://127.0.0.1:$port/v1/openapi.yaml
    centres          http://127.0.0.1:$port/v1/centres
    health / ready   http://127.0.0.1:$port/healthz  /readyz
    metrics          http://127.0.0.1:$port/metrics
  Demo logins (password for all: kompas-demo-2026), e.g.
    curl -s -X POST http://127.0.0.1:$port/v1/sessions -H 'Content-Type: application/json' \\
         -d '{"email":"koordinator@odense.demo","password":"kompas-demo-2026"}'
$(tools/pgcluster.sh psql "$pgdir" -d kompas -tA -F ' ' -c "SELECT '    ' || rpad(a.role, 12) || rpad(a.email, 30) || coalesce(c.name, '(national)') FROM account a LEFT JOIN centre c ON c.id = a.centre_id WHERE a.email LIKE '%.demo' ORDER BY a.role, a.email")
  Database: $KOMPAS_DATABASE_CONNINFO
  Config: kompas.conf (override any key with KOMPAS_<SECTION>_<KEY>)
  Stop with Ctrl-C; the private PostgreSQL stops with it.

MSG
# Run kompasd as a child so the trap can stop PostgreSQL afterwards; pass
# SIGINT/SIGTERM on to it.
"$kompasd" -c kompas.conf serve &
pid=$!
trap 'kill -TERM $pid 2>/dev/null' INT TERM
wait $pid || true
wait $pid 2>/dev/null || true
