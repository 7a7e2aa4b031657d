/* http_guard.c - the connection guard: deadlines per phase of every live
 * connection, and a reaper thread that cuts those past them
 * (docs/architecture.md, "Slow clients"). */
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

/* Under pressure, a connection in its header phase for longer than this is
 * cut; the reaper looks this often. */
#define SHED_AFTER_US  1000000u
#define REAPER_TICK_US 100000u

/* ---- the connection guard ------------------------------------------------ */

struct live_conn *
live_conn_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci != NULL ? ci->socket_context : NULL;
}

void
set_phase(struct live_conn *lc, enum conn_phase phase, uint64_t start, uint64_t deadline)
{
	if (lc == NULL)
		return;
	atomic_store(&lc->phase_start_us, start);
	atomic_store(&lc->deadline_us, deadline);
	atomic_store(&lc->phase, (int)phase);
}

/* The next request's headers are awaited: from now, header_us, after idle
 * (0 on a new connection; on a kept-alive one the idle allowance, so an
 * idle client is closed by the connection timeout as before, and one that
 * trickles its next request is cut at most header_us later). */
void
guard_headers(struct http_server *srv, struct live_conn *lc, uint64_t idle)
{
	uint64_t now = now_us();

	set_phase(lc, PHASE_HEADERS, now, now + idle + srv->guard.header_us);
}

/* A body starts: nothing is required of it during the grace period. */
void
guard_body_start(struct http_server *srv, struct live_conn *lc)
{
	uint64_t now = now_us();

	if (lc == NULL)
		return;
	lc->body_received = 0;
	set_phase(lc, PHASE_BODY, now, srv->guard.min_rate > 0 ? now + srv->guard.grace_us : 0);
}

/* n more body bytes: the deadline moves to when the average rate since the
 * grace period ended would fall under the minimum. */
void
guard_body_bytes(struct http_server *srv, struct live_conn *lc, size_t n)
{
	uint64_t start;

	if (lc == NULL || srv->guard.min_rate == 0 || atomic_load(&lc->phase) != PHASE_BODY)
		return;
	lc->body_received += n;
	start = atomic_load(&lc->phase_start_us);
	atomic_store(&lc->deadline_us, start + srv->guard.grace_us +
	                                   lc->body_received * 1000000u / srv->guard.min_rate);
}

void
notify_connection_cb(void *cls, struct MHD_Connection *conn, void **socket_context,
                     enum MHD_ConnectionNotificationCode code)
{
	struct http_server *srv = cls;
	struct conn_guard *g = &srv->guard;
	struct live_conn *lc;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *fdi =
		    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);

		if (fdi == NULL)
			return;
		lc = xcalloc(1, sizeof(*lc));
		lc->fd = fdi->connect_fd;
		guard_headers(srv, lc, 0);
		pthread_mutex_lock(&g->lock);
		lc->next = g->head;
		if (g->head != NULL)
			g->head->prev = lc;
		g->head = lc;
		g->live++;
		pthread_mutex_unlock(&g->lock);
		*socket_context = lc;
		if (srv->loops != NULL)
			loop_conn_started(srv, lc);
		return;
	}
	lc = *socket_context;
	if (lc == NULL)
		return;
	/* Before libmicrohttpd closes the socket: once unlinked here, the
	 * reaper cannot shut down a descriptor that has been reused. */
	pthread_mutex_lock(&g->lock);
	if (lc->prev != NULL)
		lc->prev->next = lc->next;
	else
		g->head = lc->next;
	if (lc->next != NULL)
		lc->next->prev = lc->prev;
	g->live--;
	pthread_mutex_unlock(&g->lock);
	*socket_context = NULL;
	if (srv->loops != NULL)
		loop_conn_closed(srv, lc);
	free(lc);
}

/* One pass over the live connections (under the lock): shut down those past
 * their deadline and, when the live connections reach shed_at, those in
 * their header phase for longer than SHED_AFTER_US. Adds to the counts. */
static void
reap(struct conn_guard *g, uint64_t now, unsigned counts[3])
{
	bool pressure = g->live >= g->shed_at;

	for (struct live_conn *lc = g->head; lc != NULL; lc = lc->next) {
		uint64_t deadline = atomic_load(&lc->deadline_us);
		int phase = atomic_load(&lc->phase);
		int why;

		if (lc->cut)
			continue;
		if (deadline != 0 && now > deadline)
			why = phase == PHASE_BODY ? 1 : 0;
		else if (pressure && phase == PHASE_HEADERS &&
		         now - atomic_load(&lc->phase_start_us) > SHED_AFTER_US)
			why = 2;
		else
			continue;
		/* The worker sees end-of-file and closes the connection. */
		shutdown(lc->fd, SHUT_RDWR);
		lc->cut = true;
		counts[why]++;
	}
}

static void *
reaper_main(void *arg)
{
	struct conn_guard *g = arg;

	pthread_mutex_lock(&g->lock);
	while (!g->stop) {
		unsigned counts[3] = {0, 0, 0};
		unsigned live = g->live;
		struct timespec ts;

		reap(g, now_us(), counts);
		if (counts[0] + counts[1] + counts[2] > 0) {
			pthread_mutex_unlock(&g->lock);
			log_msg(LOG_WARN,
			        "cut %u slow connections of %u live: %u past the header deadline, "
			        "%u with a body under the minimum rate, %u shed under pressure",
			        counts[0] + counts[1] + counts[2], live, counts[0], counts[1],
			        counts[2]);
			pthread_mutex_lock(&g->lock);
		}
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += REAPER_TICK_US * 1000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		if (!g->stop)
			pthread_cond_timedwait(&g->wake, &g->lock, &ts);
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

/* Set up the guard and start its reaper. Returns 0, or -1 (no thread). */
int
guard_start(struct http_server *srv)
{
	struct conn_guard *g = &srv->guard;
	pthread_condattr_t ca;
	unsigned limit = srv->s.connection_limit;

	pthread_mutex_init(&g->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g->wake, &ca);
	pthread_condattr_destroy(&ca);
	g->header_us = (uint64_t)srv->s.request_header_timeout * 1000000u;
	g->idle_us = (uint64_t)srv->s.connection_timeout * 1000000u;
	g->grace_us = (uint64_t)srv->s.body_rate_grace * 1000000u;
	g->min_rate = srv->s.body_min_rate;
	/* Nine tenths of the limit, and at least one short of it. */
	g->shed_at = limit - (limit / 10 > 0 ? limit / 10 : (limit > 1 ? 1 : 0));
	if (pthread_create(&g->thread, NULL, reaper_main, g) != 0)
		return -1;
	g->running = true;
	return 0;
}

/* Stop and join the reaper; what is still linked (nothing, once
 * libmicrohttpd has stopped) is freed. */
void
guard_stop(struct http_server *srv)
{
	struct conn_guard *g = &srv->guard;

	if (g->running) {
		pthread_mutex_lock(&g->lock);
		g->stop = true;
		pthread_cond_signal(&g->wake);
		pthread_mutex_unlock(&g->lock);
		pthread_join(g->thread, NULL);
		g->running = false;
	}
}

void
guard_cleanup(struct http_server *srv)
{
	struct conn_guard *g = &srv->guard;

	while (g->head != NULL) {
		struct live_conn *next = g->head->next;

		free(g->head);
		g->head = next;
	}
	pthread_cond_destroy(&g->wake);
	pthread_mutex_destroy(&g->lock);
}
