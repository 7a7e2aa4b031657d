/* matching.c - suggestions for a citizen's request: which guides fit, and
 * which upcoming events and associations fit.
 *
 * Each answer is one SQL statement (CTEs) that applies the hard rules,
 * scores the rest from named components weighted by the centre's
 * matching_weights (schema/0016_matching.sql) and builds the JSON. Only the
 * request's categories, postal code and preferred language are used: no
 * personal data of the citizen is opened, so nothing is written to the
 * access log. */
#include "../app.h"
#include "../routes.h"
#include "../pipeline/auth.h"
#include "requests.h"

#include <stdlib.h>
#include <string.h>

#include "../../lib/buf.h"
#include "../../lib/db.h"
#include "../../lib/http.h"
#include "../sql_format.h"

/* Suggestions in one answer unless ?limit= asks for another number (at
 * most the query specs' max). */
#define SUGGESTIONS_DEFAULT_LIMIT 20

static const char *const explain_values[] = {"excluded", NULL};

static const struct spec_field matching_guides_query[] = {
    SPEC_ENUM("explain", 0, explain_values),
    {.name = "limit", .type = SPEC_INTEGER, .min = 1, .max = 100},
    SPEC_END};

static const struct spec_field matching_activities_query[] = {
    {.name = "limit", .type = SPEC_INTEGER, .min = 1, .max = 100}, SPEC_END};

/* Guide suggestions. $1 the request id, $2 whether to list the excluded
 * volunteers, $3 how many suggestions at most. Hard rules in order (the
 * first that fails is the one named): status active; module intro
 * completed and not expired; a criminal-record check with outcome clear
 * valid today; open assigned requests (other than this one) below the
 * capacity; the request's language (Danish when it has none) among the
 * volunteer's languages.
 *
 * The rules read the facts kept on the volunteer row by triggers
 * (schema/0024_matching_facts.sql: the days with a valid intro module and
 * record check, the number of availability slots and of open assigned
 * requests), so the centre's volunteers are read once; only those that
 * pass every rule are scored, and only the best $3 of them are built as
 * JSON. No row when the request is not visible to the caller. */
