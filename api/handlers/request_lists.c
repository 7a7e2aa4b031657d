/* request_lists.c - finding requests: GET /v1/requests, the centre's
 * requests oldest first with filters and without personal data (a listing
 * is not a read of anyone's data), and POST /v1/requests/search, the exact
 * search by phone or e-mail through the blind indexes or by a request's
 * reference, whose matches come with the citizen's data and are each
 * written to the access log. The request itself: api/handlers/requests.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/crypto.h"
#include "../../lib/db.h"
#include "../../lib/http.h"
#include "../../lib/list.h"
#include "../../lib/problem.h"
#include "../../lib/row.h"
#include "../../lib/spec.h"
#include "../access_log.h"
#include "../pipeline/auth.h"
#include "request_states.h"
#include "requests.h"
#include "../routes.h"

static const struct spec_field state_item = {.type = SPEC_STRING,
                                             .enum_values = request_state_names};

static const struct spec_field requests_list_query[] = {
    {.name = "state", .type = SPEC_ARRAY, .flags = SPEC_UNIQUE, .max = 11, .items = &state_item},
    SPEC_ENUM("source", 0, request_sources),
    SPEC_UUID("assigned_volunteer_id", 0),
    SPEC_DATE("received_from", 0),
    SPEC_DATE("received_to", 0),
    {.name = "limit", .type = SPEC_INTEGER, .min = 1, .max = 200},
    {.name = "cursor", .type = SPEC_STRING, .max = 80, .format = SPEC_FMT_KEYSET},
    SPEC_END};

/* Search criteria travel in a body, never in the URL: URLs end up in proxy
 * logs and browser histories. */
static const struct spec_field requests_search_spec[] = {
    SPEC_TEXT("phone", 0, 8, 30),
    SPEC_EMAIL("email", 0),
    SPEC_TEXT("reference", 0, 1, 100),
    {.name = "limit", .type = SPEC_INTEGER, .min = 1, .max = 200},
    SPEC_END};

static struct db_stmt stmt_list =
    DB_STMT("requests_list",
            "SELECT " REQUEST_COLUMNS " FROM request WHERE centre_id = kompas_centre()"
            " AND ($1::bytea IS NULL OR phone_bidx = $1::bytea)"
            " AND ($2::bytea IS NULL OR email_bidx = $2::bytea)"
            " AND ($3::text IS NULL OR (created_at, id) > (split_part($3, '_', 1)::timestamptz,"
            "      split_part($3, '_', 2)::uuid))"
            " AND ($5::text[] IS NULL OR state = ANY($5::text[]))"
            " AND ($6::text IS NULL OR source = $6)"
            " AND ($7::uuid IS NULL OR assigned_volunteer_id = $7)"
            " AND ($8::date IS NULL OR created_at >= $8::date)"
            " AND ($9::date IS NULL OR created_at < $9::date + 1)"
            /* a reference: the portal's (as written or in capitals), or the
             * beginning of the id (at least 8 of its characters) */
            " AND ($10::text IS NULL OR portal_reference IN ($10, upper($10))"
            "      OR ($10 ~ '^[0-9a-fA-F-]{8,36}$' AND id::text LIKE lower($10) || '%'))"
            " ORDER BY request.created_at, request.id LIMIT $4",
            10);

/* A list entry (REQUEST_COLUMNS) in answer order; categories follow. */
static const struct row_field summary_fields[] = {ROW_TEXT("id"),
                                                  ROW_TEXT("source"),
                                                  ROW_TEXT_OR_NULL("portal_reference"),
                                                  ROW_TEXT("state"),
                                                  ROW_TEXT_OR_NULL("postal_code"),
                                                  ROW_TEXT_OR_NULL("age_band"),
                                                  ROW_TEXT("created_at"),
                                                  ROW_TEXT("updated_at"),
                                                  ROW_TEXT_OR_NULL("assigned_volunteer_id"),
                                                  ROW_END};

/* The list entry without personal data (a listing is not a read). */
static json_t *
request_summary_json(const PGresult *res, int row)
{
	json_t *j = row_json(res, row, summary_fields);

	/* the needs (category ids) are not personal data on their own */
	json_object_set_new(j, "categories", request_json_or_array(res, row, "categories"));
	return j;
}

/* The criterion of a search as it is logged: field names and the keyed
 * hashes that were compared, never the values themselves. */
static json_t *
search_criterion(const char *phone_bidx, const char *email_bidx, const char *reference)
{
	json_t *c = json_object();

	if (phone_bidx != NULL)
		json_object_set_new(c, "phone", json_string(phone_bidx));
	if (email_bidx != NULL)
		json_object_set_new(c, "email", json_string(email_bidx));
	/* a reference names a request, not a citizen: logged as given */
	if (reference != NULL)
		json_object_set_new(c, "reference", json_string(reference));
	return c;
}

/* Run the list statement with optional search criteria (blind indexes, a
 * reference) and a cursor. Answers nothing: the result (the caller's to
 * PQclear), or NULL with the query status in *qs for the caller to answer. */
