/* accounts.c - account management for admins (every account) and
 * coordinators (their centre's coordinators, guides and association
 * contacts), and a caller's own password. Row-level security hides other
 * centres' accounts, which therefore answer 404. */
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
#include "../app.h"
#include "../routes.h"
#include "../pipeline/auth.h"
#include "../sql_format.h"

/* The columns of an account, named for account_fields (lib/row.h). */
/* clang-format off */
#define ACCOUNT_COLUMNS                                                                            \
	"id, email, display_name, role, centre_id, disabled_at IS NOT NULL AS disabled,"           \
	" " TS("disabled_at") " AS disabled_at, " TS("last_login_at") " AS last_login_at,"         \
	" " TS("created_at") " AS created_at, " TS("updated_at") " AS updated_at, version,"        \
	" association_id"
/* clang-format on */

/* An account's answer, in this order. */
static const struct row_field account_fields[] = {ROW_TEXT("id"),
                                                  ROW_TEXT("email"),
                                                  ROW_TEXT("display_name"),
                                                  ROW_TEXT("role"),
                                                  ROW_TEXT_OR_NULL("centre_id"),
                                                  ROW_BOOLEAN("disabled"),
                                                  ROW_TEXT_OR_NULL("disabled_at"),
                                                  ROW_TEXT_OR_NULL("last_login_at"),
                                                  ROW_TEXT("created_at"),
                                                  ROW_TEXT("updated_at"),
                                                  ROW_TEXT_OR_NULL("association_id"),
                                                  ROW_END};

static const char *const account_roles[] = {"admin",       "coordinator", "guide",
                                            "association", "analyst",     NULL};

static const struct spec_field accounts_create_spec[] = {
    SPEC_EMAIL("email", SPEC_REQUIRED),
    SPEC_TEXT("display_name", SPEC_REQUIRED, 1, 120),
    SPEC_ENUM("role", SPEC_REQUIRED, account_roles),
    SPEC_UUID("centre_id", SPEC_NULLABLE),
    SPEC_TEXT("password", SPEC_REQUIRED, 1, 1024),
    SPEC_UUID("association_id", SPEC_NULLABLE),
    SPEC_END};

static const struct spec_field accounts_update_spec[] = {SPEC_UUID("association_id", SPEC_NULLABLE),
                                                         SPEC_TEXT("display_name", 0, 1, 120),
                                                         SPEC_ENUM("role", 0, account_roles),
                                                         {.name = "disabled", .type = SPEC_BOOLEAN},
                                                         SPEC_END};

static const struct spec_field accounts_password_spec[] = {
    SPEC_TEXT("password", SPEC_REQUIRED, 1, 1024), SPEC_END};

static const struct spec_field me_password_spec[] = {
    SPEC_TEXT("current_password", SPEC_REQUIRED, 1, 1024),
    SPEC_TEXT("new_password", SPEC_REQUIRED, 1, 1024), SPEC_END};

static const struct spec_field accounts_list_query[] = {
    SPEC_ENUM("role", 0, account_roles),
    SPEC_UUID("centre_id", 0),
    {.name = "limit", .type = SPEC_INTEGER, .min = 1, .max = 200},
    {.name = "cursor", .type = SPEC_STRING, .min = 1, .max = 254},
    SPEC_END};

/* Answer `status` with the account of res (one row of ACCOUNT_COLUMNS),
 * its ETag, and for 201 its Location. */
