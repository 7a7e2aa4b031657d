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
#include "requests.h"

#define TS(col)   "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
#define TSUS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

/* clang-format off */
#define REFERRAL_COLUMNS                                                                           \
	"f.id, f.centre_id, f.request_id, f.association_id, f.state, f.scheme_note,"               \
	" " TS("f.sent_at") ", " TS("f.answered_at") ", " TS("f.completed_at") ","                 \
	" " TS("f.created_at") ", " TS("f.updated_at") ", f.version, " TSUS("f.sent_at") ","       \
	" coalesce(s.shared, false), s.name_sealed, s.phone_sealed"                                \
	" FROM referral f LEFT JOIN LATERAL kompas_referral_citizen(f.id) s ON true"
/* clang-format on */
#define COL_ID      0
#define COL_REQUEST 2
#define COL_STATE   4
#define COL_VERSION 11
#define COL_CURSOR  12
#define COL_SHARED  13
#define COL_NAME    14
#define COL_PHONE   15

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

static const struct spec_field referrals_create_spec[] = {{.name = "association_id",
                                                           .type = SPEC_STRING,
                                                           .flags = SPEC_REQUIRED,
                                                           .format = SPEC_FMT_UUID},
                                                          {.name = "scheme_note",
                                                           .type = SPEC_STRING,
                                                           .flags = SPEC_NULLABLE | SPEC_MULTILINE,
                                                           .min = 1,
                                                           .max = 500},
                                                          SPEC_END};

static const char *const answer_states[] = {"accepted", "declined", "completed", NULL};

static const struct spec_field referrals_transition_spec[] = {
    {.name = "to", .type = SPEC_STRING, .flags = SPEC_REQUIRED, .enum_values = answer_states},
    SPEC_END};

static const struct spec_field referrals_list_query[] = {
    {.name = "state", .type = SPEC_STRING, .enum_values = referral_states},
    {.name = "association_id", .type = SPEC_STRING, .format = SPEC_FMT_UUID},
    {.name = "request_id", .type = SPEC_STRING, .format = SPEC_FMT_UUID},
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
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:o, s:o, s:s, s:s}", "id",
	                      PQgetvalue(res, row, COL_ID), "centre_id", PQgetvalue(res, row, 1),
	                      "request_id", PQgetvalue(res, row, COL_REQUEST), "association_id",
	                      PQgetvalue(res, row, 3), "state", PQgetvalue(res, row, COL_STATE),
	                      "scheme_note", db_json_text(res, row, 5), "sent_at",
	                      PQgetvalue(res, row, 6), "answered_at", db_json_text(res, row, 7),
	                      "completed_at", db_json_text(res, row, 8), "created_at",
	                      PQgetvalue(res, row, 9), "updated_at", PQgetvalue(res, row, 10));

	json_object_set_new(j, "consent_to_share", db_json_bool(res, row, COL_SHARED));
	json_object_set_new(j, "allowed_transitions",
	                    referral_steps_from(PQgetvalue(res, row, COL_STATE)));
	return j;
}

/* Open the request's sealed field at col into a JSON string (null when
 * absent); *broken is set when it does not open. */
static json_t *
open_request_field(const PGresult *res, int col, const char *field, bool *broken)
{
	size_t len = 0, plen = 0;
	unsigned char *sealed = db_bytea_value(res, 0, col, &len), *plain;
	char place[96];
	json_t *v;

	if (sealed == NULL)
		return json_null();
	snprintf(place, sizeof(place), "request/%s/%s", PQgetvalue(res, 0, COL_REQUEST), field);
	plain = crypto_open(app.keys, place, sealed, len, &plen);
	free(sealed);
	if (plain == NULL) {
		*broken = true;
		return json_null();
	}
	v = json_stringn((const char *)plain, plen);
	sodium_memzero(plain, plen);
	free(plain);
	return v ? v : json_null();
}

static struct db_stmt stmt_get =
    DB_STMT("referrals_get", "SELECT " REFERRAL_COLUMNS " WHERE f.id = $1", 1);
