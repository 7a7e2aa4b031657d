-- pgbench twin of the iCalendar feed scenario (tools/bench/scenarios/ics.lua): the SQL
-- kompasd runs for one request, copied from api/handlers/feeds.c (feeds_centre, feeds_ics) (the macros expanded),
-- with the same caller context. Run by tools/bench/national.sh:
--   pgbench -M prepared -n -T <dur> -c <conns> -j 2 -D hash=... -D idle=... -D ninputs=...
-- as the kompasd role. Parameters kompasd leaves NULL are written NULL;
-- the inputs (centres) are the ones the wrk script uses, picked from bench.input
-- in the statement that stands for kompasd's centre lookup (public routes run without a transaction).
-- String literals with a colon are written E'..\x3a..' (pgbench would take
-- :MI in 'HH24:MI:SS' for a variable); they are the same strings.
\set n random(1, :ninputs)
SELECT c.id AS cid FROM bench.input i JOIN centre c ON c.slug = i.e OR c.id::text = lower(i.e) WHERE i.scenario = 'ics' AND i.n = :n \gset
SELECT e.id, e.title, e.description, to_char(e.starts_at AT TIME ZONE 'Europe/Copenhagen', 'YYYYMMDD"T"HH24MISS'), to_char(e.ends_at AT TIME ZONE 'Europe/Copenhagen', 'YYYYMMDD"T"HH24MISS'), e.address, e.postal_code, e.online_url, e.cancelled, e.association_name, (SELECT coalesce(json_agg(c->>'name_da'), '[]'::json)    FROM json_array_elements(e.categories) c), to_char(now() AT TIME ZONE 'UTC', 'YYYYMMDD"T"HH24MISS"Z"') FROM event_public e WHERE e.centre_id = :cid AND (NULL::text IS NULL OR e.search @@ CASE WHEN to_tsvector('danish', NULL) = ''::tsvector   THEN NULL ELSE plainto_tsquery('danish', NULL) END) AND e.starts_at >= CASE WHEN NULL::text IS NULL THEN (now() AT TIME ZONE 'Europe/Copenhagen')::date::timestamp AT TIME ZONE 'Europe/Copenhagen' WHEN length(NULL) = 10 THEN NULL::date::timestamp AT TIME ZONE 'Europe/Copenhagen'   ELSE NULL::timestamptz END AND CASE WHEN NULL::text IS NULL THEN e.starts_at < ((now() AT TIME ZONE 'Europe/Copenhagen')::date + 180 + 1)::timestamp AT TIME ZONE 'Europe/Copenhagen'   WHEN length(NULL) = 10 THEN e.starts_at < (NULL::date + 1)::timestamp AT TIME ZONE 'Europe/Copenhagen'   ELSE e.starts_at <= NULL::timestamptz END AND (NULL::uuid IS NULL OR NULL = ANY (e.category_ids)) AND (NULL::uuid IS NULL OR e.association_id = NULL) AND (NULL::text IS NULL OR e.postal_code = NULL) AND (NULL::text IS NULL OR e.kind = NULL) ORDER BY e.starts_at, e.id LIMIT 1000;
