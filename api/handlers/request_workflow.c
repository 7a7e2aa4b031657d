/* request_workflow.c - moving a request through its states (with reasons,
 * assignment and history) and recording consent. The states and their
 * transitions are in request_states.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/db.h"
#include "../../lib/http.h"
#include "../../lib/problem.h"
#include "../../lib/row.h"
#include "../../lib/spec.h"
#include "../access_log.h"
#include "../app.h"
#include "../routes.h"
#include "../pipeline/auth.h"
#include "request_states.h"
#include "requests.h"
#include "../sql_format.h"

static const struct spec_field requests_transition_spec[] = {
    SPEC_ENUM("to", SPEC_REQUIRED, request_state_names),
    SPEC_ENUM("reason", 0, request_close_reasons), SPEC_UUID("volunteer_id", 0),
    SPEC_MULTILINE_TEXT("note", 0, 1, 500), SPEC_END};

static const struct spec_field requests_consents_spec[] = {{.name = "consents",
                                                            .type = SPEC_ARRAY,
                                                            .flags = SPEC_REQUIRED,
                                                            .min = 1,
                                                            .max = 8,
                                                            .items = &request_consent_item},
                                                           SPEC_END};

static struct db_stmt stmt_volunteer_active =
    DB_STMT("workflow_volunteer_active",
            "SELECT status = 'active' AS active FROM volunteer WHERE id = $1"
            " AND centre_id = kompas_centre()",
            1);

/* A 422 problem with one field error. */
static json_t *
field_problem(const struct http_request *rq, const char *field, enum err_code fcode,
              const char *message)
{
	json_t *p = problem_new(ERR_VALIDATION_FAILED, NULL, rq->request_id);

	problem_add_field_error(p, field, fcode, message);
	return p;
}

/* Is the volunteer an active guide of the caller's centre? Answers
 * nothing: returns the query status, with *problem (422) when not. */
static enum db_qs
volunteer_assignable(struct http_request *rq, const char *volunteer, json_t **problem)
{
	enum db_qs qs;
	PGresult *res =
	    db_exec(rq->db, &stmt_volunteer_active, (const char *const[]){volunteer}, &qs);
	bool ok;

	if (res == NULL)
		return qs;
	ok = qs == DB_ONE_RESULT && row_value(res, 0, "active")[0] == 't';
	PQclear(res);
	if (!ok)
		*problem = field_problem(rq, "volunteer_id", ERR_FIELD_NOT_IN_ENUM,
		                         "must be an active volunteer of the centre");
	return qs;
}

/* The problem (409) of a step the state machine does not allow. */
static json_t *
step_not_allowed(const struct http_request *rq, const char *from, const char *to)
{
	json_t *p = problem_new(ERR_CONFLICT, NULL, rq->request_id);

	json_object_set_new(p, "detail",
	                    json_sprintf("A request in state %s cannot go to %s.", from, to));
	json_object_set_new(p, "state", json_string(from));
	json_object_set_new(p, "allowed", request_transitions_from(from));
	problem_add_field_error(p, "to", ERR_FIELD_NOT_IN_ENUM,
	                        "is not reachable from the current state");
	return p;
}

/* Check the requested step against the state machine and its rules.
 * Answers nothing: returns the query status, with *problem set (caller
 * answers it) when the step is refused. */
static enum db_qs
step_check(struct http_request *rq, const char *from, const char *to, const char *reason,
           const char *volunteer, json_t **problem)
{
	*problem = NULL;
	if (!request_transition_allowed(from, to)) {
		*problem = step_not_allowed(rq, from, to);
	} else if (request_state_needs_reason(to) != (reason != NULL)) {
		*problem =
		    field_problem(rq, "reason", reason ? ERR_FIELD_UNKNOWN : ERR_FIELD_REQUIRED,
		                  reason ? "only closing, declining and withdrawing take a reason"
		                         : "closing, declining and withdrawing need a reason");
	} else if ((strcmp(to, "guide_assigned") == 0) != (volunteer != NULL)) {
		*problem = field_problem(rq, "volunteer_id",
		                         volunteer ? ERR_FIELD_UNKNOWN : ERR_FIELD_REQUIRED,
		                         volunteer ? "only assigning a guide takes a volunteer"
		                                   : "assigning a guide needs the volunteer");
	} else if (rq->caller.role == ROLE_GUIDE && strcmp(to, "contacted") != 0 &&
	           strcmp(to, "conversation_held") != 0) {
		/* Guides record their own contact and conversation; the rest is
		 * the coordinator's. */
		*problem = problem_new(
		    ERR_FORBIDDEN, "Guides record contact and conversations; ask the coordinator.",
		    rq->request_id);
	} else if (volunteer != NULL) {
		return volunteer_assignable(rq, volunteer, problem);
	}
	return DB_ONE_RESULT;
}

