/* volunteer_lists.c - GET /v1/volunteers: the centre's volunteers (an
 * admin's: every centre's) by name, keyset paged with an opaque cursor,
 * filtered by status, language, postal area, interest, training or record
 * check running out, and name. The records: api/volunteers.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "../lib/db.h"
#include "../lib/http.h"
#include "../lib/problem.h"
#include "../lib/row.h"
#include "../lib/spec.h"
#include "auth.h"
#include "routes.h"
#include "volunteers.h"

static const struct spec_field status_item = {.type = SPEC_STRING,
                                              .enum_values = volunteer_statuses};

static const struct spec_field volunteers_list_query[] = {
    {.name = "status",
     .type = SPEC_ARRAY,
     .flags = SPEC_UNIQUE,
     .min = 1,
     .max = 6,
     .items = &status_item},
    {.name = "language", .type = SPEC_STRING, .min = 2, .max = 2},
    SPEC_POSTAL_CODE("postal_area", 0),
    SPEC_UUID("interest", 0),
    {.name = "expiring_within_days", .type = SPEC_INTEGER, .min = 1, .max = 365},
    SPEC_TEXT("q", 0, 1, 100),
    SPEC_UUID("centre_id", 0),
    {.name = "limit", .type = SPEC_INTEGER, .min = 1, .max = 200},
    {.name = "cursor", .type = SPEC_STRING, .min = 38, .max = 1200},
    SPEC_END};

/* --- the list ----------------------------------------------------------------------- */

/* The newest check of each kind and the newest completion of each module
 * count: one renewed in time is not expiring. */
static struct db_stmt stmt_list = DB_STMT(
    "volunteers_list",
    "SELECT " VOLUNTEER_COLUMNS " FROM volunteer v"
    " WHERE (kompas_centre() IS NULL OR v.centre_id = kompas_centre())"
    " AND ($1::uuid IS NULL OR v.centre_id = $1)"
    " AND ($2::json IS NULL OR v.status IN (SELECT json_array_elements_text($2::json)))"
    " AND ($3::text IS NULL OR $3 = ANY (v.languages))"
    " AND ($4::text IS NULL OR $4 = ANY (v.postal_areas))"
    " AND ($5::uuid IS NULL OR EXISTS (SELECT 1 FROM volunteer_interest i"
    "      WHERE i.volunteer_id = v.id AND i.category_id = $5))"
    " AND ($6::integer IS NULL"
    "      OR EXISTS (SELECT 1 FROM (SELECT DISTINCT ON (r.kind) r.valid_until AS due"
    "        FROM volunteer_record_check r WHERE r.volunteer_id = v.id"
    "        ORDER BY r.kind, r.checked_on DESC, r.valid_until DESC) x"
    "        WHERE x.due BETWEEN " TODAY " AND " TODAY " + $6::integer)"
    "      OR EXISTS (SELECT 1 FROM (SELECT DISTINCT ON (t.module) t.expires_on AS due"
    "        FROM volunteer_training t WHERE t.volunteer_id = v.id"
    "        ORDER BY t.module, t.completed_on DESC, t.expires_on DESC NULLS FIRST) y"
    "        WHERE y.due BETWEEN " TODAY " AND " TODAY " + $6::integer))"
    " AND ($7::text IS NULL OR v.name ILIKE '%' || replace(replace(replace($7, '\\', '\\\\'),"
    "      '%', '\\%'), '_', '\\_') || '%')"
    " AND ($8::text IS NULL OR (v.name, v.id) > ($8, $9::uuid))"
    " ORDER BY v.name, v.id LIMIT $10",
    10);

