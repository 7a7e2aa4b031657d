/* worker.h - a background worker: one thread that runs passes of work
 * until it is stopped, with a database connection kept for it.
 *
 * kompasd's webhook delivery, mail and maintenance threads are each one of
 * these: the worker owns the thread, its stop flag and its wait between
 * passes; the job says what one pass does and how long to wait after it.
 *
 *     static unsigned deliver_pass(struct bg_worker *w) { ... return n > 0 ? 0 : 1; }
 *     static struct bg_worker worker = BG_WORKER_INIT("webhooks", deliver_pass);
 *     ... bg_worker_start(&worker, conninfo, timeout); ... bg_worker_stop(&worker); */
#ifndef KOMPAS_WORKER_H
#define KOMPAS_WORKER_H

#include <pthread.h>
#include <stdbool.h>

#include <libpq-fe.h>

struct db_conn;
struct db_stmt;
struct bg_worker;

/* One pass of work, on the worker's thread. Returns the seconds to wait
 * before the next pass (0: at once, more may be due); a stop ends the wait
 * early. */
typedef unsigned (*bg_worker_pass)(struct bg_worker *w);

struct bg_worker {
	const char *name; /* for the log: "webhooks" */
	bg_worker_pass pass;
	void *arg; /* the job's, for pass */
	/* the worker's own */
	const char *conninfo;
	unsigned connect_timeout;
	struct db_conn *db;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool running, stop;
};

/* A statically allocated worker named name that runs pass. */
#define BG_WORKER_INIT(worker_name, pass_fn)                                                       \
	{                                                                                          \
		.name = (worker_name), .pass = (pass_fn), .lock = PTHREAD_MUTEX_INITIALIZER,       \
		.wake = PTHREAD_COND_INITIALIZER                                                   \
	}

/* Start w's thread with every signal blocked (the main thread takes
 * SIGTERM and SIGINT), passes running at once. conninfo (kept, must
 * outlive the worker) and connect_timeout are for bg_worker_db. Returns 0,
 * or -1 when the thread could not be made (w is then not running). Main
 * thread only. */
int bg_worker_start(struct bg_worker *w, const char *conninfo, unsigned connect_timeout);

/* Stop w: a pass under way finishes, a wait ends at once; the thread is
 * joined and its connection closed. Does nothing when w is not running.
 * Main thread only. */
void bg_worker_stop(struct bg_worker *w);

/* For pass: the worker's database connection, opened on first use and
 * opened again after it was lost; NULL (with the reason logged) while the
 * database cannot be reached, to be asked again on the next pass. Owned by
 * the worker. */
struct db_conn *bg_worker_db(struct bg_worker *w);

/* What bg_worker_claim_each does with each claimed row: row of res, with
 * the job's arg. */
typedef void (*bg_worker_row_fn)(struct db_conn *c, PGresult *res, int row, void *arg);

/* For pass, a job that works through an outbox: run claim on c, a
 * statement whose one parameter is the lease in seconds (how long the rows
 * it returns stay claimed), then each(c, res, i, arg) for every row it
 * returned, in order. Returns how many rows were claimed, or -1 when the
 * claim failed (the database error is db_exec's to log). */
int bg_worker_claim_each(struct db_conn *c, struct db_stmt *claim, unsigned lease_seconds,
                         bg_worker_row_fn each, void *arg);

#endif
