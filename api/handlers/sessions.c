/* sessions.c - log in, log out, who am I. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/crypto.h"
#include "../../lib/db.h"
#include "../../lib/http.h"
#include "../../lib/log.h"
#include "../../lib/mem.h"
#include "../../lib/spec.h"
#include "../app.h"
#include "../routes.h"
#include "../pipeline/auth.h"
#include "../sql_format.h"

static const struct spec_field sessions_create_spec[] = {
    SPEC_TEXT("email", SPEC_REQUIRED, 3, 254), SPEC_TEXT("password", SPEC_REQUIRED, 1, 1024),
    SPEC_END};

static struct db_stmt stmt_lookup =
    DB_STMT("sessions_login_lookup",
            "SELECT account_id, password_hash, disabled, locked_seconds"
            " FROM kompas_login_lookup($1, $2::bytea, $3::bytea)",
            3);

static struct db_stmt stmt_failed =
    DB_STMT("sessions_login_failed", "SELECT kompas_login_failed($1::bytea, $2::bytea)", 2);

/* clang-format off */
static struct db_stmt stmt_succeeded = DB_STMT(
    "sessions_login_succeeded",
    "SELECT session_id, " TS("expires_at") ","
    " role, centre_id, display_name, email"
    " FROM kompas_login_succeeded($1, $2::bytea, $3::bytea, make_interval(secs => $4::int), $5)",
    5);
/* clang-format on */

/* Keyed hash of a throttling subject ("email" or "ip" and its value) as a
 * bytea literal: neither the e-mail nor the address is stored. */
static void
subject_param(const char *kind, const char *value, char out[80])
{
	unsigned char h[CRYPTO_HASH_BYTES];

	crypto_blind_index(app.keys, kind, value, h);
	memcpy(out, "\\x", 2);
	sodium_bin2hex(out + 2, 78, h, sizeof(h));
}

static void
reply_too_many(struct http_request *rq, int seconds)
{
	char secs[16];

	snprintf(secs, sizeof(secs), "%d", seconds > 0 ? seconds : 1);
	http_reply_problem(rq, ERR_TOO_MANY_REQUESTS,
	                   "Too many failed logins; wait before trying again.");
	http_set_header(rq, MHD_HTTP_HEADER_RETRY_AFTER, secs);
}

static void
reply_bad_login(struct http_request *rq, const char *esubj, const char *ipsubj)
{
	enum db_qs qs;
	PGresult *res = db_exec(rq->db, &stmt_failed, (const char *const[]){esubj, ipsubj}, &qs);

	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return;
	}
	PQclear(res);
	http_reply_problem(rq, ERR_UNAUTHENTICATED, "The e-mail or the password is wrong.");
}

static json_t *
nullable_text(PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? json_null() : json_string(PQgetvalue(res, row, col));
}

/* Open the session after a verified password and answer 201; newhash,
 * when not NULL, replaces the stored password hash (made with old limits). */
static void
open_session(struct http_request *rq, const char *account_id, const char *esubj,
             const char *newhash)
{
	char token[CRYPTO_TOKEN_TEXT_MAX], hash[80], lifetime[16];
	const char *params[5];
	enum db_qs qs;
	PGresult *res;
	json_t *body;

	crypto_token_new(TOKEN_PREFIX_SESSION, token, sizeof(token));
	auth_token_hash_param(token, hash, sizeof(hash));
	snprintf(lifetime, sizeof(lifetime), "%u", app.cfg->session_max_age);
	params[0] = account_id;
	params[1] = esubj;
	params[2] = hash;
	params[3] = lifetime;
	params[4] = newhash;
	res = db_exec(rq->db, &stmt_succeeded, params, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		goto out;
	}
	if (qs == DB_NO_RESULTS) {
		/* disabled between the check and now */
		PQclear(res);
		http_reply_problem(rq, ERR_UNAUTHENTICATED, "The e-mail or the password is wrong.");
		goto out;
	}
	body = json_pack("{s:s, s:s, s:s, s:i, s:{s:s, s:s, s:s, s:s, s:o}}", "token", token,
	                 "token_type", "Bearer", "expires_at", PQgetvalue(res, 0, 1),
	                 "idle_timeout_seconds", (int)app.cfg->session_idle_timeout, "account",
	                 "id", account_id, "email", PQgetvalue(res, 0, 5), "display_name",
	                 PQgetvalue(res, 0, 4), "role", PQgetvalue(res, 0, 2), "centre_id",
	                 nullable_text(res, 0, 3));
	PQclear(res);
	http_reply_json(rq, 201, body);
out:
	sodium_memzero(token, sizeof(token));
}

/* A login between its lookup and its answer: what the password check on the
 * offload pool needs and finds. */
struct login_check {
	char account_id[37];
	char esubj[80], ipsubj[80];
	char hash[crypto_pwhash_STRBYTES]; /* stored (or the dummy) argon2id hash */
	const char *password;              /* in rq->body, which outlives the check */
	bool disabled;
	bool ok;       /* set by the check */
	bool rehashed; /* newhash made (the stored one has old limits) */
	char newhash[crypto_pwhash_STRBYTES];
};

