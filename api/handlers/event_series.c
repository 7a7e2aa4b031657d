/* event_series.c - weekly or monthly series of events: POST
 * /v1/event-series makes the template and every occurrence at once
 * (expanded in local Copenhagen time, at most 104 within 2 years), GET reads
 * the template and its occurrences back, PATCH changes the template and,
 * for the members sent, the occurrences still to come. Coordinators only;
 * each occurrence is an event of its own (api/handlers/events.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/db.h"
#include "../../lib/http.h"
#include "../../lib/problem.h"
#include "../../lib/row.h"
#include "../../lib/spec.h"
#include "../pipeline/auth.h"
#include "events.h"
#include "../routes.h"

static const char *const frequencies[] = {"weekly", "monthly", NULL};

static const struct spec_field event_series_create_spec[] = {
    EVENT_CREATE_FIELDS,
    SPEC_ENUM("frequency", SPEC_REQUIRED, frequencies),
    {.name = "interval", .type = SPEC_INTEGER, .min = 1, .max = 4},
    {.name = "count", .type = SPEC_INTEGER, .min = 1, .max = 104},
    SPEC_DATE("until", 0),
    SPEC_END};

/* PATCH /v1/event-series/{id}: the template's members (no times: those
 * are changed per occurrence) and cancelled. */
static const struct spec_field event_series_update_spec[] = {EVENT_UPDATE_TEXT_FIELDS,
                                                             EVENT_UPDATE_OTHER_FIELDS, SPEC_END};

/* The occurrences of a series: $1 first start, $2 first end, $3 frequency,
 * $4 interval, $5 count (NULL with until: at most 105 are made, one more
 * than allowed, to notice too many), $6 until. Each occurrence starts at
 * the first one's local wall-clock time in Copenhagen (so 19:00 stays 19:00
 * across daylight-saving changes) and lasts as long in local time; monthly
 * dates past a month's end fall on its last day. within: not more than 2
 * years after the first. */
#define OCCURRENCES                                                                                \
	"(SELECT x.ls AT TIME ZONE " LOCAL_TZ " AS starts_at,"                                     \
	" (x.ls + x.dur) AT TIME ZONE " LOCAL_TZ " AS ends_at,"                                    \
	" x.ls <= x.first + interval '2 years' AS within"                                          \
	" FROM (SELECT b.ls + CASE WHEN $3::text = 'weekly' THEN make_interval(weeks => n * "      \
	"$4::integer)"                                                                             \
	"   ELSE make_interval(months => n * $4::integer) END AS ls,"                              \
	"   b.le - b.ls AS dur, b.ls AS first"                                                     \
	"   FROM (SELECT date_trunc('second', $1::timestamptz) AT TIME ZONE " LOCAL_TZ " AS ls,"   \
	"                date_trunc('second', $2::timestamptz) AT TIME ZONE " LOCAL_TZ             \
	" AS le) b,"                                                                               \
	"        generate_series(0, coalesce($5::integer, 105) - 1) n) x"                          \
	" WHERE $6::date IS NULL OR x.ls::date <= $6::date)"

static struct db_stmt stmt_series_plan = DB_STMT(
    "event_series_plan",
    "SELECT count(*) AS occurrences, coalesce(bool_and(o.within), true) AS within,"
    " $6::date IS NULL OR $6::date >= (date_trunc('second', $1::timestamptz) AT TIME ZONE " LOCAL_TZ
    ")::date AS until_not_before,"
    " $6::date IS NULL OR $6::date <= ((date_trunc('second', $1::timestamptz) AT TIME "
    "ZONE " LOCAL_TZ ")::date + interval '2 years')::date AS until_within"
    " FROM " OCCURRENCES " o",
    6);