static struct db_stmt stmt_get_locked = DB_STMT(
    "referrals_get_locked", "SELECT " REFERRAL_COLUMNS " WHERE f.id = $1 FOR UPDATE OF f", 1);

/* The referral visible to the caller, or NULL after answering. */
static PGresult *
referral_fetch(struct http_request *rq, const char *id, bool for_update)
{
	return http_fetch_by_id(rq, for_update ? &stmt_get_locked : &stmt_get, id, "referral");
}

/* Answer `status` with the referral as the caller sees it now: for the
 * association's contact with the citizen's consent, the citizen's name and
 * phone (the read is logged); otherwise citizen is null. */
static void
reply_referral(struct http_request *rq, const char *id, unsigned status, bool location)
{
	PGresult *res = referral_fetch(rq, id, false);
	bool broken = false, open;
	json_t *body, *citizen = json_null();
	char path[64];
	enum db_qs qs;

	if (res == NULL)
		return;
	body = referral_json(res, 0);
	open = rq->caller.role == ROLE_ASSOCIATION && PQgetvalue(res, 0, COL_SHARED)[0] == 't';
	if (open) {
		json_decref(citizen);
		citizen = json_object();
		json_object_set_new(citizen, "name",
		                    open_request_field(res, COL_NAME, "name", &broken));
		json_object_set_new(citizen, "phone",
		                    open_request_field(res, COL_PHONE, "phone", &broken));
		if (broken) {
			log_msg(
			    LOG_ERROR,
			    "request %s: a sealed field failed authentication (tampered, moved, or "
			    "sealed with an unknown key)",
			    PQgetvalue(res, 0, COL_REQUEST));
			json_decref(citizen);
			json_decref(body);
			http_reply_problem(
			    rq, ERR_INTERNAL,
			    "The citizen's data cannot be decrypted; the incident is "
			    "logged.");
			goto out;
		}
		qs = access_log_write(rq, "read", PQgetvalue(res, 0, COL_REQUEST), NULL,
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
	http_set_etag(rq, PQgetvalue(res, 0, COL_VERSION));
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
	PGresult *row = request_fetch(rq, http_param(rq, "id"), true), *res;
	const char *state;
	bool move;
	char id[37];
	json_t *p;
	enum db_qs qs;

	if (row == NULL)
		return;
	if (!http_version_matches(rq, PQgetvalue(row, 0, REQUEST_COL_VERSION), "request"))
		goto out;
	state = PQgetvalue(row, 0, REQUEST_COL_STATE);
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
	              (const char *const[]){PQgetvalue(row, 0, 0), association,
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
	snprintf(id, sizeof(id), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	qs = mail_enqueue(rq, "referral", id);
	if (qs < 0) {
		http_reply_db_error(rq, qs);
		goto out;
	}
	if (move && !request_move(rq, row, "referred", NULL, NULL, NULL))
		goto out;
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

/* GET /v1/referrals: the centre's referrals (an association's contact: the
 * ones sent to its association), oldest first; no personal data. */
static void
referrals_list(struct http_request *rq)
{
	const json_t *q = rq->query;
	long long limit = http_query_limit(rq, 50);
	const char *params[5];
	char fetch[24];
	enum db_qs qs;
	PGresult *res;

	snprintf(fetch, sizeof(fetch), "%lld", limit + 1);
	params[0] = str_of(q, "state");
	params[1] = str_of(q, "association_id");
	params[2] = str_of(q, "request_id");
	params[3] = str_of(q, "cursor");
	params[4] = fetch;
	res = db_exec(rq->db, &stmt_list, params, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return;
	}
	http_reply_keyset_list(rq, res, limit, referral_json, COL_CURSOR, COL_ID, "/v1/referrals");
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
	PGresult *row = referral_fetch(rq, http_param(rq, "id"), true), *res;
	char id[37];
	json_t *p;
	enum db_qs qs;

	if (row == NULL)
		return;
	snprintf(id, sizeof(id), "%s", PQgetvalue(row, 0, COL_ID));
	from = PQgetvalue(row, 0, COL_STATE);
	if (!http_version_matches(rq, PQgetvalue(row, 0, COL_VERSION), "referral"))
		goto out;
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
