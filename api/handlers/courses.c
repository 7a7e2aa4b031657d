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

#include "../../lib/crypto.h"
#include "../../lib/db.h"
#include "../../lib/http.h"
#include "../../lib/list.h"
#include "../../lib/log.h"
#include "../../lib/problem.h"
#include "../../lib/row.h"
#include "../../lib/spec.h"
#include "../access_log.h"
#include "../app.h"
#include "../routes.h"
#include "../pipeline/auth.h"
#include "request_states.h"
#include "requests.h"
#include "../sealed.h"
#include "../sql_format.h"

/* The columns of a course, named for course_fields (lib/row.h). A statement
 * that orders by a column also named here qualifies it (course.created_at),
 * or the order would be the formatted text's. */
/* clang-format off */
#define COURSE_COLUMNS                                                                             \
	"id, centre_id, request_id, volunteer_id, association_id, event_id, planned_visits,"       \
	" " DAY("planned_end") " AS planned_end, state, " DAY("started_on") " AS started_on,"      \
	" " DAY("ended_on") " AS ended_on, outcome, " DAY("follow_up_due") " AS follow_up_due,"    \
	" " DAY("follow_up_on") " AS follow_up_on, follow_up_result,"                              \
	" " DAY("last_visit_on") " AS last_visit_on, " TS("created_at") " AS created_at,"          \
	" " TS("updated_at") " AS updated_at, version,"                                            \
	" (SELECT count(*) FROM visit v WHERE v.course_id = course.id) AS visits_recorded,"        \
	" (SELECT count(*) FROM visit v WHERE v.course_id = course.id AND v.citizen_came)"         \
	"   AS visits_citizen_came,"                                                               \
	" " TSUS("created_at") " AS cursor_time, " DAY("current_date") " AS today,"                \
	" " DAY("next_visit_on") " AS next_visit_on"
/* clang-format on */

/* A course's answer, in this order; allowed_transitions (computed) comes
 * between the two. */
static const struct row_field course_fields[] = {ROW_TEXT("id"),
                                                 ROW_TEXT("centre_id"),
                                                 ROW_TEXT("request_id"),
                                                 ROW_TEXT("volunteer_id"),
                                                 ROW_TEXT_OR_NULL("association_id"),
                                                 ROW_TEXT_OR_NULL("event_id"),
                                                 ROW_INTEGER("planned_visits"),
                                                 ROW_TEXT("planned_end"),
                                                 ROW_TEXT("state"),
                                                 ROW_TEXT_OR_NULL("started_on"),
                                                 ROW_TEXT_OR_NULL("ended_on"),
                                                 ROW_TEXT_OR_NULL("outcome"),
                                                 ROW_TEXT_OR_NULL("follow_up_due"),
                                                 ROW_TEXT_OR_NULL("follow_up_on"),
                                                 ROW_TEXT_OR_NULL("follow_up_result"),
                                                 ROW_TEXT_OR_NULL("last_visit_on"),
                                                 ROW_TEXT_OR_NULL("next_visit_on"),
                                                 ROW_INTEGER("visits_recorded"),
                                                 ROW_INTEGER("visits_citizen_came"),
                                                 ROW_END};
static const struct row_field course_times[] = {ROW_TEXT("created_at"), ROW_TEXT("updated_at"),
                                                ROW_END};

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

static const struct spec_field courses_create_spec[] = {
    {.name = "planned_visits", .type = SPEC_INTEGER, .min = 1, .max = 20},
    SPEC_DATE("planned_end", SPEC_REQUIRED),
    SPEC_UUID("association_id", SPEC_NULLABLE),
    SPEC_UUID("event_id", SPEC_NULLABLE),
    SPEC_END};

static const struct spec_field courses_update_spec[] = {
    {.name = "planned_visits", .type = SPEC_INTEGER, .min = 1, .max = 20},
    SPEC_DATE("planned_end", 0),
    SPEC_DATE("next_visit_on", SPEC_NULLABLE),
    SPEC_UUID("association_id", SPEC_NULLABLE),
    SPEC_UUID("event_id", SPEC_NULLABLE),
    SPEC_END};

static const struct spec_field courses_transition_spec[] = {
    SPEC_ENUM("to", SPEC_REQUIRED, course_states), SPEC_ENUM("outcome", 0, outcomes),
    SPEC_DATE("on", 0), SPEC_END};

