/* matching.c - suggestions for a citizen's request: which guides fit, and
 * which upcoming events and associations fit.
 *
 * Each answer is one SQL statement (CTEs) that applies the hard rules,
 * scores the rest from named components weighted by the centre's
 * matching_weights (schema/0016_matching.sql) and builds the JSON. Only the
 * request's categories, postal code and preferred language are used: no
 * personal data of the citizen is opened, so nothing is written to the
 * access log. */
#include "app.h"
#include "auth.h"
#include "requests.h"

#include <stdlib.h>
#include <string.h>

#include "../lib/db.h"
#include "../lib/http.h"

static const char *const explain_values[] = {"excluded", NULL};

const struct spec_field matching_guides_query[] = {
    {.name = "explain", .type = SPEC_STRING, .enum_values = explain_values}, SPEC_END};

/* Guide suggestions. $1 the request id. Hard rules in order (the first that
 * fails is the one named): status active; module intro completed and not
 * expired; a criminal-record check with outcome clear valid today; open
 * assigned requests (other than this one) below the capacity; the request's
 * language (Danish when it has none) among the volunteer's languages. */
static struct db_stmt stmt_guides = DB_STMT(
    "matching_guides",
    "WITH r AS ("
    "  SELECT rq.id, rq.centre_id, rq.postal_code, coalesce(rq.preferred_language, 'da') AS lang,"
    "         c.matching_weights AS w"
    "    FROM request rq JOIN centre c ON c.id = rq.centre_id WHERE rq.id = $1),"
    " wt AS ("
    "  SELECT matching_weight(w, 'guide_interests', 3) AS interests,"
    "         matching_weight(w, 'guide_area', 4) AS area,"
    "         matching_weight(w, 'guide_availability', 1) AS availability,"
    "         matching_weight(w, 'guide_load', 2) AS load FROM r),"
    " v AS ("
    "  SELECT v.id, v.name, v.status, v.capacity, v.languages,"
    "    EXISTS (SELECT 1 FROM volunteer_training t WHERE t.volunteer_id = v.id"
    "             AND t.module = 'intro' AND t.completed_on <= current_date"
    "             AND (t.expires_on IS NULL OR t.expires_on >= current_date)) AS trained,"
    "    EXISTS (SELECT 1 FROM volunteer_record_check k WHERE k.volunteer_id = v.id"
    "             AND k.kind = 'criminal_record' AND k.outcome = 'clear'"
    "             AND k.checked_on <= current_date AND k.valid_until >= current_date) AS checked,"
    "    (SELECT count(*) FROM request o WHERE o.assigned_volunteer_id = v.id AND o.id <> r.id"
    "             AND o.state NOT IN ('closed', 'declined', 'withdrawn'))::int AS load,"
    "    (SELECT count(*) FROM volunteer_interest i JOIN request_category rc"
    "             ON rc.category_id = i.category_id AND rc.request_id = r.id"
    "             WHERE i.volunteer_id = v.id)::int AS shared,"
    "    matching_area(r.postal_code, v.postal_areas) AS area,"
    "    EXISTS (SELECT 1 FROM volunteer_availability a WHERE a.volunteer_id = v.id) AS available,"
    "    r.lang"
    "    FROM volunteer v JOIN r ON v.centre_id = r.centre_id),"
    " j AS ("
    "  SELECT v.*,"
    "    CASE WHEN v.status <> 'active' THEN 'status'"
    "         WHEN NOT v.trained THEN 'training'"
    "         WHEN NOT v.checked THEN 'record_check'"
    "         WHEN v.load >= v.capacity THEN 'capacity'"
    "         WHEN NOT (v.lang = ANY (v.languages)) THEN 'language' END AS rule,"
    "    round(v.shared * wt.interests, 2) AS p_interests,"
    "    round(v.area * wt.area, 2) AS p_area,"
    "    round(CASE WHEN v.available THEN 1 ELSE 0 END * wt.availability, 2) AS p_avail,"
    "    round(greatest(v.capacity - v.load, 0)::numeric / v.capacity, 2) AS free,"
    "    round(round(greatest(v.capacity - v.load, 0)::numeric / v.capacity, 2) * wt.load, 2)"
    "      AS p_load"
    "    FROM v, wt),"
    " s AS (SELECT j.*, j.p_interests + j.p_area + j.p_avail + j.p_load AS score FROM j)"
    " SELECT json_build_object("
    "  'request_id', r.id, 'language', r.lang, 'as_of', to_char(current_date, 'YYYY-MM-DD'),"
    "  'weights', json_build_object('interests', wt.interests, 'area', wt.area,"
    "             'availability', wt.availability, 'load', wt.load),"
    "  'items', coalesce((SELECT json_agg(json_build_object("
    "     'volunteer_id', s.id, 'name', s.name, 'score', s.score,"
    "     'components', json_build_array("
    "        json_build_object('name', 'interests', 'value', s.shared,"
    "                          'weight', wt.interests, 'points', s.p_interests),"
    "        json_build_object('name', 'area', 'value', s.area,"
    "                          'weight', wt.area, 'points', s.p_area),"
    "        json_build_object('name', 'availability',"
    "                          'value', CASE WHEN s.available THEN 1 ELSE 0 END,"
    "                          'weight', wt.availability, 'points', s.p_avail),"
    "        json_build_object('name', 'load', 'value', s.free,"
    "                          'weight', wt.load, 'points', s.p_load)),"
    "     'reason', json_build_object("
    "       'da', concat_ws(', ',"
    "         CASE WHEN s.shared = 1 THEN '1 fælles interesse'"
    "              WHEN s.shared > 1 THEN s.shared || ' fælles interesser' END,"
    "         CASE WHEN s.area = 1 THEN 'samme postområde'"
    "              WHEN s.area > 0 THEN 'nærliggende postområde' END,"
    "         CASE WHEN s.available THEN 'har faste ledige tider'"
    "              ELSE 'ingen ledige tider registreret' END,"
    "         s.load || ' af ' || s.capacity || ' pladser i brug'),"
    "       'en', concat_ws(', ',"
    "         CASE WHEN s.shared = 1 THEN '1 shared interest'"
    "              WHEN s.shared > 1 THEN s.shared || ' shared interests' END,"
    "         CASE WHEN s.area = 1 THEN 'same postal area'"
    "              WHEN s.area > 0 THEN 'nearby postal area' END,"
    "         CASE WHEN s.available THEN 'has weekly availability'"
    "              ELSE 'no availability recorded' END,"
    "         s.load || ' of ' || s.capacity || ' places in use')))"
    "     ORDER BY s.score DESC, s.name, s.id) FROM s WHERE s.rule IS NULL), '[]'),"
    "  'excluded', coalesce((SELECT json_agg(json_build_object("
    "     'volunteer_id', s.id, 'name', s.name, 'rule', s.rule,"
    "     'reason', json_build_object("
    "       'da', CASE s.rule WHEN 'status' THEN 'ikke aktiv (status ' || s.status || ')'"
    "               WHEN 'training' THEN 'introduktionsmodulet er ikke gennemført eller er udløbet'"
    "               WHEN 'record_check' THEN 'ingen gyldig straffeattest'"
    "               WHEN 'capacity' THEN 'ingen ledig kapacitet (' || s.load || ' af '"
    "                                    || s.capacity || ')'"
    "               ELSE 'intet fælles sprog (' || s.lang || ')' END,"
    "       'en', CASE s.rule WHEN 'status' THEN 'not active (status ' || s.status || ')'"
    "               WHEN 'training' THEN 'intro module not completed or expired'"
    "               WHEN 'record_check' THEN 'no valid criminal record check'"
    "               WHEN 'capacity' THEN 'no capacity left (' || s.load || ' of '"
    "                                    || s.capacity || ')'"
    "               ELSE 'no shared language (' || s.lang || ')' END))"
    "     ORDER BY s.name, s.id) FROM s WHERE s.rule IS NOT NULL), '[]')"
    " )::text FROM r, wt",
    1);

