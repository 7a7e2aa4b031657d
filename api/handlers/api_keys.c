/* api_keys.c - integration keys for portals (per centre) and FriSe's
 * statistics scripts (national analysts). A key is shown once, at
 * creation; only its keyed hash is stored. */
#include <stdio.h>
#include <string.h>

#include "../../lib/crypto.h"
#include "../../lib/db.h"
#include "../../lib/http.h"
#include "../../lib/list.h"
#include "../../lib/problem.h"
#include "../../lib/row.h"
#include "../../lib/spec.h"
#include "../app.h"
#include "../routes.h"
#include "../pipeline/auth.h"
#include "../sql_format.h"

/* The columns of a key, named for key_fields (lib/row.h). A statement that
 * orders by a column also named here qualifies it (api_key.created_at), or
 * the order would be the formatted text's. */
/* clang-format off */
#define KEY_COLUMNS                                                                                \
	"id, name, role, centre_id, created_by, " TS("created_at") " AS created_at,"               \
	" " TS("last_used_at") " AS last_used_at, " TS("revoked_at") " AS revoked_at"
/* clang-format on */

/* A key's answer, in this order (never the key itself). */
static const struct row_field key_fields[] = {ROW_TEXT("id"),
                                              ROW_TEXT("name"),
                                              ROW_TEXT("role"),
                                              ROW_TEXT_OR_NULL("centre_id"),
                                              ROW_TEXT_OR_NULL("created_by"),
                                              ROW_TEXT("created_at"),
                                              ROW_TEXT_OR_NULL("last_used_at"),
                                              ROW_TEXT_OR_NULL("revoked_at"),
                                              ROW_END};

static const char *const key_roles[] = {"portal", "analyst", NULL};

static const struct spec_field api_keys_create_spec[] = {
    SPEC_TEXT("name", SPEC_REQUIRED, 1, 120), SPEC_ENUM("role", SPEC_REQUIRED, key_roles),
    SPEC_UUID("centre_id", SPEC_NULLABLE), SPEC_END};

static const struct spec_field api_keys_list_query[] = {
    {.name = "include_revoked", .type = SPEC_BOOLEAN},
    {.name = "limit", .type = SPEC_INTEGER, .min = 1, .max = 200},
    {.name = "cursor", .type = SPEC_STRING, .max = 80, .format = SPEC_FMT_KEYSET},
    SPEC_END};

/* One key row (KEY_COLUMNS) as JSON. */
static json_t *
key_json(const PGresult *res, int row)
{
	return row_json(res, row, key_fields);
}

static struct db_stmt stmt_insert =
    DB_STMT("api_keys_insert",
            "INSERT INTO api_key (name, role, centre_id, key_hash, created_by)"
            " SELECT $1, $2, $3, $4::bytea, $5 WHERE $3::uuid IS NULL"
            " OR EXISTS (SELECT 1 FROM centre WHERE id = $3) RETURNING " KEY_COLUMNS,
            5);

