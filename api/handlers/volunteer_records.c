/* volunteer_records.c - what is kept about a volunteer over time: the
 * status history (GET /v1/volunteers/{id}/history, written by
 * api/handlers/volunteers.c with each change of status), completed training modules
 * and record checks (the facts, never the document), added and removed by
 * coordinators. */
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
#include "../routes.h"
#include "volunteers.h"
#include "../sql_format.h"

static const char *const modules[] = {
    "intro", "conversation", "accompaniment", "first_aid_mental_health", "data_protection", NULL};
static const char *const check_kinds[] = {"child_protection", "criminal_record", NULL};
static const char *const check_outcomes[] = {"clear", "remarks", NULL};

static const struct spec_field volunteers_history_query[] = {
    {.name = "limit", .type = SPEC_INTEGER, .min = 1, .max = 200},
    {.name = "cursor", .type = SPEC_INTEGER, .min = 1, .max = 9007199254740991LL},
    SPEC_END};

static const struct spec_field volunteers_training_spec[] = {
    SPEC_ENUM("module", SPEC_REQUIRED, modules), SPEC_DATE("completed_on", SPEC_REQUIRED),
    SPEC_DATE("expires_on", SPEC_NULLABLE), SPEC_END};

static const struct spec_field volunteers_record_check_spec[] = {
    SPEC_ENUM("kind", SPEC_REQUIRED, check_kinds), SPEC_DATE("checked_on", SPEC_REQUIRED),
    SPEC_ENUM("outcome", SPEC_REQUIRED, check_outcomes), SPEC_DATE("valid_until", SPEC_REQUIRED),
    SPEC_END};

/* --- history ---------------------------------------------------------------------------- */

static struct db_stmt stmt_exists =
    DB_STMT("volunteers_exists", "SELECT 1 FROM volunteer WHERE id = $1", 1);

static struct db_stmt stmt_history =
    DB_STMT("volunteers_history",
            "SELECT id, from_status, to_status, reason, " TS(
                "changed_at") " AS changed_at,"
                              " changed_by FROM volunteer_status_change WHERE volunteer_id = $1"
                              " AND ($2::bigint IS NULL OR id > $2) ORDER BY id LIMIT $3",
            3);

/* A status change in answer order. */
static const struct row_field change_fields[] = {
    ROW_TEXT_OR_NULL("from_status"), ROW_TEXT("to_status"),          ROW_TEXT_OR_NULL("reason"),
    ROW_TEXT("changed_at"),          ROW_TEXT_OR_NULL("changed_by"), ROW_END};

static const struct list_param history_params[] = {LIST_PATH("id"), LIST_QUERY("cursor"),
                                                   LIST_FETCH, LIST_END};

/* The cursor is the last change's id. */
static const struct keyset_list history_decl = {.stmt = &stmt_history,
                                                .query = volunteers_history_query,
                                                .params = history_params,
                                                .fields = change_fields,
                                                .cursor_column = "id",
                                                .path = "/v1/volunteers/{id}/history"};

/* GET /v1/volunteers/{id}/history: every status with its time, oldest
 * first, keyset paged; 404 for a volunteer the caller does not see. */
static void
volunteers_history(struct http_request *rq)
{
	PGresult *res;
	json_t *p;
	enum db_qs qs =
	    volunteer_run(rq, &stmt_exists, (const char *const[]){http_param(rq, "id")}, &res, &p);
	int n;

	if (res == NULL) {
		volunteer_reply_failure(rq, qs, p);
		return;
	}
	n = PQntuples(res);
	PQclear(res);
	if (n == 0) {
		volunteer_reply_not_found(rq);
		return;
	}
	keyset_list_run(rq, &history_decl);
}

/* --- trainings and record checks ---------------------------------------------------------- */

static struct db_stmt stmt_touch =
    DB_STMT("volunteers_touch",
            "UPDATE volunteer SET updated_at = now(), version = version + 1 WHERE id = $1", 1);

/* clang-format off */
static struct db_stmt stmt_training_add =
    DB_STMT("volunteers_training_add",
            "INSERT INTO volunteer_training (volunteer_id, centre_id, module, completed_on,"
            " expires_on, created_by) VALUES ($1, $2, $3, $4, $5, kompas_account())"
            " RETURNING id, module, " DAY("completed_on") " AS completed_on,"
            " " DAY("expires_on") " AS expires_on",
            5);