/* clang-format off */
static struct db_stmt stmt_guides = DB_STMT(
    "matching_guides",
    "WITH r AS ("
    "  SELECT rq.id, rq.centre_id, rq.postal_code, coalesce(rq.preferred_language, 'da') AS lang,"
    "         CASE WHEN rq.state NOT IN ('closed', 'declined', 'withdrawn')"
    "              THEN rq.assigned_volunteer_id END AS counted_for,"
    "         c.matching_weights AS w,"
    "         ARRAY(SELECT rc.category_id FROM request_category rc WHERE rc.request_id = rq.id)"
    "           AS cats"
    "    FROM request rq JOIN centre c ON c.id = rq.centre_id WHERE rq.id = $1),"
    " wt AS ("
    "  SELECT matching_weight(w, 'guide_interests', 3) AS interests,"
    "         matching_weight(w, 'guide_area', 4) AS area,"
    "         matching_weight(w, 'guide_availability', 1) AS availability,"
    "         matching_weight(w, 'guide_load', 2) AS load FROM r),"
    " v0 AS ("
    "  SELECT v.id, v.name, v.status, v.capacity, v.postal_areas, v.availability_slots,"
    "    v.languages, v.intro_valid, v.record_check_valid,"
    "    v.open_requests - CASE WHEN v.id = r.counted_for THEN 1 ELSE 0 END AS load"
    "    FROM volunteer v JOIN r ON v.centre_id = r.centre_id),"
    " v AS ("
    "  SELECT v0.*,"
    "    CASE WHEN v0.status <> 'active' THEN 'status'"
    "         WHEN NOT (current_date <@ v0.intro_valid) THEN 'training'"
    "         WHEN NOT (current_date <@ v0.record_check_valid) THEN 'record_check'"
    "         WHEN v0.load >= v0.capacity THEN 'capacity'"
    "         WHEN NOT (r.lang = ANY (v0.languages)) THEN 'language' END AS rule"
    "    FROM v0, r),"
    " j AS ("
    "  SELECT v.id, v.name, v.capacity, v.load,"
    "    CASE WHEN cardinality(r.cats) = 0 THEN 0"
    "         ELSE (SELECT count(*) FROM volunteer_interest i"
    "                WHERE i.volunteer_id = v.id AND i.category_id = ANY (r.cats))::int END"
    "      AS shared,"
    "    matching_area(r.postal_code, v.postal_areas) AS area,"
    "    v.availability_slots > 0 AS available,"
    "    round(greatest(v.capacity - v.load, 0)::numeric / v.capacity, 2) AS free"
    "    FROM v CROSS JOIN r WHERE v.rule IS NULL),"
    " p AS ("
    "  SELECT j.*, round(j.shared * wt.interests, 2) AS p_interests,"
    "    round(j.area * wt.area, 2) AS p_area,"
    "    round(CASE WHEN j.available THEN 1 ELSE 0 END * wt.availability, 2) AS p_avail,"
    "    round(j.free * wt.load, 2) AS p_load"
    "    FROM j, wt),"
    " s AS ("
    "  SELECT p.*, p.p_interests + p.p_area + p.p_avail + p.p_load AS score FROM p"
    "   ORDER BY score DESC, p.name, p.id LIMIT $3),"
    /* One pass over the centre's volunteers for every count. */
    " n AS ("
    "  SELECT count(*) FILTER (WHERE v.rule IS NULL) AS eligible,"
    "     count(*) FILTER (WHERE v.rule = 'status') AS status,"
    "     count(*) FILTER (WHERE v.rule = 'training') AS training,"
    "     count(*) FILTER (WHERE v.rule = 'record_check') AS record_check,"
    "     count(*) FILTER (WHERE v.rule = 'capacity') AS capacity,"
    "     count(*) FILTER (WHERE v.rule = 'language') AS language FROM v)"
    " SELECT json_build_object("
    "  'request_id', r.id, 'language', r.lang, 'as_of', " DAY("current_date") ","
    "  'weights', json_build_object('interests', wt.interests, 'area', wt.area,"
    "             'availability', wt.availability, 'load', wt.load),"
    "  'eligible', n.eligible,"
    "  'excluded_counts', json_build_object('status', n.status, 'training', n.training,"
    "     'record_check', n.record_check, 'capacity', n.capacity, 'language', n.language),"
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
    "     ORDER BY s.score DESC, s.name, s.id) FROM s), '[]')"
    " )::text,"
    " CASE WHEN $2::boolean THEN coalesce((SELECT json_agg(json_build_object("
    "     'volunteer_id', v.id, 'name', v.name, 'rule', v.rule,"
    "     'reason', json_build_object("
    "       'da', CASE v.rule WHEN 'status' THEN 'ikke aktiv (status ' || v.status || ')'"
    "               WHEN 'training' THEN 'introduktionsmodulet er ikke gennemført eller er udløbet'"
    "               WHEN 'record_check' THEN 'ingen gyldig straffeattest'"
    "               WHEN 'capacity' THEN 'ingen ledig kapacitet (' || v.load || ' af '"
    "                                    || v.capacity || ')'"
    "               ELSE 'intet fælles sprog (' || r.lang || ')' END,"
    "       'en', CASE v.rule WHEN 'status' THEN 'not active (status ' || v.status || ')'"
    "               WHEN 'training' THEN 'intro module not completed or expired'"
    "               WHEN 'record_check' THEN 'no valid criminal record check'"
    "               WHEN 'capacity' THEN 'no capacity left (' || v.load || ' of '"
    "                                    || v.capacity || ')'"
    "               ELSE 'no shared language (' || r.lang || ')' END))"
    "     ORDER BY v.name, v.id) FROM v WHERE v.rule IS NOT NULL), '[]')::text END"
    " FROM r, wt, n",
    3);
/* clang-format on */

/* Activity suggestions. $1 the request id, $2 how many of each at most.
 * Upcoming activity events (the next 60 days, not cancelled, not full) and
 * the centre's associations. Candidates with the same shared categories,
 * area and association facts score the same and go in a fixed order
 * (events earliest first, associations by name), so only the first $2 of
 * each such class can be among the best $2: matching_activity_candidates
 * returns those, they are scored from plain columns, and only the best $2
 * of each kind are built as JSON. No row when the request is not visible
 * to the caller. */
