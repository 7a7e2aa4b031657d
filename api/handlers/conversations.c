/* conversations.c - the clarifying conversations with a citizen: recorded
 * by the assigned guide or a coordinator, with the summary sealed like the
 * rest of the citizen's data and every read and write access-logged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/crypto.h"
#include "../../lib/db.h"
#include "../../lib/http.h"
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

static const char *const next_steps[] = {
    "course", "referral", "signposting", "another_conversation", "none", NULL};

static const struct spec_field conversations_create_spec[] = {
    SPEC_DATE("held_on", SPEC_REQUIRED),
    {.name = "duration_minutes",
     .type = SPEC_INTEGER,
     .flags = SPEC_REQUIRED,
     .min = 1,
     .max = 600},
    SPEC_MULTILINE_TEXT("summary", 0, 1, 4000),
    SPEC_ENUM("next_step", SPEC_REQUIRED, next_steps),
    SPEC_UUID("volunteer_id", SPEC_NULLABLE),
    SPEC_END};

/* The columns of a conversation, named for conversation_fields
 * (lib/row.h). A statement that orders by a column also named here
 * qualifies it (conversation.created_at), or the order would be the
 * formatted text's. */
/* clang-format off */
#define CONVERSATION_COLUMNS                                                                       \
	"id, request_id, volunteer_id, " DAY("held_on") " AS held_on, duration_minutes,"           \
	" summary_sealed, next_step,"                                                              \
	" " TS("created_at") " AS created_at"
/* clang-format on */

/* A conversation's answer, in this order; the summary (opened) comes
 * between the two. */
static const struct row_field conversation_fields[] = {
    ROW_TEXT("id"),      ROW_TEXT("request_id"),          ROW_TEXT_OR_NULL("volunteer_id"),
    ROW_TEXT("held_on"), ROW_INTEGER("duration_minutes"), ROW_END};
static const struct row_field conversation_tail[] = {ROW_TEXT("next_step"), ROW_TEXT("created_at"),
                                                     ROW_END};

/* One conversation row as JSON, its summary opened; a summary that does
 * not open is logged, answered null and sets *broken. */
static json_t *
conversation_json(const PGresult *res, int row, bool *broken)
{
	const char *id = row_value(res, row, "id");
	char place[96];
	json_t *j = row_json(res, row, conversation_fields), *summary;

	snprintf(place, sizeof(place), "conversation/%s/summary", id);
	summary = sealed_json(res, row, "summary_sealed", place);
	if (summary == NULL) {
		*broken = true;
		log_msg(LOG_ERROR, "conversation %s: the sealed summary does not open", id);
		summary = json_null();
	}
	json_object_set_new(j, "summary", summary);
	return row_json_add(j, res, row, conversation_tail);
}

static struct db_stmt stmt_my_volunteer =
    DB_STMT("conversations_my_volunteer", "SELECT id FROM kompas_my_volunteer_ids() id LIMIT 1", 0);

/* The guide's own volunteer id (for guides), into out ("" when none).
 * Returns the query status; answers nothing. */
static enum db_qs
own_volunteer(const struct http_request *rq, char out[37])
{
	enum db_qs qs;
	PGresult *res = db_exec(rq->db, &stmt_my_volunteer, NULL, &qs);

	out[0] = '\0';
	if (res == NULL)
		return qs;
	snprintf(out, 37, "%s", qs == DB_ONE_RESULT ? row_value(res, 0, "id") : "");
	PQclear(res);
	return qs;
}

static struct db_stmt stmt_volunteer_of_centre =
    DB_STMT("conversations_volunteer_of_centre",
            "SELECT 1 FROM volunteer WHERE id = $1 AND centre_id = kompas_centre()", 1);

/* A volunteer named by a coordinator must be one of the centre's. Returns
 * the query status; *problem is NULL, or a 422 when it is not (the caller
 * answers). */
