/* event_signups.c - who takes part in an event: POST
 * /v1/events/{id}/signups (capacity enforced under the event row's lock),
 * GET the list first come first, DELETE cancels one. Guides sign
 * themselves up (their volunteer record) for guide trainings and
 * information meetings, association contacts themselves for welcome
 * workshops and information meetings, coordinators anyone of the centre
 * for those kinds; activities take no sign-ups. The events: api/handlers/events.c. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/db.h"
#include "../../lib/http.h"
#include "../../lib/list.h"
#include "../../lib/problem.h"
#include "../../lib/row.h"
#include "../../lib/spec.h"
#include "../pipeline/auth.h"
#include "events.h"
#include "../routes.h"

static const struct spec_field event_signups_create_spec[] = {SPEC_UUID("volunteer_id", 0),
                                                              SPEC_UUID("account_id", 0), SPEC_END};

static const struct spec_field event_signups_list_query[] = {
    {.name = "include_cancelled", .type = SPEC_BOOLEAN},
    {.name = "limit", .type = SPEC_INTEGER, .min = 1, .max = 200},
    {.name = "cursor", .type = SPEC_STRING, .max = 80, .format = SPEC_FMT_KEYSET},
    SPEC_END};

/* --- sign-ups ---------------------------------------------------------------------- */

#define SIGNUP_COLUMNS                                                                             \
	"s.id, s.event_id, s.volunteer_id, s.account_id, coalesce(v.name, a.display_name) AS "     \
	"name,"                                                                                    \
	" " TS("s.created_at") " AS created_at, " TS(                                              \
	    "s.cancelled_at") " AS cancelled_at,"                                                  \
	                      " " TSUS("s.created_at") " AS cursor_time"
#define SIGNUP_JOINS                                                                               \
	" LEFT JOIN volunteer v ON v.id = s.volunteer_id LEFT JOIN account a ON a.id = "           \
	"s.account_id"

/* A sign-up's answer (SIGNUP_COLUMNS) in order. */
static const struct row_field signup_fields[] = {ROW_TEXT("id"),
                                                 ROW_TEXT("event_id"),
                                                 ROW_TEXT_OR_NULL("volunteer_id"),
                                                 ROW_TEXT_OR_NULL("account_id"),
                                                 ROW_TEXT_OR_NULL("name"),
                                                 ROW_TEXT("created_at"),
                                                 ROW_TEXT_OR_NULL("cancelled_at"),
                                                 ROW_END};

static json_t *
signup_json(const PGresult *res, int row)
{
	return row_json(res, row, signup_fields);
}

static struct db_stmt stmt_lock =
    DB_STMT("event_signups_lock",
            "SELECT kind, starts_at > now() AS upcoming, cancelled, capacity, signup_count"
            " FROM kompas_event_lock($1)",
            1);

static struct db_stmt stmt_own_volunteer = DB_STMT(
    "event_signups_own_volunteer",
    "SELECT id FROM volunteer WHERE account_id = kompas_account() AND centre_id = kompas_centre()",
    0);

static struct db_stmt stmt_volunteer_ok =
    DB_STMT("event_signups_volunteer_ok",
            "SELECT 1 FROM volunteer WHERE id = $1 AND centre_id = kompas_centre()", 1);

static struct db_stmt stmt_contact_ok = DB_STMT(
    "event_signups_contact_ok",
    "SELECT 1 FROM account WHERE id = $1 AND centre_id = kompas_centre() AND role = 'association'",
    1);

static struct db_stmt stmt_active =
    DB_STMT("event_signups_active",
            "SELECT 1 FROM event_signup WHERE event_id = $1 AND cancelled_at IS NULL"
            " AND (volunteer_id = $2 OR account_id = $3)",
            3);

static struct db_stmt stmt_signup_insert = DB_STMT(
    "event_signups_insert",
    "WITH s AS (INSERT INTO event_signup (event_id, centre_id, volunteer_id, account_id,"
    " created_by) VALUES ($1, kompas_centre(), $2, $3, $4) ON CONFLICT DO NOTHING RETURNING *)"
    " SELECT " SIGNUP_COLUMNS " FROM s" SIGNUP_JOINS,
    4);

