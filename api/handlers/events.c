/* events.c - dated occurrences: an association's activity, a guide
 * training, a welcome workshop for associations or an information meeting.
 * This file: single events (created, read, changed) and what the event
 * files share (api/handlers/events.h). Weekly or monthly series are in
 * api/handlers/event_series.c, the listing, Danish full-text search and the public
 * listing for the portals in api/handlers/event_lists.c, sign-ups with capacity in
 * api/handlers/event_signups.c.
 *
 * Who may do what (besides the route tables' roles): coordinators write
 * their centre's events; an association contact adds and changes the
 * activities of its own association (account.association_id) and sees the
 * internal note of those only. Sign-ups: guides sign themselves up (their
 * volunteer record) for guide trainings and information meetings,
 * association contacts themselves for welcome workshops and information
 * meetings, coordinators anyone of the centre for those kinds. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../lib/db.h"
#include "../../lib/http.h"
#include "../../lib/problem.h"
#include "../../lib/row.h"
#include "../../lib/spec.h"
#include "../pipeline/auth.h"
#include "events.h"
#include "../routes.h"

const char *const event_kinds[] = {"activity", "guide_training", "welcome_workshop", "info_meeting",
                                   NULL};

const struct spec_field event_uuid_item = {.type = SPEC_STRING, .format = SPEC_FMT_UUID};

static const struct spec_field events_create_spec[] = {EVENT_CREATE_FIELDS, SPEC_END};

static const struct spec_field events_update_spec[] = {
    EVENT_UPDATE_TEXT_FIELDS, SPEC_DATETIME("starts_at", 0), SPEC_DATETIME("ends_at", 0),
    EVENT_UPDATE_OTHER_FIELDS, SPEC_END};

/* --- small helpers ---------------------------------------------------------- */

json_t *
event_field_problem(const struct http_request *rq, enum err_code code, const char *detail,
                    const char *field, enum err_code field_code, const char *message)
{
	json_t *p = problem_new(code, detail, rq->request_id);

	problem_add_field_error(p, field, field_code, message);
	return p;
}

void
event_reply_field(struct http_request *rq, enum err_code code, const char *detail,
                  const char *field, enum err_code field_code, const char *message)
{
	http_reply_problem_json(rq,
	                        event_field_problem(rq, code, detail, field, field_code, message));
}

void
event_reply_not_found(struct http_request *rq)
{
	http_reply_problem(rq, ERR_NOT_FOUND, "No event has this id.");
}

/* Seconds since the epoch of an RFC 3339 date-time already checked with
 * SPEC_FMT_DATETIME (a fraction of a second is ignored, as the server
 * stores whole seconds). */
static long long
rfc3339_seconds(const char *s)
{
	struct tm tm;
	const char *p = s + 19;
	long long t;
	int y, mo, d, h, mi, sec;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2d%*c%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &sec) != 6)
		return 0;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = (long long)timegm(&tm);
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			;
	if (*p == '+' || *p == '-') {
		long long off = (long long)atoi(p + 1) * 3600 + (long long)atoi(p + 4) * 60;

		t += *p == '+' ? -off : off;
	}
	return t;
}

#define MAX_EVENT_SECONDS (14LL * 24 * 3600)
#define MAX_AHEAD_SECONDS (5LL * 366 * 24 * 3600)
#define EARLIEST_START    946684800LL /* 2000-01-01T00:00:00Z */

/* Check the times of an event: ends after it starts, lasts at most 14
 * days, starts from 2000 and at most about 5 years ahead. check_start:
 * the start was given in this request. Adds field errors to p. */
static void
check_times(json_t *p, long long start, long long end, bool check_start)
{
	if (check_start && start < EARLIEST_START)
		problem_add_field_error(p, "starts_at", ERR_FIELD_TOO_SMALL,
		                        "must be in 2000 or later");
	if (check_start && start > (long long)time(NULL) + MAX_AHEAD_SECONDS)
		problem_add_field_error(p, "starts_at", ERR_FIELD_TOO_LARGE,
		                        "must be at most 5 years ahead");
	if (end <= start)
		problem_add_field_error(p, "ends_at", ERR_FIELD_TOO_SMALL,
		                        "must be after starts_at");
	else if (end - start > MAX_EVENT_SECONDS)
		problem_add_field_error(p, "ends_at", ERR_FIELD_TOO_LARGE,
		                        "an event lasts at most 14 days: make a series instead");
}

