/* request_workflow.c - moving a request through its states (with reasons,
 * assignment and history) and recording consent. The states and their
 * transitions are in request_states.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/db.h"
#include "../lib/http.h"
#include "../lib/problem.h"
#include "../lib/spec.h"
#include "access_log.h"
#include "app.h"
#include "routes.h"
#include "auth.h"
#include "request_states.h"
#include "requests.h"

static const struct spec_field requests_transition_spec[] = {
    {.name = "to", .type = SPEC_STRING, .flags = SPEC_REQUIRED, .enum_values = request_state_names},
    {.name = "reason", .type = SPEC_STRING, .enum_values = request_close_reasons},
    {.name = "volunteer_id", .type = SPEC_STRING, .format = SPEC_FMT_UUID},
    {.name = "note", .type = SPEC_STRING, .flags = SPEC_MULTILINE, .min = 1, .max = 500},
    SPEC_END};

static const struct spec_field requests_consents_spec[] = {{.name = "consents",
                                                            .type = SPEC_ARRAY,
                                                            .flags = SPEC_REQUIRED,
                                                            .min = 1,
                                                            .max = 8,
                                                            .items = &request_consent_item},
                                                           SPEC_END};

static struct db_stmt stmt_volunteer_active = DB_STMT(
    "workflow_volunteer_active",
    "SELECT status = 'active' FROM volunteer WHERE id = $1 AND centre_id = kompas_centre()", 1);

/* Is the volunteer an active guide of the caller's centre? Answers 422 and
 * returns false when not. */
static bool
volunteer_assignable(struct http_request *rq, const char *volunteer)
{
	enum db_qs qs;
	PGresult *res =
	    db_exec(rq->db, &stmt_volunteer_active, (const char *const[]){volunteer}, &qs);
	bool ok;

	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return false;
	}
	ok = qs == DB_ONE_RESULT && PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	if (!ok)
		http_reply_field_error(rq, ERR_VALIDATION_FAILED, "volunteer_id",
		                       ERR_FIELD_NOT_IN_ENUM,
		                       "must be an active volunteer of the centre");
	return ok;
}

