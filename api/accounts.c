/* accounts.c - account management for admins (every account) and
 * coordinators (their centre's coordinators, guides and association
 * contacts), and a caller's own password. Row-level security hides other
 * centres' accounts, which therefore answer 404. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/crypto.h"
#include "../lib/db.h"
#include "../lib/http.h"
#include "../lib/problem.h"
#include "../lib/spec.h"
#include "app.h"
#include "routes.h"
#include "auth.h"

#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
#define ACCOUNT_COLUMNS                                                                                  \
	"id, email, display_name, role, centre_id, disabled_at IS NOT NULL, " TS("disabled_at") ", " TS( \
	    "last_login_at") ", " TS("created_at") ", " TS("updated_at") ", version, "                   \
	                                                                 "association_id"

static const char *const account_roles[] = {"admin",       "coordinator", "guide",
                                            "association", "analyst",     NULL};

static const struct spec_field accounts_create_spec[] = {
    {.name = "email",
     .type = SPEC_STRING,
     .flags = SPEC_REQUIRED,
     .max = 254,
     .format = SPEC_FMT_EMAIL},
    {.name = "display_name", .type = SPEC_STRING, .flags = SPEC_REQUIRED, .min = 1, .max = 120},
    {.name = "role", .type = SPEC_STRING, .flags = SPEC_REQUIRED, .enum_values = account_roles},
    {.name = "centre_id", .type = SPEC_STRING, .flags = SPEC_NULLABLE, .format = SPEC_FMT_UUID},
    {.name = "password", .type = SPEC_STRING, .flags = SPEC_REQUIRED, .min = 1, .max = 1024},
    {.name = "association_id",
     .type = SPEC_STRING,
     .flags = SPEC_NULLABLE,
     .format = SPEC_FMT_UUID},
    SPEC_END};

static const struct spec_field accounts_update_spec[] = {
    {.name = "association_id",
     .type = SPEC_STRING,
     .flags = SPEC_NULLABLE,
     .format = SPEC_FMT_UUID},
    {.name = "display_name", .type = SPEC_STRING, .min = 1, .max = 120},
    {.name = "role", .type = SPEC_STRING, .enum_values = account_roles},
    {.name = "disabled", .type = SPEC_BOOLEAN},
    SPEC_END};

static const struct spec_field accounts_password_spec[] = {
    {.name = "password", .type = SPEC_STRING, .flags = SPEC_REQUIRED, .min = 1, .max = 1024},
    SPEC_END};

static const struct spec_field me_password_spec[] = {
    {.name = "current_password",
     .type = SPEC_STRING,
     .flags = SPEC_REQUIRED,
     .min = 1,
     .max = 1024},
    {.name = "new_password", .type = SPEC_STRING, .flags = SPEC_REQUIRED, .min = 1, .max = 1024},
    SPEC_END};

static const struct spec_field accounts_list_query[] = {
    {.name = "role", .type = SPEC_STRING, .enum_values = account_roles},
    {.name = "centre_id", .type = SPEC_STRING, .format = SPEC_FMT_UUID},
    {.name = "limit", .type = SPEC_INTEGER, .min = 1, .max = 200},
    {.name = "cursor", .type = SPEC_STRING, .min = 1, .max = 254},
    SPEC_END};

static json_t *
account_json(const PGresult *res, int row)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:s, s:s, s:o}", "id",
	                 PQgetvalue(res, row, 0), "email", PQgetvalue(res, row, 1), "display_name",
	                 PQgetvalue(res, row, 2), "role", PQgetvalue(res, row, 3), "centre_id",
	                 db_json_text(res, row, 4), "disabled", db_json_bool(res, row, 5),
	                 "disabled_at", db_json_text(res, row, 6), "last_login_at",
	                 db_json_text(res, row, 7), "created_at", PQgetvalue(res, row, 8),
	                 "updated_at", PQgetvalue(res, row, 9), "association_id",
	                 db_json_text(res, row, 11));
}

static void
reply_account(struct http_request *rq, unsigned status, PGresult *res)
{
	char location[64];

	http_reply_json(rq, status, account_json(res, 0));
	http_set_etag(rq, PQgetvalue(res, 0, 10));
	if (status == 201) {
		snprintf(location, sizeof(location), "/v1/accounts/%s", PQgetvalue(res, 0, 0));
		http_set_header(rq, "Location", location);
	}
}

static bool
is_national(const char *role)
{
	return strcmp(role, "admin") == 0 || strcmp(role, "analyst") == 0;
}

/* May the caller give an account this role? Coordinators manage their
 * centre's coordinators, guides and association contacts only. */
