/* courses.c - follow-along courses (følgeskab): made from a request whose
 * clarifying conversation is held, with the request's guide, a planned
 * number of visits and a planned end; visits with a sealed note; ending
 * with an outcome and a follow-up 90 days later.
 *
 * The course states, in one table (course_steps below):
 *
 *   planned -> active | ended_early
 *   active  -> completed | ended_early
 *
 * The first visit recorded on a planned course also makes it active.
 * Completing and ending early both need an outcome (any of the four: a
 * citizen who leaves a course early may already go on their own, have been
 * referred, or have stopped); both set ended_on and follow_up_due =
 * ended_on + 90 days. completed and ended_early are final.
 *
 * Visit notes may hold personal data: they are sealed bound to
 * visit/<id>/note, and every answer that opens them (or a change that
 * writes one) is written to the access log, with the course's request as
 * the subject. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/crypto.h"
#include "../lib/db.h"
#include "../lib/http.h"
#include "../lib/log.h"
#include "../lib/problem.h"
#include "../lib/spec.h"
#include "access_log.h"
#include "app.h"
#include "routes.h"
#include "auth.h"
#include "request_states.h"
#include "requests.h"

#define TS(col)   "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
#define DAY(col)  "to_char(" col ", 'YYYY-MM-DD')"
#define TSUS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

/* clang-format off */
#define COURSE_COLUMNS                                                                             \
	"id, centre_id, request_id, volunteer_id, association_id, event_id, planned_visits,"       \
	" " DAY("planned_end") ", state, " DAY("started_on") ", " DAY("ended_on") ", outcome,"     \
	" " DAY("follow_up_due") ", " DAY("follow_up_on") ", follow_up_result,"                    \
	" " DAY("last_visit_on") ", " TS("created_at") ", " TS("updated_at") ", version,"          \
	" (SELECT count(*) FROM visit v WHERE v.course_id = course.id),"                           \
	" (SELECT count(*) FROM visit v WHERE v.course_id = course.id AND v.citizen_came),"        \
	" " TSUS("created_at") ", " DAY("current_date") ", " DAY("next_visit_on")
/* clang-format on */
#define COL_ID          0
#define COL_REQUEST     2
#define COL_ASSOCIATION 4
#define COL_EVENT       5
#define COL_STATE       8
#define COL_STARTED     9
#define COL_ENDED       10
#define COL_FOLLOW_UP   13
#define COL_VERSION     18
#define COL_VISITS      19
#define COL_CAME        20
#define COL_CURSOR      21
#define COL_TODAY       22
#define COL_NEXT_VISIT  23

static const char *const course_states[] = {"planned", "active", "completed", "ended_early", NULL};
static const char *const outcomes[] = {"continues_on_own", "continues_with_support", "referred",
                                       "stopped", NULL};
static const char *const follow_up_results[] = {"still_taking_part", "not_taking_part", NULL};

static const struct {
	const char *from;
	const char *to;
} course_steps[] = {
    {"planned", "active"},
    {"planned", "ended_early"},
    {"active", "completed"},
    {"active", "ended_early"},
};

static bool
course_step_allowed(const char *from, const char *to)
{
	for (size_t i = 0; i < sizeof(course_steps) / sizeof(course_steps[0]); i++)
		if (strcmp(course_steps[i].from, from) == 0 && strcmp(course_steps[i].to, to) == 0)
			return true;
	return false;
}

static json_t *
course_steps_from(const char *from)
{
	json_t *a = json_array();

	for (const char *const *s = course_states; *s; s++)
		if (course_step_allowed(from, *s))
			json_array_append_new(a, json_string(*s));
	return a;
}

static bool
course_is_over(const char *state)
{
	return strcmp(state, "completed") == 0 || strcmp(state, "ended_early") == 0;
}

/* ---------------------------------------------------------------- specs */

#define UUID_FIELD(n)                                                                              \
	{                                                                                          \
		.name = n, .type = SPEC_STRING, .flags = SPEC_NULLABLE, .format = SPEC_FMT_UUID    \
	}

static const struct spec_field courses_create_spec[] = {
    {.name = "planned_visits", .type = SPEC_INTEGER, .min = 1, .max = 20},
    {.name = "planned_end", .type = SPEC_STRING, .flags = SPEC_REQUIRED, .format = SPEC_FMT_DATE},
    UUID_FIELD("association_id"),
    UUID_FIELD("event_id"),
    SPEC_END};