/* clang-format off */
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
    /* The points of the components with few values, once per request
     * instead of once per candidate. */
    " pt AS ("
    "  SELECT round(wt.area, 2) AS area_same, round(0.5 * wt.area, 2) AS area_near,"
    "         round(wt.places, 2) AS places, round(wt.welcome, 2) AS welcome FROM wt),"
    /* The candidates: of each class of equal score (shared categories,
     * area, the association's two facts), the first $2 in the order
     * below; read as the schema owner through an index, for the request's
     * centre only (schema/functions/matching_activity_candidates.sql). */
    " c AS ("
    "  SELECT m.* FROM r, matching_activity_candidates(r.centre_id, r.postal_code,"
    "    ARRAY(SELECT category_id FROM request_category WHERE request_id = $1), $2::int) m),"
    " x AS ("
    "  SELECT c.kind, c.id, c.title, c.starts_at, c.association_id, c.association_name,"
    "    c.shared, matching_area_one(r.postal_code, c.postal_code) AS area, c.places, c.welcome"
    "    FROM c CROSS JOIN r),"
    " s AS ("
    "  SELECT x.*,"
    "    CASE WHEN x.shared = 0 THEN 0.00 ELSE round(x.shared * wt.interests, 2) END"
    "      AS p_interests,"
    "    CASE WHEN x.area = 1 THEN pt.area_same WHEN x.area > 0 THEN pt.area_near ELSE 0.00 END"
    "      AS p_area,"
    "    CASE WHEN x.places THEN pt.places ELSE 0.00 END AS p_places,"
    "    CASE WHEN x.welcome THEN pt.welcome ELSE 0.00 END AS p_welcome"
    "    FROM x, wt, pt),"
    " sc AS (SELECT s.*, s.p_interests + s.p_area + s.p_places + s.p_welcome AS score FROM s),"
    " te AS (SELECT sc.* FROM sc WHERE sc.kind = 'event'"
    "         ORDER BY sc.score DESC, sc.starts_at, sc.title, sc.id LIMIT $2),"
    " ta AS (SELECT sc.* FROM sc WHERE sc.kind = 'association'"
    "         ORDER BY sc.score DESC, sc.title, sc.id LIMIT $2),"
    " t AS ("
    "  SELECT u.*,"
    "    json_build_array("
    "      json_build_object('name', 'interests', 'value', u.shared,"
    "                        'weight', wt.interests, 'points', u.p_interests),"
    "      json_build_object('name', 'area', 'value', u.area, 'weight', wt.area,"
    "                        'points', u.p_area),"
    "      json_build_object('name', 'newcomer_places',"
    "                        'value', CASE WHEN u.places THEN 1 ELSE 0 END,"
    "                        'weight', wt.places, 'points', u.p_places),"
    "      json_build_object('name', 'welcome_training',"
    "                        'value', CASE WHEN u.welcome THEN 1 ELSE 0 END,"
    "                        'weight', wt.welcome, 'points', u.p_welcome)) AS components,"
    "    json_build_object("
    "      'da', coalesce(nullif(concat_ws(', ',"
    "         CASE WHEN u.shared = 1 THEN '1 fælles kategori'"
    "              WHEN u.shared > 1 THEN u.shared || ' fælles kategorier' END,"
    "         CASE WHEN u.area = 1 THEN 'samme postnummer'"
    "              WHEN u.area > 0 THEN 'nærliggende postnummer' END,"
    "         CASE WHEN u.places THEN 'har pladser til nye' END,"
    "         CASE WHEN u.welcome THEN 'uddannet i at tage imod nye' END), ''),"
    "         'ingen særlige match'),"
    "      'en', coalesce(nullif(concat_ws(', ',"
    "         CASE WHEN u.shared = 1 THEN '1 shared category'"
    "              WHEN u.shared > 1 THEN u.shared || ' shared categories' END,"
    "         CASE WHEN u.area = 1 THEN 'same postal code'"
    "              WHEN u.area > 0 THEN 'nearby postal code' END,"
    "         CASE WHEN u.places THEN 'has places for newcomers' END,"
    "         CASE WHEN u.welcome THEN 'trained in welcoming newcomers' END), ''),"
    "         'no particular match')) AS reason"
    "    FROM (SELECT * FROM te UNION ALL SELECT * FROM ta) u, wt)"
    " SELECT json_build_object("
    "  'request_id', r.id,"
    "  'weights', json_build_object('interests', wt.interests, 'area', wt.area,"
    "             'newcomer_places', wt.places, 'welcome_training', wt.welcome),"
    "  'events', coalesce((SELECT json_agg(json_build_object("
    "     'event_id', t.id, 'title', t.title,"
    "     'starts_at', " TS("t.starts_at") ","
    "     'association_id', t.association_id, 'association_name', t.association_name,"
    "     'score', t.score, 'components', t.components, 'reason', t.reason)"
    "     ORDER BY t.score DESC, t.starts_at, t.title, t.id)"
    "     FROM t WHERE t.kind = 'event'), '[]'),"
    "  'associations', coalesce((SELECT json_agg(json_build_object("
    "     'association_id', t.id, 'name', t.title,"
    "     'score', t.score, 'components', t.components, 'reason', t.reason)"
    "     ORDER BY t.score DESC, t.title, t.id)"
    "     FROM t WHERE t.kind = 'association'), '[]')"
    " )::text, NULL::text FROM r, wt",
    2);