/* clang-format on */

/* A training as answered. */
static const struct row_field training_fields[] = {ROW_TEXT("id"), ROW_TEXT("module"),
                                                   ROW_TEXT("completed_on"),
                                                   ROW_TEXT_OR_NULL("expires_on"), ROW_END};

/* clang-format off */
static struct db_stmt stmt_check_add =
    DB_STMT("volunteers_check_add",
            "INSERT INTO volunteer_record_check (volunteer_id, centre_id, kind, checked_on,"
            " outcome, valid_until, created_by) VALUES ($1, $2, $3, $4, $5, $6, kompas_account())"
            " RETURNING id, kind, " DAY("checked_on") " AS checked_on, outcome,"
            " " DAY("valid_until") " AS valid_until",
            6);
/* clang-format on */

/* A record check as answered. */
static const struct row_field check_fields[] = {ROW_TEXT("id"),          ROW_TEXT("kind"),
                                                ROW_TEXT("checked_on"),  ROW_TEXT("outcome"),
                                                ROW_TEXT("valid_until"), ROW_END};

/* A dated fact's two dates: first not after today, second after first
 * (dates compare as text in YYYY-MM-DD). Answers nothing: returns the 422
 * problem (the handler answers it), or NULL when they are right. */
static json_t *
check_dates(const struct http_request *rq, const char *today, const char *first_name,
            const char *first, const char *second_name, const char *second)
{
	json_t *p = problem_new(ERR_VALIDATION_FAILED, NULL, rq->request_id);
	char message[80];

	if (strcmp(first, today) > 0)
		problem_add_field_error(p, first_name, ERR_FIELD_TOO_LARGE,
		                        "must not be in the future");
	if (second != NULL && strcmp(second, first) <= 0) {
		snprintf(message, sizeof(message), "must be after %s", first_name);
		problem_add_field_error(p, second_name, ERR_FIELD_TOO_SMALL, message);
	}
	if (problem_field_error_count(p) > 0)
		return p;
	json_decref(p);
	return NULL;
}

static void
reply_created(struct http_request *rq, json_t *body, const char *volunteer, const char *kind,
              const char *id)
{
	char location[128];

	snprintf(location, sizeof(location), "/v1/volunteers/%s/%s/%s", volunteer, kind, id);
	http_reply_json(rq, 201, body);
	http_set_header(rq, "Location", location);
}

/* A dated record a volunteer gets by POST: its insert (the volunteer's id
 * and centre, then the body's fields in order), the two dates checked
 * against today, and its answer. */
struct dated_record {
	struct db_stmt *insert;
	const char *fields[4];    /* the body fields after id and centre, NULL-ended */
	const char *from, *until; /* the date and the date it runs out */
	const struct row_field *answer;
	const char *kind; /* the Location's segment */
};

/* Record one dated record r for the locked volunteer and answer 201. */
static void
add_dated_record(struct http_request *rq, const struct dated_record *r)
{
	const json_t *b = rq->body;
	PGresult *lock, *res = NULL;
	struct current cur;
	const char *params[6];
	json_t *p;
	enum db_qs qs = volunteer_lock(rq, &lock, &p);

	if (lock == NULL)
		goto fail;
	volunteer_current_of(lock, &cur);
	p = check_dates(rq, cur.today, r->from, str_of(b, r->from), r->until, str_of(b, r->until));
	if (p != NULL)
		goto fail;
	params[0] = cur.id;
	params[1] = cur.centre;
	for (int f = 0; f < 4 && r->fields[f] != NULL; f++)
		params[2 + f] = str_of(b, r->fields[f]);
	qs = volunteer_run(rq, r->insert, params, &res, &p);
	if (qs >= 0)
		qs = volunteer_run_ok(rq, &stmt_touch, (const char *const[]){cur.id}, &p);
	if (qs < 0)
		goto fail;
	reply_created(rq, row_json(res, 0, r->answer), cur.id, r->kind, row_value(res, 0, "id"));
	goto out;
fail:
	volunteer_reply_failure(rq, qs, p);
out:
	PQclear(res);
	PQclear(lock);
}