static void
reply_account(struct http_request *rq, unsigned status, const PGresult *res)
{
	char location[64];

	http_reply_json(rq, status, row_json(res, 0, account_fields));
	http_set_etag(rq, row_value(res, 0, "version"));
	if (status == 201) {
		snprintf(location, sizeof(location), "/v1/accounts/%s", row_value(res, 0, "id"));
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

/* A problem `code` with one field error (as http_reply_field_error
 * answers), for a helper to return. */
static json_t *
field_problem(const struct http_request *rq, enum err_code code, const char *field,
              enum err_code fcode, const char *message)
{
	json_t *p = problem_new(code, NULL, rq->request_id);

	problem_add_field_error(p, field, fcode, message);
	return p;
}

/* An association contact is linked to an association of its own centre;
 * other roles to none. Returns the query status; *problem is NULL, or a
 * 422 when the link is not allowed (the caller answers). */
static enum db_qs
association_link_check(const struct http_request *rq, const char *role, const char *centre,
                       const char *association, json_t **problem)
{
	enum db_qs qs = DB_NO_RESULTS;
	PGresult *res;

	*problem = NULL;
	if (association == NULL)
		return qs;
	if (strcmp(role, "association") != 0 || centre == NULL) {
		*problem =
		    field_problem(rq, ERR_VALIDATION_FAILED, "association_id", ERR_FIELD_UNKNOWN,
		                  "only association accounts are linked to an association");
		return qs;
	}
	res = db_exec(rq->db, &stmt_association_of_centre,
	              (const char *const[]){association, centre}, &qs);
	if (res == NULL)
		return qs;
	PQclear(res);
	if (qs != DB_ONE_RESULT)
		*problem = field_problem(rq, ERR_VALIDATION_FAILED, "association_id",
		                         ERR_FIELD_NOT_IN_ENUM,
		                         "must be an association of the account's centre");
	return qs;
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
	json_t *p;
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
	qs = association_link_check(
	    rq, role, centre, json_string_value(json_object_get(rq->body, "association_id")), &p);
	if (qs < 0 || p != NULL) {
		http_reply_failure(rq, qs, p);
		return;
	}
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

static const struct list_param accounts_list_params[] = {
    LIST_QUERY("role"), LIST_QUERY("centre_id"), LIST_QUERY("cursor"), LIST_FETCH, LIST_END};

static const struct keyset_list accounts_list_decl = {.stmt = &stmt_list,
                                                      .query = accounts_list_query,
                                                      .params = accounts_list_params,
                                                      .fields = account_fields,
                                                      .cursor_column = "email",
                                                      .path = "/v1/accounts"};

/* GET /v1/accounts?role=&centre_id=&limit=&cursor= (ordered by e-mail) */
static void
accounts_list(struct http_request *rq)
{
	keyset_list_run(rq, &accounts_list_decl);
}

static struct db_stmt stmt_get =
    DB_STMT("accounts_get", "SELECT " ACCOUNT_COLUMNS " FROM account WHERE id = $1", 1);

/* The account named in the path, read with stmt, into *row (NULL when
 * none is visible). Returns the query status (http_fetch_row); answers
 * nothing. */
static enum db_qs
fetch_account(const struct http_request *rq, struct db_stmt *stmt, PGresult **row)
{
	return http_fetch_row(rq, stmt, http_param(rq, "id"), row);
}

/* GET /v1/accounts/{id} */
static void
accounts_get(struct http_request *rq)
{
	PGresult *res;
	enum db_qs qs = fetch_account(rq, &stmt_get, &res);

	if (res == NULL) {
		http_reply_fetch_failure(rq, qs, "account");
		return;
	}
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

/* End the account's sessions (but keep the one named by except, if any).
 * Returns the query status; answers nothing. */
static enum db_qs
revoke_sessions(const struct http_request *rq, const char *account, const char *except)
{
	return db_run(rq->db, &stmt_revoke_sessions, (const char *const[]){account, except});
}

/* PATCH /v1/accounts/{id}: display_name, role (within the account's kind:
 * centre roles stay centre roles), disabled. Disabling ends its sessions. */
static void
accounts_update(struct http_request *rq)
{
	const char *role = json_string_value(json_object_get(rq->body, "role"));
	json_t *jdis = json_object_get(rq->body, "disabled");
	const char *params[6];
	json_t *jassoc = json_object_get(rq->body, "association_id"), *p;
	PGresult *cur, *res;
	enum db_qs qs = fetch_account(rq, &stmt_lock, &cur);

	if (cur == NULL) {
		http_reply_fetch_failure(rq, qs, "account");
		return;
	}
	if (!http_version_ok(rq, row_value(cur, 0, "version"))) {
		http_reply_stale(rq, "account");
		goto out;
	}
	if (role != NULL && (!may_assign(rq, role) || !may_assign(rq, row_value(cur, 0, "role")))) {
		http_reply_field_error(
		    rq, ERR_FORBIDDEN, "role", ERR_FIELD_NOT_IN_ENUM,
		    "coordinators manage coordinator, guide and association roles");
		goto out;
	}
	if (role != NULL && is_national(role) != row_is_null(cur, 0, "centre_id")) {
		http_reply_field_error(
		    rq, ERR_VALIDATION_FAILED, "role", ERR_FIELD_NOT_IN_ENUM,
		    "a centre account keeps a centre role and a national one a national "
		    "role");
		goto out;
	}
	if (json_is_true(jdis) && strcmp(row_value(cur, 0, "id"), rq->caller.account_id) == 0) {
		http_reply_field_error(rq, ERR_CONFLICT, "disabled", ERR_FIELD_NOT_IN_ENUM,
		                       "you cannot disable your own account");
		goto out;
	}
	params[0] = row_value(cur, 0, "id");
	params[1] = json_string_value(json_object_get(rq->body, "display_name"));
	params[2] = role;
	params[3] = jdis ? (json_is_true(jdis) ? "true" : "false") : NULL;
	params[4] = json_string_value(jassoc);
	params[5] = jassoc ? "true" : "false";
	qs = association_link_check(rq, role ? role : row_value(cur, 0, "role"),
	                            row_text(cur, 0, "centre_id"), params[4], &p);
	if (qs < 0 || p != NULL) {
		http_reply_failure(rq, qs, p);
		goto out;
	}
	res = db_exec(rq->db, &stmt_update, params, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		goto out;
	}
	if (json_is_true(jdis) && (qs = revoke_sessions(rq, params[0], NULL)) < 0) {
		PQclear(res);
		http_reply_db_error(rq, qs);
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

/* Check the password policy (the field named `field`) and hash into hash.
 * Returns NULL, or the problem to answer: a 422 naming the field, or a 500
 * when hashing fails. Answers nothing. */
static json_t *
hash_new_password(const struct http_request *rq, const char *email, const char *password,
                  const char *field, char hash[crypto_pwhash_STRBYTES])
{
	const char *why = password_problem(password, email);

	if (why != NULL)
		return field_problem(rq, ERR_VALIDATION_FAILED, field, ERR_FIELD_FORMAT, why);
	if (crypto_password_hash(password, hash) != 0)
		return problem_new(ERR_INTERNAL, NULL, rq->request_id);
	return NULL;
}

/* Another account's new password (admins and coordinators). Returns the
 * query status; *problem is NULL, or the password's problem (the caller
 * answers either). */
static enum db_qs
store_password(const struct http_request *rq, const char *account, const char *email,
               const char *password, json_t **problem)
{
	char hash[crypto_pwhash_STRBYTES];

	*problem = hash_new_password(rq, email, password, "password", hash);
	if (*problem != NULL)
		return DB_NO_RESULTS;
	return db_run(rq->db, &stmt_set_password, (const char *const[]){account, hash});
}

/* The caller's own new password, through kompas_set_own_password (row-level
 * security lets only admins and coordinators write account rows). Returns
 * the query status and *problem as store_password. */
static enum db_qs
store_own_password(const struct http_request *rq, const char *email, const char *password,
                   json_t **problem)
{
	char hash[crypto_pwhash_STRBYTES];

	*problem = hash_new_password(rq, email, password, "new_password", hash);
	if (*problem != NULL)
		return DB_NO_RESULTS;
	return db_run(rq->db, &stmt_set_own_password, (const char *const[]){hash});
}

/* POST /v1/accounts/{id}/password: an admin or coordinator sets a new
 * password (a reset); the account's sessions end. */
static void
accounts_reset_password(struct http_request *rq)
{
	PGresult *cur;
	json_t *p;
	enum db_qs qs = fetch_account(rq, &stmt_lock, &cur);

	if (cur == NULL) {
		http_reply_fetch_failure(rq, qs, "account");
		return;
	}
	if (!may_assign(rq, row_value(cur, 0, "role"))) {
		http_reply_problem(rq, ERR_FORBIDDEN,
		                   "Coordinators reset passwords of their centre's accounts only.");
		goto out;
	}
	qs = store_password(rq, row_value(cur, 0, "id"), row_value(cur, 0, "email"),
	                    json_string_value(json_object_get(rq->body, "password")), &p);
	if (qs >= 0 && p == NULL)
		qs = revoke_sessions(rq, row_value(cur, 0, "id"), NULL);
	if (qs < 0 || p != NULL) {
		http_reply_failure(rq, qs, p);
		goto out;
	}
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
	json_t *p;
	enum db_qs qs;
	PGresult *res;

	res = db_exec(rq->db, &stmt_own_hash, (const char *const[]){id}, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return;
	}
	if (qs == DB_NO_RESULTS || row_is_null(res, 0, "password_hash") ||
	    !crypto_password_verify(row_value(res, 0, "password_hash"), current)) {
		PQclear(res);
		http_reply_field_error(rq, ERR_VALIDATION_FAILED, "current_password",
		                       ERR_FIELD_FORMAT, "is not your current password");
		return;
	}
	qs = store_own_password(rq, row_value(res, 0, "email"), fresh, &p);
	if (qs >= 0 && p == NULL)
		qs = revoke_sessions(rq, id, rq->caller.credential_id);
	if (qs < 0 || p != NULL)
		http_reply_failure(rq, qs, p);
	else
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