/* POST /v1/api-keys: 201 with the key in "key", shown this once. */
static void
api_keys_create(struct http_request *rq)
{
	const char *role = json_string_value(json_object_get(rq->body, "role"));
	const char *centre = json_string_value(json_object_get(rq->body, "centre_id"));
	char key[CRYPTO_TOKEN_TEXT_MAX], hash[80], location[64];
	const char *params[5];
	json_t *body;
	enum db_qs qs;
	PGresult *res;

	if (rq->caller.role == ROLE_COORDINATOR) {
		if (strcmp(role, "portal") != 0) {
			http_reply_field_error(rq, ERR_FORBIDDEN, "role", ERR_FIELD_NOT_IN_ENUM,
			                       "coordinators create portal keys for their centre");
			return;
		}
		if (centre != NULL && strcmp(centre, rq->caller.centre_id) != 0) {
			http_reply_field_error(rq, ERR_FORBIDDEN, "centre_id",
			                       ERR_FIELD_NOT_IN_ENUM,
			                       "coordinators create keys for their own centre");
			return;
		}
		centre = rq->caller.centre_id;
	}
	if ((strcmp(role, "portal") == 0) != (centre != NULL)) {
		http_reply_field_error(rq, ERR_VALIDATION_FAILED, "centre_id",
		                       ERR_FIELD_NOT_IN_ENUM,
		                       centre ? "analyst keys are national: give no centre"
		                              : "a portal key needs its centre");
		return;
	}
	crypto_token_new(TOKEN_PREFIX_KEY, key, sizeof(key));
	auth_token_hash_param(key, hash, sizeof(hash));
	params[0] = json_string_value(json_object_get(rq->body, "name"));
	params[1] = role;
	params[2] = centre;
	params[3] = hash;
	params[4] = rq->caller.account_id;
	res = db_exec(rq->db, &stmt_insert, params, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		goto out;
	}
	if (qs == DB_NO_RESULTS) {
		PQclear(res);
		http_reply_field_error(rq, ERR_VALIDATION_FAILED, "centre_id",
		                       ERR_FIELD_NOT_IN_ENUM, "no such centre");
		goto out;
	}
	body = key_json(res, 0);
	json_object_set_new(body, "key", json_string(key));
	snprintf(location, sizeof(location), "/v1/api-keys/%s", row_value(res, 0, "id"));
	PQclear(res);
	http_reply_json(rq, 201, body);
	http_set_header(rq, "Location", location);
out:
	sodium_memzero(key, sizeof(key));
}

static struct db_stmt stmt_list =
    DB_STMT("api_keys_list",
            "SELECT " KEY_COLUMNS
            ", " TSUS("created_at") " AS cursor_time FROM api_key"
                                    " WHERE ($1::boolean OR revoked_at IS NULL)"
                                    " AND ($2::text IS NULL OR (created_at, id) > (split_part($2, "
                                    "'_', 1)::timestamptz,"
                                    "      split_part($2, '_', 2)::uuid))"
                                    " ORDER BY api_key.created_at, api_key.id LIMIT $3",
            3);

static const struct list_param api_keys_list_params[] = {
    LIST_QUERY_OR("include_revoked", "false"), LIST_QUERY("cursor"), LIST_FETCH, LIST_END};

static const struct keyset_list api_keys_list_decl = {.stmt = &stmt_list,
                                                      .query = api_keys_list_query,
                                                      .params = api_keys_list_params,
                                                      .fields = key_fields,
                                                      .path = "/v1/api-keys"};

/* GET /v1/api-keys: the keys the caller may manage, oldest first, keyset
 * paged (never the keys themselves). */
static void
api_keys_list(struct http_request *rq)
{
	keyset_list_run(rq, &api_keys_list_decl);
}

static struct db_stmt stmt_revoke =
    DB_STMT("api_keys_revoke",
            "UPDATE api_key SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1"
            " RETURNING id",
            1);

/* DELETE /v1/api-keys/{id}: revoke; the key is refused from now on. */
static void
api_keys_revoke(struct http_request *rq)
{
	const char *id = http_param(rq, "id");
	enum db_qs qs;
	PGresult *res;

	res = db_exec(rq->db, &stmt_revoke, (const char *const[]){id}, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return;
	}
	PQclear(res);
	if (qs == DB_NO_RESULTS) {
		http_reply_not_found(rq, "key");
		return;
	}
	http_reply_data(rq, 204, NULL, "", 0, false);
}

/* The routes of this resource, joined into the one table by api/routes.c. */
static const struct route routes[] = {
    /* integration keys */
    {"GET", "/v1/api-keys", api_keys_list, DB, ROLE_ADMIN | ROLE_COORDINATOR, NULL,
     api_keys_list_query, NULL},
    {"POST", "/v1/api-keys", api_keys_create, DB | BODY, ROLE_ADMIN | ROLE_COORDINATOR,
     api_keys_create_spec, NULL, NULL},
    {"DELETE", "/v1/api-keys/{id}", api_keys_revoke, DB, ROLE_ADMIN | ROLE_COORDINATOR, NULL, NULL,
     "id=api_key"},
};

API_ROUTES(api_keys_routes, routes);