static bool
may_assign(const struct http_request *rq, const char *role)
{
	return rq->caller.role == ROLE_ADMIN || !is_national(role);
}

static struct db_stmt stmt_insert = DB_STMT(
    "accounts_insert",
    "INSERT INTO account (email, display_name, role, centre_id, password_hash, association_id)"
    " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (email) DO NOTHING RETURNING " ACCOUNT_COLUMNS,
    6);

static struct db_stmt stmt_association_of_centre =
    DB_STMT("accounts_association_of_centre",
            "SELECT 1 FROM association WHERE id = $1 AND centre_id = $2", 2);

/* An association contact is linked to an association of its own centre;
 * other roles to none. Answers 422 and returns false otherwise. */
static bool
association_link_ok(struct http_request *rq, const char *role, const char *centre,
                    const char *association)
{
	enum db_qs qs;
	PGresult *res;

	if (association == NULL)
		return true;
	if (strcmp(role, "association") != 0 || centre == NULL) {
		http_reply_field_error(rq, ERR_VALIDATION_FAILED, "association_id",
		                       ERR_FIELD_UNKNOWN,
		                       "only association accounts are linked to an association");
		return false;
	}
	res = db_exec(rq->db, &stmt_association_of_centre,
	              (const char *const[]){association, centre}, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return false;
	}
	PQclear(res);
	if (qs != DB_ONE_RESULT) {
		http_reply_field_error(rq, ERR_VALIDATION_FAILED, "association_id",
		                       ERR_FIELD_NOT_IN_ENUM,
		                       "must be an association of the account's centre");
		return false;
	}
	return true;
}

/* POST /v1/accounts */
static void
accounts_create(struct http_request *rq)
{
	const char *role = json_string_value(json_object_get(rq->body, "role"));
	const char *centre = json_string_value(json_object_get(rq->body, "centre_id"));
	const char *password = json_string_value(json_object_get(rq->body, "password"));
	char email[256], hash[crypto_pwhash_STRBYTES];
	const char *params[6], *why;
	enum db_qs qs;
	PGresult *res;

	crypto_normalise_email(json_string_value(json_object_get(rq->body, "email")), email,
	                       sizeof(email));
	if (!may_assign(rq, role)) {
		http_reply_field_error(
		    rq, ERR_FORBIDDEN, "role", ERR_FIELD_NOT_IN_ENUM,
		    "coordinators may create coordinator, guide and association accounts");
		return;
	}
	if (rq->caller.role == ROLE_COORDINATOR) {
		if (centre != NULL && strcmp(centre, rq->caller.centre_id) != 0) {
			http_reply_field_error(rq, ERR_FORBIDDEN, "centre_id",
			                       ERR_FIELD_NOT_IN_ENUM,
			                       "coordinators create accounts in their own centre");
			return;
		}
		centre = rq->caller.centre_id;
	}
	if (is_national(role) != (centre == NULL)) {
		http_reply_field_error(rq, ERR_VALIDATION_FAILED, "centre_id",
		                       centre ? ERR_FIELD_NOT_IN_ENUM : ERR_FIELD_REQUIRED,
		                       centre ? "admin and analyst accounts belong to no centre"
		                              : "is required for centre roles");
		return;
	}
	why = password_problem(password, email);
	if (why != NULL) {
		http_reply_field_error(rq, ERR_VALIDATION_FAILED, "password", ERR_FIELD_FORMAT,
		                       why);
		return;
	}
	if (!association_link_ok(rq, role, centre,
	                         json_string_value(json_object_get(rq->body, "association_id"))))
		return;
	if (crypto_password_hash(password, hash) != 0) {
		http_reply_problem(rq, ERR_INTERNAL, NULL);
		return;
	}
	params[0] = email;
	params[1] = json_string_value(json_object_get(rq->body, "display_name"));
	params[2] = role;
	params[3] = centre;
	params[4] = hash;
	params[5] = json_string_value(json_object_get(rq->body, "association_id"));
	res = db_exec(rq->db, &stmt_insert, params, &qs);
	if (res == NULL) {
		/* 23503: the centre does not exist */
		if (rq->db != NULL && !db_conn_lost(rq->db) && qs == DB_HARD_ERROR &&
		    db_last_sqlstate(rq->db) != NULL &&
		    strcmp(db_last_sqlstate(rq->db), "23503") == 0) {
			http_reply_field_error(rq, ERR_VALIDATION_FAILED, "centre_id",
			                       ERR_FIELD_NOT_IN_ENUM, "no such centre");
			rq->db_error = DB_ROLLBACK;
			return;
		}
		http_reply_db_error(rq, qs);
		return;
	}
	if (qs == DB_NO_RESULTS) {
		PQclear(res);
		http_reply_field_error(rq, ERR_CONFLICT, "email", ERR_FIELD_TAKEN,
		                       "another account has this e-mail");
		return;
	}
	reply_account(rq, 201, res);
	PQclear(res);
}

