/* db_alone.c - statements a request runs as a transaction of their own
 * (db_exec_alone), pipelined across the requests of an event loop: those the
 * requests of one loop pass run go to one pooled connection in one libpq
 * pipeline, each ended by its own Sync, and their results are handed back
 * in order (docs/architecture.md, "Event-loop workers"). */
#include <stdlib.h>

#include "coro.h"
#include "db.h"
#include "db_internal.h"
#include "log.h"

/* A statement a request runs as a transaction of its own (db_exec_alone),
 * in its loop's batch until its result is in. */
struct alone {
	struct alone *next;
	struct db_stmt *stmt;
	unsigned id;
	const char *const *params;
	bool prepare; /* its Parse goes with it */
	bool done;
	PGresult *res;
	enum db_qs qs;
	bool unavailable;
	struct coro_queue wait; /* its request, parked until done */
};

/* The statements the requests of one loop pass run alone: the first (the
 * leader) sends them all on one connection and hands the results out. */
struct alone_batch {
	struct alone *head, **tail;
};

/* The calling loop's batch still gathering statements, if any. */
static _Thread_local struct alone_batch *open_batch;

static void
alone_finish(struct alone *e, PGresult *res, enum db_qs qs, bool unavailable)
{
	e->res = res;
	e->qs = qs;
	e->unavailable = unavailable;
	e->done = true;
	coro_wake_one(&e->wait);
}

/* Send every statement of the list at head on c in one pipeline, each with
 * its own Sync (its own implicit transaction). false: c could not take them
 * (it is marked lost). */
static bool
alone_send(struct db_conn *c, struct alone *head)
{
	bool sent = PQenterPipelineMode(c->pg) == 1;

	for (struct alone *e = head; sent && e != NULL; e = e->next) {
		struct db_stmt *s = e->stmt;

		/* Once per statement and batch: the later ones find it prepared. */
		e->prepare = c->prepared[e->id] != c->generation;
		if (e->prepare)
			c->prepared[e->id] = c->generation;
		sent =
		    (!e->prepare || PQsendPrepare(c->pg, s->name, s->sql, s->nparams, NULL) == 1) &&
		    PQsendQueryPrepared(c->pg, s->name, s->nparams, e->params, NULL, NULL, 0) ==
		        1 &&
		    PQpipelineSync(c->pg) == 1;
	}
	if (sent && db_flush_out(c))
		return true;
	c->lost = true;
	return false;
}

/* Read e's part of the pipeline on c (its Parse's result when it was sent,
 * its statement's, its Sync) into e's res, qs and unavailable. false: the
 * connection broke before e's Sync came back (its implicit transaction may
 * not have committed); e's result is then dropped. */
static bool
alone_receive(struct db_conn *c, struct alone *e)
{
	PGresult *failed = NULL, *r;

	if (e->prepare) {
		if ((r = db_next_result(c)) == NULL)
			return false;
		if (PQresultStatus(r) == PGRES_COMMAND_OK) {
			PQclear(r);
		} else {
			failed = r;
			c->prepared[e->id] = 0;
		}
		db_drain_query(c);
	}
	if ((r = db_next_result(c)) == NULL) {
		PQclear(failed);
		return false;
	}
	db_drain_query(c);
	if (failed != NULL) {
		/* The statement's own result says PGRES_PIPELINE_ABORTED. */
		PQclear(r);
		r = failed;
	}
	e->res = db_settle(c, e->stmt, r, &e->qs);
	e->unavailable = e->res == NULL && db_conn_unavailable(c);
	r = db_next_result(c);
	if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
		PQclear(r);
		return true;
	}
	PQclear(r);
	PQclear(e->res);
	e->res = NULL;
	c->lost = true;
	return false;
}

/* Run the batch's statements on c (NULL: the database cannot be reached)
 * and finish each, in order. A finished request may run (and its entry go)
 * at the next wait, so an entry is not touched once finished. */
static void
alone_run(struct db_conn *c, struct alone *head)
{
	bool ok = c != NULL && alone_send(c, head);

	for (struct alone *e = head, *next; e != NULL; e = next) {
		next = e->next;
		if (ok && alone_receive(c, e)) {
			alone_finish(e, e->res, e->qs, e->unavailable);
			continue;
		}
		if (ok || (c != NULL && e == head)) {
			db_count_error();
			log_msg(LOG_WARN, "database connection lost during %s", e->stmt->name);
		}
		ok = false;
		alone_finish(e, NULL, c != NULL ? DB_HARD_ERROR : DB_SOFT_ERROR, true);
	}
	if (c != NULL && PQpipelineStatus(c->pg) != PQ_PIPELINE_OFF &&
	    PQexitPipelineMode(c->pg) != 1)
		c->lost = true;
}

/* Join the open batch and wait for the leader. false: it could not wait
 * (the server is stopping) and has left the batch again. */
static bool
alone_follow(struct alone *me)
{
	struct alone **p;

	*open_batch->tail = me;
	open_batch->tail = &me->next;
	if (coro_wait(&me->wait) == 0 || me->done)
		return true;
	/* Never parked: the batch is still open and gathering. */
	for (p = &open_batch->head; *p != me; p = &(*p)->next)
		;
	*p = NULL;
	open_batch->tail = p;
	return false;
}

/* Lead a batch: gather the statements of this loop pass, then run them all
 * on one of the pool's connections. */
static void
alone_lead(struct alone *me)
{
	struct alone_batch batch = {.head = me, .tail = &me->next};
	struct db_conn *c;

	open_batch = &batch;
	coro_defer();
	c = db_pool_take(db_loop_pool(), CORO_SLOT_DB);
	open_batch = NULL;
	alone_run(c != NULL ? db_primary_ready(c) : NULL, batch.head);
	db_pool_give_back(db_loop_pool(), CORO_SLOT_DB);
}

PGresult *
db_exec_alone(struct db_stmt *stmt, const char *const *params, enum db_qs *qs, bool *unavailable)
{
	struct alone me = {.stmt = stmt, .id = db_stmt_id(stmt), .params = params};
	void **held = coro_local(CORO_SLOT_DB);
	struct db_conn *c;
	PGresult *res;

	if (db_loop_pool() != NULL && held != NULL && *held == NULL && !coro_cannot_yield()) {
		if (open_batch == NULL)
			alone_lead(&me);
		else if (!alone_follow(&me))
			alone_finish(&me, NULL, DB_SOFT_ERROR, true);
		*qs = me.qs;
		*unavailable = me.unavailable;
		return me.res;
	}
	c = db_thread_conn();
	if (c == NULL) {
		*qs = DB_SOFT_ERROR;
		*unavailable = true;
		return NULL;
	}
	res = db_exec(c, stmt, params, qs);
	*unavailable = res == NULL && db_conn_unavailable(c);
	return res;
}