static const struct spec_field courses_update_spec[] = {
    {.name = "planned_visits", .type = SPEC_INTEGER, .min = 1, .max = 20},
    {.name = "planned_end", .type = SPEC_STRING, .format = SPEC_FMT_DATE},
    {.name = "next_visit_on", .type = SPEC_STRING, .flags = SPEC_NULLABLE, .format = SPEC_FMT_DATE},
    UUID_FIELD("association_id"),
    UUID_FIELD("event_id"),
    SPEC_END};

static const struct spec_field courses_transition_spec[] = {
    {.name = "to", .type = SPEC_STRING, .flags = SPEC_REQUIRED, .enum_values = course_states},
    {.name = "outcome", .type = SPEC_STRING, .enum_values = outcomes},
    {.name = "on", .type = SPEC_STRING, .format = SPEC_FMT_DATE},
    SPEC_END};

static const struct spec_field courses_visit_spec[] = {
    {.name = "visited_on", .type = SPEC_STRING, .flags = SPEC_REQUIRED, .format = SPEC_FMT_DATE},
    UUID_FIELD("event_id"),
    UUID_FIELD("association_id"),
    {.name = "citizen_came", .type = SPEC_BOOLEAN, .flags = SPEC_REQUIRED},
    {.name = "guide_went", .type = SPEC_BOOLEAN, .flags = SPEC_REQUIRED},
    {.name = "minutes", .type = SPEC_INTEGER, .flags = SPEC_REQUIRED, .min = 0, .max = 600},
    {.name = "note",
     .type = SPEC_STRING,
     .flags = SPEC_NULLABLE | SPEC_MULTILINE,
     .min = 1,
     .max = 2000},
    SPEC_END};

static const struct spec_field courses_follow_up_spec[] = {
    {.name = "result",
     .type = SPEC_STRING,
     .flags = SPEC_REQUIRED,
     .enum_values = follow_up_results},
    {.name = "on", .type = SPEC_STRING, .flags = SPEC_REQUIRED, .format = SPEC_FMT_DATE},
    SPEC_END};

static const struct spec_field courses_list_query[] = {
    {.name = "state", .type = SPEC_STRING, .enum_values = course_states},
    {.name = "volunteer_id", .type = SPEC_STRING, .format = SPEC_FMT_UUID},
    {.name = "follow_up_due_before", .type = SPEC_STRING, .format = SPEC_FMT_DATE},
    {.name = "no_visit_since", .type = SPEC_STRING, .format = SPEC_FMT_DATE},
    {.name = "limit", .type = SPEC_INTEGER, .min = 1, .max = 200},
    {.name = "cursor", .type = SPEC_STRING, .max = 80, .format = SPEC_FMT_KEYSET},
    SPEC_END};

/* -------------------------------------------------------------- helpers */

static const char *
str_of(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static void
reply_field(struct http_request *rq, enum err_code code, const char *detail, const char *field,
            enum err_code fcode, const char *msg)
{
	json_t *p = problem_new(code, detail, rq->request_id);

	problem_add_field_error(p, field, fcode, msg);
	http_reply_problem_json(rq, p);
}

static struct db_stmt stmt_refs_visible =
    DB_STMT("courses_refs_visible",
            "SELECT $1::uuid IS NULL OR EXISTS (SELECT 1 FROM association a WHERE a.id = $1::uuid"
            "   AND a.centre_id = kompas_centre()),"
            " $2::uuid IS NULL OR EXISTS (SELECT 1 FROM event e WHERE e.id = $2::uuid"
            "   AND e.centre_id = kompas_centre())",
            2);

/* Are the association and event (either may be NULL) of the caller's
 * centre? Answers 422 naming each one that is not, or the database error. */
static bool
refs_visible(struct http_request *rq, const char *association, const char *event)
{
	enum db_qs qs;
	PGresult *res =
	    db_exec(rq->db, &stmt_refs_visible, (const char *const[]){association, event}, &qs);
	json_t *p;

	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return false;
	}
	p = problem_new(ERR_VALIDATION_FAILED, NULL, rq->request_id);
	if (PQgetvalue(res, 0, 0)[0] != 't')
		problem_add_field_error(p, "association_id", ERR_FIELD_NOT_IN_ENUM,
		                        "must be an association of the centre");
	if (PQgetvalue(res, 0, 1)[0] != 't')
		problem_add_field_error(p, "event_id", ERR_FIELD_NOT_IN_ENUM,
		                        "must be an event of the centre");
	PQclear(res);
	if (problem_field_error_count(p) > 0) {
		http_reply_problem_json(rq, p);
		return false;
	}
	json_decref(p);
	return true;
}