/* Check the requested step against the state machine and its rules. */
static bool
step_valid(struct http_request *rq, const char *from, const char *to, const char *reason,
           const char *volunteer)
{
	json_t *p;

	if (!request_transition_allowed(from, to)) {
		p = problem_new(ERR_CONFLICT, NULL, rq->request_id);
		json_object_set_new(
		    p, "detail", json_sprintf("A request in state %s cannot go to %s.", from, to));
		json_object_set_new(p, "state", json_string(from));
		json_object_set_new(p, "allowed", request_transitions_from(from));
		problem_add_field_error(p, "to", ERR_FIELD_NOT_IN_ENUM,
		                        "is not reachable from the current state");
		http_reply_problem_json(rq, p);
		return false;
	}
	if (request_state_needs_reason(to) != (reason != NULL)) {
		http_reply_field_error(rq, ERR_VALIDATION_FAILED, "reason",
		                       reason ? ERR_FIELD_UNKNOWN : ERR_FIELD_REQUIRED,
		                       reason
		                           ? "only closing, declining and withdrawing take a reason"
		                           : "closing, declining and withdrawing need a reason");
		return false;
	}
	if ((strcmp(to, "guide_assigned") == 0) != (volunteer != NULL)) {
		http_reply_field_error(rq, ERR_VALIDATION_FAILED, "volunteer_id",
		                       volunteer ? ERR_FIELD_UNKNOWN : ERR_FIELD_REQUIRED,
		                       volunteer ? "only assigning a guide takes a volunteer"
		                                 : "assigning a guide needs the volunteer");
		return false;
	}
	/* Guides record their own contact and conversation; the rest is the
	 * coordinator's. */
	if (rq->caller.role == ROLE_GUIDE && strcmp(to, "contacted") != 0 &&
	    strcmp(to, "conversation_held") != 0) {
		http_reply_problem(rq, ERR_FORBIDDEN,
		                   "Guides record contact and conversations; ask the coordinator.");
		return false;
	}
	return volunteer == NULL || volunteer_assignable(rq, volunteer);
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

/* Move a locked request row to `to`, with history. Answers and returns
 * false on failure. Shared with conversations (contacted -> held). */
bool
request_move(struct http_request *rq, const PGresult *row, const char *to, const char *reason,
             const char *volunteer, const char *note)
{
	const char *id = PQgetvalue(row, 0, 0);
	const char *from = PQgetvalue(row, 0, REQUEST_COL_STATE);
	enum db_qs qs;
	PGresult *res;

	res = db_exec(rq->db, &stmt_move, (const char *const[]){id, to, reason, volunteer}, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return false;
	}
	PQclear(res);
	qs = request_event_write(rq, id, "state", from, to, reason, volunteer, NULL, note);
	/* The portal hears about changes of what it may show the citizen. */
	if (qs >= 0 && strcmp(request_citizen_status(from), request_citizen_status(to)) != 0)
		qs = webhooks_enqueue(rq, id, request_citizen_status(to));
	/* the guide hears of the assignment (no citizen data: a link) */
	if (qs >= 0 && volunteer != NULL)
		qs = mail_enqueue(rq, "assignment", id);
	if (qs < 0) {
		http_reply_db_error(rq, qs);
		return false;
	}
	return true;
}

/* Answer with the request as it is now (the caller's view), logging the
 * access to the citizen's data as `action`. */
void
request_reply_current(struct http_request *rq, const char *id, unsigned status, const char *action,
                      const char *purpose)
{
	PGresult *res = request_fetch(rq, id, false);
	enum db_qs qs;
	json_t *body;

	if (res == NULL)
		return;
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
	http_set_etag(rq, PQgetvalue(res, 0, REQUEST_COL_VERSION));
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
	PGresult *row = request_fetch(rq, http_param(rq, "id"), true);
	char purpose[96];

	if (row == NULL)
		return;
	if (!http_version_matches(rq, PQgetvalue(row, 0, REQUEST_COL_VERSION), "request") ||
	    !step_valid(rq, PQgetvalue(row, 0, REQUEST_COL_STATE), to, reason, volunteer) ||
	    !request_move(rq, row, to, reason, volunteer, note))
		goto out;
	snprintf(purpose, sizeof(purpose), "the request moved to %s", to);
	request_reply_current(rq, PQgetvalue(row, 0, 0), 200, "update", purpose);
out:
	PQclear(row);
}

static struct db_stmt stmt_history =
    DB_STMT("workflow_history",
            "SELECT id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), kind,"
            " from_state, to_state, reason, volunteer_id, array_to_json(fields), note, actor_kind,"
            " actor_role, actor_id FROM request_event WHERE request_id = $1 ORDER BY id",
            1);

/* GET /v1/requests/{id}/history: every change with its time and actor; no
 * personal data (data changes name the fields, not the values). */
static void
requests_history(struct http_request *rq)
{
	PGresult *row = request_fetch(rq, http_param(rq, "id"), false), *res;
	json_t *items;
	enum db_qs qs;

	if (row == NULL)
		return;
	res = db_exec(rq->db, &stmt_history, (const char *const[]){PQgetvalue(row, 0, 0)}, &qs);
	PQclear(row);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return;
	}
	items = json_array();
	for (int i = 0; i < PQntuples(res); i++) {
		json_t *fields = PQgetisnull(res, i, 7)
		                     ? json_null()
		                     : json_loads(PQgetvalue(res, i, 7), 0, NULL);

		json_array_append_new(
		    items,
		    json_pack("{s:I, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:{s:s, s:s, s:o}}",
		              "seq", (json_int_t)atoll(PQgetvalue(res, i, 0)), "at",
		              PQgetvalue(res, i, 1), "kind", PQgetvalue(res, i, 2), "from_state",
		              db_json_text(res, i, 3), "to_state", db_json_text(res, i, 4),
		              "reason", db_json_text(res, i, 5), "volunteer_id",
		              db_json_text(res, i, 6), "fields", fields ? fields : json_null(),
		              "note", db_json_text(res, i, 8), "actor", "kind",
		              PQgetvalue(res, i, 9), "role", PQgetvalue(res, i, 10), "id",
		              db_json_text(res, i, 11)));
	}
	PQclear(res);
	http_reply_json(rq, 200, json_pack("{s:o}", "items", items));
}

static struct db_stmt stmt_bump =
    DB_STMT("workflow_bump",
            "UPDATE request SET updated_at = now(), version = version + 1 WHERE id = $1", 1);

/* A change kept in a child table (consent) is a change of the request. */
static bool
bump_version(struct http_request *rq, const char *id)
{
	enum db_qs qs;
	PGresult *res = db_exec(rq->db, &stmt_bump, (const char *const[]){id}, &qs);

	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return false;
	}
	PQclear(res);
	return true;
}

/* POST /v1/requests/{id}/consents {consents: [...]}: consent given or
 * withdrawn per purpose; the latest per purpose counts. */
static void
requests_add_consents(struct http_request *rq)
{
	PGresult *row = request_fetch(rq, http_param(rq, "id"), true);
	const char *id;
	json_t *fields;
	enum db_qs qs;

	if (row == NULL)
		return;
	id = PQgetvalue(row, 0, 0);
	if (request_is_anonymised(rq, row) ||
	    !http_version_matches(rq, PQgetvalue(row, 0, REQUEST_COL_VERSION), "request") ||
	    !request_add_consents(rq, id, json_object_get(rq->body, "consents")) ||
	    !bump_version(rq, id))
		goto out;
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