/* A PostgreSQL uuid[] literal of a JSON array of UUID strings (validated),
 * or NULL when arr is NULL. Caller frees. */
char *
event_uuid_array(const json_t *arr)
{
	size_t n = json_array_size(arr), i;
	char *out, *q;

	if (arr == NULL)
		return NULL;
	out = malloc(n * 37 + 3);
	if (out == NULL)
		abort();
	q = out;
	*q++ = '{';
	for (i = 0; i < n; i++) {
		if (i > 0)
			*q++ = ',';
		memcpy(q, json_string_value(json_array_get(arr, i)), 36);
		q += 36;
	}
	*q++ = '}';
	*q = '\0';
	return out;
}

static struct db_stmt stmt_my_association =
    DB_STMT("events_my_association", "SELECT kompas_association() AS association_id", 0);

/* The caller's association (an association contact's), into out (37
 * bytes). Answers nothing: returns the query status (below 0 a database
 * error), with *problem (403) when there is none. */
static enum db_qs
my_association(const struct http_request *rq, char *out, json_t **problem)
{
	enum db_qs qs;
	PGresult *res = db_exec(rq->db, &stmt_my_association, NULL, &qs);

	*problem = NULL;
	if (res == NULL)
		return qs;
	if (qs == DB_NO_RESULTS || row_is_null(res, 0, "association_id")) {
		PQclear(res);
		*problem = problem_new(ERR_FORBIDDEN,
		                       "Your account is not the contact of an association: ask a "
		                       "coordinator to link it.",
		                       rq->request_id);
		return qs;
	}
	snprintf(out, 37, "%s", row_value(res, 0, "association_id"));
	PQclear(res);
	return qs;
}

static struct db_stmt stmt_association_ok =
    DB_STMT("events_association_ok",
            "SELECT 1 FROM association WHERE id = $1 AND centre_id = kompas_centre()", 1);

static struct db_stmt stmt_unknown_categories =
    DB_STMT("events_unknown_categories",
            "SELECT u.i - 1 AS position FROM unnest($1::uuid[]) WITH ORDINALITY u (x, i)"
            " WHERE NOT EXISTS (SELECT 1 FROM category c WHERE c.id = u.x"
            "   AND (c.centre_id IS NULL OR c.centre_id = kompas_centre())) ORDER BY u.i",
            1);

/* Check that the association (when given) is of the caller's centre and
 * every category is shared or the centre's; adds field errors to p.
 * Returns a query status (< 0: a database error); answers nothing. */
enum db_qs
event_check_references(const struct http_request *rq, json_t *p, const char *association,
                       const char *categories)
{
	enum db_qs qs = DB_NO_RESULTS;
	PGresult *res;

	if (association != NULL) {
		res =
		    db_exec(rq->db, &stmt_association_ok, (const char *const[]){association}, &qs);
		if (res == NULL)
			return qs;
		PQclear(res);
		if (qs == DB_NO_RESULTS)
			problem_add_field_error(p, "association_id", ERR_FIELD_NOT_IN_ENUM,
			                        "no association of your centre has this id");
	}
	if (categories != NULL) {
		res = db_exec(rq->db, &stmt_unknown_categories, (const char *const[]){categories},
		              &qs);
		if (res == NULL)
			return qs;
		for (int i = 0; i < PQntuples(res); i++) {
			char field[40];

			snprintf(field, sizeof(field), "category_ids[%s]",
			         row_value(res, i, "position"));
			problem_add_field_error(p, field, ERR_FIELD_NOT_IN_ENUM,
			                        "no category shared or of your centre has this id");
		}
		PQclear(res);
	}
	return DB_ONE_RESULT;
}

/* --- the event as JSON -------------------------------------------------------- */

/* An event's answer (EVENT_COLUMNS) in order: the head, categories
 * (json_column), the association and capacity, signups and places_left
 * (computed), the state, internal_note (for those who see it), the tail. */
static const struct row_field event_head_fields[] = {ROW_TEXT("id"), ROW_TEXT("centre_id"),
                                                     EVENT_WHAT_WHEN_WHERE_FIELDS, ROW_END};
static const struct row_field event_middle_fields[] = {
    ROW_TEXT_OR_NULL("association_id"), ROW_TEXT_OR_NULL("association_name"),
    ROW_INTEGER_OR_NULL("capacity"), ROW_FIELD("signups", "signup_count", ROW_KIND_INTEGER),
    ROW_END};