static json_t *
int_of(const PGresult *res, int row, int col)
{
	return json_integer((json_int_t)atoll(PQgetvalue(res, row, col)));
}

/* One course row (COURSE_COLUMNS) as JSON, without its visits. */
static json_t *
course_json(const PGresult *res, int row)
{
	json_t *j = json_pack(
	    "{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:s, s:s, s:o, s:o}", "id",
	    PQgetvalue(res, row, 0), "centre_id", PQgetvalue(res, row, 1), "request_id",
	    PQgetvalue(res, row, 2), "volunteer_id", PQgetvalue(res, row, 3), "association_id",
	    db_json_text(res, row, 4), "event_id", db_json_text(res, row, 5), "planned_visits",
	    int_of(res, row, 6), "planned_end", PQgetvalue(res, row, 7), "state",
	    PQgetvalue(res, row, COL_STATE), "started_on", db_json_text(res, row, COL_STARTED),
	    "ended_on", db_json_text(res, row, COL_ENDED));

	json_object_set_new(j, "outcome", db_json_text(res, row, 11));
	json_object_set_new(j, "follow_up_due", db_json_text(res, row, 12));
	json_object_set_new(j, "follow_up_on", db_json_text(res, row, COL_FOLLOW_UP));
	json_object_set_new(j, "follow_up_result", db_json_text(res, row, 14));
	json_object_set_new(j, "last_visit_on", db_json_text(res, row, 15));
	json_object_set_new(j, "next_visit_on", db_json_text(res, row, COL_NEXT_VISIT));
	json_object_set_new(j, "visits_recorded", int_of(res, row, COL_VISITS));
	json_object_set_new(j, "visits_citizen_came", int_of(res, row, COL_CAME));
	json_object_set_new(j, "allowed_transitions",
	                    course_steps_from(PQgetvalue(res, row, COL_STATE)));
	json_object_set_new(j, "created_at", json_string(PQgetvalue(res, row, 16)));
	json_object_set_new(j, "updated_at", json_string(PQgetvalue(res, row, 17)));
	return j;
}

static struct db_stmt stmt_get =
    DB_STMT("courses_get", "SELECT " COURSE_COLUMNS " FROM course WHERE id = $1", 1);
static struct db_stmt stmt_get_locked = DB_STMT(
    "courses_get_locked", "SELECT " COURSE_COLUMNS " FROM course WHERE id = $1 FOR UPDATE", 1);

/* The course with this id visible to the caller, or NULL after answering
 * 404 or the database error. */
static PGresult *
course_fetch(struct http_request *rq, const char *id, bool for_update)
{
	return http_fetch_by_id(rq, for_update ? &stmt_get_locked : &stmt_get, id, "course");
}

static struct db_stmt stmt_visits =
    DB_STMT("courses_visits",
            "SELECT id, " DAY("visited_on") ", event_id, association_id, citizen_came, guide_went,"
                                            " minutes, note_sealed, recorded_by_role, " TS(
                                                "created_at") " FROM visit WHERE course_id = $1 "
                                                              "ORDER BY visited_on, created_at, id",
            1);

static void
seal_place(char *out, size_t outlen, const char *visit_id)
{
	snprintf(out, outlen, "visit/%s/note", visit_id);
}

/* The visits of a course as JSON, notes opened; *notes counts the notes.
 * NULL after answering (a note that does not open: 500, logged). */
static json_t *
visits_json(struct http_request *rq, const char *course_id, int *notes)
{
	enum db_qs qs;
	PGresult *res = db_exec(rq->db, &stmt_visits, (const char *const[]){course_id}, &qs);
	json_t *items;

	*notes = 0;
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return NULL;
	}
	items = json_array();
	for (int i = 0; i < PQntuples(res); i++) {
		const char *id = PQgetvalue(res, i, 0);
		json_t *note = json_null();
		size_t len = 0, plen = 0;
		unsigned char *sealed = db_bytea_value(res, i, 7, &len);

		if (sealed != NULL) {
			char place[96];
			unsigned char *plain;

			seal_place(place, sizeof(place), id);
			plain = crypto_open(app.keys, place, sealed, len, &plen);
			free(sealed);
			if (plain == NULL) {
				log_msg(
				    LOG_ERROR,
				    "visit %s: the sealed note failed authentication (tampered, "
				    "moved, or sealed with an unknown key)",
				    id);
				json_decref(items);
				PQclear(res);
				http_reply_problem(
				    rq, ERR_INTERNAL,
				    "A visit note cannot be decrypted; the incident is "
				    "logged.");
				return NULL;
			}
			note = json_stringn((const char *)plain, plen);
			sodium_memzero(plain, plen);
			free(plain);
			(*notes)++;
		}
		json_array_append_new(
		    items,
		    json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:s}", "id", id,
		              "visited_on", PQgetvalue(res, i, 1), "event_id",
		              db_json_text(res, i, 2), "association_id", db_json_text(res, i, 3),
		              "citizen_came", db_json_bool(res, i, 4), "guide_went",
		              db_json_bool(res, i, 5), "minutes", int_of(res, i, 6), "note",
		              note ? note : json_null(), "recorded_by_role", PQgetvalue(res, i, 8),
		              "created_at", PQgetvalue(res, i, 9)));
	}
	PQclear(res);
	return items;
}