/* POST /v1/volunteers/{id}/trainings: record a completed module. */
static void
volunteers_add_training(struct http_request *rq)
{
	static const struct dated_record training = {
	    &stmt_training_add, {"module", "completed_on", "expires_on", NULL},
	    "completed_on",     "expires_on",
	    training_fields,    "trainings"};

	add_dated_record(rq, &training);
}

/* POST /v1/volunteers/{id}/record-checks: record a record check (the
 * facts, never the document). */
static void
volunteers_add_record_check(struct http_request *rq)
{
	static const struct dated_record check = {
	    &stmt_check_add, {"kind", "checked_on", "outcome", "valid_until"},
	    "checked_on",    "valid_until",
	    check_fields,    "record-checks"};

	add_dated_record(rq, &check);
}

static struct db_stmt stmt_training_delete =
    DB_STMT("volunteers_training_delete",
            "DELETE FROM volunteer_training WHERE id = $2 AND volunteer_id = $1 RETURNING id", 2);

static struct db_stmt stmt_check_delete = DB_STMT(
    "volunteers_check_delete",
    "DELETE FROM volunteer_record_check WHERE id = $2 AND volunteer_id = $1 RETURNING id", 2);

/* Delete a training or record check of the volunteer in the path; 204. */
static void
delete_child(struct http_request *rq, struct db_stmt *stmt, const char *param, const char *what)
{
	const char *child = http_param(rq, param);
	PGresult *lock, *res;
	char detail[80];
	json_t *p;
	enum db_qs qs;
	int n;

	snprintf(detail, sizeof(detail), "The volunteer has no %s with this id.", what);
	qs = volunteer_lock(rq, &lock, &p);
	if (lock == NULL) {
		volunteer_reply_failure(rq, qs, p);
		return;
	}
	if (!spec_format_ok(SPEC_FMT_UUID, child)) {
		http_reply_problem(rq, ERR_NOT_FOUND, detail);
		goto out;
	}
	qs = volunteer_run(rq, stmt, (const char *const[]){row_value(lock, 0, "id"), child}, &res,
	                   &p);
	if (res == NULL) {
		volunteer_reply_failure(rq, qs, p);
		goto out;
	}
	n = PQntuples(res);
	PQclear(res);
	if (n == 0) {
		http_reply_problem(rq, ERR_NOT_FOUND, detail);
		goto out;
	}
	qs = volunteer_run_ok(rq, &stmt_touch, (const char *const[]){row_value(lock, 0, "id")}, &p);
	if (qs < 0)
		volunteer_reply_failure(rq, qs, p);
	else
		http_reply_data(rq, 204, NULL, "", 0, false);
out:
	PQclear(lock);
}

/* DELETE /v1/volunteers/{id}/trainings/{training_id} */
static void
volunteers_delete_training(struct http_request *rq)
{
	delete_child(rq, &stmt_training_delete, "training_id", "training");
}

/* DELETE /v1/volunteers/{id}/record-checks/{check_id} */
static void
volunteers_delete_record_check(struct http_request *rq)
{
	delete_child(rq, &stmt_check_delete, "check_id", "record check");
}

/* The routes of the history, trainings and record checks, joined into the
 * one table by api/routes.c. */
static const struct route routes[] = {
    {"GET", "/v1/volunteers/{id}/history", volunteers_history, DB,
     ROLE_ADMIN | ROLE_COORDINATOR | ROLE_GUIDE, NULL, volunteers_history_query, "id=volunteer"},
    {"POST", "/v1/volunteers/{id}/trainings", volunteers_add_training, DB | BODY, ROLE_COORDINATOR,
     volunteers_training_spec, NULL, "id=volunteer"},
    {"DELETE", "/v1/volunteers/{id}/trainings/{training_id}", volunteers_delete_training, DB,
     ROLE_COORDINATOR, NULL, NULL, "id=volunteer training_id=volunteer_training"},
    {"POST", "/v1/volunteers/{id}/record-checks", volunteers_add_record_check, DB | BODY,
     ROLE_COORDINATOR, volunteers_record_check_spec, NULL, "id=volunteer"},
    {"DELETE", "/v1/volunteers/{id}/record-checks/{check_id}", volunteers_delete_record_check, DB,
     ROLE_COORDINATOR, NULL, NULL, "id=volunteer check_id=volunteer_record_check"},
};

API_ROUTES(volunteer_records_routes, routes);