static const struct row_field event_state_fields[] = {ROW_BOOLEAN("cancelled"),
                                                      ROW_TEXT_OR_NULL("series_id"), ROW_END};
static const struct row_field event_note_fields[] = {ROW_TEXT_OR_NULL("internal_note"), ROW_END};
static const struct row_field event_tail_fields[] = {
    ROW_TEXT_OR_NULL("my_signup_id"), ROW_TEXT("created_at"), ROW_TEXT("updated_at"), ROW_END};

json_t *
event_json(const PGresult *res, int row)
{
	json_t *j = row_json(res, row, event_head_fields), *cap;
	long long signups;

	json_object_set_new(j, "categories", json_column(res, row, row_col(res, "categories")));
	row_json_add(j, res, row, event_middle_fields);
	cap = json_object_get(j, "capacity");
	signups = json_integer_value(json_object_get(j, "signups"));
	json_object_set_new(j, "places_left",
	                    json_is_null(cap) ? json_null()
	                                      : json_integer(json_integer_value(cap) - signups));
	row_json_add(j, res, row, event_state_fields);
	if (row_value(res, row, "sees_note")[0] == 't')
		row_json_add(j, res, row, event_note_fields);
	return row_json_add(j, res, row, event_tail_fields);
}

static struct db_stmt stmt_get =
    DB_STMT("events_get", "SELECT " EVENT_COLUMNS EVENT_FROM " WHERE e.id = $1", 1);

/* Answer status with event id (re-read), its ETag and, for 201, Location. */
static void
reply_event(struct http_request *rq, unsigned status, const char *id)
{
	enum db_qs qs;
	PGresult *res = db_exec(rq->db, &stmt_get, (const char *const[]){id}, &qs);
	char location[64];

	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return;
	}
	if (qs == DB_NO_RESULTS) {
		PQclear(res);
		event_reply_not_found(rq);
		return;
	}
	http_reply_json(rq, status, event_json(res, 0));
	http_set_etag(rq, row_value(res, 0, "version"));
	if (status == 201) {
		snprintf(location, sizeof(location), "/v1/events/%s", id);
		http_set_header(rq, "Location", location);
	}
	PQclear(res);
}

/* GET /v1/events/{id} */
static void
events_get(struct http_request *rq)
{
	const char *id = http_param(rq, "id");

	reply_event(rq, 200, id);
}

/* --- creating ------------------------------------------------------------------------ */

/* Checks shared by POST /v1/events and POST /v1/event-series: times,
 * references and (for an association contact) its own association. p
 * holds the field errors found so far and is consumed. Sets *association
 * to the association of the new event(s) (an association contact's own,
 * written to own: 37 bytes). Answers nothing (events.h). */
enum db_qs
event_check_new(const struct http_request *rq, const char **association, char *own,
                const char *categories, json_t *p, json_t **problem)
{
	const json_t *b = rq->body;
	const char *kind = str_of(b, "kind");
	enum db_qs qs = DB_ONE_RESULT;

	*problem = NULL;
	*association = str_of(b, "association_id");
	if (is_role(rq, ROLE_ASSOCIATION)) {
		qs = my_association(rq, own, problem);
		if (qs < 0 || *problem != NULL)
			goto refused;
		if (strcmp(kind, "activity") != 0) {
			*problem = event_field_problem(
			    rq, ERR_FORBIDDEN, NULL, "kind", ERR_FIELD_NOT_IN_ENUM,
			    "association contacts add activities of their association");
			goto refused;
		}
		if (*association != NULL && strcmp(*association, own) != 0) {
			*problem = event_field_problem(
			    rq, ERR_FORBIDDEN, NULL, "association_id", ERR_FIELD_NOT_IN_ENUM,
			    "association contacts add events of their own association");
			goto refused;
		}
		*association = own;
	}
	check_times(p, rfc3339_seconds(str_of(b, "starts_at")),
	            rfc3339_seconds(str_of(b, "ends_at")), true);
	qs = event_check_references(rq, p, is_role(rq, ROLE_ASSOCIATION) ? NULL : *association,
	                            categories);
	if (qs < 0)
		goto refused;
	if (problem_field_error_count(p) > 0)
		*problem = p;
	else
		json_decref(p);
	return DB_ONE_RESULT;
refused:
	json_decref(p);
	return qs;
}