#define SERIES_COLUMNS                                                                             \
	"id, kind, title, description, address, postal_code, online_url, accessibility, capacity," \
	" association_id, internal_note, frequency, repeat_interval, occurrence_count,"            \
	" until_date::text AS until_date, " TS(                                                    \
	    "first_starts_at") " AS first_starts_at,"                                              \
	                       " " TS("first_ends_at") " AS first_ends_at, time_zone, " TS(        \
	                           "created_at") " AS created_at,"                                 \
	                                         " version, array_to_json(category_ids) AS "       \
	                                         "category_ids"

/* A series' answer (SERIES_COLUMNS) in order; category_ids (json_column)
 * follows. */
static const struct row_field series_fields[] = {
    ROW_TEXT_OR_NULL("id"),
    ROW_TEXT_OR_NULL("kind"),
    ROW_TEXT_OR_NULL("title"),
    ROW_TEXT_OR_NULL("description"),
    ROW_TEXT_OR_NULL("address"),
    ROW_TEXT_OR_NULL("postal_code"),
    ROW_TEXT_OR_NULL("online_url"),
    ROW_TEXT_OR_NULL("accessibility"),
    ROW_TEXT_OR_NULL("association_id"),
    ROW_TEXT_OR_NULL("internal_note"),
    ROW_TEXT_OR_NULL("frequency"),
    ROW_INTEGER_OR_NULL("capacity"),
    ROW_FIELD("interval", "repeat_interval", ROW_KIND_INTEGER_OR_NULL),
    ROW_FIELD("count", "occurrence_count", ROW_KIND_INTEGER_OR_NULL),
    ROW_FIELD("until", "until_date", ROW_KIND_TEXT_OR_NULL),
    ROW_FIELD("starts_at", "first_starts_at", ROW_KIND_TEXT_OR_NULL),
    ROW_FIELD("ends_at", "first_ends_at", ROW_KIND_TEXT_OR_NULL),
    ROW_TEXT_OR_NULL("time_zone"),
    ROW_TEXT_OR_NULL("created_at"),
    ROW_END};

/* An occurrence as answered. */
static const struct row_field occurrence_fields[] = {
    ROW_TEXT("id"), ROW_TEXT("starts_at"), ROW_TEXT("ends_at"), ROW_BOOLEAN("cancelled"), ROW_END};

static struct db_stmt stmt_series_insert = DB_STMT(
    "event_series_insert",
    "INSERT INTO event_series (centre_id, association_id, kind, title, description, address,"
    " postal_code, online_url, accessibility, capacity, internal_note, frequency, repeat_interval,"
    " occurrence_count, until_date, first_starts_at, first_ends_at, created_by, category_ids)"
    " VALUES (kompas_centre(), $1, $2, $3, $4, $5, $6, $7, $8, $9::integer, $10, $11,"
    " $12::integer, $13::integer, $14::date, date_trunc('second', $15::timestamptz),"
    " date_trunc('second', $16::timestamptz), $17, coalesce($18::uuid[], '{}'))"
    " RETURNING " SERIES_COLUMNS,
    18);

static struct db_stmt stmt_series_expand =
    DB_STMT("event_series_expand",
            "WITH ins AS (INSERT INTO event (centre_id, association_id, kind, title, description,"
            " starts_at, ends_at, address, postal_code, online_url, accessibility, capacity,"
            " internal_note, created_by, series_id)"
            " SELECT s.centre_id, s.association_id, s.kind, s.title, s.description, o.starts_at,"
            " o.ends_at, s.address, s.postal_code, s.online_url, s.accessibility, s.capacity,"
            " s.internal_note, s.created_by, s.id FROM event_series s, " OCCURRENCES " o"
            " WHERE s.id = $7 RETURNING id, starts_at, ends_at, cancelled)"
            " SELECT id, " TS("starts_at") " AS starts_at, " TS(
                "ends_at") " AS ends_at, cancelled"
                           " FROM ins ORDER BY ins.starts_at, ins.id",
            7);

