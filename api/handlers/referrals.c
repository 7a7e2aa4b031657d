/* referrals.c - referrals (henvisninger) of citizens to a partner
 * association's own accompaniment scheme. A coordinator refers a request
 * whose conversation is held (the request moves to referred); the
 * association's contact sees the referrals sent to its association and
 * answers them.
 *
 * The referral states, in one table (referral_steps below):
 *
 *   sent     -> accepted | declined
 *   accepted -> completed
 *
 * declined and completed are final.
 *
 * The association sees no more of the citizen than the citizen allowed:
 * only while the latest consent for share_with_association is given does a
 * referral read by the association's contact include the citizen's name and
 * phone, opened from the request and written to the access log. Lists never
 * hold personal data. */
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
#include "requests.h"
#include "../sealed.h"
#include "../sql_format.h"

/* The columns of a referral, named for referral_fields (lib/row.h). */
/* clang-format off */
#define REFERRAL_COLUMNS                                                                           \
	"f.id, f.centre_id, f.request_id, f.association_id, f.state, f.scheme_note,"               \
	" " TS("f.sent_at") " AS sent_at, " TS("f.answered_at") " AS answered_at,"                 \
	" " TS("f.completed_at") " AS completed_at, " TS("f.created_at") " AS created_at,"         \
	" " TS("f.updated_at") " AS updated_at, f.version, " TSUS("f.sent_at") " AS cursor_time,"  \
	" coalesce(s.shared, false) AS consent_to_share, s.name_sealed, s.phone_sealed"            \
	" FROM referral f LEFT JOIN LATERAL kompas_referral_citizen(f.id) s ON true"
/* clang-format on */

/* A referral's answer (list entry and the base of the single view, no
 * personal data); allowed_transitions (computed) follows. */
static const struct row_field referral_fields[] = {ROW_TEXT("id"),
                                                   ROW_TEXT("centre_id"),
                                                   ROW_TEXT("request_id"),
                                                   ROW_TEXT("association_id"),
                                                   ROW_TEXT("state"),
                                                   ROW_TEXT_OR_NULL("scheme_note"),
                                                   ROW_TEXT("sent_at"),
                                                   ROW_TEXT_OR_NULL("answered_at"),
                                                   ROW_TEXT_OR_NULL("completed_at"),
                                                   ROW_TEXT("created_at"),
                                                   ROW_TEXT("updated_at"),
                                                   ROW_BOOLEAN("consent_to_share"),
                                                   ROW_END};

static const char *const referral_states[] = {"sent", "accepted", "declined", "completed", NULL};

static const struct {
	const char *from;
	const char *to;
} referral_steps[] = {
    {"sent", "accepted"},
    {"sent", "declined"},
    {"accepted", "completed"},
};

static bool
referral_step_allowed(const char *from, const char *to)
{
	for (size_t i = 0; i < sizeof(referral_steps) / sizeof(referral_steps[0]); i++)
		if (strcmp(referral_steps[i].from, from) == 0 &&
		    strcmp(referral_steps[i].to, to) == 0)
			return true;
	return false;
}

static json_t *
referral_steps_from(const char *from)
{
	json_t *a = json_array();

	for (const char *const *s = referral_states; *s; s++)
		if (referral_step_allowed(from, *s))
			json_array_append_new(a, json_string(*s));
	return a;
}

static const struct spec_field referrals_create_spec[] = {
    SPEC_UUID("association_id", SPEC_REQUIRED),
    SPEC_MULTILINE_TEXT("scheme_note", SPEC_NULLABLE, 1, 500), SPEC_END};

static const char *const answer_states[] = {"accepted", "declined", "completed", NULL};

static const struct spec_field referrals_transition_spec[] = {
    SPEC_ENUM("to", SPEC_REQUIRED, answer_states), SPEC_END};

static const struct spec_field referrals_list_query[] = {
    SPEC_ENUM("state", 0, referral_states),
    SPEC_UUID("association_id", 0),
    SPEC_UUID("request_id", 0),
    {.name = "limit", .type = SPEC_INTEGER, .min = 1, .max = 200},
    {.name = "cursor", .type = SPEC_STRING, .max = 80, .format = SPEC_FMT_KEYSET},
    SPEC_END};

