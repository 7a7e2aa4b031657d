/* centres.c - volunteer centres, the tenants of Kompas.
 *
 * A centre's name and contact details are public facts about an
 * organisation, not personal data. Creating a centre will be restricted to
 * the admin role by the identity work (issue 3). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/db.h"
#include "../../lib/http.h"
#include "../../lib/list.h"
#include "../../lib/problem.h"
#include "../../lib/row.h"
#include "../../lib/spec.h"
#include "../app.h"
#include "../routes.h"
#include "../sql_format.h"

/* The columns of a centre, named for centre_fields (lib/row.h). */
/* clang-format off */
#define CENTRE_COLUMNS                                                                             \
	"id, slug, name, municipality, postal_code, email, phone, website,"                        \
	" " TS("created_at") " AS created_at, " TS("updated_at") " AS updated_at,"                 \
	" array_to_json(cors_origins) AS cors_origins, version"
/* clang-format on */

/* A centre's answer, in this order. */
static const struct row_field centre_fields[] = {ROW_TEXT("id"),
                                                 ROW_TEXT("slug"),
                                                 ROW_TEXT("name"),
                                                 ROW_TEXT("municipality"),
                                                 ROW_TEXT_OR_NULL("postal_code"),
                                                 ROW_TEXT_OR_NULL("email"),
                                                 ROW_TEXT_OR_NULL("phone"),
                                                 ROW_TEXT_OR_NULL("website"),
                                                 ROW_JSON("cors_origins"),
                                                 ROW_TEXT("created_at"),
                                                 ROW_TEXT("updated_at"),
                                                 ROW_END};

static const struct spec_field centres_create_spec[] = {
    {.name = "slug",
     .type = SPEC_STRING,
     .flags = SPEC_REQUIRED,
     .min = 2,
     .max = 40,
     .format = SPEC_FMT_SLUG},
    SPEC_TEXT("name", SPEC_REQUIRED, 2, 120),
    SPEC_TEXT("municipality", SPEC_REQUIRED, 2, 60),
    SPEC_POSTAL_CODE("postal_code", SPEC_NULLABLE),
    SPEC_EMAIL("email", SPEC_NULLABLE),
    SPEC_TEXT("phone", SPEC_NULLABLE, 8, 20),
    SPEC_URL("website", SPEC_NULLABLE, 300),
    SPEC_END};

static const struct spec_field centres_list_query[] = {
    {.name = "limit", .type = SPEC_INTEGER, .min = 1, .max = 200},
    {.name = "cursor", .type = SPEC_STRING, .min = 2, .max = 40},
    SPEC_END};

/* One centre row (CENTRE_COLUMNS) as JSON. */
static json_t *
centre_json(const PGresult *res, int row)
{
	return row_json(res, row, centre_fields);
}

static struct db_stmt stmt_list =
    DB_STMT("centres_list",
            "SELECT " CENTRE_COLUMNS " FROM centre WHERE ($1::text IS NULL OR slug > $1)"
            " ORDER BY slug LIMIT $2",
            2);

static const struct list_param centres_list_params[] = {LIST_QUERY("cursor"), LIST_FETCH, LIST_END};

static const struct keyset_list centres_list_decl = {.stmt = &stmt_list,
                                                     .query = centres_list_query,
                                                     .params = centres_list_params,
                                                     .row_json = centre_json,
                                                     .cursor_column = "slug",
                                                     .path = "/v1/centres"};

/* GET /v1/centres?limit=&cursor=: centres ordered by slug, keyset paged. */
static void
centres_list(struct http_request *rq)
{
	keyset_list_run(rq, &centres_list_decl);
}

static struct db_stmt stmt_get =
    DB_STMT("centres_get", "SELECT " CENTRE_COLUMNS " FROM centre WHERE id = $1", 1);

/* GET /v1/centres/{id} */
static void
centres_get(struct http_request *rq)
{
	PGresult *res;
	enum db_qs qs = http_fetch_row(rq, &stmt_get, http_param(rq, "id"), &res);

	if (res == NULL) {
		http_reply_fetch_failure(rq, qs, "centre");
		return;
	}
	http_reply_json(rq, 200, centre_json(res, 0));
	http_set_etag(rq, row_value(res, 0, "version"));
	PQclear(res);
}

static struct db_stmt stmt_insert = DB_STMT(
    "centres_insert",
    "INSERT INTO centre (slug, name, municipality, postal_code, email, phone, website)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (slug) DO NOTHING RETURNING " CENTRE_COLUMNS,
    7);