static json_t *
series_json(const PGresult *res)
{
	json_t *j = row_json(res, 0, series_fields);

	json_object_set_new(j, "category_ids", json_column(res, 0, row_col(res, "category_ids")));
	return j;
}

/* The occurrences of a series as JSON, from rows (id, start, end,
 * cancelled) in time order. */
static json_t *
occurrences_json(const PGresult *res)
{
	json_t *occ = json_array();

	for (int i = 0; i < PQntuples(res); i++)
		json_array_append_new(occ, row_json(res, i, occurrence_fields));
	return occ;
}

/* Check the expansion of a series before making it: count or until,
 * at most 104 occurrences within 2 years. Adds field errors to p. Answers
 * nothing: returns the query status, below 0 a database error. */
static enum db_qs
check_series(const struct http_request *rq, json_t *p, const char *const *plan)
{
	const json_t *b = rq->body;
	bool has_count = json_object_get(b, "count") != NULL;
	bool has_until = json_object_get(b, "until") != NULL;
	enum db_qs qs;
	PGresult *res;

	if (has_count == has_until) {
		problem_add_field_error(p, has_count ? "until" : "count",
		                        has_count ? ERR_FIELD_UNKNOWN : ERR_FIELD_REQUIRED,
		                        "give either count or until");
		return DB_NO_RESULTS;
	}
	if (!spec_format_ok(SPEC_FMT_DATETIME, plan[0]) ||
	    !spec_format_ok(SPEC_FMT_DATETIME, plan[1]))
		return DB_NO_RESULTS;
	res = db_exec(rq->db, &stmt_series_plan, plan, &qs);
	if (res == NULL)
		return qs;
	if (row_value(res, 0, "until_not_before")[0] != 't')
		problem_add_field_error(p, "until", ERR_FIELD_TOO_SMALL,
		                        "must not be before the first occurrence");
	else if (row_value(res, 0, "until_within")[0] != 't')
		problem_add_field_error(p, "until", ERR_FIELD_TOO_LARGE,
		                        "a series lasts at most 2 years");
	else if (atoi(row_value(res, 0, "occurrences")) > 104)
		problem_add_field_error(p, "until", ERR_FIELD_TOO_LARGE,
		                        "a series has at most 104 occurrences");
	else if (row_value(res, 0, "within")[0] != 't')
		problem_add_field_error(p, "count", ERR_FIELD_TOO_LARGE,
		                        "a series lasts at most 2 years");
	PQclear(res);
	return DB_ONE_RESULT;
}

/* POST /v1/event-series: a weekly or monthly series and all its
 * occurrences, in one call. */