static const struct spec_field courses_visit_spec[] = {
    SPEC_DATE("visited_on", SPEC_REQUIRED),
    SPEC_UUID("event_id", SPEC_NULLABLE),
    SPEC_UUID("association_id", SPEC_NULLABLE),
    {.name = "citizen_came", .type = SPEC_BOOLEAN, .flags = SPEC_REQUIRED},
    {.name = "guide_went", .type = SPEC_BOOLEAN, .flags = SPEC_REQUIRED},
    {.name = "minutes", .type = SPEC_INTEGER, .flags = SPEC_REQUIRED, .min = 0, .max = 600},
    SPEC_MULTILINE_TEXT("note", SPEC_NULLABLE, 1, 2000),
    SPEC_END};

static const struct spec_field courses_follow_up_spec[] = {
    SPEC_ENUM("result", SPEC_REQUIRED, follow_up_results), SPEC_DATE("on", SPEC_REQUIRED),
    SPEC_END};

static const struct spec_field courses_list_query[] = {
    SPEC_ENUM("state", 0, course_states),
    SPEC_UUID("volunteer_id", 0),
    SPEC_DATE("follow_up_due_before", 0),
    SPEC_DATE("no_visit_since", 0),
    {.name = "limit", .type = SPEC_INTEGER, .min = 1, .max = 200},
    {.name = "cursor", .type = SPEC_STRING, .max = 80, .format = SPEC_FMT_KEYSET},
    SPEC_END};

/* -------------------------------------------------------------- helpers */