static struct db_stmt stmt_list =
    DB_STMT("accounts_list",
            "SELECT " ACCOUNT_COLUMNS " FROM account"
            " WHERE ($1::text IS NULL OR role = $1) AND ($2::uuid IS NULL OR centre_id = $2)"
            " AND ($3::text IS NULL OR email > $3) ORDER BY email LIMIT $4",
            4);

/* GET /v1/accounts?role=&centre_id=&limit=&cursor= (ordered by e-mail) */
static void
accounts_list(struct http_request *rq)
{
	json_t *jl = json_object_get(rq->query, "limit");
	long long limit = jl ? json_integer_value(jl) : 50;
	const char *params[4];
	char fetch[24];
	json_t *items, *body;
	enum db_qs qs;
	PGresult *res;
	int n;

	snprintf(fetch, sizeof(fetch), "%lld", limit + 1);
	params[0] = json_string_value(json_object_get(rq->query, "role"));
	params[1] = json_string_value(json_object_get(rq->query, "centre_id"));
	params[2] = json_string_value(json_object_get(rq->query, "cursor"));
	params[3] = fetch;
	res = db_exec(rq->db, &stmt_list, params, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return;
	}
	n = PQntuples(res);
	items = json_array();
	for (int i = 0; i < n && i < limit; i++)
		json_array_append_new(items, account_json(res, i));
	body = json_pack(
	    "{s:o, s:o}", "items", items, "next",
	    n > limit ? http_next_link(rq, "/v1/accounts", PQgetvalue(res, (int)limit - 1, 1))
	              : json_null());
	PQclear(res);
	http_reply_json(rq, 200, body);
}

static struct db_stmt stmt_get =
    DB_STMT("accounts_get", "SELECT " ACCOUNT_COLUMNS " FROM account WHERE id = $1", 1);

/* Fetch the account named in the path; answers 404 itself. */
static PGresult *
fetch_account(struct http_request *rq, struct db_stmt *stmt)
{
	return http_fetch_by_id(rq, stmt, http_param(rq, "id"), "account");
}

/* GET /v1/accounts/{id} */
static void
accounts_get(struct http_request *rq)
{
	PGresult *res = fetch_account(rq, &stmt_get);

	if (res == NULL)
		return;
	reply_account(rq, 200, res);
	PQclear(res);
}

static struct db_stmt stmt_lock =
    DB_STMT("accounts_lock", "SELECT " ACCOUNT_COLUMNS " FROM account WHERE id = $1 FOR UPDATE", 1);

static struct db_stmt stmt_update = DB_STMT(
    "accounts_update",
    "UPDATE account SET display_name = coalesce($2, display_name), role = coalesce($3, role),"
    " disabled_at = CASE WHEN $4::boolean IS NULL THEN disabled_at"
    "   WHEN $4 THEN coalesce(disabled_at, now()) ELSE NULL END,"
    " association_id = CASE WHEN $6::boolean THEN $5::uuid"
    "   WHEN coalesce($3, role) <> 'association' THEN NULL ELSE association_id END,"
    " updated_at = now(), version = version + 1 WHERE id = $1 RETURNING " ACCOUNT_COLUMNS,
    6);

