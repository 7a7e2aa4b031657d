/* categories.c - the vocabulary of activity types, target groups, needs and
 * interests that associations, events, requests and volunteers are tagged
 * with. A shared vocabulary (centre_id null, changed by admins) and each
 * centre's own additions (changed by its coordinators). Everyone reads the
 * shared one and their centre's; row-level security hides other centres'
 * additions (404), except from admins and FriSe's analysts. */
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
#include "../pipeline/auth.h"
#include "../text_cursor.h"
#include "../sql_format.h"

/* The columns of a category, named for category_fields (lib/row.h). */
/* clang-format off */
#define CATEGORY_COLUMNS                                                                           \
	"id, centre_id, kind, slug, name_da, name_en, " TS("created_at") " AS created_at,"         \
	" " TS("updated_at") " AS updated_at, version"
/* clang-format on */

/* A category's answer, in this order. */
static const struct row_field category_fields[] = {
    ROW_TEXT("id"),         ROW_TEXT_OR_NULL("centre_id"), ROW_TEXT("kind"),
    ROW_TEXT("slug"),       ROW_TEXT("name_da"),           ROW_TEXT("name_en"),
    ROW_TEXT("created_at"), ROW_TEXT("updated_at"),        ROW_END};

static const char *const kinds[] = {"activity", "target_group", "need", "interest", NULL};

static const struct spec_field categories_create_spec[] = {
    SPEC_ENUM("kind", SPEC_REQUIRED, kinds),
    {.name = "slug",
     .type = SPEC_STRING,
     .flags = SPEC_REQUIRED,
     .min = 1,
     .max = 60,
     .format = SPEC_FMT_SLUG},
    SPEC_TEXT("name_da", SPEC_REQUIRED, 1, 80),
    SPEC_TEXT("name_en", SPEC_REQUIRED, 1, 80),
    SPEC_UUID("centre_id", SPEC_NULLABLE),
    SPEC_END};

static const struct spec_field categories_update_spec[] = {
    SPEC_TEXT("name_da", 0, 1, 80), SPEC_TEXT("name_en", 0, 1, 80), SPEC_END};

static const struct spec_field categories_list_query[] = {
    SPEC_ENUM("kind", 0, kinds),
    SPEC_UUID("centre_id", 0),
    {.name = "limit", .type = SPEC_INTEGER, .min = 1, .max = 200},
    {.name = "cursor", .type = SPEC_STRING, .min = 1, .max = TEXT_CURSOR_MAX},
    SPEC_END};

/* Answer `status` with the category of res (one row of CATEGORY_COLUMNS),
 * its ETag, and for 201 its Location. */
static void
reply_category(struct http_request *rq, unsigned status, const PGresult *res)
{
	char location[64];

	http_reply_json(rq, status, row_json(res, 0, category_fields));
	http_set_etag(rq, row_value(res, 0, "version"));
	if (status == 201) {
		snprintf(location, sizeof(location), "/v1/categories/%s", row_value(res, 0, "id"));
		http_set_header(rq, "Location", location);
	}
}

static struct db_stmt stmt_list =
    DB_STMT("categories_list",
            "SELECT " CATEGORY_COLUMNS " FROM category"
            " WHERE ($1::text IS NULL OR kind = $1)"
            " AND ($2::uuid IS NULL OR centre_id IS NULL OR centre_id = $2)"
            " AND ($3::text IS NULL OR (kind, name_da COLLATE kompas_da, id)"
            "      > ($3, $4::text COLLATE kompas_da, $5::uuid))"
            " ORDER BY kind, name_da COLLATE kompas_da, id LIMIT $6",
            6);

static const struct list_param categories_list_params[] = {LIST_QUERY("kind"),
                                                           LIST_QUERY("centre_id"),
                                                           LIST_CURSOR(0),
                                                           LIST_CURSOR(1),
                                                           LIST_CURSOR(2),
                                                           LIST_FETCH,
                                                           LIST_END};

/* The cursor's text is "<kind>/<name_da>". */
static const struct list_cursor categories_cursor = TEXT_CURSOR("kind", "name_da", "id");

static const struct keyset_list categories_list_decl = {.stmt = &stmt_list,
                                                        .query = categories_list_query,
                                                        .params = categories_list_params,
                                                        .fields = category_fields,
                                                        .cursor = &categories_cursor,
                                                        .path = "/v1/categories"};

/* GET /v1/categories?kind=&centre_id=&limit=&cursor=: the shared vocabulary
 * and the caller's centre's additions (for admins and analysts, every
 * centre's, or one centre's with centre_id), by kind and Danish name. */
static void
categories_list(struct http_request *rq)
{
	keyset_list_run(rq, &categories_list_decl);
}

static struct db_stmt stmt_get =
    DB_STMT("categories_get", "SELECT " CATEGORY_COLUMNS " FROM category WHERE id = $1", 1);

/* The category named in the path into *row (NULL when none is visible).
 * Returns the query status (http_fetch_row); answers nothing. */
static enum db_qs
fetch_category(const struct http_request *rq, PGresult **row)
{
	return http_fetch_row(rq, &stmt_get, http_param(rq, "id"), row);
}

/* GET /v1/categories/{id} */
static void
categories_get(struct http_request *rq)
{
	PGresult *res;
	enum db_qs qs = fetch_category(rq, &res);

	if (res == NULL) {
		http_reply_fetch_failure(rq, qs, "category");
		return;
	}
	reply_category(rq, 200, res);
	PQclear(res);
}