static struct db_stmt stmt_insert = DB_STMT(
    "events_insert",
    "INSERT INTO event (centre_id, association_id, kind, title, description, starts_at, ends_at,"
    " address, postal_code, online_url, accessibility, capacity, internal_note, created_by)"
    " VALUES (kompas_centre(), $1, $2, $3, $4, date_trunc('second', $5::timestamptz),"
    " date_trunc('second', $6::timestamptz), $7, $8, $9, $10, $11::integer, $12, $13)"
    " RETURNING id",
    13);

static struct db_stmt stmt_set_categories =
    DB_STMT("events_set_categories",
            "INSERT INTO event_category (event_id, category_id, centre_id)"
            " SELECT e.id, c, e.centre_id FROM event e, unnest($2::uuid[]) c"
            " WHERE e.id = $1 OR e.series_id = $1",
            2);

static struct db_stmt stmt_clear_categories =
    DB_STMT("events_clear_categories", "DELETE FROM event_category WHERE event_id = $1", 1);

/* Insert the categories of event (or series) id; answers nothing. */
enum db_qs
event_set_categories(const struct http_request *rq, const char *id, const char *categories)
{
	if (categories == NULL || strcmp(categories, "{}") == 0)
		return DB_NO_RESULTS;
	return db_run(rq->db, &stmt_set_categories, (const char *const[]){id, categories});
}

void
event_integer_param(const json_t *obj, const char *key, char *out, size_t outlen,
                    const char **param)
{
	json_t *v = json_object_get(obj, key);

	if (json_is_integer(v)) {
		snprintf(out, outlen, "%lld", (long long)json_integer_value(v));
		*param = out;
	} else {
		*param = NULL;
	}
}

/* POST /v1/events: one event (an occurrence without a series). */
static void
events_create(struct http_request *rq)
{
	const json_t *b = rq->body;
	char *categories = event_uuid_array(json_object_get(b, "category_ids"));
	char own[37], capacity[24], id[37];
	const char *association, *params[13];
	json_t *p;
	PGresult *res;
	enum db_qs qs =
	    event_check_new(rq, &association, own, categories,
	                    problem_new(ERR_VALIDATION_FAILED, NULL, rq->request_id), &p);

	if (qs < 0 || p != NULL) {
		http_reply_failure(rq, qs, p);
		goto out;
	}
	params[0] = association;
	params[1] = str_of(b, "kind");
	params[2] = str_of(b, "title");
	params[3] = str_of(b, "description");
	params[4] = str_of(b, "starts_at");
	params[5] = str_of(b, "ends_at");
	params[6] = str_of(b, "address");
	params[7] = str_of(b, "postal_code");
	params[8] = str_of(b, "online_url");
	params[9] = str_of(b, "accessibility");
	event_integer_param(b, "capacity", capacity, sizeof(capacity), &params[10]);
	params[11] = str_of(b, "internal_note");
	params[12] = rq->caller.account_id;
	res = db_exec(rq->db, &stmt_insert, params, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		goto out;
	}
	snprintf(id, sizeof(id), "%s", row_value(res, 0, "id"));
	PQclear(res);
	qs = event_set_categories(rq, id, categories);
	if (qs < 0) {
		http_reply_db_error(rq, qs);
		goto out;
	}
	reply_event(rq, 201, id);
out:
	free(categories);
}

/* --- changing ------------------------------------------------------------------------ */

static struct db_stmt stmt_current =
    DB_STMT("events_current",
            "SELECT e.version, extract(epoch FROM e.starts_at)::bigint AS starts_epoch,"
            " extract(epoch FROM e.ends_at)::bigint AS ends_epoch, e.signup_count"
            " FROM event e WHERE e.id = $1 FOR NO KEY UPDATE",
            1);

static struct db_stmt stmt_visible =
    DB_STMT("events_visible", "SELECT 1 FROM event WHERE id = $1", 1);

/* JSON merge patch (RFC 7396): $k the value, $k+1 whether the member was
 * present (so null clears a nullable column). */