/* Run a check statement. Answers nothing: returns DB_ONE_RESULT when it
 * finds a row (its column id copied to out, 37 bytes, when out is given),
 * DB_NO_RESULTS when not, below 0 a database error. */
static enum db_qs
exists(const struct http_request *rq, struct db_stmt *stmt, const char *const *params, char *out)
{
	enum db_qs qs;
	PGresult *res = db_exec(rq->db, stmt, params, &qs);

	if (res == NULL)
		return qs;
	if (out != NULL && qs > 0)
		snprintf(out, 37, "%s", row_value(res, 0, "id"));
	PQclear(res);
	return qs > 0 ? DB_ONE_RESULT : DB_NO_RESULTS;
}

/* Who a coordinator signs up: the volunteer or the association contact
 * the body names (into vol or acc). Answers nothing: as signup_person. */
static enum db_qs
named_person(const struct http_request *rq, char *vol, char *acc, json_t **problem)
{
	const char *v = str_of(rq->body, "volunteer_id"), *a = str_of(rq->body, "account_id");
	enum db_qs qs;

	if ((v == NULL) == (a == NULL)) {
		*problem = event_field_problem(rq, ERR_VALIDATION_FAILED, NULL,
		                               v ? "account_id" : "volunteer_id",
		                               v ? ERR_FIELD_UNKNOWN : ERR_FIELD_REQUIRED,
		                               "give either volunteer_id or account_id");
		return DB_ONE_RESULT;
	}
	qs = exists(rq, v ? &stmt_volunteer_ok : &stmt_contact_ok, (const char *const[]){v ? v : a},
	            NULL);
	if (qs == DB_NO_RESULTS)
		*problem =
		    event_field_problem(rq, ERR_VALIDATION_FAILED, NULL,
		                        v ? "volunteer_id" : "account_id", ERR_FIELD_NOT_IN_ENUM,
		                        v ? "no volunteer of your centre has this id"
		                          : "no association contact of your centre has this id");
	else if (qs > 0)
		snprintf(v ? vol : acc, 37, "%s", v ? v : a);
	return qs;
}

/* Who is signed up: the volunteer (vol) or the association contact's
 * account (acc), 37 bytes each, one left empty. Answers nothing: returns
 * the query status (below 0 a database error), with *problem set (403 or
 * 422) when the caller may not sign up whom the body names. */
static enum db_qs
signup_person(const struct http_request *rq, char *vol, char *acc, json_t **problem)
{
	const char *v = str_of(rq->body, "volunteer_id"), *a = str_of(rq->body, "account_id");
	enum db_qs qs;

	*problem = NULL;
	vol[0] = acc[0] = '\0';
	if (is_role(rq, ROLE_COORDINATOR))
		return named_person(rq, vol, acc, problem);
	if (v != NULL || a != NULL) {
		*problem =
		    event_field_problem(rq, ERR_FORBIDDEN, NULL, v ? "volunteer_id" : "account_id",
		                        ERR_FIELD_UNKNOWN, "you sign yourself up: send {}");
		return DB_ONE_RESULT;
	}
	if (is_role(rq, ROLE_ASSOCIATION)) {
		snprintf(acc, 37, "%s", rq->caller.account_id);
		return DB_ONE_RESULT;
	}
	qs = exists(rq, &stmt_own_volunteer, NULL, vol);
	if (qs == DB_NO_RESULTS)
		*problem = problem_new(ERR_FORBIDDEN,
		                       "Your account has no volunteer record: ask a coordinator.",
		                       rq->request_id);
	return qs;
}

/* The rules of a sign-up of the person (vol or acc, as signup_person set
 * them) for the locked event ev (id): who each kind is for, not cancelled,
 * not started, not signed up already, a place left. Answers nothing:
 * returns the query status (below 0 a database error), with *problem set
 * (409 or 422) when the sign-up is refused. */