/* A list cursor: base64url of the last name, ".", the last id. */
static void
make_cursor(const char *name, const char *id, char *out, size_t outlen)
{
	size_t n = strlen(name);
	size_t need = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char *b64 = malloc(need);

	if (b64 == NULL)
		abort();
	sodium_bin2base64(b64, need, (const unsigned char *)name, n,
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	snprintf(out, outlen, "%s.%s", b64, id);
	free(b64);
}

/* Split a cursor into name (a new string, caller frees) and id; false when
 * it is not one of ours. */
static bool
parse_cursor(const char *cursor, char **name, char id[37])
{
	const char *dot = strrchr(cursor, '.');
	size_t blen, nlen;
	unsigned char *bin;
	json_t *check;

	*name = NULL;
	if (dot == NULL || !spec_format_ok(SPEC_FMT_UUID, dot + 1) || strlen(dot + 1) != 36)
		return false;
	memcpy(id, dot + 1, 37);
	blen = (size_t)(dot - cursor);
	bin = malloc(blen + 1);
	if (bin == NULL)
		abort();
	if (sodium_base642bin(bin, blen + 1, cursor, blen, NULL, &nlen, NULL,
	                      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    nlen == 0 || memchr(bin, '\0', nlen) != NULL) {
		free(bin);
		return false;
	}
	bin[nlen] = '\0';
	check = json_stringn((const char *)bin, nlen); /* NULL unless valid UTF-8 */
	if (check == NULL) {
		free(bin);
		return false;
	}
	json_decref(check);
	*name = (char *)bin;
	return true;
}

static void
reply_query_error(struct http_request *rq, const char *field, enum err_code code,
                  const char *message)
{
	json_t *p = problem_new(ERR_VALIDATION_FAILED, NULL, rq->request_id);

	problem_add_field_error(p, field, code, message);
	http_reply_problem_json(rq, p);
}

/* GET /v1/volunteers: the centre's volunteers by name, keyset paged, with
 * filters (status, language, postal_area, interest, expiring_within_days,
 * q on the name; admins also centre_id). */
static void
volunteers_list(struct http_request *rq)
{
	const json_t *q = rq->query;
	json_t *jl = json_object_get(q, "limit"),
	       *jexp = json_object_get(q, "expiring_within_days");
	long long limit = jl ? json_integer_value(jl) : 50;
	const char *cursor = str_of(q, "cursor");
	char fetch[24], days[24], cid[37], next[1400];
	char *status = NULL, *cname = NULL;
	const char *params[10];
	json_t *items, *p;
	PGresult *res;
	enum db_qs qs;
	int n;

	if (str_of(q, "language") != NULL && !volunteer_is_language(str_of(q, "language"))) {
		reply_query_error(rq, "language", ERR_FIELD_NOT_IN_ENUM, LANGUAGE_MESSAGE);
		return;
	}
	if (cursor != NULL && !parse_cursor(cursor, &cname, cid)) {
		reply_query_error(rq, "cursor", ERR_FIELD_FORMAT,
		                  "is not a cursor of this list: follow next");
		return;
	}
	if (json_object_get(q, "status") != NULL)
		status = json_dumps(json_object_get(q, "status"), JSON_COMPACT);
	snprintf(fetch, sizeof(fetch), "%lld", limit + 1);
	snprintf(days, sizeof(days), "%lld", jexp ? json_integer_value(jexp) : 0);
	params[0] = str_of(q, "centre_id");
	params[1] = status;
	params[2] = str_of(q, "language");
	params[3] = str_of(q, "postal_area");
	params[4] = str_of(q, "interest");
	params[5] = jexp ? days : NULL;
	params[6] = str_of(q, "q");
	params[7] = cname;
	params[8] = cname ? cid : NULL;
	params[9] = fetch;
	qs = volunteer_run(rq, &stmt_list, params, &res, &p);
	free(status);
	free(cname);
	if (res == NULL) {
		volunteer_reply_failure(rq, qs, p);
		return;
	}
	n = PQntuples(res);
	items = json_array();
	for (int i = 0; i < n && i < limit; i++)
		json_array_append_new(items, volunteer_json(res, i));
	if (n > limit)
		make_cursor(row_value(res, (int)limit - 1, "name"),
		            row_value(res, (int)limit - 1, "id"), next, sizeof(next));
	http_reply_json(
	    rq, 200,
	    json_pack("{s:o, s:o}", "items", items, "next",
	              n > limit ? http_next_link(rq, "/v1/volunteers", next) : json_null()));
	PQclear(res);
}

/* The route of the list, joined into the one table by api/routes.c. */
static const struct route routes[] = {
    {"GET", "/v1/volunteers", volunteers_list, DB, ROLE_ADMIN | ROLE_COORDINATOR, NULL,
     volunteers_list_query, NULL},
};

API_ROUTES(volunteer_lists_routes, routes);