static struct db_stmt stmt_revoke_sessions =
    DB_STMT("accounts_revoke_sessions",
            "UPDATE session SET revoked_at = now() WHERE account_id = $1 AND revoked_at IS NULL"
            " AND ($2::uuid IS NULL OR id <> $2)",
            2);

/* End the account's sessions (but keep the one named by except, if any). */
static bool
revoke_sessions(struct http_request *rq, const char *account, const char *except)
{
	enum db_qs qs;
	PGresult *res =
	    db_exec(rq->db, &stmt_revoke_sessions, (const char *const[]){account, except}, &qs);

	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return false;
	}
	PQclear(res);
	return true;
}

/* PATCH /v1/accounts/{id}: display_name, role (within the account's kind:
 * centre roles stay centre roles), disabled. Disabling ends its sessions. */
static void
accounts_update(struct http_request *rq)
{
	const char *role = json_string_value(json_object_get(rq->body, "role"));
	json_t *jdis = json_object_get(rq->body, "disabled");
	const char *params[6];
	json_t *jassoc = json_object_get(rq->body, "association_id");
	PGresult *cur, *res;
	enum db_qs qs;

	cur = fetch_account(rq, &stmt_lock);
	if (cur == NULL)
		return;
	if (!http_version_matches(rq, PQgetvalue(cur, 0, 10), "account"))
		goto out;
	if (role != NULL && (!may_assign(rq, role) || !may_assign(rq, PQgetvalue(cur, 0, 3)))) {
		http_reply_field_error(
		    rq, ERR_FORBIDDEN, "role", ERR_FIELD_NOT_IN_ENUM,
		    "coordinators manage coordinator, guide and association roles");
		goto out;
	}
	if (role != NULL && is_national(role) != PQgetisnull(cur, 0, 4)) {
		http_reply_field_error(
		    rq, ERR_VALIDATION_FAILED, "role", ERR_FIELD_NOT_IN_ENUM,
		    "a centre account keeps a centre role and a national one a national "
		    "role");
		goto out;
	}
	if (json_is_true(jdis) && strcmp(PQgetvalue(cur, 0, 0), rq->caller.account_id) == 0) {
		http_reply_field_error(rq, ERR_CONFLICT, "disabled", ERR_FIELD_NOT_IN_ENUM,
		                       "you cannot disable your own account");
		goto out;
	}
	params[0] = PQgetvalue(cur, 0, 0);
	params[1] = json_string_value(json_object_get(rq->body, "display_name"));
	params[2] = role;
	params[3] = jdis ? (json_is_true(jdis) ? "true" : "false") : NULL;
	params[4] = json_string_value(jassoc);
	params[5] = jassoc ? "true" : "false";
	if (!association_link_ok(rq, role ? role : PQgetvalue(cur, 0, 3),
	                         PQgetisnull(cur, 0, 4) ? NULL : PQgetvalue(cur, 0, 4), params[4]))
		goto out;
	res = db_exec(rq->db, &stmt_update, params, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		goto out;
	}
	if (json_is_true(jdis) && !revoke_sessions(rq, params[0], NULL)) {
		PQclear(res);
		goto out;
	}
	reply_account(rq, 200, res);
	PQclear(res);
out:
	PQclear(cur);
}

static struct db_stmt stmt_set_password =
    DB_STMT("accounts_set_password",
            "UPDATE account SET password_hash = $2, updated_at = now(), version = version + 1"
            " WHERE id = $1",
            2);

static struct db_stmt stmt_set_own_password =
    DB_STMT("accounts_set_own_password", "SELECT kompas_set_own_password($1)", 1);

/* Check the password policy and hash; false with a 422 or 500 set. */
static bool
hash_new_password(struct http_request *rq, const char *email, const char *password,
                  const char *field, char hash[crypto_pwhash_STRBYTES])
{
	const char *why = password_problem(password, email);

	if (why != NULL) {
		http_reply_field_error(rq, ERR_VALIDATION_FAILED, field, ERR_FIELD_FORMAT, why);
		return false;
	}
	if (crypto_password_hash(password, hash) != 0) {
		http_reply_problem(rq, ERR_INTERNAL, NULL);
		return false;
	}
	return true;
}

static bool
exec_ok(struct http_request *rq, struct db_stmt *stmt, const char *const *params)
{
	enum db_qs qs;
	PGresult *res = db_exec(rq->db, stmt, params, &qs);

	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return false;
	}
	PQclear(res);
	return true;
}