/* On the offload pool: argon2id, the expensive part of a login. */
static void
login_check_work(void *arg)
{
	struct login_check *lc = arg;

	lc->ok = crypto_password_verify(lc->hash, lc->password) && !lc->disabled;
	if (lc->ok && crypto_password_needs_rehash(lc->hash))
		lc->rehashed = crypto_password_hash(lc->password, lc->newhash) == 0;
}

/* POST /v1/sessions: e-mail and password to a bearer token. Unknown e-mail,
 * wrong password and disabled account get the same answer after the same
 * work (a password check against a dummy hash); repeated failures per e-mail
 * and per address are throttled in the database (429 with Retry-After). The
 * password check runs on the offload pool (http_offload), so that a storm of
 * logins leaves the worker threads to other requests; when its queue is full
 * the login is answered 503 server_busy with Retry-After. The handler runs
 * twice: the lookup and the hand-over, then (rq->handler_state set) the
 * answer. */
static void
sessions_create(struct http_request *rq)
{
	const char *email_in = json_string_value(json_object_get(rq->body, "email"));
	const char *password = json_string_value(json_object_get(rq->body, "password"));
	struct login_check *lc = rq->handler_state;
	char email[256], addr[64];
	enum db_qs qs;
	PGresult *res;
	int locked;

	if (lc != NULL) {
		if (!lc->ok)
			reply_bad_login(rq, lc->esubj, lc->ipsubj);
		else
			open_session(rq, lc->account_id, lc->esubj,
			             lc->rehashed ? lc->newhash : NULL);
		sodium_memzero(lc->newhash, sizeof(lc->newhash));
		return;
	}
	/* A storm is refused before it costs a query. */
	if (http_offload_full(rq)) {
		http_reply_busy(rq, "Too many logins are being checked; try again shortly.");
		return;
	}
	lc = xcalloc(1, sizeof(*lc));
	rq->handler_state = lc;
	if (crypto_normalise_email(email_in, email, sizeof(email)) != 0)
		snprintf(email, sizeof(email), "-");
	http_client_address(rq, addr, sizeof(addr));
	subject_param("login-email", email, lc->esubj);
	subject_param("login-ip", addr, lc->ipsubj);
	res =
	    db_exec(rq->db, &stmt_lookup, (const char *const[]){email, lc->esubj, lc->ipsubj}, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return;
	}
	locked = atoi(PQgetvalue(res, 0, 3));
	if (locked > 0) {
		PQclear(res);
		reply_too_many(rq, locked);
		return;
	}
	snprintf(lc->hash, sizeof(lc->hash), "%s",
	         PQgetisnull(res, 0, 1) ? app.dummy_hash : PQgetvalue(res, 0, 1));
	lc->disabled = PQgetisnull(res, 0, 0) || PQgetisnull(res, 0, 1) ||
	               strcmp(PQgetvalue(res, 0, 2), "t") == 0;
	if (!PQgetisnull(res, 0, 0))
		snprintf(lc->account_id, sizeof(lc->account_id), "%s", PQgetvalue(res, 0, 0));
	lc->password = password;
	PQclear(res);
	if (!http_offload(rq, login_check_work, lc))
		http_reply_busy(rq, "Too many logins are being checked; try again shortly.");
}

static struct db_stmt stmt_revoke =
    DB_STMT("sessions_revoke",
            "UPDATE session SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL", 1);

/* DELETE /v1/sessions/current: log out; the token stops working at once. */
static void
sessions_delete_current(struct http_request *rq)
{
	enum db_qs qs;
	PGresult *res;

	res = db_exec(rq->db, &stmt_revoke, (const char *const[]){rq->caller.credential_id}, &qs);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return;
	}
	PQclear(res);
	http_reply_data(rq, 204, NULL, "", 0, false);
}

static json_t *
text_or_null(const char *s)
{
	return *s ? json_string(s) : json_null();
}

/* GET /v1/me: the caller as the server sees it. */
void
sessions_me(struct http_request *rq)
{
	const struct http_caller *c = &rq->caller;
	json_t *body;

	if (c->is_key)
		body = json_pack("{s:s, s:s, s:o, s:{s:s, s:s}}", "kind", "api_key", "role",
		                 c->role_name, "centre_id", text_or_null(c->centre_id), "api_key",
		                 "id", c->credential_id, "name", c->name);
	else
		body = json_pack("{s:s, s:s, s:o, s:s, s:{s:s, s:s, s:s}}", "kind", "session",
		                 "role", c->role_name, "centre_id", text_or_null(c->centre_id),
		                 "expires_at", c->expires_at, "account", "id", c->account_id,
		                 "email", c->email, "display_name", c->name);
	if (mail_me_settings(rq, body) != 0) {
		json_decref(body);
		return;
	}
	http_reply_json(rq, 200, body);
}

/* The routes of this resource, joined into the one table by api/routes.c. */
static const struct route routes[] = {
    /* sessions and the caller */
    {"POST", "/v1/sessions", sessions_create, DB | BODY, 0, sessions_create_spec, NULL, NULL},
    {"DELETE", "/v1/sessions/current", sessions_delete_current, DB | SESS, ROLES_ACCOUNTS, NULL,
     NULL, NULL},
    {"GET", "/v1/me", sessions_me, DB, ROLES_ALL, NULL, NULL, NULL},
};

API_ROUTES(sessions_routes, routes);
