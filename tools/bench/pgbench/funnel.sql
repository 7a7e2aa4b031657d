-- pgbench twin of the national yearly funnel scenario (tools/bench/scenarios/funnel.lua): the SQL
-- kompasd runs for one request, copied from api/handlers/stats.c (stats_funnel) and api/pipeline/auth.c (the macros expanded),
-- with the same caller context. Run by tools/bench/national.sh:
--   pgbench -M prepared -n -T <dur> -c <conns> -j 2 -D hash=... -D idle=... -D ninputs=...
-- as the kompasd role. Parameters kompasd leaves NULL are written NULL;
-- the inputs (from and to dates) are the ones the wrk script uses, picked from bench.input
-- in the authentication statement (one primary-key lookup more than kompasd).
-- String literals with a colon are written E'..\x3a..' (pgbench would take
-- :MI in 'HH24:MI:SS' for a variable); they are the same strings.
\set n random(1, :ninputs)
BEGIN ISOLATION LEVEL READ COMMITTED;
SELECT kind, credential_id, account_id, role, centre_id, display_name, email, to_char(expires_at AT TIME ZONE 'UTC', E'YYYY-MM-DD"T"HH24\x3aMI\x3aSS"Z"'), i.a AS dfrom, i.b AS dto FROM kompas_authenticate(:hash::bytea, make_interval(secs => :idle::int)) CROSS JOIN bench.input i WHERE i.scenario = 'funnel' AND i.n = :n \gset
SELECT period, centre_id, centre_slug, source, measure, value, suppressed, reason FROM kompas_stats_funnel(:dfrom::date, :dto::date, NULL::uuid, NULL, false::boolean, 'source');
COMMIT;