/* Answer `status` with the course as it is now, its visits and their notes
 * included. When a note is shown, or `wrote_note` says the change wrote
 * one, the access is logged as `action` with `purpose`. */
static void
reply_course(struct http_request *rq, const char *id, unsigned status, const char *action,
             const char *purpose, bool wrote_note, bool location)
{
	PGresult *res = course_fetch(rq, id, false);
	json_t *body, *visits;
	char path[64];
	int notes;
	enum db_qs qs;

	if (res == NULL)
		return;
	visits = visits_json(rq, id, &notes);
	if (visits == NULL)
		goto out;
	body = course_json(res, 0);
	json_object_set_new(body, "visits", visits);
	if (notes > 0 || wrote_note) {
		qs = access_log_write(rq, action, PQgetvalue(res, 0, COL_REQUEST), NULL, purpose);
		if (qs < 0) {
			json_decref(body);
			http_reply_db_error(rq, qs);
			goto out;
		}
	}
	http_reply_json(rq, status, body);
	http_set_etag(rq, PQgetvalue(res, 0, COL_VERSION));
	if (location) {
		snprintf(path, sizeof(path), "/v1/courses/%s", id);
		http_set_header(rq, "Location", path);
	}
out:
	PQclear(res);
}

/* ------------------------------------------------------------- creating */

static struct db_stmt stmt_insert =
    DB_STMT("courses_insert",
            "INSERT INTO course (centre_id, request_id, volunteer_id, association_id, event_id,"
            " planned_visits, planned_end)"
            " SELECT kompas_centre(), r.id, r.assigned_volunteer_id, $2, $3,"
            " coalesce($4::integer, (SELECT c.default_planned_visits FROM centre c"
            "   WHERE c.id = kompas_centre())), $5::date"
            " FROM request r WHERE r.id = $1 AND r.assigned_volunteer_id IS NOT NULL"
            " ON CONFLICT (request_id) DO NOTHING RETURNING id",
            5);

/* POST /v1/requests/{id}/courses: a course for a request whose clarifying
 * conversation is held; the request moves to course_started in the same
 * transaction. 409 when the request is elsewhere in its workflow. */