static enum db_qs
signup_refusal(const struct http_request *rq, const PGresult *ev, const char *id, const char *vol,
               const char *acc, json_t **problem)
{
	const char *kind = row_value(ev, 0, "kind");
	bool for_volunteer = vol[0] != '\0';
	enum db_qs qs;

	*problem = NULL;
	if ((for_volunteer && strcmp(kind, "welcome_workshop") == 0) ||
	    (!for_volunteer && strcmp(kind, "guide_training") == 0)) {
		*problem = event_field_problem(
		    rq, ERR_VALIDATION_FAILED,
		    for_volunteer ? "Welcome workshops are for association contacts."
		                  : "Guide trainings are for volunteers.",
		    "$", ERR_FIELD_NOT_IN_ENUM,
		    for_volunteer ? "volunteers sign up for guide trainings and information "
		                    "meetings"
		                  : "association contacts sign up for welcome workshops and "
		                    "information meetings");
		return DB_ONE_RESULT;
	}
	if (row_value(ev, 0, "cancelled")[0] == 't') {
		*problem = problem_new(ERR_CONFLICT, "The event is cancelled.", rq->request_id);
		return DB_ONE_RESULT;
	}
	if (row_value(ev, 0, "upcoming")[0] != 't') {
		*problem =
		    problem_new(ERR_CONFLICT, "The event has already started.", rq->request_id);
		return DB_ONE_RESULT;
	}
	qs = exists(
	    rq, &stmt_active,
	    (const char *const[]){id, for_volunteer ? vol : NULL, for_volunteer ? NULL : acc},
	    NULL);
	if (qs == DB_ONE_RESULT)
		*problem =
		    event_field_problem(rq, ERR_CONFLICT, "Already signed up for this event.",
		                        for_volunteer ? "volunteer_id" : "account_id",
		                        ERR_FIELD_TAKEN, "is signed up already");
	else if (qs >= 0 && !row_is_null(ev, 0, "capacity") &&
	         atoll(row_value(ev, 0, "signup_count")) >= atoll(row_value(ev, 0, "capacity")))
		*problem = event_field_problem(rq, ERR_CONFLICT, "The event is full.", "capacity",
		                               ERR_FIELD_TAKEN, "every place is taken");
	return qs;
}

/* POST /v1/events/{id}/signups: capacity is enforced under the event
 * row's lock, so of two sign-ups for the last place exactly one wins. */
static void
event_signups_create(struct http_request *rq)
{
	const char *id = http_param(rq, "id");
	char vol[37], acc[37], location[120];
	enum db_qs qs;
	PGresult *ev, *res;
	bool for_volunteer;
	json_t *p;

	ev = db_exec(rq->db, &stmt_lock, (const char *const[]){id}, &qs);
	if (ev == NULL) {
		http_reply_db_error(rq, qs);
		return;
	}
	if (qs == DB_NO_RESULTS) {
		PQclear(ev);
		event_reply_not_found(rq);
		return;
	}
	if (strcmp(row_value(ev, 0, "kind"), "activity") == 0) {
		event_reply_field(
		    rq, ERR_VALIDATION_FAILED,
		    "Sign-ups are for guide trainings, welcome workshops and information "
		    "meetings, not activities.",
		    "$", ERR_FIELD_NOT_IN_ENUM, "this event takes no sign-ups");
		goto out;
	}
	qs = signup_person(rq, vol, acc, &p);
	if (qs >= 0 && p == NULL)
		qs = signup_refusal(rq, ev, id, vol, acc, &p);
	if (qs < 0 || p != NULL) {
		http_reply_failure(rq, qs, p);
		goto out;
	}
	for_volunteer = vol[0] != '\0';
	res = db_exec(rq->db, &stmt_signup_insert,
	              (const char *const[]){id, for_volunteer ? vol : NULL,
	                                    for_volunteer ? NULL : acc, rq->caller.account_id},
	              &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		goto out;
	}
	if (qs == DB_NO_RESULTS) {
		PQclear(res);
		event_reply_field(rq, ERR_CONFLICT, "Already signed up for this event.",
		                  for_volunteer ? "volunteer_id" : "account_id", ERR_FIELD_TAKEN,
		                  "is signed up already");
		goto out;
	}
	snprintf(location, sizeof(location), "/v1/events/%s/signups/%s", id,
	         row_value(res, 0, "id"));
	http_reply_json(rq, 201, signup_json(res, 0));
	http_set_header(rq, "Location", location);
	PQclear(res);
out:
	PQclear(ev);
}