static const char *
str_of(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* The referral list entry and the base of the single view: no personal
 * data. */
static json_t *
referral_json(const PGresult *res, int row)
{
	json_t *j = row_json(res, row, referral_fields);

	json_object_set_new(j, "allowed_transitions",
	                    referral_steps_from(row_value(res, row, "state")));
	return j;
}

/* The request's sealed field (column `column`, place
 * request/<id>/<field>) of the referral in res opened: a JSON string, null
 * when absent, NULL when it does not open. */
static json_t *
open_request_field(const PGresult *res, const char *column, const char *field)
{
	char place[96];

	snprintf(place, sizeof(place), "request/%s/%s", row_value(res, 0, "request_id"), field);
	return sealed_json(res, 0, column, place);
}

static struct db_stmt stmt_get =
    DB_STMT("referrals_get", "SELECT " REFERRAL_COLUMNS " WHERE f.id = $1", 1);
static struct db_stmt stmt_get_locked = DB_STMT(
    "referrals_get_locked", "SELECT " REFERRAL_COLUMNS " WHERE f.id = $1 FOR UPDATE OF f", 1);

/* The referral with this id visible to the caller into *row (NULL when
 * none is). Returns the query status (http_fetch_row); answers nothing. */
static enum db_qs
referral_fetch(const struct http_request *rq, const char *id, bool for_update, PGresult **row)
{
	return http_fetch_row(rq, for_update ? &stmt_get_locked : &stmt_get, id, row);
}

/* Answer `status` with the referral as the caller sees it now: for the
 * association's contact with the citizen's consent, the citizen's name and
 * phone (the read is logged); otherwise citizen is null. */
static void
reply_referral(struct http_request *rq, const char *id, unsigned status, bool location)
{
	PGresult *res;
	json_t *body, *citizen = json_null(), *name, *phone;
	char path[64];
	enum db_qs qs = referral_fetch(rq, id, false, &res);

	if (res == NULL) {
		http_reply_fetch_failure(rq, qs, "referral");
		return;
	}
	body = referral_json(res, 0);
	if (rq->caller.role == ROLE_ASSOCIATION &&
	    row_value(res, 0, "consent_to_share")[0] == 't') {
		name = open_request_field(res, "name_sealed", "name");
		phone = open_request_field(res, "phone_sealed", "phone");
		if (name == NULL || phone == NULL) {
			log_msg(
			    LOG_ERROR,
			    "request %s: a sealed field failed authentication (tampered, moved, or "
			    "sealed with an unknown key)",
			    row_value(res, 0, "request_id"));
			json_decref(name);
			json_decref(phone);
			json_decref(body);
			http_reply_problem(
			    rq, ERR_INTERNAL,
			    "The citizen's data cannot be decrypted; the incident is "
			    "logged.");
			goto out;
		}
		json_decref(citizen);
		citizen = json_pack("{s:o, s:o}", "name", name, "phone", phone);
		qs = access_log_write(rq, "read", row_value(res, 0, "request_id"), NULL,
		                      "the association's contact read the referral (the citizen "
		                      "consented to sharing with the association)");
		if (qs < 0) {
			json_decref(citizen);
			json_decref(body);
			http_reply_db_error(rq, qs);
			goto out;
		}
	}
	json_object_set_new(body, "citizen", citizen);
	http_reply_json(rq, status, body);
	http_set_etag(rq, row_value(res, 0, "version"));
	if (location) {
		snprintf(path, sizeof(path), "/v1/referrals/%s", id);
		http_set_header(rq, "Location", path);
	}
out:
	PQclear(res);
}

static struct db_stmt stmt_association_visible =
    DB_STMT("referrals_association_visible",
            "SELECT 1 FROM association WHERE id = $1 AND centre_id = kompas_centre()", 1);

static struct db_stmt stmt_insert =
    DB_STMT("referrals_insert",
            "INSERT INTO referral (centre_id, request_id, association_id, scheme_note)"
            " VALUES (kompas_centre(), $1, $2, $3)"
            " ON CONFLICT (request_id, association_id) WHERE state IN ('sent', 'accepted')"
            " DO NOTHING RETURNING id",
            3);

/* POST /v1/requests/{id}/referrals {association_id, scheme_note?}: refer
 * the citizen of a request whose conversation is held (it moves to
 * referred), or of a request referred already (to another scheme too). */
static void
referrals_create(struct http_request *rq)
{
	const char *association = str_of(rq->body, "association_id");
	PGresult *row, *res;
	const char *state;
	bool move;
	char id[37];
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
	move = strcmp(state, "conversation_held") == 0;
	if (!move && strcmp(state, "referred") != 0) {
		p = problem_new(ERR_CONFLICT,
		                "A referral is made for a request whose conversation is held.",
		                rq->request_id);
		json_object_set_new(p, "state", json_string(state));
		problem_add_field_error(
		    p, "$", ERR_FIELD_NOT_IN_ENUM,
		    "the request must be in state conversation_held or referred");
		http_reply_problem_json(rq, p);
		goto out;
	}
	res = db_exec(rq->db, &stmt_association_visible, (const char *const[]){association}, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		goto out;
	}
	PQclear(res);
	if (qs == DB_NO_RESULTS) {
		p = problem_new(ERR_VALIDATION_FAILED, NULL, rq->request_id);
		problem_add_field_error(p, "association_id", ERR_FIELD_NOT_IN_ENUM,
		                        "must be an association of the centre");
		http_reply_problem_json(rq, p);
		goto out;
	}
	res = db_exec(rq->db, &stmt_insert,
	              (const char *const[]){row_value(row, 0, "id"), association,
	                                    str_of(rq->body, "scheme_note")},
	              &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		goto out;
	}
	if (qs == DB_NO_RESULTS) {
		PQclear(res);
		p = problem_new(ERR_CONFLICT,
		                "The citizen has an open referral to this association already.",
		                rq->request_id);
		problem_add_field_error(p, "association_id", ERR_FIELD_TAKEN,
		                        "has an open referral of this request");
		http_reply_problem_json(rq, p);
		goto out;
	}
	snprintf(id, sizeof(id), "%s", row_value(res, 0, "id"));
	PQclear(res);
	qs = mail_enqueue(rq, "referral", id);
	if (qs >= 0 && move)
		qs = request_move(rq, row, "referred", NULL, NULL, NULL);
	if (qs < 0) {
		http_reply_db_error(rq, qs);
		goto out;
	}
	reply_referral(rq, id, 201, true);
out:
	PQclear(row);
}

static struct db_stmt stmt_list =
    DB_STMT("referrals_list",
            "SELECT " REFERRAL_COLUMNS " WHERE f.centre_id = kompas_centre()"
            " AND ($1::text IS NULL OR f.state = $1)"
            " AND ($2::uuid IS NULL OR f.association_id = $2::uuid)"
            " AND ($3::uuid IS NULL OR f.request_id = $3::uuid)"
            " AND ($4::text IS NULL OR (f.sent_at, f.id) > (split_part($4, '_', 1)::timestamptz,"
            "      split_part($4, '_', 2)::uuid))"
            " ORDER BY f.sent_at, f.id LIMIT $5",
            5);

static const struct list_param referrals_list_params[] = {LIST_QUERY("state"),
                                                          LIST_QUERY("association_id"),
                                                          LIST_QUERY("request_id"),
                                                          LIST_QUERY("cursor"),
                                                          LIST_FETCH,
                                                          LIST_END};

static const struct keyset_list referrals_list_decl = {.stmt = &stmt_list,
                                                       .query = referrals_list_query,
                                                       .params = referrals_list_params,
                                                       .row_json = referral_json,
                                                       .path = "/v1/referrals"};

/* GET /v1/referrals: the centre's referrals (an association's contact: the
 * ones sent to its association), oldest first; no personal data. */
static void
referrals_list(struct http_request *rq)
{
	keyset_list_run(rq, &referrals_list_decl);
}

/* GET /v1/referrals/{id} */
static void
referrals_get(struct http_request *rq)
{
	reply_referral(rq, http_param(rq, "id"), 200, false);
}

static struct db_stmt stmt_move = DB_STMT(
    "referrals_move",
    "UPDATE referral SET state = $2,"
    " answered_at = CASE WHEN $2 IN ('accepted', 'declined') THEN now() ELSE answered_at END,"
    " completed_at = CASE WHEN $2 = 'completed' THEN now() ELSE completed_at END,"
    " updated_at = now(), version = version + 1 WHERE id = $1",
    2);

/* POST /v1/referrals/{id}/transitions {to}: the association's answer
 * (accepted, declined) and the end of the citizen's course in its scheme
 * (completed); 409 with the allowed steps when illegal. */
static void
referrals_transition(struct http_request *rq)
{
	const char *to = str_of(rq->body, "to"), *from;
	PGresult *row, *res;
	char id[37];
	json_t *p;
	enum db_qs qs;

	qs = referral_fetch(rq, http_param(rq, "id"), true, &row);
	if (row == NULL) {
		http_reply_fetch_failure(rq, qs, "referral");
		return;
	}
	snprintf(id, sizeof(id), "%s", row_value(row, 0, "id"));
	from = row_value(row, 0, "state");
	if (!http_version_ok(rq, row_value(row, 0, "version"))) {
		http_reply_stale(rq, "referral");
		goto out;
	}
	if (!referral_step_allowed(from, to)) {
		p = problem_new(ERR_CONFLICT, NULL, rq->request_id);
		json_object_set_new(
		    p, "detail", json_sprintf("A referral in state %s cannot go to %s.", from, to));
		json_object_set_new(p, "state", json_string(from));
		json_object_set_new(p, "allowed", referral_steps_from(from));
		problem_add_field_error(p, "to", ERR_FIELD_NOT_IN_ENUM,
		                        "is not reachable from the current state");
		http_reply_problem_json(rq, p);
		goto out;
	}
	res = db_exec(rq->db, &stmt_move, (const char *const[]){id, to}, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		goto out;
	}
	PQclear(res);
	reply_referral(rq, id, 200, false);
out:
	PQclear(row);
}

/* The routes of this resource, joined into the one table by api/routes.c. */
static const struct route routes[] = {
    /* courses, referrals, measurements */
    {"GET", "/v1/referrals", referrals_list, DB, ROLE_COORDINATOR | ROLE_ASSOCIATION, NULL,
     referrals_list_query, NULL},
    {"GET", "/v1/referrals/{id}", referrals_get, DB, ROLE_COORDINATOR | ROLE_ASSOCIATION, NULL,
     NULL, "id=referral"},
    {"POST", "/v1/referrals/{id}/transitions", referrals_transition, DB | BODY,
     ROLE_COORDINATOR | ROLE_ASSOCIATION, referrals_transition_spec, NULL, "id=referral"},
    {"POST", "/v1/requests/{id}/referrals", referrals_create, DB | BODY, ROLE_COORDINATOR,
     referrals_create_spec, NULL, "id=request"},
};

API_ROUTES(referrals_routes, routes);