/* Another account's new password (admins and coordinators). */
static bool
store_password(struct http_request *rq, const char *account, const char *email,
               const char *password)
{
	char hash[crypto_pwhash_STRBYTES];

	return hash_new_password(rq, email, password, "password", hash) &&
	       exec_ok(rq, &stmt_set_password, (const char *const[]){account, hash});
}

/* The caller's own new password, through kompas_set_own_password (row-level
 * security lets only admins and coordinators write account rows). */
static bool
store_own_password(struct http_request *rq, const char *email, const char *password)
{
	char hash[crypto_pwhash_STRBYTES];

	return hash_new_password(rq, email, password, "new_password", hash) &&
	       exec_ok(rq, &stmt_set_own_password, (const char *const[]){hash});
}

/* POST /v1/accounts/{id}/password: an admin or coordinator sets a new
 * password (a reset); the account's sessions end. */
static void
accounts_reset_password(struct http_request *rq)
{
	PGresult *cur = fetch_account(rq, &stmt_lock);

	if (cur == NULL)
		return;
	if (!may_assign(rq, PQgetvalue(cur, 0, 3))) {
		http_reply_problem(rq, ERR_FORBIDDEN,
		                   "Coordinators reset passwords of their centre's accounts only.");
		goto out;
	}
	if (!store_password(rq, PQgetvalue(cur, 0, 0), PQgetvalue(cur, 0, 1),
	                    json_string_value(json_object_get(rq->body, "password"))) ||
	    !revoke_sessions(rq, PQgetvalue(cur, 0, 0), NULL))
		goto out;
	http_reply_data(rq, 204, NULL, "", 0, false);
out:
	PQclear(cur);
}

static struct db_stmt stmt_own_hash =
    DB_STMT("accounts_own_hash", "SELECT password_hash, email FROM account WHERE id = $1", 1);

/* PUT /v1/me/password: change one's own password; other sessions end. */
static void
me_change_password(struct http_request *rq)
{
	const char *current = json_string_value(json_object_get(rq->body, "current_password"));
	const char *fresh = json_string_value(json_object_get(rq->body, "new_password"));
	const char *id = rq->caller.account_id;
	enum db_qs qs;
	PGresult *res;

	res = db_exec(rq->db, &stmt_own_hash, (const char *const[]){id}, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return;
	}
	if (qs == DB_NO_RESULTS || PQgetisnull(res, 0, 0) ||
	    !crypto_password_verify(PQgetvalue(res, 0, 0), current)) {
		PQclear(res);
		http_reply_field_error(rq, ERR_VALIDATION_FAILED, "current_password",
		                       ERR_FIELD_FORMAT, "is not your current password");
		return;
	}
	if (store_own_password(rq, PQgetvalue(res, 0, 1), fresh) &&
	    revoke_sessions(rq, id, rq->caller.credential_id))
		http_reply_data(rq, 204, NULL, "", 0, false);
	PQclear(res);
}

/* The routes of this resource, joined into the one table by api/routes.c. */
static const struct route routes[] = {
    /* sessions and the caller */
    {"PUT", "/v1/me/password", me_change_password, DB | BODY | SESS, ROLES_ACCOUNTS,
     me_password_spec, NULL, NULL},
    /* accounts */
    {"GET", "/v1/accounts", accounts_list, DB, ROLE_ADMIN | ROLE_COORDINATOR, NULL,
     accounts_list_query, NULL},
    {"POST", "/v1/accounts", accounts_create, DB | BODY, ROLE_ADMIN | ROLE_COORDINATOR,
     accounts_create_spec, NULL, NULL},
    {"GET", "/v1/accounts/{id}", accounts_get, DB, ROLE_ADMIN | ROLE_COORDINATOR, NULL, NULL,
     "id=account"},
    {"PATCH", "/v1/accounts/{id}", accounts_update, DB | BODY, ROLE_ADMIN | ROLE_COORDINATOR,
     accounts_update_spec, NULL, "id=account"},
    {"POST", "/v1/accounts/{id}/password", accounts_reset_password, DB | BODY,
     ROLE_ADMIN | ROLE_COORDINATOR, accounts_password_spec, NULL, "id=account"},
};

API_ROUTES(accounts_routes, routes);
