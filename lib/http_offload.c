/* http_offload.c - the offload pool: a few threads for expensive work
 * (argon2id) while the worker threads keep serving (see http.h). */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_internal.h"
#include "log.h"
#include "mem.h"
#include "metrics.h"
#include "problem.h"
#include "spec.h"

/* A piece of work handed to the offload pool by http_offload. */
struct offload_job {
	struct offload_job *next;
	struct http_request *rq;
	void (*work)(void *arg);
	void *arg;
};

/* ---- the offload pool ------------------------------------------------------ */

static void *
offload_main(void *arg)
{
	struct offload_pool *p = arg;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		struct offload_job *job;
		struct http_server *srv;
		struct http_loop *loop;

		/* At stop, what is queued is still done: every suspended
		 * connection must be resumed before libmicrohttpd stops. */
		while (p->head == NULL && !p->stop)
			pthread_cond_wait(&p->more, &p->lock);
		if (p->head == NULL)
			break;
		job = p->head;
		p->head = job->next;
		if (p->head == NULL)
			p->tail = NULL;
		p->waiting--;
		p->running++;
		pthread_mutex_unlock(&p->lock);
		srv = job->rq->server;
		loop = job->rq->live != NULL ? job->rq->live->loop : NULL;
		job->work(job->arg);
		job->rq->offload_done = true;
		/* From here the worker may finish and free the request. */
		MHD_resume_connection(job->rq->conn);
		if (srv->loops != NULL)
			loop_poke(srv, loop);
		free(job);
		pthread_mutex_lock(&p->lock);
		p->running--;
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

int
offload_start(struct http_server *srv)
{
	struct offload_pool *p = &srv->pool;

	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->more, NULL);
	p->nthreads = srv->s.offload_threads > 0 ? srv->s.offload_threads : 1;
	p->max_waiting = srv->s.offload_queue;
	p->threads = xcalloc(p->nthreads, sizeof(*p->threads));
	for (; p->started < p->nthreads; p->started++)
		if (pthread_create(&p->threads[p->started], NULL, offload_main, p) != 0)
			return -1;
	return 0;
}

/* Let the threads finish what is queued, join them and free the pool. */
void
offload_stop(struct http_server *srv)
{
	struct offload_pool *p = &srv->pool;

	if (p->threads == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_broadcast(&p->more);
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < p->started; i++)
		pthread_join(p->threads[i], NULL);
	free(p->threads);
	p->threads = NULL;
	pthread_cond_destroy(&p->more);
	pthread_mutex_destroy(&p->lock);
}

bool
http_offload_full(const struct http_request *rq)
{
	struct offload_pool *p = &rq->server->pool;
	bool full;

	pthread_mutex_lock(&p->lock);
	full = p->stop || p->waiting + p->running >= p->nthreads + p->max_waiting;
	pthread_mutex_unlock(&p->lock);
	return full;
}

bool
http_offload(struct http_request *rq, void (*work)(void *arg), void *arg)
{
	struct offload_pool *p = &rq->server->pool;
	struct offload_job *job;

	pthread_mutex_lock(&p->lock);
	/* Idle threads take work at once; beyond them, max_waiting may wait. */
	if (p->stop || p->waiting + p->running >= p->nthreads + p->max_waiting) {
		pthread_mutex_unlock(&p->lock);
		return false;
	}
	job = xcalloc(1, sizeof(*job));
	job->rq = rq;
	job->work = work;
	job->arg = arg;
	rq->offloaded = true;
	rq->offload_done = false;
	/* Suspended before the job can run, so its resume always follows; in
	 * the event-loop mode it may already be, while its coroutine waited. */
	if (!rq->loop_suspended)
		MHD_suspend_connection(rq->conn);
	if (p->tail != NULL)
		p->tail->next = job;
	else
		p->head = job;
	p->tail = job;
	p->waiting++;
	pthread_cond_signal(&p->more);
	pthread_mutex_unlock(&p->lock);
	return true;
}