static void
event_series_create(struct http_request *rq)
{
	const json_t *b = rq->body;
	char *categories = event_uuid_array(json_object_get(b, "category_ids"));
	char own[37], capacity[24], interval[24], count[24], sid[37], version[24], location[64];
	const char *association, *params[18], *plan[7];
	json_t *p, *refusal, *body;
	enum db_qs qs;
	PGresult *res;

	plan[0] = str_of(b, "starts_at");
	plan[1] = str_of(b, "ends_at");
	plan[2] = str_of(b, "frequency");
	snprintf(interval, sizeof(interval), "%lld",
	         json_object_get(b, "interval") ? json_integer_value(json_object_get(b, "interval"))
	                                        : 1LL);
	plan[3] = interval;
	event_integer_param(b, "count", count, sizeof(count), &plan[4]);
	plan[5] = str_of(b, "until");
	p = problem_new(ERR_VALIDATION_FAILED, NULL, rq->request_id);
	qs = check_series(rq, p, plan);
	if (qs < 0) {
		json_decref(p);
		http_reply_db_error(rq, qs);
		goto out;
	}
	qs = event_check_new(rq, &association, own, categories, p, &refusal);
	if (qs < 0 || refusal != NULL) {
		http_reply_failure(rq, qs, refusal);
		goto out;
	}
	params[0] = association;
	params[1] = str_of(b, "kind");
	params[2] = str_of(b, "title");
	params[3] = str_of(b, "description");
	params[4] = str_of(b, "address");
	params[5] = str_of(b, "postal_code");
	params[6] = str_of(b, "online_url");
	params[7] = str_of(b, "accessibility");
	event_integer_param(b, "capacity", capacity, sizeof(capacity), &params[8]);
	params[9] = str_of(b, "internal_note");
	params[10] = plan[2];
	params[11] = interval;
	params[12] = plan[4];
	params[13] = plan[5];
	params[14] = plan[0];
	params[15] = plan[1];
	params[16] = rq->caller.account_id;
	params[17] = categories;
	res = db_exec(rq->db, &stmt_series_insert, params, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		goto out;
	}
	body = series_json(res);
	snprintf(sid, sizeof(sid), "%s", row_value(res, 0, "id"));
	snprintf(version, sizeof(version), "%s", row_value(res, 0, "version"));
	PQclear(res);
	plan[6] = sid;
	res = db_exec(rq->db, &stmt_series_expand, plan, &qs);
	if (res == NULL) {
		json_decref(body);
		http_reply_db_error(rq, qs);
		goto out;
	}
	json_object_set_new(body, "occurrences", occurrences_json(res));
	PQclear(res);
	qs = event_set_categories(rq, sid, categories);
	if (qs < 0) {
		json_decref(body);
		http_reply_db_error(rq, qs);
		goto out;
	}
	http_reply_json(rq, 201, body);
	http_set_etag(rq, version);
	snprintf(location, sizeof(location), "/v1/event-series/%s", sid);
	http_set_header(rq, "Location", location);
out:
	free(categories);
}

static struct db_stmt stmt_series_get =
    DB_STMT("event_series_get", "SELECT " SERIES_COLUMNS " FROM event_series WHERE id = $1", 1);

static struct db_stmt stmt_series_occurrences =
    DB_STMT("event_series_occurrences",
            "SELECT id, " TS("starts_at") " AS starts_at, " TS(
                "ends_at") " AS ends_at, cancelled"
                           " FROM event WHERE series_id = $1 ORDER BY event.starts_at, event.id",
            1);

/* Answer status with series id and every occurrence (re-read), and its
 * ETag; 404 when the caller does not see it. */
static void
reply_series(struct http_request *rq, unsigned status, const char *id)
{
	enum db_qs qs;
	PGresult *res = db_exec(rq->db, &stmt_series_get, (const char *const[]){id}, &qs);
	PGresult *occ;
	json_t *body;

	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return;
	}
	if (qs == DB_NO_RESULTS) {
		PQclear(res);
		http_reply_problem(rq, ERR_NOT_FOUND, "No event series has this id.");
		return;
	}
	occ = db_exec(rq->db, &stmt_series_occurrences, (const char *const[]){id}, &qs);
	if (occ == NULL) {
		PQclear(res);
		http_reply_db_error(rq, qs);
		return;
	}
	body = series_json(res);
	json_object_set_new(body, "occurrences", occurrences_json(occ));
	http_reply_json(rq, status, body);
	http_set_etag(rq, row_value(res, 0, "version"));
	PQclear(occ);
	PQclear(res);
}

/* GET /v1/event-series/{id}: the template and its occurrences (staff). */
static void
event_series_get(struct http_request *rq)
{
	const char *id = http_param(rq, "id");

	reply_series(rq, 200, id);
}

/* The members of a series a PATCH may change, in the order of the update
 * statements' parameters $2..$19: each value is followed by whether it was
 * present (merge patch: null clears). */
static const char *const series_members[] = {
    "title",         "description", "address",        "postal_code",   "online_url",
    "accessibility", "capacity",    "association_id", "internal_note", NULL};