/* Activity suggestions. $1 the request id. Upcoming activity events (the
 * next 60 days, not cancelled, not full) and the centre's associations,
 * 20 of each at most. */
static struct db_stmt stmt_activities = DB_STMT(
    "matching_activities",
    "WITH r AS ("
    "  SELECT rq.id, rq.centre_id, rq.postal_code, c.matching_weights AS w"
    "    FROM request rq JOIN centre c ON c.id = rq.centre_id WHERE rq.id = $1),"
    " wt AS ("
    "  SELECT matching_weight(w, 'activity_interests', 3) AS interests,"
    "         matching_weight(w, 'activity_area', 2) AS area,"
    "         matching_weight(w, 'activity_newcomer_places', 2) AS places,"
    "         matching_weight(w, 'activity_welcome_training', 1) AS welcome FROM r),"
    " rc AS (SELECT category_id FROM request_category WHERE request_id = $1),"
    " a AS ("
    "  SELECT a.id, a.name AS title, NULL::timestamptz AS starts_at, a.id AS association_id,"
    "    a.name AS association_name,"
    "    (SELECT count(*) FROM association_category ac WHERE ac.association_id = a.id"
    "       AND ac.category_id IN (SELECT category_id FROM rc))::int AS shared,"
    "    matching_area(r.postal_code, ARRAY[a.postal_code]) AS area,"
    "    coalesce(a.newcomer_places, 0) > 0 AS places,"
    "    a.welcome_training_on IS NOT NULL AS welcome"
    "    FROM association a JOIN r ON a.centre_id = r.centre_id),"
    " e AS ("
    "  SELECT e.id, e.title, e.starts_at, e.association_id, an.name AS association_name,"
    "    (SELECT count(*) FROM event_category ec WHERE ec.event_id = e.id"
    "       AND ec.category_id IN (SELECT category_id FROM rc))::int AS shared,"
    "    matching_area(r.postal_code, ARRAY[e.postal_code]) AS area,"
    "    coalesce(an.newcomer_places, 0) > 0 AS places,"
    "    an.welcome_training_on IS NOT NULL AS welcome"
    "    FROM event e JOIN r ON e.centre_id = r.centre_id"
    "    LEFT JOIN association an ON an.id = e.association_id"
    "   WHERE e.kind = 'activity' AND NOT e.cancelled AND e.starts_at >= now()"
    "     AND e.starts_at < now() + interval '60 days'"
    "     AND (e.capacity IS NULL OR e.signup_count < e.capacity)),"
    " x AS ("
    "  SELECT 'event' AS kind, e.* FROM e UNION ALL SELECT 'association', a.* FROM a),"
    " s AS ("
    "  SELECT x.*, round(x.shared * wt.interests, 2) AS p_interests,"
    "    round(x.area * wt.area, 2) AS p_area,"
    "    round(CASE WHEN x.places THEN 1 ELSE 0 END * wt.places, 2) AS p_places,"
    "    round(CASE WHEN x.welcome THEN 1 ELSE 0 END * wt.welcome, 2) AS p_welcome"
    "    FROM x, wt),"
    " t AS ("
    "  SELECT s.*, s.p_interests + s.p_area + s.p_places + s.p_welcome AS score,"
    "    json_build_array("
    "      json_build_object('name', 'interests', 'value', s.shared,"
    "                        'weight', wt.interests, 'points', s.p_interests),"
    "      json_build_object('name', 'area', 'value', s.area, 'weight', wt.area,"
    "                        'points', s.p_area),"
    "      json_build_object('name', 'newcomer_places',"
    "                        'value', CASE WHEN s.places THEN 1 ELSE 0 END,"
    "                        'weight', wt.places, 'points', s.p_places),"
    "      json_build_object('name', 'welcome_training',"
    "                        'value', CASE WHEN s.welcome THEN 1 ELSE 0 END,"
    "                        'weight', wt.welcome, 'points', s.p_welcome)) AS components,"
    "    json_build_object("
    "      'da', coalesce(nullif(concat_ws(', ',"
    "         CASE WHEN s.shared = 1 THEN '1 fælles kategori'"
    "              WHEN s.shared > 1 THEN s.shared || ' fælles kategorier' END,"
    "         CASE WHEN s.area = 1 THEN 'samme postnummer'"
    "              WHEN s.area > 0 THEN 'nærliggende postnummer' END,"
    "         CASE WHEN s.places THEN 'har pladser til nye' END,"
    "         CASE WHEN s.welcome THEN 'uddannet i at tage imod nye' END), ''),"
    "         'ingen særlige match'),"
    "      'en', coalesce(nullif(concat_ws(', ',"
    "         CASE WHEN s.shared = 1 THEN '1 shared category'"
    "              WHEN s.shared > 1 THEN s.shared || ' shared categories' END,"
    "         CASE WHEN s.area = 1 THEN 'same postal code'"
    "              WHEN s.area > 0 THEN 'nearby postal code' END,"
    "         CASE WHEN s.places THEN 'has places for newcomers' END,"
    "         CASE WHEN s.welcome THEN 'trained in welcoming newcomers' END), ''),"
    "         'no particular match')) AS reason"
    "    FROM s, wt),"
    " te AS (SELECT t.*, row_number() OVER (ORDER BY t.score DESC, t.starts_at, t.title, t.id) AS n"
    "    FROM t WHERE t.kind = 'event'),"
    " ta AS (SELECT t.*, row_number() OVER (ORDER BY t.score DESC, t.title, t.id) AS n"
    "    FROM t WHERE t.kind = 'association')"
    " SELECT json_build_object("
    "  'request_id', r.id,"
    "  'weights', json_build_object('interests', wt.interests, 'area', wt.area,"
    "             'newcomer_places', wt.places, 'welcome_training', wt.welcome),"
    "  'events', coalesce((SELECT json_agg(json_build_object("
    "     'event_id', te.id, 'title', te.title,"
    "     'starts_at', to_char(te.starts_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    "     'association_id', te.association_id, 'association_name', te.association_name,"
    "     'score', te.score, 'components', te.components, 'reason', te.reason) ORDER BY te.n)"
    "     FROM te WHERE te.n <= 20), '[]'),"
    "  'associations', coalesce((SELECT json_agg(json_build_object("
    "     'association_id', ta.id, 'name', ta.title,"
    "     'score', ta.score, 'components', ta.components, 'reason', ta.reason) ORDER BY ta.n)"
    "     FROM ta WHERE ta.n <= 20), '[]')"
    " )::text FROM r, wt",
    1);