static const char *
str_of(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static struct db_stmt stmt_refs_visible =
    DB_STMT("courses_refs_visible",
            "SELECT $1::uuid IS NULL OR EXISTS (SELECT 1 FROM association a WHERE a.id = $1::uuid"
            "   AND a.centre_id = kompas_centre()) AS association_ok,"
            " $2::uuid IS NULL OR EXISTS (SELECT 1 FROM event e WHERE e.id = $2::uuid"
            "   AND e.centre_id = kompas_centre()) AS event_ok",
            2);

/* Are the association and event (either may be NULL) of the caller's
 * centre? Returns the query status; *problem is NULL, or a 422 naming each
 * one that is not (the caller answers). */
static enum db_qs
refs_visible(const struct http_request *rq, const char *association, const char *event,
             json_t **problem)
{
	enum db_qs qs;
	PGresult *res =
	    db_exec(rq->db, &stmt_refs_visible, (const char *const[]){association, event}, &qs);
	json_t *p;

	*problem = NULL;
	if (res == NULL)
		return qs;
	p = problem_new(ERR_VALIDATION_FAILED, NULL, rq->request_id);
	if (row_value(res, 0, "association_ok")[0] != 't')
		problem_add_field_error(p, "association_id", ERR_FIELD_NOT_IN_ENUM,
		                        "must be an association of the centre");
	if (row_value(res, 0, "event_ok")[0] != 't')
		problem_add_field_error(p, "event_id", ERR_FIELD_NOT_IN_ENUM,
		                        "must be an event of the centre");
	PQclear(res);
	if (problem_field_error_count(p) > 0)
		*problem = p;
	else
		json_decref(p);
	return qs;
}

/* One course row (COURSE_COLUMNS) as JSON, without its visits. */
static json_t *
course_json(const PGresult *res, int row)
{
	json_t *j = row_json(res, row, course_fields);

	json_object_set_new(j, "allowed_transitions",
	                    course_steps_from(row_value(res, row, "state")));
	return row_json_add(j, res, row, course_times);
}

static struct db_stmt stmt_get =
    DB_STMT("courses_get", "SELECT " COURSE_COLUMNS " FROM course WHERE id = $1", 1);
static struct db_stmt stmt_get_locked = DB_STMT(
    "courses_get_locked", "SELECT " COURSE_COLUMNS " FROM course WHERE id = $1 FOR UPDATE", 1);

/* The course with this id visible to the caller into *row (NULL when the
 * id is not a UUID or no such course is visible). Returns the query status
 * (http_fetch_row); answers nothing. */
static enum db_qs
course_fetch(const struct http_request *rq, const char *id, bool for_update, PGresult **row)
{
	return http_fetch_row(rq, for_update ? &stmt_get_locked : &stmt_get, id, row);
}

static struct db_stmt stmt_visits =
    DB_STMT("courses_visits",
            "SELECT id, " DAY(
                "visited_on") " AS visited_on, event_id, association_id, citizen_came,"
                              " guide_went, minutes, note_sealed, recorded_by_role, " TS(
                                  "created_at") " AS created_at"
                                                " FROM visit WHERE course_id = $1 ORDER BY "
                                                "visit.visited_on, visit.created_at, visit.id",
            1);

/* A visit's answer; its note (opened) comes between the two. */
static const struct row_field visit_fields[] = {ROW_TEXT("id"),
                                                ROW_TEXT("visited_on"),
                                                ROW_TEXT_OR_NULL("event_id"),
                                                ROW_TEXT_OR_NULL("association_id"),
                                                ROW_BOOLEAN("citizen_came"),
                                                ROW_BOOLEAN("guide_went"),
                                                ROW_INTEGER("minutes"),
                                                ROW_END};
static const struct row_field visit_tail[] = {ROW_TEXT("recorded_by_role"), ROW_TEXT("created_at"),
                                              ROW_END};

static void
seal_place(char *out, size_t outlen, const char *visit_id)
{
	snprintf(out, outlen, "visit/%s/note", visit_id);
}

/* The visits of a course as JSON into *items, notes opened; *notes counts
 * the notes. Returns the query status; answers nothing. A note that does
 * not open is logged and makes *problem a 500 (status DB_HARD_ERROR). */
static enum db_qs
visits_json(const struct http_request *rq, const char *course_id, int *notes, json_t **items,
            json_t **problem)
{
	enum db_qs qs;
	PGresult *res = db_exec(rq->db, &stmt_visits, (const char *const[]){course_id}, &qs);

	*notes = 0;
	*items = NULL;
	*problem = NULL;
	if (res == NULL)
		return qs;
	*items = json_array();
	for (int i = 0; i < PQntuples(res); i++) {
		const char *id = row_value(res, i, "id");
		json_t *note, *visit;
		char place[96];

		seal_place(place, sizeof(place), id);
		note = sealed_json(res, i, "note_sealed", place);
		if (note == NULL) {
			log_msg(LOG_ERROR,
			        "visit %s: the sealed note failed authentication (tampered, "
			        "moved, or sealed with an unknown key)",
			        id);
			json_decref(*items);
			*items = NULL;
			PQclear(res);
			*problem = problem_new(ERR_INTERNAL,
			                       "A visit note cannot be decrypted; the "
			                       "incident is logged.",
			                       rq->request_id);
			return DB_HARD_ERROR;
		}
		if (!json_is_null(note))
			(*notes)++;
		visit = row_json(res, i, visit_fields);
		json_object_set_new(visit, "note", note);
		json_array_append_new(*items, row_json_add(visit, res, i, visit_tail));
	}
	PQclear(res);
	return qs;
}

/* Answer `status` with the course as it is now, its visits and their notes
 * included (the last step of every handler that changes a course, and of
 * courses_get). When a note is shown, or `wrote_note` says the change wrote
 * one, the access is logged as `action` with `purpose`. */
static void
reply_course(struct http_request *rq, const char *id, unsigned status, const char *action,
             const char *purpose, bool wrote_note, bool location)
{
	PGresult *res;
	json_t *body, *visits, *problem;
	char path[64];
	int notes;
	enum db_qs qs = course_fetch(rq, id, false, &res);

	if (res == NULL) {
		http_reply_fetch_failure(rq, qs, "course");
		return;
	}
	qs = visits_json(rq, id, &notes, &visits, &problem);
	if (visits == NULL) {
		http_reply_failure(rq, qs, problem);
		goto out;
	}
	body = course_json(res, 0);
	json_object_set_new(body, "visits", visits);
	if (notes > 0 || wrote_note) {
		qs = access_log_write(rq, action, row_value(res, 0, "request_id"), NULL, purpose);
		if (qs < 0) {
			json_decref(body);
			http_reply_db_error(rq, qs);
			goto out;
		}
	}
	http_reply_json(rq, status, body);
	http_set_etag(rq, row_value(res, 0, "version"));
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
	PGresult *row, *res;
	const char *state, *params[5];
	char visits[24], id[37];
	json_t *p;
	enum db_qs qs = request_fetch(rq, http_param(rq, "id"), true, &row);

	if (row == NULL) {
		http_reply_fetch_failure(rq, qs, "request");
		return;
	}
	if (!http_version_ok(rq, row_value(row, 0, "version"))) {
		http_reply_stale(rq, "request");
		goto out;
	}
	state = row_value(row, 0, "state");
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
	qs = refs_visible(rq, str_of(b, "association_id"), str_of(b, "event_id"), &p);
	if (qs < 0 || p != NULL) {
		http_reply_failure(rq, qs, p);
		goto out;
	}
	params[0] = row_value(row, 0, "id");
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
	snprintf(id, sizeof(id), "%s", row_value(res, 0, "id"));
	PQclear(res);
	qs = request_move(rq, row, "course_started", NULL, NULL, NULL);
	if (qs < 0) {
		http_reply_db_error(rq, qs);
		goto out;
	}
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
            " ORDER BY course.created_at, course.id LIMIT $6",
            6);

static const struct list_param courses_list_params[] = {LIST_QUERY("state"),
                                                        LIST_QUERY("volunteer_id"),
                                                        LIST_QUERY("follow_up_due_before"),
                                                        LIST_QUERY("no_visit_since"),
                                                        LIST_QUERY("cursor"),
                                                        LIST_FETCH,
                                                        LIST_END};

static const struct keyset_list courses_list_decl = {.stmt = &stmt_list,
                                                     .query = courses_list_query,
                                                     .params = courses_list_params,
                                                     .row_json = course_json,
                                                     .path = "/v1/courses"};

/* GET /v1/courses: the centre's courses (a guide's own), oldest first,
 * keyset paged; no visits and no personal data. */
static void
courses_list(struct http_request *rq)
{
	keyset_list_run(rq, &courses_list_decl);
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
	PGresult *row, *res;
	const char *params[9];
	char visits[24], id[37];
	json_t *p;
	enum db_qs qs;

	qs = course_fetch(rq, http_param(rq, "id"), true, &row);
	if (row == NULL) {
		http_reply_fetch_failure(rq, qs, "course");
		return;
	}
	snprintf(id, sizeof(id), "%s", row_value(row, 0, "id"));
	if (!http_version_ok(rq, row_value(row, 0, "version"))) {
		http_reply_stale(rq, "course");
		goto out;
	}
	if (course_is_over(row_value(row, 0, "state"))) {
		p = problem_new(ERR_CONFLICT, "An ended course cannot be changed.", rq->request_id);
		json_object_set_new(p, "state", json_string(row_value(row, 0, "state")));
		http_reply_problem_json(rq, p);
		goto out;
	}
	qs = refs_visible(rq, str_of(b, "association_id"), str_of(b, "event_id"), &p);
	if (qs < 0 || p != NULL) {
		http_reply_failure(rq, qs, p);
		goto out;
	}
	if (str_of(b, "next_visit_on") != NULL &&
	    strcmp(str_of(b, "next_visit_on"), row_value(row, 0, "today")) < 0) {
		http_reply_field_error(rq, ERR_VALIDATION_FAILED, "next_visit_on",
		                       ERR_FIELD_TOO_SMALL, "must not be in the past");
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

/* A 422 problem naming `field` when date is after today or before
 * `earliest` (either may be NULL), else NULL. Dates are YYYY-MM-DD, so they
 * compare as strings. Answers nothing. */
static json_t *
date_out_of_range(const struct http_request *rq, const char *field, const char *date,
                  const char *earliest, const char *today)
{
	char msg[96];
	json_t *p;

	if (today != NULL && strcmp(date, today) > 0) {
		p = problem_new(ERR_VALIDATION_FAILED, NULL, rq->request_id);
		problem_add_field_error(p, field, ERR_FIELD_TOO_LARGE, "must not be in the future");
		return p;
	}
	if (earliest != NULL && strcmp(date, earliest) < 0) {
		snprintf(msg, sizeof(msg), "must not be before %s", earliest);
		p = problem_new(ERR_VALIDATION_FAILED, NULL, rq->request_id);
		problem_add_field_error(p, field, ERR_FIELD_TOO_SMALL, msg);
		return p;
	}
	return NULL;
}

/* POST /v1/courses/{id}/transitions {to, outcome?, on?}: one step of the
 * course; 409 with the allowed steps when illegal. */
static void
courses_transition(struct http_request *rq)
{
	const char *to = str_of(rq->body, "to");
	const char *outcome = str_of(rq->body, "outcome");
	const char *on = str_of(rq->body, "on");
	PGresult *row, *res;
	const char *from, *started;
	bool ending;
	char id[37], purpose[64];
	json_t *p;
	enum db_qs qs;

	qs = course_fetch(rq, http_param(rq, "id"), true, &row);
	if (row == NULL) {
		http_reply_fetch_failure(rq, qs, "course");
		return;
	}
	snprintf(id, sizeof(id), "%s", row_value(row, 0, "id"));
	from = row_value(row, 0, "state");
	if (!http_version_ok(rq, row_value(row, 0, "version"))) {
		http_reply_stale(rq, "course");
		goto out;
	}
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
		http_reply_field_error(rq, ERR_VALIDATION_FAILED, "outcome",
		                       outcome ? ERR_FIELD_UNKNOWN : ERR_FIELD_REQUIRED,
		                       outcome
		                           ? "only completing or ending a course takes an outcome"
		                           : "completing or ending a course needs its outcome");
		goto out;
	}
	if (on == NULL)
		on = row_value(row, 0, "today");
	started = row_text(row, 0, "started_on");
	p = date_out_of_range(rq, "on", on, ending ? started : NULL, row_value(row, 0, "today"));
	if (p != NULL) {
		http_reply_problem_json(rq, p);
		goto out;
	}
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
	PGresult *row, *res;
	const char *event, *association, *note = str_of(b, "note"), *state, *params[10];
	char id[37], visit_id[37], minutes[24], place[96];
	char *note_param = NULL;
	json_t *p;
	enum db_qs qs;

	qs = course_fetch(rq, http_param(rq, "id"), true, &row);
	if (row == NULL) {
		http_reply_fetch_failure(rq, qs, "course");
		return;
	}
	snprintf(id, sizeof(id), "%s", row_value(row, 0, "id"));
	state = row_value(row, 0, "state");
	if (!http_version_ok(rq, row_value(row, 0, "version"))) {
		http_reply_stale(rq, "course");
		goto out;
	}
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
		event = row_text(row, 0, "event_id");
		association = row_text(row, 0, "association_id");
	}
	if (event == NULL && association == NULL) {
		http_reply_field_error(
		    rq, ERR_VALIDATION_FAILED, "event_id", ERR_FIELD_REQUIRED,
		    "name the event or the association visited (the course names neither)");
		goto out;
	}
	p = date_out_of_range(rq, "visited_on", str_of(b, "visited_on"), NULL,
	                      row_value(row, 0, "today"));
	if (p == NULL)
		qs = refs_visible(rq, association, event, &p);
	if (qs < 0 || p != NULL) {
		http_reply_failure(rq, qs, p);
		goto out;
	}
	crypto_uuid_v4(visit_id);
	if (note != NULL) {
		seal_place(place, sizeof(place), visit_id);
		note_param = sealed_param(place, note, strlen(note));
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
	params[8] = note_param;
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
	free(note_param);
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
	PGresult *row, *res;
	char id[37];
	json_t *p;
	enum db_qs qs;

	qs = course_fetch(rq, http_param(rq, "id"), true, &row);
	if (row == NULL) {
		http_reply_fetch_failure(rq, qs, "course");
		return;
	}
	snprintf(id, sizeof(id), "%s", row_value(row, 0, "id"));
	state = row_value(row, 0, "state");
	if (!http_version_ok(rq, row_value(row, 0, "version"))) {
		http_reply_stale(rq, "course");
		goto out;
	}
	if (!course_is_over(state) || !row_is_null(row, 0, "follow_up_on")) {
		p = problem_new(ERR_CONFLICT,
		                course_is_over(state)
		                    ? "The follow-up of this course is recorded already."
		                    : "A follow-up is recorded after the course has ended.",
		                rq->request_id);
		json_object_set_new(p, "state", json_string(state));
		http_reply_problem_json(rq, p);
		goto out;
	}
	p = date_out_of_range(rq, "on", on, row_value(row, 0, "ended_on"),
	                      row_value(row, 0, "today"));
	if (p != NULL) {
		http_reply_problem_json(rq, p);
		goto out;
	}
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
