/* access_log.c - writing the personal-data access log. */
#include "access_log.h"

#include <stdlib.h>

static struct db_stmt stmt_insert =
    DB_STMT("access_log_insert",
            "INSERT INTO access_log (centre_id, actor_kind, actor_id, actor_role, action, subject,"
            " subject_id, criterion, purpose, request_id)"
            " VALUES (kompas_centre(), $1, $2, $3, $4, 'request', $5, $6::jsonb, $7, $8)",
            8);

enum db_qs
access_log_write(struct http_request *rq, const char *action, const char *subject_id,
                 const json_t *criterion, const char *purpose)
{
	const struct http_caller *c = &rq->caller;
	char *crit = criterion ? json_dumps(criterion, JSON_COMPACT) : NULL;
	const char *params[8];
	enum db_qs qs;
	PGresult *res;

	params[0] = c->is_key ? "api_key" : "account";
	params[1] = c->credential_id[0] && c->is_key ? c->credential_id : c->account_id;
	params[2] = c->role_name ? c->role_name : "unknown";
	params[3] = action;
	params[4] = subject_id;
	params[5] = crit;
	params[6] = purpose;
	params[7] = rq->request_id;
	res = db_exec(rq->db, &stmt_insert, params, &qs);
	free(crit);
	if (res == NULL)
		return qs;
	PQclear(res);
	return DB_ONE_RESULT;
}
