/* pipeline.c - what happens to a request between the glue and its handler.
 *
 * lib/http.c parses the request, matches its route and answers what needs
 * no application (404, 405, 413, CORS preflight); then it calls
 * pipeline_run, which applies the application's rules in this order (see
 * docs/architecture.md, "Dispatch"):
 *   1. a route with roles and no credential that could be valid: 401 before
 *      anything else is looked at (auth_precheck);
 *   2. the query parameters, then the JSON body, validated with the route's
 *      specs (422 listing every failing field);
 *   3. the database connections: the worker's primary connection for routes
 *      that need one (503 with Retry-After when down), the read replica for
 *      ROUTE_REPLICA routes when it is current;
 *   4. a route with roles runs in one transaction: authorization (401, 403,
 *      and the row-level-security context), the Idempotency-Key check, the
 *      handler, the stored answer for replays; it commits only when the
 *      handler answered below 400 and is retried on serialization failures.
 *      A ROUTE_REPLICA route with roles is authorized on the primary and run
 *      in a read-only transaction on the replica with the same context
 *      (again on the primary when the replica is lost). Public routes run
 *      without a transaction. */
#include "pipeline.h"

#include <string.h>

#include "../../lib/db.h"
#include "../../lib/http.h"
#include "../../lib/log.h"
#include "../app.h"
#include "auth.h"
#include "path_params.h"

/* Start an attempt with a fresh response and caller, and authorize the
 * caller (rq->caller set, or a 401/403 response). Returns the authorize
 * query status of auth_authorize. */
static enum db_qs
authorize_caller(struct http_request *rq)
{
	http_clear_response(rq);
	memset(&rq->caller, 0, sizeof(rq->caller));
	return auth_authorize(rq);
}

/* Run the route's handler, once its declared path parameters are
 * well-formed (else the 404 a malformed one is answered with). */
static void
run_handler(struct http_request *rq)
{
	if (path_params_ok(rq))
		rq->match.route->handler(rq);
}

/* One attempt of an authorized route's transaction. */
static enum db_qs
authorized_tx(struct db_conn *c, void *cls)
{
	struct http_request *rq = cls;
	enum db_qs qs;

	(void)c;
	qs = authorize_caller(rq);
	if (qs < 0 && qs != DB_ROLLBACK)
		return qs;
	if (rq->response == NULL) {
		qs = idempotency_before(rq);
		if (qs < 0 && qs != DB_ROLLBACK)
			return qs;
	}
	if (rq->response == NULL)
		run_handler(rq);
	if (rq->db_error < 0)
		return rq->db_error;
	if (rq->response == NULL || rq->status >= 400)
		return DB_ROLLBACK;
	qs = idempotency_after(rq);
	if (qs < 0)
		return qs;
	return DB_ONE_RESULT;
}

/* Answer a failed transaction's status (qs below 0 and not a rollback the
 * body asked for) with the database error, unless the handler has already
 * answered one. A response set before a failed COMMIT is replaced. */
static void
answer_tx_error(struct http_request *rq, enum db_qs qs)
{
	if (qs < 0 && qs != DB_ROLLBACK) {
		bool answered_error = rq->response != NULL && rq->db_error < 0;

		if (!answered_error) {
			http_clear_response(rq);
			http_reply_db_error(rq, qs);
		}
	}
}

/* Authorization alone, on the primary (it records the credential's use). */
static enum db_qs
authorize_tx(struct db_conn *c, void *cls)
{
	struct http_request *rq = cls;
	enum db_qs qs;

	(void)c;
	qs = authorize_caller(rq);
	if (qs < 0)
		return qs;
	return rq->response == NULL ? DB_ONE_RESULT : DB_ROLLBACK;
}

/* The handler of a ROUTE_REPLICA route with roles in a read-only
 * transaction, with the caller's database context set first. */
static enum db_qs
replica_tx(struct db_conn *c, void *cls)
{
	struct http_request *rq = cls;
	enum db_qs qs;

	(void)c;
	http_clear_response(rq);
	qs = auth_set_context(rq);
	if (qs < 0)
		return qs;
	run_handler(rq);
	if (rq->db_error < 0)
		return rq->db_error;
	return DB_ONE_RESULT;
}

/* Run the handler on rq->db: a public route's as it is (it manages its own
 * transactions, if any), a route with roles' in replica_tx. */
static enum db_qs
run_read_only(struct http_request *rq)
{
	if (rq->match.route->roles != 0)
		return db_tx_run(rq->db, "REPEATABLE READ READ ONLY", replica_tx, rq);
	http_clear_response(rq);
	run_handler(rq);
	return rq->db_error < 0 ? rq->db_error : DB_ONE_RESULT;
}

/* A ROUTE_REPLICA route: authorize on the primary when it has roles, then
 * run the handler on the replica; when the replica is lost during the
 * request, run it again on the primary. */
static void
run_on_replica(struct http_request *rq)
{
	const struct route *r = rq->match.route;
	enum db_qs qs;

	if (r->roles != 0) {
		qs = db_tx_run(rq->db, "READ COMMITTED", authorize_tx, rq);
		if (qs != DB_ONE_RESULT) {
			answer_tx_error(rq, qs);
			return;
		}
	}
	rq->db = rq->replica;
	qs = run_read_only(rq);
	if (qs < 0 && db_conn_lost(rq->replica)) {
		log_msg(LOG_WARN, "request %s: the replica was lost; reading from the primary",
		        rq->request_id);
		rq->db = db_thread_conn();
		if (rq->db == NULL) {
			http_clear_response(rq);
			http_reply_unavailable(rq,
			                       "The database is unavailable; try again shortly.");
			return;
		}
		rq->db_error = DB_NO_RESULTS;
		qs = run_read_only(rq);
	}
	if (r->roles != 0)
		answer_tx_error(rq, qs);
}

/* Run the route's handler in a transaction with the caller authorized. */
static void
run_in_transaction(struct http_request *rq)
{
	answer_tx_error(rq, db_tx_run(rq->db, "READ COMMITTED", authorized_tx, rq));
}

void
pipeline_run(struct http_request *rq)
{
	const struct route *r = rq->match.route;

	if (r->roles != 0 && !auth_precheck(rq))
		return;
	if (!http_prepare_query(rq))
		return;
	if ((r->flags & ROUTE_JSON_BODY) && !http_prepare_body(rq))
		return;
	if (r->flags & ROUTE_REPLICA)
		rq->replica = db_thread_replica_conn();
	/* The primary: for everything but a public route the replica serves
	 * (authorization records the credential's use, so it needs the
	 * primary). */
	if ((r->flags & ROUTE_NEEDS_DB) && (rq->replica == NULL || r->roles != 0)) {
		rq->db = db_thread_conn();
		if (rq->db == NULL) {
			http_reply_unavailable(rq,
			                       "The database is unavailable; try again shortly.");
			return;
		}
	}
	if (rq->replica != NULL)
		run_on_replica(rq);
	else if (r->roles != 0)
		run_in_transaction(rq);
	else
		run_handler(rq);
}
