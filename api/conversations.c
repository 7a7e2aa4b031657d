/* conversations.c - the clarifying conversations with a citizen: recorded
 * by the assigned guide or a coordinator, with the summary sealed like the
 * rest of the citizen's data and every read and write access-logged. */
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

static const char *const next_steps[] = {
    "course", "referral", "signposting", "another_conversation", "none", NULL};

static const struct spec_field conversations_create_spec[] = {
    {.name = "held_on", .type = SPEC_STRING, .flags = SPEC_REQUIRED, .format = SPEC_FMT_DATE},
    {.name = "duration_minutes",
     .type = SPEC_INTEGER,
     .flags = SPEC_REQUIRED,
     .min = 1,
     .max = 600},
    {.name = "summary", .type = SPEC_STRING, .flags = SPEC_MULTILINE, .min = 1, .max = 4000},
    {.name = "next_step", .type = SPEC_STRING, .flags = SPEC_REQUIRED, .enum_values = next_steps},
    {.name = "volunteer_id", .type = SPEC_STRING, .flags = SPEC_NULLABLE, .format = SPEC_FMT_UUID},
    SPEC_END};

#define CONVERSATION_COLUMNS                                                                       \
	"id, request_id, volunteer_id, to_char(held_on, 'YYYY-MM-DD'), duration_minutes,"          \
	" summary_sealed, next_step, to_char(created_at AT TIME ZONE 'UTC',"                       \
	" 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

static json_t *
conversation_json(const PGresult *res, int row, bool *broken)
{
	const char *id = PQgetvalue(res, row, 0);
	size_t len = 0, plen = 0;
	unsigned char *sealed = db_bytea_value(res, row, 5, &len), *plain = NULL;
	char place[96];
	json_t *summary = json_null();

	if (sealed != NULL) {
		snprintf(place, sizeof(place), "conversation/%s/summary", id);
		plain = crypto_open(app.keys, place, sealed, len, &plen);
		free(sealed);
		if (plain == NULL) {
			*broken = true;
			log_msg(LOG_ERROR, "conversation %s: the sealed summary does not open", id);
		} else {
			summary = json_stringn((const char *)plain, plen);
			sodium_memzero(plain, plen);
			free(plain);
		}
	}
	return json_pack("{s:s, s:s, s:o, s:s, s:i, s:o, s:s, s:s}", "id", id, "request_id",
	                 PQgetvalue(res, row, 1), "volunteer_id", db_json_text(res, row, 2),
	                 "held_on", PQgetvalue(res, row, 3), "duration_minutes",
	                 atoi(PQgetvalue(res, row, 4)), "summary", summary ? summary : json_null(),
	                 "next_step", PQgetvalue(res, row, 6), "created_at",
	                 PQgetvalue(res, row, 7));
}

static struct db_stmt stmt_my_volunteer =
    DB_STMT("conversations_my_volunteer", "SELECT id FROM kompas_my_volunteer_ids() id LIMIT 1", 0);

/* The guide's own volunteer id (for guides), into out; false after an
 * answered error. */
static bool
own_volunteer(struct http_request *rq, char out[37])
{
	enum db_qs qs;
	PGresult *res = db_exec(rq->db, &stmt_my_volunteer, NULL, &qs);

	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return false;
	}
	snprintf(out, 37, "%s", qs == DB_ONE_RESULT ? PQgetvalue(res, 0, 0) : "");
	PQclear(res);
	return true;
}

static struct db_stmt stmt_volunteer_of_centre =
    DB_STMT("conversations_volunteer_of_centre",
            "SELECT 1 FROM volunteer WHERE id = $1 AND centre_id = kompas_centre()", 1);

/* A volunteer named by a coordinator must be one of the centre's; 422. */
static bool
volunteer_of_centre(struct http_request *rq, const char *volunteer)
{
	enum db_qs qs;
	PGresult *res =
	    db_exec(rq->db, &stmt_volunteer_of_centre, (const char *const[]){volunteer}, &qs);

	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return false;
	}
	PQclear(res);
	if (qs == DB_ONE_RESULT)
		return true;
	http_reply_field_error(rq, ERR_VALIDATION_FAILED, "volunteer_id", ERR_FIELD_NOT_IN_ENUM,
	                       "must be a volunteer of the centre");
	return false;
}

static struct db_stmt stmt_insert = DB_STMT(
    "conversations_insert",
    "INSERT INTO conversation (id, request_id, centre_id, volunteer_id, held_on,"
    " duration_minutes, summary_sealed, next_step)"
    " VALUES ($1, $2, kompas_centre(), $3, $4, $5, $6::bytea, $7) RETURNING " CONVERSATION_COLUMNS,
    7);

/* POST /v1/requests/{id}/conversations: record a conversation; a request
 * in state contacted moves to conversation_held. */