static struct db_stmt stmt_series_lock =
    DB_STMT("event_series_lock",
            "SELECT s.version, (SELECT coalesce(max(e.signup_count), 0) FROM event e"
            " WHERE e.series_id = s.id AND e.starts_at > now()) AS most_signups"
            " FROM event_series s WHERE s.id = $1 FOR NO KEY UPDATE OF s",
            1);

/* The merge patch of the template: $2..$19 the members of series_members
 * (each value and whether it was present), $20 the categories (NULL:
 * keep), $21 the version named in If-Match (NULL: any). */
#define SERIES_SET                                                                                 \
	" title = CASE WHEN $3::boolean THEN $2 ELSE title END,"                                   \
	" description = CASE WHEN $5::boolean THEN $4 ELSE description END,"                       \
	" address = CASE WHEN $7::boolean THEN $6 ELSE address END,"                               \
	" postal_code = CASE WHEN $9::boolean THEN $8 ELSE postal_code END,"                       \
	" online_url = CASE WHEN $11::boolean THEN $10 ELSE online_url END,"                       \
	" accessibility = CASE WHEN $13::boolean THEN $12 ELSE accessibility END,"                 \
	" capacity = CASE WHEN $15::boolean THEN $14::integer ELSE capacity END,"                  \
	" association_id = CASE WHEN $17::boolean THEN $16::uuid ELSE association_id END,"         \
	" internal_note = CASE WHEN $19::boolean THEN $18 ELSE internal_note END,"                 \
	" updated_at = now(), version = version + 1"

static struct db_stmt stmt_series_update = DB_STMT(
    "event_series_update",
    "UPDATE event_series SET" SERIES_SET ", category_ids = coalesce($20::uuid[], category_ids)"
    " WHERE id = $1 AND ($21::integer IS NULL OR version = $21) RETURNING id",
    21);

/* The same members on every occurrence that has not started; $20 cancels
 * (true) or reinstates (false) them, NULL keeps. */
static struct db_stmt stmt_series_update_upcoming =
    DB_STMT("event_series_update_upcoming",
            "UPDATE event SET" SERIES_SET ", cancelled = coalesce($20::boolean, cancelled)"
            " WHERE series_id = $1 AND starts_at > now() RETURNING id",
            20);

static struct db_stmt stmt_series_clear_upcoming_categories =
    DB_STMT("event_series_clear_upcoming_categories",
            "DELETE FROM event_category ec USING event e"
            " WHERE ec.event_id = e.id AND e.series_id = $1 AND e.starts_at > now()",
            1);

static struct db_stmt stmt_series_set_upcoming_categories =
    DB_STMT("event_series_set_upcoming_categories",
            "INSERT INTO event_category (event_id, category_id, centre_id)"
            " SELECT e.id, c, e.centre_id FROM event e, unnest($2::uuid[]) c"
            " WHERE e.series_id = $1 AND e.starts_at > now()",
            2);

/* Checks of a series patch against the locked series (cur: version and
 * the most active sign-ups of an upcoming occurrence) and the centre's
 * associations and categories. Answers nothing: returns the query status
 * (below 0 a database error), with *problem set (409 or 422) when the
 * patch is refused. */
static enum db_qs
check_series_patch(const struct http_request *rq, const PGresult *cur, const char *categories,
                   json_t **problem)
{
	const json_t *b = rq->body;
	json_t *jcap = json_object_get(b, "capacity");
	enum db_qs qs;
	json_t *p;

	*problem = NULL;
	if (json_is_integer(jcap) &&
	    json_integer_value(jcap) < atoll(row_value(cur, 0, "most_signups"))) {
		*problem = event_field_problem(
		    rq, ERR_CONFLICT,
		    "More people are signed up for an upcoming occurrence than the new "
		    "capacity.",
		    "capacity", ERR_FIELD_TOO_SMALL,
		    "is below the active sign-ups of an upcoming occurrence");
		return DB_ONE_RESULT;
	}
	p = problem_new(ERR_VALIDATION_FAILED, NULL, rq->request_id);
	qs = event_check_references(rq, p, str_of(b, "association_id"), categories);
	if (qs >= 0 && problem_field_error_count(p) > 0)
		*problem = p;
	else
		json_decref(p);
	return qs < 0 ? qs : DB_ONE_RESULT;
}