static struct db_stmt stmt_insert =
    DB_STMT("categories_insert",
            "INSERT INTO category (centre_id, kind, slug, name_da, name_en)"
            " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING " CATEGORY_COLUMNS,
            5);

static struct db_stmt stmt_centre_exists =
    DB_STMT("categories_centre_exists", "SELECT 1 FROM centre WHERE id = $1", 1);

/* POST /v1/categories: admins add to the shared vocabulary (or, with
 * centre_id, to a centre's); coordinators to their centre's. 409 when the
 * slug is taken within the kind (and centre). */
static void
categories_create(struct http_request *rq)
{
	const char *centre = json_string_value(json_object_get(rq->body, "centre_id"));
	const char *params[5];
	enum db_qs qs;
	PGresult *res;

	if (rq->caller.role == ROLE_COORDINATOR) {
		if (centre != NULL && strcmp(centre, rq->caller.centre_id) != 0) {
			http_reply_field_error(rq, ERR_FORBIDDEN, "centre_id",
			                       ERR_FIELD_NOT_IN_ENUM,
			                       "coordinators add categories to their own centre");
			return;
		}
		if (json_is_null(json_object_get(rq->body, "centre_id"))) {
			http_reply_field_error(rq, ERR_FORBIDDEN, "centre_id",
			                       ERR_FIELD_NOT_IN_ENUM,
			                       "the shared vocabulary is changed by admins");
			return;
		}
		centre = rq->caller.centre_id;
	}
	if (centre != NULL) {
		res = db_exec(rq->db, &stmt_centre_exists, (const char *const[]){centre}, &qs);
		if (res == NULL) {
			http_reply_db_error(rq, qs);
			return;
		}
		PQclear(res);
		if (qs == DB_NO_RESULTS) {
			http_reply_field_error(rq, ERR_VALIDATION_FAILED, "centre_id",
			                       ERR_FIELD_NOT_IN_ENUM, "no such centre");
			return;
		}
	}
	params[0] = centre;
	params[1] = json_string_value(json_object_get(rq->body, "kind"));
	params[2] = json_string_value(json_object_get(rq->body, "slug"));
	params[3] = json_string_value(json_object_get(rq->body, "name_da"));
	params[4] = json_string_value(json_object_get(rq->body, "name_en"));
	res = db_exec(rq->db, &stmt_insert, params, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return;
	}
	if (qs == DB_NO_RESULTS) {
		PQclear(res);
		http_reply_field_error(rq, ERR_CONFLICT, "slug", ERR_FIELD_TAKEN,
		                       "another category of this kind has this slug");
		return;
	}
	reply_category(rq, 201, res);
	PQclear(res);
}

static struct db_stmt stmt_update =
    DB_STMT("categories_update",
            "UPDATE category SET name_da = coalesce($2, name_da), name_en = coalesce($3, name_en),"
            " updated_at = now(), version = version + 1"
            " WHERE id = $1 AND ($4::integer IS NULL OR version = $4) RETURNING " CATEGORY_COLUMNS,
            4);

/* PATCH /v1/categories/{id}: the names (merge patch; the kind and slug stay).
 * Honours If-Match. Coordinators change their centre's categories only. */
static void
categories_update(struct http_request *rq)
{
	const char *params[4];
	char version[24];
	long long want = 0;
	int m = http_if_match(rq, &want);
	PGresult *cur, *res;
	enum db_qs qs;

	qs = fetch_category(rq, &cur);
	if (cur == NULL) {
		http_reply_fetch_failure(rq, qs, "category");
		return;
	}
	if (rq->caller.role != ROLE_ADMIN && row_is_null(cur, 0, "centre_id")) {
		http_reply_problem(rq, ERR_FORBIDDEN,
		                   "The shared vocabulary is changed by admins; add a category of "
		                   "your centre instead.");
		goto out;
	}
	if (m < 0) {
		http_reply_problem(rq, ERR_PRECONDITION_FAILED,
		                   "If-Match is not a version of ours.");
		goto out;
	}
	snprintf(version, sizeof(version), "%lld", want);
	params[0] = row_value(cur, 0, "id");
	params[1] = json_string_value(json_object_get(rq->body, "name_da"));
	params[2] = json_string_value(json_object_get(rq->body, "name_en"));
	params[3] = m == 1 ? version : NULL;
	res = db_exec(rq->db, &stmt_update, params, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		goto out;
	}
	if (qs == DB_NO_RESULTS) {
		PQclear(res);
		http_reply_problem(rq, ERR_PRECONDITION_FAILED,
		                   "The category has changed since you read it; read it again.");
		goto out;
	}
	reply_category(rq, 200, res);
	PQclear(res);
out:
	PQclear(cur);
}

/* The routes of this resource, joined into the one table by api/routes.c. */
static const struct route routes[] = {
    /* categories and associations */
    {"GET", "/v1/categories", categories_list, RO, ROLES_ALL, NULL, categories_list_query, NULL},
    {"POST", "/v1/categories", categories_create, DB | BODY, ROLE_ADMIN | ROLE_COORDINATOR,
     categories_create_spec, NULL, NULL},
    {"GET", "/v1/categories/{id}", categories_get, DB, ROLES_ALL, NULL, NULL, "id=category"},
    {"PATCH", "/v1/categories/{id}", categories_update, DB | BODY, ROLE_ADMIN | ROLE_COORDINATOR,
     categories_update_spec, NULL, "id=category"},
};

API_ROUTES(categories_routes, routes);