static void
conversations_create(struct http_request *rq)
{
	const json_t *b = rq->body;
	const char *summary = json_string_value(json_object_get(b, "summary"));
	const char *volunteer = json_string_value(json_object_get(b, "volunteer_id"));
	PGresult *row = request_fetch(rq, http_param(rq, "id"), true), *res = NULL;
	char id[37], mine[37], duration[16], place[96], *sealed_param = NULL;
	const char *params[7];
	bool broken = false;
	json_t *body;
	enum db_qs qs;

	if (row == NULL)
		return;
	if (request_is_anonymised(rq, row))
		goto out;
	if (rq->caller.role == ROLE_GUIDE) {
		if (!own_volunteer(rq, mine))
			goto out;
		volunteer = mine[0] ? mine : NULL;
	} else if (volunteer != NULL && !volunteer_of_centre(rq, volunteer)) {
		goto out;
	}
	crypto_uuid_v4(id);
	if (summary != NULL) {
		size_t len;
		unsigned char *sealed;

		snprintf(place, sizeof(place), "conversation/%s/summary", id);
		sealed = crypto_seal(app.keys, place, summary, strlen(summary), &len);
		sealed_param = db_bytea_param(sealed, len);
		free(sealed);
	}
	snprintf(duration, sizeof(duration), "%lld",
	         (long long)json_integer_value(json_object_get(b, "duration_minutes")));
	params[0] = id;
	params[1] = PQgetvalue(row, 0, 0);
	params[2] = volunteer;
	params[3] = json_string_value(json_object_get(b, "held_on"));
	params[4] = duration;
	params[5] = sealed_param;
	params[6] = json_string_value(json_object_get(b, "next_step"));
	res = db_exec(rq->db, &stmt_insert, params, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		goto out;
	}
	if (strcmp(PQgetvalue(row, 0, REQUEST_COL_STATE), "contacted") == 0 &&
	    !request_move(rq, row, "conversation_held", NULL, NULL, NULL))
		goto out;
	qs = request_event_write(rq, params[1], "conversation", NULL, NULL, NULL, volunteer, NULL,
	                         NULL);
	if (qs >= 0)
		qs = access_log_write(rq, "update", params[1], NULL, "a conversation was recorded");
	if (qs < 0) {
		http_reply_db_error(rq, qs);
		goto out;
	}
	body = conversation_json(res, 0, &broken);
	http_reply_json(rq, 201, body);
out:
	free(sealed_param);
	if (res != NULL)
		PQclear(res);
	PQclear(row);
}

static struct db_stmt stmt_list =
    DB_STMT("conversations_list",
            "SELECT " CONVERSATION_COLUMNS " FROM conversation WHERE request_id = $1"
            " ORDER BY held_on, created_at, id",
            1);

/* The request's conversations with their summaries opened, as a new JSON
 * array; NULL after answering (a database error, or a summary that does
 * not open). Writes no access-log entry: the caller does. */
json_t *
conversations_of(struct http_request *rq, const char *request_id)
{
	bool broken = false;
	json_t *items;
	enum db_qs qs;
	PGresult *res = db_exec(rq->db, &stmt_list, (const char *const[]){request_id}, &qs);

	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return NULL;
	}
	items = json_array();
	for (int i = 0; i < PQntuples(res); i++)
		json_array_append_new(items, conversation_json(res, i, &broken));
	PQclear(res);
	if (broken) {
		json_decref(items);
		http_reply_problem(
		    rq, ERR_INTERNAL,
		    "A conversation summary cannot be decrypted; the incident is logged.");
		return NULL;
	}
	return items;
}

/* GET /v1/requests/{id}/conversations: with the summaries opened; logged as
 * a read of the citizen's data. */
static void
conversations_list(struct http_request *rq)
{
	PGresult *row = request_fetch(rq, http_param(rq, "id"), false);
	json_t *items;
	enum db_qs qs;

	if (row == NULL)
		return;
	items = conversations_of(rq, PQgetvalue(row, 0, 0));
	if (items == NULL)
		goto out;
	qs = access_log_write(rq, "read", PQgetvalue(row, 0, 0), NULL,
	                      "the conversations with the citizen were read");
	if (qs < 0) {
		json_decref(items);
		http_reply_db_error(rq, qs);
		goto out;
	}
	http_reply_json(rq, 200, json_pack("{s:o}", "items", items));
out:
	PQclear(row);
}

/* The routes of this resource, joined into the one table by api/routes.c. */
static const struct route routes[] = {
    /* requests */
    {"GET", "/v1/requests/{id}/conversations", conversations_list, DB,
     ROLE_COORDINATOR | ROLE_GUIDE, NULL, NULL, "id=request"},
    {"POST", "/v1/requests/{id}/conversations", conversations_create, DB | BODY,
     ROLE_COORDINATOR | ROLE_GUIDE, conversations_create_spec, NULL, "id=request"},
};

API_ROUTES(conversations_routes, routes);