static const char *
str_or_null(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* POST /v1/centres: 201 with the centre and its Location; 409 when the
 * slug is taken. */
static void
centres_create(struct http_request *rq)
{
	const char *params[7];
	char location[96];
	enum db_qs qs;
	PGresult *res;
	json_t *p;

	params[0] = str_or_null(rq->body, "slug");
	params[1] = str_or_null(rq->body, "name");
	params[2] = str_or_null(rq->body, "municipality");
	params[3] = str_or_null(rq->body, "postal_code");
	params[4] = str_or_null(rq->body, "email");
	params[5] = str_or_null(rq->body, "phone");
	params[6] = str_or_null(rq->body, "website");
	res = db_exec(rq->db, &stmt_insert, params, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return;
	}
	if (qs == DB_NO_RESULTS) {
		PQclear(res);
		p = problem_new(ERR_CONFLICT, "A centre with this slug exists already.",
		                rq->request_id);
		problem_add_field_error(p, "slug", ERR_FIELD_TAKEN, "is taken by another centre");
		http_reply_problem_json(rq, p);
		return;
	}
	snprintf(location, sizeof(location), "/v1/centres/%s", row_value(res, 0, "id"));
	http_reply_json(rq, 201, centre_json(res, 0));
	http_set_header(rq, "Location", location);
	http_set_etag(rq, row_value(res, 0, "version"));
	PQclear(res);
}

static const struct spec_field origin_item = {
    .type = SPEC_STRING, .max = 300, .format = SPEC_FMT_ORIGIN};

static const struct spec_field centres_update_spec[] = {
    SPEC_TEXT("name", 0, 2, 120),
    SPEC_TEXT("municipality", 0, 2, 60),
    SPEC_POSTAL_CODE("postal_code", SPEC_NULLABLE),
    SPEC_EMAIL("email", SPEC_NULLABLE),
    SPEC_TEXT("phone", SPEC_NULLABLE, 8, 20),
    SPEC_URL("website", SPEC_NULLABLE, 300),
    {.name = "cors_origins",
     .type = SPEC_ARRAY,
     .flags = SPEC_UNIQUE,
     .max = 10,
     .items = &origin_item},
    SPEC_END};

/* JSON merge patch (RFC 7396) in SQL: $k is the value, $k+1 says whether
 * the member was present (so null clears a nullable column). */
static struct db_stmt stmt_update = DB_STMT(
    "centres_update",
    "UPDATE centre SET name = coalesce($2, name), municipality = coalesce($3, municipality),"
    " postal_code = CASE WHEN $5::boolean THEN $4 ELSE postal_code END,"
    " email = CASE WHEN $7::boolean THEN $6 ELSE email END,"
    " phone = CASE WHEN $9::boolean THEN $8 ELSE phone END,"
    " website = CASE WHEN $11::boolean THEN $10 ELSE website END,"
    " cors_origins = CASE WHEN $12::json IS NULL THEN cors_origins"
    "   ELSE ARRAY(SELECT json_array_elements_text($12::json)) END,"
    " updated_at = now(), version = version + 1"
    " WHERE id = $1 AND ($13::integer IS NULL OR version = $13) RETURNING " CENTRE_COLUMNS,
    13);

static struct db_stmt stmt_version =
    DB_STMT("centres_version", "SELECT version FROM centre WHERE id = $1", 1);

/* PATCH /v1/centres/{id} (admins): merge patch, honouring If-Match. */
static void
centres_update(struct http_request *rq)
{
	static const char *const nullable[] = {"postal_code", "email", "phone", "website"};
	const char *id = http_param(rq, "id");
	json_t *origins = json_object_get(rq->body, "cors_origins");
	char *origins_text = origins ? json_dumps(origins, JSON_COMPACT) : NULL;
	const char *params[13];
	char version[24];
	long long want = 0;
	int m = http_if_match(rq, &want);
	enum db_qs qs;
	PGresult *res;

	if (m < 0) {
		http_reply_problem(rq, ERR_PRECONDITION_FAILED,
		                   "If-Match is not a version of ours.");
		goto out;
	}
	snprintf(version, sizeof(version), "%lld", want);
	params[0] = id;
	params[1] = str_or_null(rq->body, "name");
	params[2] = str_or_null(rq->body, "municipality");
	for (int i = 0; i < 4; i++) {
		params[3 + 2 * i] = str_or_null(rq->body, nullable[i]);
		params[4 + 2 * i] = json_object_get(rq->body, nullable[i]) ? "true" : "false";
	}
	params[11] = origins_text;
	params[12] = m == 1 ? version : NULL;
	res = db_exec(rq->db, &stmt_update, params, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		goto out;
	}
	if (qs == DB_NO_RESULTS) {
		PQclear(res);
		res = db_exec(rq->db, &stmt_version, (const char *const[]){id}, &qs);
		if (res == NULL) {
			http_reply_db_error(rq, qs);
			goto out;
		}
		if (qs == DB_NO_RESULTS)
			http_reply_not_found(rq, "centre");
		else
			http_reply_stale(rq, "centre");
		PQclear(res);
		goto out;
	}
	http_reply_json(rq, 200, centre_json(res, 0));
	http_set_etag(rq, row_value(res, 0, "version"));
	PQclear(res);
out:
	free(origins_text);
}

/* The routes of this resource, joined into the one table by api/routes.c. */
static const struct route routes[] = {
    /* centres */
    {"GET", "/v1/centres", centres_list, RO, 0, NULL, centres_list_query, NULL},
    {"POST", "/v1/centres", centres_create, DB | BODY, ROLE_ADMIN, centres_create_spec, NULL, NULL},
    {"GET", "/v1/centres/{id}", centres_get, RO, 0, NULL, NULL, "id=centre"},
    {"PATCH", "/v1/centres/{id}", centres_update, DB | BODY, ROLE_ADMIN, centres_update_spec, NULL,
     "id=centre"},
};

API_ROUTES(centres_routes, routes);
