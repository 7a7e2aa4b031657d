-- pgbench twin of the request detail scenario (tools/bench/scenarios/detail.lua): the SQL
-- kompasd runs for one request, copied from api/handlers/requests.c (requests_get), api/access_log.c and api/pipeline/auth.c (the macros expanded),
-- with the same caller context. Run by tools/bench/national.sh:
--   pgbench -M prepared -n -T <dur> -c <conns> -j 2 -D hash=... -D idle=... -D ninputs=...
-- as the kompasd role. Parameters kompasd leaves NULL are written NULL;
-- the inputs (request ids) are the ones the wrk script uses, picked from bench.input
-- in the authentication statement (one primary-key lookup more than kompasd).
-- String literals with a colon are written E'..\x3a..' (pgbench would take
-- :MI in 'HH24:MI:SS' for a variable); they are the same strings.
\set n random(1, :ninputs)
BEGIN ISOLATION LEVEL READ COMMITTED;
SELECT kind, credential_id, account_id, role, centre_id, display_name, email, to_char(expires_at AT TIME ZONE 'UTC', E'YYYY-MM-DD"T"HH24\x3aMI\x3aSS"Z"'), i.a AS rid FROM kompas_authenticate(:hash::bytea, make_interval(secs => :idle::int)) CROSS JOIN bench.input i WHERE i.scenario = 'detail' AND i.n = :n \gset
SELECT id, centre_id, source, portal_reference, state, postal_code, age_band, preferred_language, contact_preference, heard_from, to_char(created_at AT TIME ZONE 'UTC', E'YYYY-MM-DD"T"HH24\x3aMI\x3aSS"Z"'), to_char(updated_at AT TIME ZONE 'UTC', E'YYYY-MM-DD"T"HH24\x3aMI\x3aSS"Z"'), version, anonymised_at IS NOT NULL, name_sealed, phone_sealed, email_sealed, address_sealed, notes_sealed, to_char(created_at AT TIME ZONE 'UTC', E'YYYY-MM-DD"T"HH24\x3aMI\x3aSS.US"Z"'), assigned_volunteer_id, close_reason, to_char(closed_at AT TIME ZONE 'UTC', E'YYYY-MM-DD"T"HH24\x3aMI\x3aSS"Z"'), to_char(first_contact_at AT TIME ZONE 'UTC', E'YYYY-MM-DD"T"HH24\x3aMI\x3aSS"Z"'), (SELECT coalesce(json_agg(rc.category_id ORDER BY rc.category_id), '[]')   FROM request_category rc WHERE rc.request_id = request.id), (SELECT coalesce(json_agg(json_build_object('purpose', c.purpose, 'given', c.given,   'text_version', c.text_version, 'at', to_char(c.at AT TIME ZONE 'UTC', E'YYYY-MM-DD"T"HH24\x3aMI\x3aSS"Z"')) ORDER BY c.purpose), '[]')   FROM (SELECT DISTINCT ON (purpose) * FROM request_consent   WHERE request_id = request.id ORDER BY purpose, id DESC) c) FROM request WHERE id = :rid;
INSERT INTO access_log (centre_id, actor_kind, actor_id, actor_role, action, subject, subject_id, criterion, purpose, request_id) VALUES (kompas_centre(), 'account', :account_id, 'coordinator', 'read', 'request', :rid, NULL::jsonb, 'a coordinator read the request', 'pgbench');
COMMIT;