/* Run stmt for the request in the path (404 when not visible) and answer
 * its JSON; without ?explain=excluded the excluded list is left out. */
static void
suggest(struct http_request *rq, struct db_stmt *stmt, bool may_explain)
{
	PGresult *row = request_fetch(rq, http_param(rq, "id"), false), *res;
	json_t *body;
	enum db_qs qs;

	if (row == NULL)
		return;
	res = db_exec(rq->db, stmt, (const char *const[]){PQgetvalue(row, 0, 0)}, &qs);
	PQclear(row);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return;
	}
	if (qs != DB_ONE_RESULT) {
		PQclear(res);
		http_reply_problem(rq, ERR_NOT_FOUND, "No such request.");
		return;
	}
	body = json_loads(PQgetvalue(res, 0, 0), JSON_DECODE_ANY, NULL);
	PQclear(res);
	if (body == NULL) {
		http_reply_problem(rq, ERR_INTERNAL, "The suggestions could not be built.");
		return;
	}
	if (may_explain) {
		const char *explain = json_string_value(json_object_get(rq->query, "explain"));

		if (explain == NULL || strcmp(explain, "excluded") != 0)
			json_object_del(body, "excluded");
	}
	http_reply_json(rq, 200, body);
}

/* GET /v1/requests/{id}/guide-suggestions[?explain=excluded] */
void
matching_guide_suggestions(struct http_request *rq)
{
	suggest(rq, &stmt_guides, true);
}

/* GET /v1/requests/{id}/activity-suggestions */
void
matching_activity_suggestions(struct http_request *rq)
{
	suggest(rq, &stmt_activities, false);
}