/* clang-format on */

/* Answer the suggestions of stmt for the request in the path: one
 * statement, whose first column is the JSON object and whose second, when
 * not NULL, is the excluded list spliced in as "excluded". params are the
 * statement's parameters after the request id. 404 when the id is not a
 * UUID or the request is not visible to the caller. */
static void
suggest(struct http_request *rq, struct db_stmt *stmt, const char *const *params, int nparams)
{
	const char *id = http_param(rq, "id");
	const char *values[3]; /* the request id and at most two more */
	PGresult *res;
	enum db_qs qs;
	struct buf b;

	values[0] = id;
	for (int i = 0; i < nparams && i < (int)(sizeof(values) / sizeof(values[0])) - 1; i++)
		values[i + 1] = params[i];
	res = db_exec(rq->db, stmt, values, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return;
	}
	if (qs != DB_ONE_RESULT) {
		PQclear(res);
		http_reply_problem(rq, ERR_NOT_FOUND, "No request has this id.");
		return;
	}
	buf_init(&b);
	buf_append(&b, PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0));
	if (!PQgetisnull(res, 0, 1) && b.len > 0 && b.data[b.len - 1] == '}') {
		b.len--;
		buf_append_str(&b, ",\"excluded\":");
		buf_append(&b, PQgetvalue(res, 0, 1), (size_t)PQgetlength(res, 0, 1));
		buf_append_str(&b, "}");
	}
	PQclear(res);
	http_reply_data(rq, 200, "application/json", b.data, b.len, true);
	buf_cleanup(&b);
}

/* The limit query parameter as text into out, or the default. */
static const char *
limit_param(struct http_request *rq, char *out, size_t outlen)
{
	json_t *limit = json_object_get(rq->query, "limit");

	snprintf(out, outlen, "%lld",
	         limit ? (long long)json_integer_value(limit)
	               : (long long)SUGGESTIONS_DEFAULT_LIMIT);
	return out;
}

/* GET /v1/requests/{id}/guide-suggestions[?explain=excluded][&limit=N] */
static void
matching_guide_suggestions(struct http_request *rq)
{
	const char *explain = json_string_value(json_object_get(rq->query, "explain"));
	char limit[24];

	suggest(
	    rq, &stmt_guides,
	    (const char *const[]){explain != NULL && strcmp(explain, "excluded") == 0 ? "t" : "f",
	                          limit_param(rq, limit, sizeof(limit))},
	    2);
}

/* GET /v1/requests/{id}/activity-suggestions[?limit=N] */
static void
matching_activity_suggestions(struct http_request *rq)
{
	char limit[24];

	suggest(rq, &stmt_activities, (const char *const[]){limit_param(rq, limit, sizeof(limit))},
	        1);
}

/* The routes of this resource, joined into the one table by api/routes.c. */
static const struct route routes[] = {
    /* matching */
    {"GET", "/v1/requests/{id}/guide-suggestions", matching_guide_suggestions, DB, ROLE_COORDINATOR,
     NULL, matching_guides_query, "id=request"},
    {"GET", "/v1/requests/{id}/activity-suggestions", matching_activity_suggestions, DB,
     ROLE_COORDINATOR | ROLE_GUIDE, NULL, matching_activities_query, "id=request"},
};

API_ROUTES(matching_routes, routes);
