/* db_internal.h - what lib/db.c shares with lib/db_alone.c (statements run
 * alone, pipelined across an event loop's requests): the connection and the
 * helpers both use. Not for use outside lib/db*.c. */
#ifndef KOMPAS_DB_INTERNAL_H
#define KOMPAS_DB_INTERNAL_H

#include <stdbool.h>
#include <time.h>

#include "coro.h"
#include "db.h"

struct db_conn {
	PGconn *pg;
	struct db_conn *next_idle;       /* in an event-loop pool's idle list */
	unsigned generation;             /* bumped on every successful connect */
	unsigned prepared[DB_MAX_STMTS]; /* generation at which each statement was prepared */
	bool lost;
	struct timespec last_attempt; /* last failed connect */
	bool pooled;                  /* owned by a thread */
	char sqlstate[6];             /* of the last failed statement */
	/* db_tx_run's BEGIN, not sent yet: it goes out in one pipeline with the
	 * transaction's first statement (one round trip less), or not at all
	 * when the transaction runs none. Empty: none pending. */
	char begin[64];
	/* Replica connections only: */
	struct timespec lag_checked; /* when its lag was last measured */
	bool lagging;                /* too far behind at the last measurement */
};

struct db_pool;

/* The calling event-loop thread's pool of primary connections (db_loop_init),
 * or NULL on other threads. */
struct db_pool *db_loop_pool(void);

/* The running coroutine's connection of pool p, held in its slot until
 * db_pool_give_back: taken from the idle ones, waiting in line (yielding)
 * while there are none. NULL when it cannot wait (pinned, or the server is
 * stopping). */
struct db_conn *db_pool_take(struct db_pool *p, enum coro_slot slot);

/* Give the running coroutine's connection of p (in its slot) back, waking
 * the first request waiting for one. Nothing when it holds none. */
void db_pool_give_back(struct db_pool *p, enum coro_slot slot);

/* c made ready for a request on the primary: kept when alive, else
 * (re)connected, a failed connect not retried within 200 ms. NULL when the
 * database cannot be reached now. */
struct db_conn *db_primary_ready(struct db_conn *c);

/* Send what libpq has queued for c, waiting (yielding in a coroutine) while
 * the socket is full. false: it could not (c is marked lost). */
bool db_flush_out(struct db_conn *c);

/* The next result of what was sent on c, waiting for it (yielding in a
 * coroutine); NULL at the end of a query's results, or when the wait was
 * abandoned or the connection broke (c->lost then). */
PGresult *db_next_result(struct db_conn *c);

/* Read and drop results up to the current query's terminating NULL. */
void db_drain_query(struct db_conn *c);

/* stmt's result res on c (NULL: none came) as db_exec returns it: res with
 * *qs the row count, or NULL (res freed) with the failure classified,
 * logged and recorded in c's SQLSTATE. */
PGresult *db_settle(struct db_conn *c, struct db_stmt *stmt, PGresult *res, enum db_qs *qs);

/* stmt's process-wide index into struct db_conn's prepared[], assigned at
 * its first use. */
unsigned db_stmt_id(struct db_stmt *s);

/* Count a database error (db_error_count). */
void db_count_error(void);

#endif
