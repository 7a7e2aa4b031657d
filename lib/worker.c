/* worker.c - background workers (see worker.h). */
#include "worker.h"

#include <signal.h>
#include <stdio.h>
#include <time.h>

#include "db.h"
#include "log.h"

struct db_conn *
bg_worker_db(struct bg_worker *w)
{
	char err[256];

	if (w->db != NULL && !db_conn_lost(w->db))
		return w->db;
	db_conn_free(w->db);
	w->db = db_conn_open(w->conninfo, w->connect_timeout, err, sizeof(err));
	if (w->db == NULL)
		log_msg(LOG_DEBUG, "%s: database unavailable, will try again: %s", w->name, err);
	return w->db;
}

/* Wait secs seconds (or until stopped); called and returns with w->lock
 * held. Wake-ups before the deadline without a stop are waited out. */
static void
wait_locked(struct bg_worker *w, unsigned secs)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += secs;
	while (!w->stop && pthread_cond_timedwait(&w->wake, &w->lock, &until) == 0)
		;
}

static void *
worker_main(void *arg)
{
	struct bg_worker *w = arg;

	pthread_mutex_lock(&w->lock);
	while (!w->stop) {
		unsigned wait;

		pthread_mutex_unlock(&w->lock);
		wait = w->pass(w);
		pthread_mutex_lock(&w->lock);
		if (wait > 0)
			wait_locked(w, wait);
	}
	pthread_mutex_unlock(&w->lock);
	db_conn_free(w->db);
	w->db = NULL;
	return NULL;
}

int
bg_worker_start(struct bg_worker *w, const char *conninfo, unsigned connect_timeout)
{
	sigset_t all, old;
	int rc;

	w->conninfo = conninfo;
	w->connect_timeout = connect_timeout;
	w->stop = false;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&w->thread, NULL, worker_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	w->running = rc == 0;
	if (rc != 0)
		log_msg(LOG_ERROR, "%s: could not start its thread", w->name);
	return rc == 0 ? 0 : -1;
}

void
bg_worker_stop(struct bg_worker *w)
{
	if (!w->running)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_cond_broadcast(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	w->running = false;
}

int
bg_worker_claim_each(struct db_conn *c, struct db_stmt *claim, unsigned lease_seconds,
                     bg_worker_row_fn each, void *arg)
{
	char lease[16];
	enum db_qs qs;
	PGresult *res;
	int n;

	snprintf(lease, sizeof(lease), "%u", lease_seconds);
	res = db_exec(c, claim, (const char *const[]){lease}, &qs);
	if (res == NULL)
		return -1;
	n = PQntuples(res);
	for (int i = 0; i < n; i++)
		each(c, res, i, arg);
	PQclear(res);
	return n;
}