static struct db_stmt stmt_move =
    DB_STMT("workflow_move",
            "UPDATE request SET state = $2, close_reason = $3,"
            " closed_at = CASE WHEN $3::text IS NULL THEN NULL ELSE now() END,"
            " first_contact_at = CASE WHEN $2 = 'contacted' THEN coalesce(first_contact_at, now())"
            "   ELSE first_contact_at END,"
            " assigned_volunteer_id = coalesce($4::uuid, assigned_volunteer_id),"
            " updated_at = now(), version = version + 1 WHERE id = $1",
            4);

/* Move a locked request row to `to`, with history. Answers nothing;
 * returns the query status. Shared with conversations (contacted -> held). */
enum db_qs
request_move(struct http_request *rq, const PGresult *row, const char *to, const char *reason,
             const char *volunteer, const char *note)
{
	const char *id = row_value(row, 0, "id");
	const char *from = row_value(row, 0, "state");
	enum db_qs qs;
	PGresult *res;

	res = db_exec(rq->db, &stmt_move, (const char *const[]){id, to, reason, volunteer}, &qs);
	if (res == NULL)
		return qs;
	PQclear(res);
	qs = request_event_write(rq, id, "state", from, to, reason, volunteer, NULL, note);
	/* The portal hears about changes of what it may show the citizen. */
	if (qs >= 0 && strcmp(request_citizen_status(from), request_citizen_status(to)) != 0)
		qs = webhooks_enqueue(rq, id, request_citizen_status(to));
	/* the guide hears of the assignment (no citizen data: a link) */
	if (qs >= 0 && volunteer != NULL)
		qs = mail_enqueue(rq, "assignment", id);
	return qs;
}

/* Answer with the request as it is now (the caller's view), logging the
 * access to the citizen's data as `action`. */
void
request_reply_current(struct http_request *rq, const char *id, unsigned status, const char *action,
                      const char *purpose)
{
	PGresult *res;
	enum db_qs qs = request_fetch(rq, id, false, &res);
	json_t *body;

	if (res == NULL) {
		http_reply_fetch_failure(rq, qs, "request");
		return;
	}
	body = request_full_json(res, 0);
	if (body == NULL) {
		http_reply_problem(
		    rq, ERR_INTERNAL,
		    "The citizen's data cannot be decrypted; the incident is logged.");
		goto out;
	}
	qs = access_log_write(rq, action, id, NULL, purpose);
	if (qs < 0) {
		json_decref(body);
		http_reply_db_error(rq, qs);
		goto out;
	}
	http_reply_json(rq, status, body);
	http_set_etag(rq, row_value(res, 0, "version"));
out:
	PQclear(res);
}

/* POST /v1/requests/{id}/transitions {to, reason?, volunteer_id?, note?}:
 * one step of the workflow; 409 with the allowed steps when illegal. */
static void
requests_transition(struct http_request *rq)
{
	const char *to = json_string_value(json_object_get(rq->body, "to"));
	const char *reason = json_string_value(json_object_get(rq->body, "reason"));
	const char *volunteer = json_string_value(json_object_get(rq->body, "volunteer_id"));
	const char *note = json_string_value(json_object_get(rq->body, "note"));
	PGresult *row;
	json_t *p;
	char purpose[96];
	enum db_qs qs = request_fetch(rq, http_param(rq, "id"), true, &row);

	if (row == NULL) {
		http_reply_fetch_failure(rq, qs, "request");
		return;
	}
	if (!http_version_ok(rq, row_value(row, 0, "version"))) {
		http_reply_stale(rq, "request");
		goto out;
	}
	qs = step_check(rq, row_value(row, 0, "state"), to, reason, volunteer, &p);
	if (qs >= 0 && p == NULL)
		qs = request_move(rq, row, to, reason, volunteer, note);
	if (qs < 0 || p != NULL) {
		http_reply_failure(rq, qs, p);
		goto out;
	}
	snprintf(purpose, sizeof(purpose), "the request moved to %s", to);
	request_reply_current(rq, row_value(row, 0, "id"), 200, "update", purpose);
out:
	PQclear(row);
}

/* clang-format off */
static struct db_stmt stmt_history =
    DB_STMT("workflow_history",
            "SELECT id, " TSUS("at") " AS at,"
            " kind, from_state, to_state, reason, volunteer_id, array_to_json(fields) AS fields,"
            " note, actor_kind, actor_role, actor_id FROM request_event WHERE request_id = $1"
            " ORDER BY id",
            1);
/* clang-format on */

