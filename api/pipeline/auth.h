/* auth.h - caller roles and the authorize hook of the route table. */
#ifndef KOMPAS_AUTH_H
#define KOMPAS_AUTH_H

#include "../../lib/db.h"
#include "../../lib/http.h"

/* Role bits for struct route.roles. */
#define ROLE_ADMIN       0x01u /* national: centres and accounts */
#define ROLE_COORDINATOR 0x02u /* everything in their centre */
#define ROLE_GUIDE       0x04u /* own profile, assigned citizens and courses */
#define ROLE_ASSOCIATION 0x08u /* their association, its events, referrals to it */
#define ROLE_ANALYST     0x10u /* FriSe: aggregates across centres */
#define ROLE_PORTAL      0x20u /* a centre's socialkompas portal key */

#define ROLES_ACCOUNTS                                                                             \
	(ROLE_ADMIN | ROLE_COORDINATOR | ROLE_GUIDE | ROLE_ASSOCIATION | ROLE_ANALYST)
#define ROLES_ALL (ROLES_ACCOUNTS | ROLE_PORTAL)

/* Token prefixes: sessions and integration keys. */
#define TOKEN_PREFIX_SESSION "kps_"
#define TOKEN_PREFIX_KEY     "kpk_"

/* The role's bit for its name, or 0 when unknown. */
unsigned auth_role_bit(const char *name);

/* The name of a single role bit ("coordinator"), or NULL. */
const char *auth_role_name(unsigned bit);

/* Write the names of the roles in mask, comma-separated, to out ("public"
 * for 0). */
void auth_roles_text(unsigned mask, char *out, size_t outlen);

/* For the pipeline, on ROUTE_REPLICA routes with roles: set
 * the database context (kompas_set_context) of rq->caller, whom
 * auth_authorize found on the primary, in the transaction on rq->db (the
 * replica). Returns DB_ONE_RESULT, or a database error status.
 * Row-level security then holds on the replica as on the primary. */
enum db_qs auth_set_context(struct http_request *rq);

/* For the pipeline, first in a route's transaction: resolves the bearer token
 * in Authorization to a live session or key with one statement that also
 * sets the transaction's row-level-security context, then checks the
 * route's roles: 401 without a valid credential (with WWW-Authenticate), 403
 * for a role the route does not allow. Returns DB_ONE_RESULT to proceed,
 * DB_ROLLBACK after setting the 401/403, or a database error status. */
enum db_qs auth_authorize(struct http_request *rq);

/* For the pipeline, before anything else on a route with roles: 401 before
 * any validation when the Authorization header is missing or malformed.
 * Returns false after setting that response. */
bool auth_precheck(struct http_request *rq);

/* Write the keyed hash of a token as a bytea literal ("\\x..." hex) into
 * out (at least 67 bytes), for statement parameters. */
void auth_token_hash_param(const char *token, char *out, size_t outlen);

#endif