static void
courses_create(struct http_request *rq)
{
	const json_t *b = rq->body;
	PGresult *row = request_fetch(rq, http_param(rq, "id"), true), *res;
	const char *state, *params[5];
	char visits[24], id[37];
	json_t *p;
	enum db_qs qs;

	if (row == NULL)
		return;
	if (!http_version_matches(rq, PQgetvalue(row, 0, REQUEST_COL_VERSION), "request"))
		goto out;
	state = PQgetvalue(row, 0, REQUEST_COL_STATE);
	if (!request_transition_allowed(state, "course_started")) {
		p = problem_new(ERR_CONFLICT,
		                strcmp(state, "course_started") == 0
		                    ? "The request has a course already."
		                    : "A course is made for a request whose conversation is held.",
		                rq->request_id);
		json_object_set_new(p, "state", json_string(state));
		problem_add_field_error(p, "$", ERR_FIELD_NOT_IN_ENUM,
		                        "the request must be in state conversation_held");
		http_reply_problem_json(rq, p);
		goto out;
	}
	if (!refs_visible(rq, str_of(b, "association_id"), str_of(b, "event_id")))
		goto out;
	params[0] = PQgetvalue(row, 0, 0);
	params[1] = str_of(b, "association_id");
	params[2] = str_of(b, "event_id");
	params[3] = NULL;
	if (json_object_get(b, "planned_visits")) {
		snprintf(visits, sizeof(visits), "%lld",
		         (long long)json_integer_value(json_object_get(b, "planned_visits")));
		params[3] = visits;
	}
	params[4] = str_of(b, "planned_end");
	res = db_exec(rq->db, &stmt_insert, params, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		goto out;
	}
	if (qs == DB_NO_RESULTS) {
		PQclear(res);
		p = problem_new(ERR_CONFLICT,
		                "The request has no assigned guide, or has a course already.",
		                rq->request_id);
		json_object_set_new(p, "state", json_string(state));
		problem_add_field_error(p, "$", ERR_FIELD_TAKEN,
		                        "a course needs the request's guide, and is made once");
		http_reply_problem_json(rq, p);
		goto out;
	}
	snprintf(id, sizeof(id), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	if (!request_move(rq, row, "course_started", NULL, NULL, NULL))
		goto out;
	reply_course(rq, id, 201, "create", "a course was made", false, true);
out:
	PQclear(row);
}

/* -------------------------------------------------------------- reading */

static struct db_stmt stmt_list =
    DB_STMT("courses_list",
            "SELECT " COURSE_COLUMNS " FROM course WHERE centre_id = kompas_centre()"
            " AND ($1::text IS NULL OR state = $1)"
            " AND ($2::uuid IS NULL OR volunteer_id = $2::uuid)"
            " AND ($3::date IS NULL OR (follow_up_due < $3::date AND follow_up_on IS NULL))"
            " AND ($4::date IS NULL OR (state IN ('planned', 'active')"
            "      AND coalesce(last_visit_on, started_on, created_at::date) < $4::date))"
            " AND ($5::text IS NULL OR (created_at, id) > (split_part($5, '_', 1)::timestamptz,"
            "      split_part($5, '_', 2)::uuid))"
            " ORDER BY created_at, id LIMIT $6",
            6);

/* GET /v1/courses: the centre's courses (a guide's own), oldest first,
 * keyset paged; no visits and no personal data. */
static void
courses_list(struct http_request *rq)
{
	const json_t *q = rq->query;
	long long limit = http_query_limit(rq, 50);
	const char *params[6];
	char fetch[24];
	enum db_qs qs;
	PGresult *res;

	snprintf(fetch, sizeof(fetch), "%lld", limit + 1);
	params[0] = str_of(q, "state");
	params[1] = str_of(q, "volunteer_id");
	params[2] = str_of(q, "follow_up_due_before");
	params[3] = str_of(q, "no_visit_since");
	params[4] = str_of(q, "cursor");
	params[5] = fetch;
	res = db_exec(rq->db, &stmt_list, params, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return;
	}
	http_reply_keyset_list(rq, res, limit, course_json, COL_CURSOR, COL_ID, "/v1/courses");
}

/* GET /v1/courses/{id}: the course with its visits; notes shown are
 * logged as a read. */
static void
courses_get(struct http_request *rq)
{
	reply_course(rq, http_param(rq, "id"), 200, "read",
	             rq->caller.role == ROLE_GUIDE
	                 ? "the guide read the course and its visit notes"
	                 : "a coordinator read the course and its visit notes",
	             false, false);
}

/* ------------------------------------------------------------- changing */

static struct db_stmt stmt_update =
    DB_STMT("courses_update",
            "UPDATE course SET planned_visits = coalesce($2::integer, planned_visits),"
            " planned_end = coalesce($3::date, planned_end),"
            " association_id = CASE WHEN $5::boolean THEN $4::uuid ELSE association_id END,"
            " event_id = CASE WHEN $7::boolean THEN $6::uuid ELSE event_id END,"
            " next_visit_on = CASE WHEN $9::boolean THEN $8::date ELSE next_visit_on END,"
            " updated_at = now(), version = version + 1 WHERE id = $1",
            9);

/* PATCH /v1/courses/{id}: merge patch of the plan (planned_visits,
 * planned_end, association_id, event_id, next_visit_on) while the course
 * runs. The next visit is today or later (the guide is reminded by e-mail
 * the day before). */
static void
courses_update(struct http_request *rq)
{
	const json_t *b = rq->body;
	PGresult *row = course_fetch(rq, http_param(rq, "id"), true), *res;
	const char *params[9];
	char visits[24], id[37];
	json_t *p;
	enum db_qs qs;

	if (row == NULL)
		return;
	snprintf(id, sizeof(id), "%s", PQgetvalue(row, 0, COL_ID));
	if (!http_version_matches(rq, PQgetvalue(row, 0, COL_VERSION), "course"))
		goto out;
	if (course_is_over(PQgetvalue(row, 0, COL_STATE))) {
		p = problem_new(ERR_CONFLICT, "An ended course cannot be changed.", rq->request_id);
		json_object_set_new(p, "state", json_string(PQgetvalue(row, 0, COL_STATE)));
		http_reply_problem_json(rq, p);
		goto out;
	}
	if (!refs_visible(rq, str_of(b, "association_id"), str_of(b, "event_id")))
		goto out;
	if (str_of(b, "next_visit_on") != NULL &&
	    strcmp(str_of(b, "next_visit_on"), PQgetvalue(row, 0, COL_TODAY)) < 0) {
		reply_field(rq, ERR_VALIDATION_FAILED, NULL, "next_visit_on", ERR_FIELD_TOO_SMALL,
		            "must not be in the past");
		goto out;
	}
	params[0] = id;
	params[1] = NULL;
	if (json_object_get(b, "planned_visits")) {
		snprintf(visits, sizeof(visits), "%lld",
		         (long long)json_integer_value(json_object_get(b, "planned_visits")));
		params[1] = visits;
	}
	params[2] = str_of(b, "planned_end");
	params[3] = str_of(b, "association_id");
	params[4] = json_object_get(b, "association_id") ? "true" : "false";
	params[5] = str_of(b, "event_id");
	params[6] = json_object_get(b, "event_id") ? "true" : "false";
	params[7] = str_of(b, "next_visit_on");
	params[8] = json_object_get(b, "next_visit_on") ? "true" : "false";
	res = db_exec(rq->db, &stmt_update, params, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		goto out;
	}
	PQclear(res);
	reply_course(rq, id, 200, "read", "the course plan was changed", false, false);
out:
	PQclear(row);
}

static struct db_stmt stmt_move = DB_STMT(
    "courses_move",
    "UPDATE course SET state = $2,"
    " started_on = CASE WHEN $2 = 'active' THEN $4::date ELSE started_on END,"
    " ended_on = CASE WHEN $2 IN ('completed', 'ended_early') THEN $4::date ELSE ended_on END,"
    " follow_up_due = CASE WHEN $2 IN ('completed', 'ended_early') THEN $4::date + 90"
    "   ELSE follow_up_due END,"
    " outcome = coalesce($3, outcome), updated_at = now(), version = version + 1"
    " WHERE id = $1",
    4);

/* 422 naming `field` when date is after today or before `earliest` (either
 * may be NULL). Dates are YYYY-MM-DD, so they compare as strings. */
static bool
date_in_range(struct http_request *rq, const char *field, const char *date, const char *earliest,
              const char *today)
{
	char msg[96];

	if (today != NULL && strcmp(date, today) > 0) {
		reply_field(rq, ERR_VALIDATION_FAILED, NULL, field, ERR_FIELD_TOO_LARGE,
		            "must not be in the future");
		return false;
	}
	if (earliest != NULL && strcmp(date, earliest) < 0) {
		snprintf(msg, sizeof(msg), "must not be before %s", earliest);
		reply_field(rq, ERR_VALIDATION_FAILED, NULL, field, ERR_FIELD_TOO_SMALL, msg);
		return false;
	}
	return true;
}

/* POST /v1/courses/{id}/transitions {to, outcome?, on?}: one step of the
 * course; 409 with the allowed steps when illegal. */
static void
courses_transition(struct http_request *rq)
{
	const char *to = str_of(rq->body, "to");
	const char *outcome = str_of(rq->body, "outcome");
	const char *on = str_of(rq->body, "on");
	PGresult *row = course_fetch(rq, http_param(rq, "id"), true), *res;
	const char *from, *started;
	bool ending;
	char id[37], purpose[64];
	json_t *p;
	enum db_qs qs;

	if (row == NULL)
		return;
	snprintf(id, sizeof(id), "%s", PQgetvalue(row, 0, COL_ID));
	from = PQgetvalue(row, 0, COL_STATE);
	if (!http_version_matches(rq, PQgetvalue(row, 0, COL_VERSION), "course"))
		goto out;
	if (!course_step_allowed(from, to)) {
		p = problem_new(ERR_CONFLICT, NULL, rq->request_id);
		json_object_set_new(
		    p, "detail", json_sprintf("A course in state %s cannot go to %s.", from, to));
		json_object_set_new(p, "state", json_string(from));
		json_object_set_new(p, "allowed", course_steps_from(from));
		problem_add_field_error(p, "to", ERR_FIELD_NOT_IN_ENUM,
		                        "is not reachable from the current state");
		http_reply_problem_json(rq, p);
		goto out;
	}
	ending = course_is_over(to);
	if (ending != (outcome != NULL)) {
		reply_field(rq, ERR_VALIDATION_FAILED, NULL, "outcome",
		            outcome ? ERR_FIELD_UNKNOWN : ERR_FIELD_REQUIRED,
		            outcome ? "only completing or ending a course takes an outcome"
		                    : "completing or ending a course needs its outcome");
		goto out;
	}
	if (on == NULL)
		on = PQgetvalue(row, 0, COL_TODAY);
	started = PQgetisnull(row, 0, COL_STARTED) ? NULL : PQgetvalue(row, 0, COL_STARTED);
	if (!date_in_range(rq, "on", on, ending ? started : NULL, PQgetvalue(row, 0, COL_TODAY)))
		goto out;
	res = db_exec(rq->db, &stmt_move, (const char *const[]){id, to, outcome, on}, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		goto out;
	}
	PQclear(res);
	snprintf(purpose, sizeof(purpose), "the course moved to %s", to);
	reply_course(rq, id, 200, "read", purpose, false, false);
out:
	PQclear(row);
}

static struct db_stmt stmt_visit_insert =
    DB_STMT("courses_visit_insert",
            "INSERT INTO visit (id, course_id, centre_id, visited_on, event_id, association_id,"
            " citizen_came, guide_went, minutes, note_sealed, recorded_by_role)"
            " VALUES ($1, $2, kompas_centre(), $3, $4, $5, $6, $7, $8, $9::bytea, $10)",
            10);

static struct db_stmt stmt_visit_course =
    DB_STMT("courses_visit_course",
            "UPDATE course SET last_visit_on = greatest(last_visit_on, $2::date),"
            " next_visit_on = CASE WHEN next_visit_on <= $2::date THEN NULL ELSE next_visit_on END,"
            " started_on = CASE WHEN state = 'planned' THEN $2::date ELSE started_on END,"
            " state = CASE WHEN state = 'planned' THEN 'active' ELSE state END,"
            " updated_at = now(), version = version + 1 WHERE id = $1",
            2);

/* POST /v1/courses/{id}/visits: record a visit (the first one also starts
 * a planned course). When the body names neither an event nor an
 * association, the course's are taken; one of them is needed. The note is sealed and its writing
 * logged. */
static void
courses_add_visit(struct http_request *rq)
{
	const json_t *b = rq->body;
	PGresult *row = course_fetch(rq, http_param(rq, "id"), true), *res;
	const char *event, *association, *note = str_of(b, "note"), *state, *params[10];
	char id[37], visit_id[37], minutes[24], place[96];
	char *sealed_param = NULL;
	json_t *p;
	enum db_qs qs;

	if (row == NULL)
		return;
	snprintf(id, sizeof(id), "%s", PQgetvalue(row, 0, COL_ID));
	state = PQgetvalue(row, 0, COL_STATE);
	if (!http_version_matches(rq, PQgetvalue(row, 0, COL_VERSION), "course"))
		goto out;
	if (course_is_over(state)) {
		p = problem_new(ERR_CONFLICT, "The course has ended; no visits can be added.",
		                rq->request_id);
		json_object_set_new(p, "state", json_string(state));
		http_reply_problem_json(rq, p);
		goto out;
	}
	event = str_of(b, "event_id");
	association = str_of(b, "association_id");
	if (event == NULL && association == NULL) {
		/* the visit went where the course aims */
		event = PQgetisnull(row, 0, COL_EVENT) ? NULL : PQgetvalue(row, 0, COL_EVENT);
		association = PQgetisnull(row, 0, COL_ASSOCIATION)
		                  ? NULL
		                  : PQgetvalue(row, 0, COL_ASSOCIATION);
	}
	if (event == NULL && association == NULL) {
		reply_field(rq, ERR_VALIDATION_FAILED, NULL, "event_id", ERR_FIELD_REQUIRED,
		            "name the event or the association visited (the course names neither)");
		goto out;
	}
	if (!date_in_range(rq, "visited_on", str_of(b, "visited_on"), NULL,
	                   PQgetvalue(row, 0, COL_TODAY)) ||
	    !refs_visible(rq, association, event))
		goto out;
	crypto_uuid_v4(visit_id);
	if (note != NULL) {
		size_t len;
		unsigned char *sealed;

		seal_place(place, sizeof(place), visit_id);
		sealed = crypto_seal(app.keys, place, note, strlen(note), &len);
		sealed_param = db_bytea_param(sealed, len);
		free(sealed);
	}
	snprintf(minutes, sizeof(minutes), "%lld",
	         (long long)json_integer_value(json_object_get(b, "minutes")));
	params[0] = visit_id;
	params[1] = id;
	params[2] = str_of(b, "visited_on");
	params[3] = event;
	params[4] = association;
	params[5] = json_is_true(json_object_get(b, "citizen_came")) ? "true" : "false";
	params[6] = json_is_true(json_object_get(b, "guide_went")) ? "true" : "false";
	params[7] = minutes;
	params[8] = sealed_param;
	params[9] = rq->caller.role == ROLE_GUIDE ? "guide" : "coordinator";
	res = db_exec(rq->db, &stmt_visit_insert, params, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		goto out;
	}
	PQclear(res);
	res = db_exec(rq->db, &stmt_visit_course,
	              (const char *const[]){id, str_of(b, "visited_on")}, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		goto out;
	}
	PQclear(res);
	reply_course(rq, id, 201, note ? "create" : "read",
	             note ? "a visit was recorded with a note" : "a visit was recorded",
	             note != NULL, true);
out:
	free(sealed_param);
	PQclear(row);
}

static struct db_stmt stmt_follow_up =
    DB_STMT("courses_follow_up",
            "UPDATE course SET follow_up_on = $2::date, follow_up_result = $3,"
            " updated_at = now(), version = version + 1 WHERE id = $1",
            3);

/* POST /v1/courses/{id}/follow-up {result, on}: the follow-up of an ended
 * course, once. */
static void
courses_follow_up(struct http_request *rq)
{
	const char *result = str_of(rq->body, "result"), *on = str_of(rq->body, "on"), *state;
	PGresult *row = course_fetch(rq, http_param(rq, "id"), true), *res;
	char id[37];
	json_t *p;
	enum db_qs qs;

	if (row == NULL)
		return;
	snprintf(id, sizeof(id), "%s", PQgetvalue(row, 0, COL_ID));
	state = PQgetvalue(row, 0, COL_STATE);
	if (!http_version_matches(rq, PQgetvalue(row, 0, COL_VERSION), "course"))
		goto out;
	if (!course_is_over(state) || !PQgetisnull(row, 0, COL_FOLLOW_UP)) {
		p = problem_new(ERR_CONFLICT,
		                course_is_over(state)
		                    ? "The follow-up of this course is recorded already."
		                    : "A follow-up is recorded after the course has ended.",
		                rq->request_id);
		json_object_set_new(p, "state", json_string(state));
		http_reply_problem_json(rq, p);
		goto out;
	}
	if (!date_in_range(rq, "on", on, PQgetvalue(row, 0, COL_ENDED),
	                   PQgetvalue(row, 0, COL_TODAY)))
		goto out;
	res = db_exec(rq->db, &stmt_follow_up, (const char *const[]){id, on, result}, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		goto out;
	}
	PQclear(res);
	reply_course(rq, id, 200, "read", "the course's follow-up was recorded", false, false);
out:
	PQclear(row);
}

/* The routes of this resource, joined into the one table by api/routes.c. */
static const struct route routes[] = {
    /* courses, referrals, measurements */
    {"GET", "/v1/courses", courses_list, DB, ROLE_COORDINATOR | ROLE_GUIDE, NULL,
     courses_list_query, NULL},
    {"GET", "/v1/courses/{id}", courses_get, DB, ROLE_COORDINATOR | ROLE_GUIDE, NULL, NULL,
     "id=course"},
    {"PATCH", "/v1/courses/{id}", courses_update, DB | BODY, ROLE_COORDINATOR, courses_update_spec,
     NULL, "id=course"},
    {"POST", "/v1/courses/{id}/transitions", courses_transition, DB | BODY,
     ROLE_COORDINATOR | ROLE_GUIDE, courses_transition_spec, NULL, "id=course"},
    {"POST", "/v1/courses/{id}/visits", courses_add_visit, DB | BODY, ROLE_COORDINATOR | ROLE_GUIDE,
     courses_visit_spec, NULL, "id=course"},
    {"POST", "/v1/courses/{id}/follow-up", courses_follow_up, DB | BODY,
     ROLE_COORDINATOR | ROLE_GUIDE, courses_follow_up_spec, NULL, "id=course"},
    {"POST", "/v1/requests/{id}/courses", courses_create, DB | BODY, ROLE_COORDINATOR,
     courses_create_spec, NULL, "id=request"},
};

API_ROUTES(courses_routes, routes);