static struct db_stmt stmt_update =
    DB_STMT("events_update",
            "UPDATE event SET title = coalesce($2, title),"
            " description = CASE WHEN $4::boolean THEN $3 ELSE description END,"
            " starts_at = coalesce(date_trunc('second', $5::timestamptz), starts_at),"
            " ends_at = coalesce(date_trunc('second', $6::timestamptz), ends_at),"
            " address = CASE WHEN $8::boolean THEN $7 ELSE address END,"
            " postal_code = CASE WHEN $10::boolean THEN $9 ELSE postal_code END,"
            " online_url = CASE WHEN $12::boolean THEN $11 ELSE online_url END,"
            " accessibility = CASE WHEN $14::boolean THEN $13 ELSE accessibility END,"
            " capacity = CASE WHEN $16::boolean THEN $15::integer ELSE capacity END,"
            " association_id = CASE WHEN $18::boolean THEN $17::uuid ELSE association_id END,"
            " internal_note = CASE WHEN $20::boolean THEN $19 ELSE internal_note END,"
            " cancelled = coalesce($21::boolean, cancelled),"
            " updated_at = now(), version = version + 1"
            " WHERE id = $1 AND ($22::integer IS NULL OR version = $22) RETURNING id",
            22);

enum db_qs
event_visible(const struct http_request *rq, const char *id)
{
	enum db_qs qs;
	PGresult *res = db_exec(rq->db, &stmt_visible, (const char *const[]){id}, &qs);

	if (res == NULL)
		return qs;
	PQclear(res);
	return qs > 0 ? DB_ONE_RESULT : DB_NO_RESULTS;
}

/* stmt_current locks the row, which needs the update policy (coordinators;
 * an association contact for its own activities): an event the caller
 * sees but may not change gets 403, one it does not see 404. */
static void
reply_cannot_change(struct http_request *rq, const char *id)
{
	enum db_qs qs = event_visible(rq, id);

	if (qs < 0)
		http_reply_db_error(rq, qs);
	else if (qs == DB_NO_RESULTS)
		event_reply_not_found(rq);
	else
		http_reply_problem(rq, ERR_FORBIDDEN,
		                   "Coordinators change events; an association contact only the "
		                   "activities of its own association.");
}

/* Checks of an event patch against the locked row cur (version, start and
 * end in epoch seconds, active sign-ups) and the centre's associations and
 * categories: who may move an event, the capacity, the times. Answers
 * nothing: returns the query status (below 0 a database error), with
 * *problem set (403, 409 or 422) when the patch is refused. */
static enum db_qs
check_event_patch(const struct http_request *rq, const PGresult *cur, const char *categories,
                  json_t **problem)
{
	const json_t *b = rq->body;
	const char *s_at = str_of(b, "starts_at"), *e_at = str_of(b, "ends_at");
	json_t *jcap = json_object_get(b, "capacity");
	long long start, end;
	enum db_qs qs;
	json_t *p;

	*problem = NULL;
	if (is_role(rq, ROLE_ASSOCIATION) && json_object_get(b, "association_id") != NULL) {
		*problem = event_field_problem(
		    rq, ERR_FORBIDDEN, NULL, "association_id", ERR_FIELD_NOT_IN_ENUM,
		    "only coordinators move an event to another association");
		return DB_ONE_RESULT;
	}
	if (json_is_integer(jcap) &&
	    json_integer_value(jcap) < atoll(row_value(cur, 0, "signup_count"))) {
		*problem = event_field_problem(
		    rq, ERR_CONFLICT, "More people are signed up than the new capacity.",
		    "capacity", ERR_FIELD_TOO_SMALL, "is below the number of active sign-ups");
		return DB_ONE_RESULT;
	}
	p = problem_new(ERR_VALIDATION_FAILED, NULL, rq->request_id);
	start = s_at ? rfc3339_seconds(s_at) : atoll(row_value(cur, 0, "starts_epoch"));
	end = e_at ? rfc3339_seconds(e_at) : atoll(row_value(cur, 0, "ends_epoch"));
	if (s_at != NULL || e_at != NULL)
		check_times(p, start, end, s_at != NULL);
	qs = event_check_references(rq, p, str_of(b, "association_id"), categories);
	if (qs >= 0 && problem_field_error_count(p) > 0)
		*problem = p;
	else
		json_decref(p);
	return qs < 0 ? qs : DB_ONE_RESULT;
}

/* Whether member key is in the body, as a statement parameter. */
static const char *
present(const json_t *b, const char *key)
{
	return json_object_get(b, key) ? "true" : "false";
}

/* Apply the checked merge patch of rq->body to event id (stmt_update; the
 * version named in If-Match when m is 1), and replace its categories when
 * given. Answers nothing: returns the query status (below 0 a database
 * error), with *problem (412) when the row has changed. */
