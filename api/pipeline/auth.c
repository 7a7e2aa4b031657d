/* auth.c - bearer tokens to callers, and role checks. */
#include "auth.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../../lib/crypto.h"
#include "../app.h"
#include "../sql_format.h"

static const struct {
	unsigned bit;
	const char *name;
} roles[] = {
    {ROLE_ADMIN, "admin"},     {ROLE_COORDINATOR, "coordinator"},
    {ROLE_GUIDE, "guide"},     {ROLE_ASSOCIATION, "association"},
    {ROLE_ANALYST, "analyst"}, {ROLE_PORTAL, "portal"},
};

unsigned
auth_role_bit(const char *name)
{
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (strcmp(roles[i].name, name) == 0)
			return roles[i].bit;
	return 0;
}

const char *
auth_role_name(unsigned bit)
{
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (roles[i].bit == bit)
			return roles[i].name;
	return NULL;
}

void
auth_roles_text(unsigned mask, char *out, size_t outlen)
{
	size_t used = 0;

	out[0] = '\0';
	if (mask == 0) {
		snprintf(out, outlen, "public");
		return;
	}
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		if ((mask & roles[i].bit) == 0)
			continue;
		used += (size_t)snprintf(out + used, outlen > used ? outlen - used : 0, "%s%s",
		                         used ? ", " : "", roles[i].name);
	}
}

void
auth_token_hash_param(const char *token, char *out, size_t outlen)
{
	unsigned char h[CRYPTO_HASH_BYTES];

	crypto_token_hash(app.keys, token, h);
	if (outlen < 2 * CRYPTO_HASH_BYTES + 3) {
		out[0] = '\0';
		return;
	}
	memcpy(out, "\\x", 2);
	sodium_bin2hex(out + 2, outlen - 2, h, sizeof(h));
}

/* A well-formed token: a known prefix and 43 base64url characters. */
static bool
token_well_formed(const char *t)
{
	size_t plen = strlen(TOKEN_PREFIX_SESSION);

	if (strncmp(t, TOKEN_PREFIX_SESSION, plen) != 0 && strncmp(t, TOKEN_PREFIX_KEY, plen) != 0)
		return false;
	t += plen;
	return strlen(t) == 43 &&
	       strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == 43;
}

static enum db_qs
unauthenticated(struct http_request *rq, const char *detail)
{
	http_reply_problem(rq, ERR_UNAUTHENTICATED, detail);
	http_set_header(rq, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"kompas\"");
	return DB_ROLLBACK;
}

static struct db_stmt stmt_authenticate = DB_STMT(
    "auth_authenticate",
    "SELECT kind, credential_id, account_id, role, centre_id, display_name, email,"
    " " TS("expires_at") " FROM kompas_authenticate($1::bytea, make_interval(secs => $2::int))",
    2);

static void
copy_field(char *dst, size_t dstlen, PGresult *res, int col)
{
	snprintf(dst, dstlen, "%s", PQgetisnull(res, 0, col) ? "" : PQgetvalue(res, 0, col));
}

/* Answer 401 when the Authorization header is missing or cannot hold a
 * Kompas token; returns false then. */
static bool
credential_well_formed(struct http_request *rq)
{
	const char *h = http_header(rq, MHD_HTTP_HEADER_AUTHORIZATION);

	if (h == NULL) {
		unauthenticated(rq, "This endpoint needs a bearer token.");
		return false;
	}
	if (strncasecmp(h, "Bearer ", 7) != 0 || !token_well_formed(h + 7)) {
		unauthenticated(rq, "The Authorization header is not a Kompas bearer token.");
		return false;
	}
	return true;
}

bool
auth_precheck(struct http_request *rq)
{
	return credential_well_formed(rq);
}

static struct db_stmt stmt_set_context =
    DB_STMT("auth_set_context", "SELECT kompas_set_context($1, $2::uuid, $3::uuid)", 3);

enum db_qs
auth_set_context(struct http_request *rq)
{
	const struct http_caller *c = &rq->caller;
	const char *params[3] = {c->role_name, c->centre_id[0] ? c->centre_id : NULL,
	                         c->account_id[0] ? c->account_id : NULL};
	enum db_qs qs;
	PGresult *res = db_exec(rq->db, &stmt_set_context, params, &qs);

	if (res == NULL)
		return qs;
	PQclear(res);
	return DB_ONE_RESULT;
}

enum db_qs
auth_authorize(struct http_request *rq)
{
	const char *h = http_header(rq, MHD_HTTP_HEADER_AUTHORIZATION);
	struct http_caller *c = &rq->caller;
	char hash[80], idle[16];
	const char *params[2] = {hash, idle};
	enum db_qs qs;
	PGresult *res;

	if (!credential_well_formed(rq))
		return DB_ROLLBACK;
	auth_token_hash_param(h + 7, hash, sizeof(hash));
	snprintf(idle, sizeof(idle), "%u", app.cfg->session_idle_timeout);
	res = db_exec(rq->db, &stmt_authenticate, params, &qs);
	if (res == NULL)
		return qs;
	if (qs == DB_NO_RESULTS) {
		PQclear(res);
		return unauthenticated(rq, "The token is unknown, expired or revoked.");
	}
	c->authenticated = true;
	c->is_key = strcmp(PQgetvalue(res, 0, 0), "api_key") == 0;
	copy_field(c->credential_id, sizeof(c->credential_id), res, 1);
	copy_field(c->account_id, sizeof(c->account_id), res, 2);
	c->role = auth_role_bit(PQgetvalue(res, 0, 3));
	c->role_name = auth_role_name(c->role);
	copy_field(c->centre_id, sizeof(c->centre_id), res, 4);
	copy_field(c->name, sizeof(c->name), res, 5);
	copy_field(c->email, sizeof(c->email), res, 6);
	copy_field(c->expires_at, sizeof(c->expires_at), res, 7);
	PQclear(res);
	if ((rq->match.route->roles & c->role) == 0) {
		http_reply_problem(rq, ERR_FORBIDDEN, "Your role may not use this endpoint.");
		return DB_ROLLBACK;
	}
	if ((rq->match.route->flags & ROUTE_SESSION_ONLY) && c->is_key) {
		http_reply_problem(rq, ERR_FORBIDDEN,
		                   "This endpoint needs a login session, not an integration key.");
		return DB_ROLLBACK;
	}
	return DB_ONE_RESULT;
}