static struct db_stmt stmt_signup_cancel =
    DB_STMT("event_signups_cancel",
            "UPDATE event_signup SET cancelled_at = coalesce(cancelled_at, now())"
            " WHERE id = $2 AND event_id = $1 RETURNING id",
            2);

/* DELETE /v1/events/{id}/signups/{signup_id}: cancel a sign-up (one's own,
 * or for coordinators any of the centre); the place is free again. */
static void
event_signups_cancel(struct http_request *rq)
{
	const char *id = http_param(rq, "id"), *sid = http_param(rq, "signup_id");
	enum db_qs qs;
	PGresult *res;

	res = db_exec(rq->db, &stmt_signup_cancel, (const char *const[]){id, sid}, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return;
	}
	PQclear(res);
	if (qs == DB_NO_RESULTS) {
		http_reply_problem(rq, ERR_NOT_FOUND, "No sign-up of this event has this id.");
		return;
	}
	http_reply_data(rq, 204, NULL, "", 0, false);
}

static struct db_stmt stmt_signups_list =
    DB_STMT("event_signups_list",
            "SELECT " SIGNUP_COLUMNS " FROM event_signup s" SIGNUP_JOINS
            " WHERE s.event_id = $1 AND ($2::boolean OR s.cancelled_at IS NULL)"
            " AND ($3::text IS NULL OR (s.created_at, s.id) > (split_part($3, '_', 1)::timestamptz,"
            "      split_part($3, '_', 2)::uuid))"
            " ORDER BY s.created_at, s.id LIMIT $4",
            4);

static const struct list_param signups_list_params[] = {LIST_PATH("id"),
                                                        LIST_QUERY_OR("include_cancelled", "false"),
                                                        LIST_QUERY("cursor"), LIST_FETCH, LIST_END};

static const struct keyset_list signups_list_decl = {.stmt = &stmt_signups_list,
                                                     .query = event_signups_list_query,
                                                     .params = signups_list_params,
                                                     .fields = signup_fields,
                                                     .path = "/v1/events/{id}/signups"};

/* GET /v1/events/{id}/signups: who is signed up, first come first; 404
 * when the caller does not see the event. */
static void
event_signups_list(struct http_request *rq)
{
	enum db_qs qs = event_visible(rq, http_param(rq, "id"));

	if (qs < 0) {
		http_reply_db_error(rq, qs);
		return;
	}
	if (qs == DB_NO_RESULTS) {
		event_reply_not_found(rq);
		return;
	}
	keyset_list_run(rq, &signups_list_decl);
}

/* The routes of sign-ups, joined into the one table by api/routes.c. */
static const struct route routes[] = {
    {"GET", "/v1/events/{id}/signups", event_signups_list, DB, ROLE_COORDINATOR, NULL,
     event_signups_list_query, "id=event"},
    {"POST", "/v1/events/{id}/signups", event_signups_create, DB | BODY,
     ROLE_COORDINATOR | ROLE_GUIDE | ROLE_ASSOCIATION, event_signups_create_spec, NULL, "id=event"},
    {"DELETE", "/v1/events/{id}/signups/{signup_id}", event_signups_cancel, DB,
     ROLE_COORDINATOR | ROLE_GUIDE | ROLE_ASSOCIATION, NULL, NULL,
     "id=event signup_id=event_signup"},
};

API_ROUTES(event_signups_routes, routes);