static enum db_qs
volunteer_of_centre(const struct http_request *rq, const char *volunteer, json_t **problem)
{
	enum db_qs qs;
	PGresult *res =
	    db_exec(rq->db, &stmt_volunteer_of_centre, (const char *const[]){volunteer}, &qs);

	*problem = NULL;
	if (res == NULL)
		return qs;
	PQclear(res);
	if (qs != DB_ONE_RESULT) {
		*problem = problem_new(ERR_VALIDATION_FAILED, NULL, rq->request_id);
		problem_add_field_error(*problem, "volunteer_id", ERR_FIELD_NOT_IN_ENUM,
		                        "must be a volunteer of the centre");
	}
	return qs;
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
	PGresult *row, *res = NULL;
	char id[37], mine[37], duration[16], place[96], *summary_param = NULL;
	const char *params[7];
	bool broken = false;
	json_t *body, *p;
	enum db_qs qs = request_fetch(rq, http_param(rq, "id"), true, &row);

	if (row == NULL) {
		http_reply_fetch_failure(rq, qs, "request");
		return;
	}
	if (request_is_anonymised(row)) {
		request_reply_anonymised(rq);
		goto out;
	}
	if (rq->caller.role == ROLE_GUIDE) {
		qs = own_volunteer(rq, mine);
		if (qs < 0) {
			http_reply_db_error(rq, qs);
			goto out;
		}
		volunteer = mine[0] ? mine : NULL;
	} else if (volunteer != NULL) {
		qs = volunteer_of_centre(rq, volunteer, &p);
		if (qs < 0 || p != NULL) {
			http_reply_failure(rq, qs, p);
			goto out;
		}
	}
	crypto_uuid_v4(id);
	if (summary != NULL) {
		snprintf(place, sizeof(place), "conversation/%s/summary", id);
		summary_param = sealed_param(place, summary, strlen(summary));
	}
	snprintf(duration, sizeof(duration), "%lld",
	         (long long)json_integer_value(json_object_get(b, "duration_minutes")));
	params[0] = id;
	params[1] = row_value(row, 0, "id");
	params[2] = volunteer;
	params[3] = json_string_value(json_object_get(b, "held_on"));
	params[4] = duration;
	params[5] = summary_param;
	params[6] = json_string_value(json_object_get(b, "next_step"));
	res = db_exec(rq->db, &stmt_insert, params, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		goto out;
	}
	if (strcmp(row_value(row, 0, "state"), "contacted") == 0)
		qs = request_move(rq, row, "conversation_held", NULL, NULL, NULL);
	if (qs < 0) {
		http_reply_db_error(rq, qs);
		goto out;
	}
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
	free(summary_param);
	if (res != NULL)
		PQclear(res);
	PQclear(row);
}

static struct db_stmt stmt_list =
    DB_STMT("conversations_list",
            "SELECT " CONVERSATION_COLUMNS " FROM conversation WHERE request_id = $1"
            " ORDER BY conversation.held_on, conversation.created_at, conversation.id",
            1);

enum db_qs
conversations_of(const struct http_request *rq, const char *request_id, json_t **items,
                 json_t **problem)
{
	bool broken = false;
	enum db_qs qs;
	PGresult *res = db_exec(rq->db, &stmt_list, (const char *const[]){request_id}, &qs);

	*items = NULL;
	*problem = NULL;
	if (res == NULL)
		return qs;
	*items = json_array();
	for (int i = 0; i < PQntuples(res); i++)
		json_array_append_new(*items, conversation_json(res, i, &broken));
	PQclear(res);
	if (broken) {
		json_decref(*items);
		*items = NULL;
		*problem = problem_new(
		    ERR_INTERNAL,
		    "A conversation summary cannot be decrypted; the incident is logged.",
		    rq->request_id);
		return DB_HARD_ERROR;
	}
	return qs;
}

/* GET /v1/requests/{id}/conversations: with the summaries opened; logged as
 * a read of the citizen's data. */
static void
conversations_list(struct http_request *rq)
{
	PGresult *row;
	json_t *items, *p;
	enum db_qs qs = request_fetch(rq, http_param(rq, "id"), false, &row);

	if (row == NULL) {
		http_reply_fetch_failure(rq, qs, "request");
		return;
	}
	qs = conversations_of(rq, row_value(row, 0, "id"), &items, &p);
	if (items == NULL) {
		http_reply_failure(rq, qs, p);
		goto out;
	}
	qs = access_log_write(rq, "read", row_value(row, 0, "id"), NULL,
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