static PGresult *
list_rows(struct http_request *rq, const char *pb, const char *eb, const char *ref,
          const char *cursor, long long limit, enum db_qs *qs)
{
	const json_t *q = rq->query;
	char fetch[24], *states = NULL;
	const char *params[10] = {pb, eb, cursor, fetch};
	PGresult *res;

	snprintf(fetch, sizeof(fetch), "%lld", limit + 1);
	params[9] = ref;
	/* the filters apply to the plain list only (a search has a body) */
	if (pb == NULL && eb == NULL && ref == NULL && q != NULL) {
		if (json_object_get(q, "state") != NULL)
			states = db_uuid_array_param(json_object_get(q, "state")); /* enum names */
		params[4] = states;
		params[5] = json_string_value(json_object_get(q, "source"));
		params[6] = json_string_value(json_object_get(q, "assigned_volunteer_id"));
		params[7] = json_string_value(json_object_get(q, "received_from"));
		params[8] = json_string_value(json_object_get(q, "received_to"));
	}
	res = db_exec(rq->db, &stmt_list, params, qs);
	free(states);
	return res;
}

static long long
limit_of(const json_t *obj)
{
	json_t *jl = json_object_get(obj, "limit");

	return jl ? json_integer_value(jl) : 50;
}

/* The plain list: list_rows's statement without search criteria (phone
 * and e-mail blind indexes $1, $2 and the reference $10 NULL). */
static const struct list_param requests_list_params[] = {LIST_NULL,
                                                         LIST_NULL,
                                                         LIST_QUERY("cursor"),
                                                         LIST_FETCH,
                                                         LIST_QUERY("state"),
                                                         LIST_QUERY("source"),
                                                         LIST_QUERY("assigned_volunteer_id"),
                                                         LIST_QUERY("received_from"),
                                                         LIST_QUERY("received_to"),
                                                         LIST_NULL,
                                                         LIST_END};

static const struct keyset_list requests_list_decl = {.stmt = &stmt_list,
                                                      .query = requests_list_query,
                                                      .params = requests_list_params,
                                                      .row_json = request_summary_json,
                                                      .path = "/v1/requests"};

/* GET /v1/requests: the centre's requests, oldest first (keyset paged),
 * without personal data: a listing is not a read of anyone's data. */
static void
requests_list(struct http_request *rq)
{
	keyset_list_run(rq, &requests_list_decl);
}

/* Log one search entry per match, or one without a subject if none. */
static enum db_qs
log_search(struct http_request *rq, PGresult *res, int shown, const json_t *crit)
{
	enum db_qs qs = DB_ONE_RESULT;

	for (int i = 0; i < shown && qs >= 0; i++)
		qs = access_log_write(rq, "search", row_value(res, i, "id"), crit,
		                      "a coordinator searched for the citizen");
	if (shown == 0)
		qs = access_log_write(rq, "search", NULL, crit,
		                      "a coordinator searched; nothing was found");
	return qs;
}

/* POST /v1/requests/search {phone | email | reference}: exact search
 * through the blind indexes (and by the request's reference); the matches
 * come with the citizen's data, and each is logged. */
static void
requests_search(struct http_request *rq)
{
	const char *phone = json_string_value(json_object_get(rq->body, "phone"));
	const char *email = json_string_value(json_object_get(rq->body, "email"));
	const char *ref = json_string_value(json_object_get(rq->body, "reference"));
	long long limit = limit_of(rq->body);
	char *pb = NULL, *eb = NULL, norm[300];
	json_t *items = NULL, *crit = NULL, *p;
	enum db_qs qs;
	PGresult *res = NULL;
	int shown;

	if (phone == NULL && email == NULL && ref == NULL) {
		p = problem_new(ERR_VALIDATION_FAILED, NULL, rq->request_id);
		problem_add_field_error(p, "phone", ERR_FIELD_REQUIRED,
		                        "give a phone, an e-mail or a reference");
		http_reply_problem_json(rq, p);
		return;
	}
	if (phone != NULL) {
		if (crypto_normalise_phone(phone, norm, sizeof(norm)) != 0) {
			p = problem_new(ERR_VALIDATION_FAILED, NULL, rq->request_id);
			problem_add_field_error(p, "phone", ERR_FIELD_FORMAT,
			                        "must be a phone number with at least 8 digits");
			http_reply_problem_json(rq, p);
			return;
		}
		pb = request_blind_param("phone", norm);
	}
	if (email != NULL && crypto_normalise_email(email, norm, sizeof(norm)) == 0)
		eb = request_blind_param("email", norm);
	res = list_rows(rq, pb, eb, ref, NULL, limit, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		goto out;
	}
	shown = PQntuples(res) < limit ? PQntuples(res) : (int)limit;
	items = json_array();
	for (int i = 0; i < shown; i++) {
		json_t *item = request_full_json(res, i);

		if (item == NULL) {
			http_reply_problem(rq, ERR_INTERNAL,
			                   "A citizen's data cannot be decrypted; the incident is "
			                   "logged.");
			goto out;
		}
		json_array_append_new(items, item);
	}
	crit = search_criterion(pb, eb, ref);
	qs = log_search(rq, res, shown, crit);
	if (qs < 0) {
		http_reply_db_error(rq, qs);
		goto out;
	}
	http_reply_json(rq, 200,
	                json_pack("{s:O, s:b}", "items", items, "more", PQntuples(res) > limit));
out:
	json_decref(items);
	json_decref(crit);
	if (res != NULL)
		PQclear(res);
	free(pb);
	free(eb);
}

/* The routes of the list and the search, joined into the one table by
 * api/routes.c. */
static const struct route routes[] = {
    {"GET", "/v1/requests", requests_list, DB, ROLE_COORDINATOR | ROLE_GUIDE, NULL,
     requests_list_query, NULL},
    {"POST", "/v1/requests/search", requests_search, DB | BODY, ROLE_COORDINATOR,
     requests_search_spec, NULL, NULL},
};

API_ROUTES(request_lists_routes, routes);