/* A history entry in answer order; actor (actor_fields) follows. */
static const struct row_field history_fields[] = {ROW_FIELD("seq", "id", ROW_KIND_INTEGER),
                                                  ROW_TEXT("at"),
                                                  ROW_TEXT("kind"),
                                                  ROW_TEXT_OR_NULL("from_state"),
                                                  ROW_TEXT_OR_NULL("to_state"),
                                                  ROW_TEXT_OR_NULL("reason"),
                                                  ROW_TEXT_OR_NULL("volunteer_id"),
                                                  ROW_JSON("fields"),
                                                  ROW_TEXT_OR_NULL("note"),
                                                  ROW_END};
static const struct row_field actor_fields[] = {
    ROW_FIELD("kind", "actor_kind", ROW_KIND_TEXT), ROW_FIELD("role", "actor_role", ROW_KIND_TEXT),
    ROW_FIELD("id", "actor_id", ROW_KIND_TEXT_OR_NULL), ROW_END};

/* GET /v1/requests/{id}/history: every change with its time and actor; no
 * personal data (data changes name the fields, not the values). */
static void
requests_history(struct http_request *rq)
{
	PGresult *row, *res;
	json_t *items, *item;
	enum db_qs qs = request_fetch(rq, http_param(rq, "id"), false, &row);

	if (row == NULL) {
		http_reply_fetch_failure(rq, qs, "request");
		return;
	}
	res = db_exec(rq->db, &stmt_history, (const char *const[]){row_value(row, 0, "id")}, &qs);
	PQclear(row);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return;
	}
	items = json_array();
	for (int i = 0; i < PQntuples(res); i++) {
		item = row_json(res, i, history_fields);
		json_object_set_new(item, "actor", row_json(res, i, actor_fields));
		json_array_append_new(items, item);
	}
	PQclear(res);
	http_reply_json(rq, 200, json_pack("{s:o}", "items", items));
}

static struct db_stmt stmt_bump =
    DB_STMT("workflow_bump",
            "UPDATE request SET updated_at = now(), version = version + 1 WHERE id = $1", 1);

/* A change kept in a child table (consent) is a change of the request.
 * Answers nothing; returns the query status. */
static enum db_qs
bump_version(struct http_request *rq, const char *id)
{
	return db_run(rq->db, &stmt_bump, (const char *const[]){id});
}

/* POST /v1/requests/{id}/consents {consents: [...]}: consent given or
 * withdrawn per purpose; the latest per purpose counts. */
static void
requests_add_consents(struct http_request *rq)
{
	PGresult *row;
	const char *id;
	json_t *fields;
	enum db_qs qs = request_fetch(rq, http_param(rq, "id"), true, &row);

	if (row == NULL) {
		http_reply_fetch_failure(rq, qs, "request");
		return;
	}
	id = row_value(row, 0, "id");
	if (request_is_anonymised(row)) {
		request_reply_anonymised(rq);
		goto out;
	}
	if (!http_version_ok(rq, row_value(row, 0, "version"))) {
		http_reply_stale(rq, "request");
		goto out;
	}
	qs = request_add_consents(rq, id, json_object_get(rq->body, "consents"));
	if (qs >= 0)
		qs = bump_version(rq, id);
	if (qs < 0) {
		http_reply_db_error(rq, qs);
		goto out;
	}
	fields = json_array();
	for (size_t i = 0; i < json_array_size(json_object_get(rq->body, "consents")); i++)
		json_array_append_new(
		    fields,
		    json_incref(json_object_get(
		        json_array_get(json_object_get(rq->body, "consents"), i), "purpose")));
	qs = request_event_write(rq, id, "consent", NULL, NULL, NULL, NULL, fields, NULL);
	json_decref(fields);
	if (qs < 0) {
		http_reply_db_error(rq, qs);
		goto out;
	}
	if (rq->caller.role == ROLE_PORTAL) {
		http_reply_data(rq, 204, NULL, "", 0, false);
		goto out;
	}
	request_reply_current(rq, id, 200, "update", "consent was recorded");
out:
	PQclear(row);
}

/* The routes of this resource, joined into the one table by api/routes.c. */
static const struct route routes[] = {
    /* requests */
    {"POST", "/v1/requests/{id}/transitions", requests_transition, DB | BODY,
     ROLE_COORDINATOR | ROLE_GUIDE, requests_transition_spec, NULL, "id=request"},
    {"GET", "/v1/requests/{id}/history", requests_history, DB, ROLE_COORDINATOR | ROLE_GUIDE, NULL,
     NULL, "id=request"},
    {"POST", "/v1/requests/{id}/consents", requests_add_consents, DB | BODY,
     ROLE_COORDINATOR | ROLE_PORTAL, requests_consents_spec, NULL, "id=request"},
};

API_ROUTES(request_workflow_routes, routes);