/* PATCH /v1/event-series/{id}: a merge patch of the template, applied to
 * every occurrence that has not started yet (those held keep what they
 * were); cancelled: true cancels the upcoming occurrences. If-Match names
 * the series' version. */
static void
event_series_update(struct http_request *rq)
{
	const json_t *b = rq->body;
	const char *id = http_param(rq, "id");
	char *categories = event_uuid_array(json_object_get(b, "category_ids"));
	json_t *jcan = json_object_get(b, "cancelled");
	const char *params[21];
	char version[24], capacity[24];
	long long want = 0;
	int m = http_if_match(rq, &want);
	enum db_qs qs;
	PGresult *cur = NULL, *res;
	json_t *p;

	if (m < 0) {
		http_reply_problem(rq, ERR_PRECONDITION_FAILED,
		                   "If-Match is not a version of ours.");
		goto out;
	}
	cur = db_exec(rq->db, &stmt_series_lock, (const char *const[]){id}, &qs);
	if (cur == NULL) {
		http_reply_db_error(rq, qs);
		goto out;
	}
	if (qs == DB_NO_RESULTS) {
		http_reply_problem(rq, ERR_NOT_FOUND, "No event series has this id.");
		goto out;
	}
	if (m == 1 && want != atoll(row_value(cur, 0, "version"))) {
		http_reply_problem(rq, ERR_PRECONDITION_FAILED,
		                   "The series has changed since you read it; read it again.");
		goto out;
	}
	qs = check_series_patch(rq, cur, categories, &p);
	if (qs < 0 || p != NULL) {
		http_reply_failure(rq, qs, p);
		goto out;
	}
	params[0] = id;
	for (int i = 0; series_members[i] != NULL; i++) {
		const char *k = series_members[i];

		if (strcmp(k, "capacity") == 0)
			event_integer_param(b, k, capacity, sizeof(capacity), &params[1 + 2 * i]);
		else
			params[1 + 2 * i] = str_of(b, k);
		params[2 + 2 * i] = json_object_get(b, k) ? "true" : "false";
	}
	params[19] = categories;
	snprintf(version, sizeof(version), "%lld", want);
	params[20] = m == 1 ? version : NULL;
	res = db_exec(rq->db, &stmt_series_update, params, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		goto out;
	}
	PQclear(res);
	params[19] = jcan ? (json_is_true(jcan) ? "true" : "false") : NULL;
	qs = db_run(rq->db, &stmt_series_update_upcoming, params);
	if (qs >= 0 && categories != NULL)
		qs = db_run(rq->db, &stmt_series_clear_upcoming_categories,
		            (const char *const[]){id});
	if (qs >= 0 && categories != NULL)
		qs = db_run(rq->db, &stmt_series_set_upcoming_categories,
		            (const char *const[]){id, categories});
	if (qs < 0) {
		http_reply_db_error(rq, qs);
		goto out;
	}
	reply_series(rq, 200, id);
out:
	if (cur != NULL)
		PQclear(cur);
	free(categories);
}

/* The routes of series, joined into the one table by api/routes.c. */
static const struct route routes[] = {
    {"POST", "/v1/event-series", event_series_create, DB | BODY, ROLE_COORDINATOR,
     event_series_create_spec, NULL, NULL},
    {"GET", "/v1/event-series/{id}", event_series_get, DB, ROLE_ADMIN | ROLE_COORDINATOR, NULL,
     NULL, "id=event_series"},
    {"PATCH", "/v1/event-series/{id}", event_series_update, DB | BODY, ROLE_COORDINATOR,
     event_series_update_spec, NULL, "id=event_series"},
};

API_ROUTES(event_series_routes, routes);