static enum db_qs
apply_event_patch(const struct http_request *rq, const char *id, int m, long long want,
                  const char *categories, json_t **problem)
{
	const json_t *b = rq->body;
	json_t *jcan = json_object_get(b, "cancelled");
	const char *params[22];
	char version[24], capacity[24];
	enum db_qs qs;
	PGresult *res;

	params[0] = id;
	params[1] = str_of(b, "title");
	params[2] = str_of(b, "description");
	params[3] = present(b, "description");
	params[4] = str_of(b, "starts_at");
	params[5] = str_of(b, "ends_at");
	params[6] = str_of(b, "address");
	params[7] = present(b, "address");
	params[8] = str_of(b, "postal_code");
	params[9] = present(b, "postal_code");
	params[10] = str_of(b, "online_url");
	params[11] = present(b, "online_url");
	params[12] = str_of(b, "accessibility");
	params[13] = present(b, "accessibility");
	event_integer_param(b, "capacity", capacity, sizeof(capacity), &params[14]);
	params[15] = present(b, "capacity");
	params[16] = str_of(b, "association_id");
	params[17] = present(b, "association_id");
	params[18] = str_of(b, "internal_note");
	params[19] = present(b, "internal_note");
	params[20] = jcan ? (json_is_true(jcan) ? "true" : "false") : NULL;
	snprintf(version, sizeof(version), "%lld", want);
	params[21] = m == 1 ? version : NULL;
	*problem = NULL;
	res = db_exec(rq->db, &stmt_update, params, &qs);
	if (res == NULL)
		return qs;
	PQclear(res);
	if (qs == DB_NO_RESULTS) {
		*problem = problem_new(ERR_PRECONDITION_FAILED,
		                       "The event has changed since you read it; read it again.",
		                       rq->request_id);
		return qs;
	}
	if (categories == NULL)
		return qs;
	res = db_exec(rq->db, &stmt_clear_categories, (const char *const[]){id}, &qs);
	if (res == NULL)
		return qs;
	PQclear(res);
	return event_set_categories(rq, id, categories);
}

/* PATCH /v1/events/{id}: a merge patch honouring If-Match; cancelled: true
 * cancels this one occurrence (sign-ups are kept). */
static void
events_update(struct http_request *rq)
{
	const char *id = http_param(rq, "id");
	char *categories = event_uuid_array(json_object_get(rq->body, "category_ids"));
	long long want = 0;
	int m = http_if_match(rq, &want);
	enum db_qs qs;
	PGresult *cur = NULL;
	json_t *p;

	if (m < 0) {
		http_reply_problem(rq, ERR_PRECONDITION_FAILED,
		                   "If-Match is not a version of ours.");
		goto out;
	}
	cur = db_exec(rq->db, &stmt_current, (const char *const[]){id}, &qs);
	if (cur == NULL) {
		http_reply_db_error(rq, qs);
		goto out;
	}
	if (qs == DB_NO_RESULTS) {
		reply_cannot_change(rq, id);
		goto out;
	}
	if (m == 1 && want != atoll(row_value(cur, 0, "version"))) {
		http_reply_problem(rq, ERR_PRECONDITION_FAILED,
		                   "The event has changed since you read it; read it again.");
		goto out;
	}
	qs = check_event_patch(rq, cur, categories, &p);
	if (qs >= 0 && p == NULL)
		qs = apply_event_patch(rq, id, m, want, categories, &p);
	if (qs < 0 || p != NULL)
		http_reply_failure(rq, qs, p);
	else
		reply_event(rq, 200, id);
out:
	if (cur != NULL)
		PQclear(cur);
	free(categories);
}

/* The routes of single events, joined into the one table by api/routes.c
 * (after the listing's, api/handlers/event_lists.c). */
static const struct route routes[] = {
    {"POST", "/v1/events", events_create, DB | BODY, ROLE_COORDINATOR | ROLE_ASSOCIATION,
     events_create_spec, NULL, NULL},
    {"GET", "/v1/events/{id}", events_get, DB,
     ROLE_ADMIN | ROLE_COORDINATOR | ROLE_GUIDE | ROLE_ASSOCIATION, NULL, NULL, "id=event"},
    {"PATCH", "/v1/events/{id}", events_update, DB | BODY, ROLE_COORDINATOR | ROLE_ASSOCIATION,
     events_update_spec, NULL, "id=event"},
};

API_ROUTES(events_routes, routes);
