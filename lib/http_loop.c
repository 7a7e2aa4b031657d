/* http_loop.c - the event-loop workers ([http] mode = events).
 *
 * Each worker thread runs one epoll loop over: its own libmicrohttpd daemon
 * (external epoll mode, no listening socket of its own), the shared
 * listening socket, an eventfd for hand-overs and stop, and the sockets of
 * its pool of database connections (lib/db.c). Whichever loop accepts a
 * connection counts it against the shared limits (connection_limit in all,
 * per_ip_connection_limit per address) and hands it to the loop serving the
 * fewest, which adds it to its daemon.
 *
 * A request's step (the pipeline and handler, http_run_step) runs on a
 * coroutine (lib/coro.c), started from the access handler's final call.
 * When it finishes without waiting, the answer is queued at once. When it
 * waits for PostgreSQL (db_exec, through coro_wait_fd) or for a free
 * database connection, the connection is suspended and the loop serves
 * others; once the coroutine has finished, the connection is resumed and
 * the answer queued (docs/architecture.md, "Event-loop workers"). */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "coro.h"
#include "db.h"
#include "http_internal.h"
#include "log.h"
#include "mem.h"

/* What an epoll event is about: the tag in the upper half of data.u64, a
 * descriptor in the lower. */
enum { TAG_MHD = 1, TAG_LISTEN, TAG_WAKE, TAG_FD };
#define EV(tag, fd) (((uint64_t)(tag) << 32) | (uint32_t)(fd))

#define ACCEPT_BATCH  32   /* connections accepted per wake-up */
#define IP_BUCKETS    1024 /* of the per-address counts */
#define STOP_GRACE_MS 2000 /* after abandoning the waits, for coroutines to end */

/* A coroutine waiting for a database socket (indexed by descriptor). */
struct fd_watch {
	struct coro *waiter;
	uint32_t armed; /* the events registered with epoll; 0: not registered */
	int revents;    /* what woke the waiter, -1: abandoned */
	bool spoke;     /* something arrived while no one waited */
};

/* An accepted connection handed to another loop. */
struct handover {
	struct handover *next;
	int fd;
	struct sockaddr_storage addr;
	socklen_t len;
	unsigned char key[17];
};

struct http_loop {
	struct loop_set *set;
	pthread_t thread;
	bool started;
	int ep, wake;
	struct MHD_Daemon *daemon;
	bool listening;
	bool aborting;
	struct fd_watch *fds;
	size_t nfds;
	struct coro **ready; /* woken coroutines, run in order */
	size_t nready, cap_ready;
	unsigned tasks;         /* coroutines alive */
	bool resumed;           /* a connection was resumed: MHD_run soon */
	_Atomic unsigned conns; /* connections given to this loop and not closed */
	pthread_mutex_t lock;   /* handed */
	struct handover *handed;
	struct coro_sched sched;
};

struct ip_count {
	struct ip_count *next;
	unsigned char key[17];
	unsigned n;
};

struct loop_set {
	struct http_server *srv;
	struct http_loop *loops;
	unsigned n;
	int listen_fd;
	_Atomic bool accepting, stop;
	pthread_mutex_t ip_lock; /* ip, total */
	struct ip_count *ip[IP_BUCKETS];
	unsigned total;
	bool paused;           /* at the limit: the loops stopped accepting */
	_Atomic unsigned next; /* round robin among equally busy loops */
};

static _Thread_local struct http_loop *this_loop;
/* The address reserved for the connection being added to this loop's
 * daemon, taken over by loop_conn_started. */
static _Thread_local const unsigned char *pending_key;

/* ---- the shared connection limits ----------------------------------------- */

/* The address of sa as a key: the family, then 4 or 16 bytes. */
static void
addr_key(const struct sockaddr_storage *sa, unsigned char key[17])
{
	memset(key, 0, 17);
	key[0] = (unsigned char)sa->ss_family;
	if (sa->ss_family == AF_INET)
		memcpy(key + 1, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
	else if (sa->ss_family == AF_INET6)
		memcpy(key + 1, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
}

static unsigned
key_bucket(const unsigned char key[17])
{
	uint32_t h = 2166136261u;

	for (int i = 0; i < 17; i++)
		h = (h ^ key[i]) * 16777619u;
	return h % IP_BUCKETS;
}

static void wake_loop(struct http_loop *l);

/* Take one of the connection limit's slots for a connection about to be
 * accepted; false when all are taken: accepting pauses until one is given
 * back (a new client waits in the listen queue meanwhile, as with
 * libmicrohttpd). Taken before accept4, so that two loops accepting at once
 * cannot both pass the check at the limit and one of them then have to
 * close a connection it has accepted. */
static bool
limits_take_slot(struct loop_set *set)
{
	bool ok;

	pthread_mutex_lock(&set->ip_lock);
	ok = set->total < set->srv->s.connection_limit;
	if (ok)
		set->total++;
	else
		set->paused = true;
	pthread_mutex_unlock(&set->ip_lock);
	return ok;
}

/* Count the accepted connection's address (its slot taken); false (nothing
 * counted) when the address is at its limit. */
static bool
limits_count_addr(struct loop_set *set, const unsigned char key[17])
{
	unsigned per_ip = set->srv->s.per_ip_connection_limit;
	struct ip_count **b = &set->ip[key_bucket(key)], *e;
	bool ok = false;

	pthread_mutex_lock(&set->ip_lock);
	for (e = *b; e != NULL && memcmp(e->key, key, 17) != 0; e = e->next)
		;
	if (e != NULL && per_ip > 0 && e->n >= per_ip)
		goto out;
	if (e == NULL) {
		e = xcalloc(1, sizeof(*e));
		memcpy(e->key, key, 17);
		e->next = *b;
		*b = e;
	}
	e->n++;
	ok = true;
out:
	pthread_mutex_unlock(&set->ip_lock);
	return ok;
}

/* Give a slot back, with its address's count (key; NULL: none was counted),
 * and let the loops accept again if they had paused. */
static void
limits_release(struct loop_set *set, const unsigned char *key)
{
	struct ip_count **p, *e;
	bool resume;

	pthread_mutex_lock(&set->ip_lock);
	if (key != NULL) {
		for (p = &set->ip[key_bucket(key)];
		     (e = *p) != NULL && memcmp(e->key, key, 17) != 0;)
			p = &e->next;
		if (e != NULL && --e->n == 0) {
			*p = e->next;
			free(e);
		}
	}
	set->total--;
	resume = set->paused;
	set->paused = false;
	pthread_mutex_unlock(&set->ip_lock);
	if (resume)
		for (unsigned i = 0; i < set->n; i++)
			wake_loop(&set->loops[i]);
}

void
loop_conn_started(struct http_server *srv, struct live_conn *lc)
{
	(void)srv;
	lc->loop = this_loop;
	if (pending_key != NULL) {
		memcpy(lc->addr, pending_key, sizeof(lc->addr));
		lc->counted = true;
		pending_key = NULL;
	}
}

void
loop_conn_closed(struct http_server *srv, struct live_conn *lc)
{
	if (lc->counted)
		limits_release(srv->loops, lc->addr);
	if (lc->loop != NULL)
		atomic_fetch_sub(&lc->loop->conns, 1);
}

/* ---- connections ------------------------------------------------------------ */

/* Add an accepted connection to this loop's daemon (its count is taken
 * over by the connection's live entry, or released here when it fails). */
static void
add_connection(struct http_loop *l, struct handover *h)
{
	pending_key = h->key;
	if (MHD_add_connection(l->daemon, h->fd, (const struct sockaddr *)&h->addr, h->len) !=
	    MHD_YES) {
		/* libmicrohttpd has closed the socket. */
		if (pending_key != NULL) {
			limits_release(l->set, h->key);
			atomic_fetch_sub(&l->conns, 1);
		}
	} else if (pending_key != NULL) {
		/* Added without a live entry (no descriptor info): uncounted. */
		limits_release(l->set, h->key);
		atomic_fetch_sub(&l->conns, 1);
	}
	pending_key = NULL;
	l->resumed = true; /* MHD_run: it may have data already */
}

/* The loop serving the fewest connections. */
static struct http_loop *
least_busy(struct loop_set *set)
{
	unsigned start = atomic_fetch_add(&set->next, 1) % set->n, best = start;

	for (unsigned i = 1; i < set->n; i++) {
		unsigned j = (start + i) % set->n;

		if (atomic_load(&set->loops[j].conns) < atomic_load(&set->loops[best].conns))
			best = j;
	}
	return &set->loops[best];
}

static void
wake_loop(struct http_loop *l)
{
	uint64_t one = 1;
	ssize_t n = write(l->wake, &one, sizeof(one));

	(void)n;
}

void
loop_poke(struct http_server *srv, struct http_loop *loop)
{
	if (loop != NULL) {
		wake_loop(loop);
		return;
	}
	for (unsigned i = 0; i < srv->loops->n; i++)
		wake_loop(&srv->loops->loops[i]);
}

/* Accept what is waiting on the shared socket and hand it out. */
static void
accept_some(struct http_loop *l)
{
	struct loop_set *set = l->set;

	for (int i = 0; i < ACCEPT_BATCH && atomic_load(&set->accepting); i++) {
		struct handover h, *copy;
		struct http_loop *to;

		if (!limits_take_slot(set)) {
			epoll_ctl(l->ep, EPOLL_CTL_DEL, set->listen_fd, NULL);
			l->listening = false;
			return;
		}
		h.len = sizeof(h.addr);
		h.fd = accept4(set->listen_fd, (struct sockaddr *)&h.addr, &h.len,
		               SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (h.fd < 0) {
			/* EAGAIN: another loop took it, or none left */
			limits_release(set, NULL);
			return;
		}
		addr_key(&h.addr, h.key);
		if (!limits_count_addr(set, h.key)) {
			close(h.fd);
			limits_release(set, NULL);
			continue;
		}
		to = least_busy(set);
		atomic_fetch_add(&to->conns, 1);
		if (to == l) {
			add_connection(l, &h);
			continue;
		}
		copy = xmalloc(sizeof(*copy));
		*copy = h;
		pthread_mutex_lock(&to->lock);
		copy->next = to->handed;
		to->handed = copy;
		pthread_mutex_unlock(&to->lock);
		wake_loop(to);
	}
}

/* Add the connections other loops handed over (closed when stopping). */
static void
take_handed(struct http_loop *l)
{
	struct handover *h;

	pthread_mutex_lock(&l->lock);
	h = l->handed;
	l->handed = NULL;
	pthread_mutex_unlock(&l->lock);
	while (h != NULL) {
		struct handover *next = h->next;

		if (atomic_load(&l->set->stop)) {
			close(h->fd);
			limits_release(l->set, h->key);
			atomic_fetch_sub(&l->conns, 1);
		} else {
			add_connection(l, h);
		}
		free(h);
		h = next;
	}
}

/* ---- coroutines ------------------------------------------------------------- */

/* A request's coroutine: its step, then its database connections go back. */
static void
task_main(void *arg)
{
	http_run_step(arg);
	db_request_done();
}

/* co's fn has returned: answer its request (resumed for that), unless it
 * was offloaded meanwhile (the offload pool resumes it). */
static void
task_finished(struct http_loop *l, struct coro *co)
{
	struct http_request *rq = coro_arg(co);

	coro_free(co);
	rq->task = NULL;
	l->tasks--;
	rq->loop_suspended = false;
	if (rq->offloaded)
		return;
	rq->step_done = true;
	MHD_resume_connection(rq->conn);
	l->resumed = true;
}

static void
run_coro(struct http_loop *l, struct coro *co)
{
	if (coro_resume(co))
		task_finished(l, co);
}

/* Run the woken coroutines (those they wake run in this pass too). */
static void
run_ready(struct http_loop *l)
{
	for (size_t i = 0; i < l->nready; i++)
		run_coro(l, l->ready[i]);
	l->nready = 0;
}

static void
sched_wake(void *cls, struct coro *co)
{
	struct http_loop *l = cls;

	if (l->nready == l->cap_ready) {
		l->cap_ready = l->cap_ready ? 2 * l->cap_ready : 64;
		l->ready = xrealloc(l->ready, l->cap_ready * sizeof(*l->ready));
	}
	l->ready[l->nready++] = co;
}

static int
sched_fd_quiet(void *cls, int fd)
{
	struct http_loop *l = cls;

	if (fd < 0 || (size_t)fd >= l->nfds)
		return -1;
	if (l->fds[fd].spoke)
		return 0;
	return l->fds[fd].armed & EPOLLIN ? 1 : -1;
}

/* A new descriptor fd (a reconnected database socket): the closed one that
 * had its number took its epoll registration with it, and libpq may have
 * closed it without a word to us, so what fds[fd] says is stale. Left as
 * it was, a wait for the same events on the new socket would find it
 * "armed", register nothing, and never be woken. */
static void
sched_fd_opened(void *cls, int fd)
{
	struct http_loop *l = cls;

	if ((size_t)fd < l->nfds)
		l->fds[fd] = (struct fd_watch){0};
}

static bool
sched_aborting(void *cls)
{
	return ((struct http_loop *)cls)->aborting;
}

/* Register fd with epoll for want (level-triggered; it stays registered
 * between waits, so a request costs no epoll_ctl). */
static bool
arm(struct http_loop *l, int fd, uint32_t want)
{
	struct epoll_event ev = {.events = want, .data.u64 = EV(TAG_FD, fd)};
	struct fd_watch *w = &l->fds[fd];

	if (w->armed == want)
		return true;
	/* A descriptor closed and reused by libpq is no longer registered,
	 * whatever w says; one never registered may be. */
	if (epoll_ctl(l->ep, w->armed ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev) != 0 &&
	    epoll_ctl(l->ep, w->armed ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &ev) != 0)
		return false;
	w->armed = want;
	return true;
}

static int
sched_wait_fd(void *cls, int fd, short events)
{
	struct http_loop *l = cls;
	uint32_t want = ((events & POLLIN) ? EPOLLIN : 0) | ((events & POLLOUT) ? EPOLLOUT : 0);
	struct pollfd p = {.fd = fd, .events = events};

	if (l->aborting || fd < 0)
		return -1;
	if ((size_t)fd >= l->nfds) {
		size_t n = (size_t)fd + 64;

		l->fds = xrealloc(l->fds, n * sizeof(*l->fds));
		memset(l->fds + l->nfds, 0, (n - l->nfds) * sizeof(*l->fds));
		l->nfds = n;
	}
	if (!arm(l, fd, want))
		return poll(&p, 1, -1) < 0 ? -1 : p.revents; /* cannot happen; block */
	l->fds[fd].waiter = coro_self();
	l->fds[fd].revents = -1;
	l->fds[fd].spoke = false;
	coro_yield();
	return l->fds[fd].revents;
}

/* A database socket is ready: resume its waiter. With none (an idle
 * connection the server closed, say), unregister it until it is waited for
 * again, so that a level-triggered event does not repeat. */
static void
fd_event(struct http_loop *l, int fd, uint32_t events)
{
	struct fd_watch *w = (size_t)fd < l->nfds ? &l->fds[fd] : NULL;
	struct coro *co;

	if (w != NULL && w->waiter == NULL && (events & ~(uint32_t)EPOLLOUT) == 0) {
		/* Writable after a wait to send: that wait is over. */
		struct epoll_event ev = {.events = EPOLLIN, .data.u64 = EV(TAG_FD, fd)};

		if (epoll_ctl(l->ep, EPOLL_CTL_MOD, fd, &ev) == 0) {
			w->armed = EPOLLIN;
			return;
		}
	}
	if (w == NULL || w->waiter == NULL) {
		epoll_ctl(l->ep, EPOLL_CTL_DEL, fd, NULL);
		if (w != NULL) {
			w->armed = 0;
			w->spoke = true;
		}
		return;
	}
	co = w->waiter;
	w->waiter = NULL;
	w->revents = ((events & EPOLLIN) ? POLLIN : 0) | ((events & EPOLLOUT) ? POLLOUT : 0) |
	             ((events & EPOLLERR) ? POLLERR : 0) | ((events & EPOLLHUP) ? POLLHUP : 0);
	run_coro(l, co);
}

/* Stopping: every wait is abandoned (the statements fail, answered 503). */
static void
abandon_waits(struct http_loop *l)
{
	l->aborting = true;
	for (size_t fd = 0; fd < l->nfds; fd++) {
		struct coro *co = l->fds[fd].waiter;

		if (co != NULL) {
			l->fds[fd].waiter = NULL;
			l->fds[fd].revents = -1;
			run_coro(l, co);
		}
	}
}

enum MHD_Result
loop_final_call(struct http_request *rq)
{
	struct http_loop *l = this_loop;
	struct coro *co;

	if (rq->step_done) {
		rq->step_done = false;
		goto answer;
	}
	if (rq->task != NULL)
		return MHD_YES; /* still running: resumed too early */
	co = coro_new(task_main, rq);
	if (co == NULL) {
		/* No stack: run it here, its waits blocking the loop. */
		http_run_step(rq);
		goto answer;
	}
	rq->task = co;
	l->tasks++;
	if (!coro_resume(co)) {
		MHD_suspend_connection(rq->conn);
		rq->loop_suspended = true;
		return MHD_YES;
	}
	coro_free(co);
	rq->task = NULL;
	l->tasks--;
answer:
	if (rq->offloaded)
		return MHD_YES; /* suspended until the pool has done the work */
	return http_queue_response(rq);
}

/* ---- the loop ------------------------------------------------------------- */

/* How long epoll may wait: libmicrohttpd's next timeout, 0 with woken
 * coroutines, a tick while stopping. */
static int
loop_timeout(struct http_loop *l)
{
	MHD_UNSIGNED_LONG_LONG ms;

	if (l->nready > 0 || l->resumed)
		return 0;
	if (l->aborting)
		return 50;
	if (MHD_get_timeout(l->daemon, &ms) != MHD_YES)
		return -1;
	return ms > 60000 ? 60000 : (int)ms;
}

/* Watch the shared socket again (after a pause at the limit). Exclusive:
 * one loop is woken per connection, not all. */
static void
listen_again(struct http_loop *l)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLEXCLUSIVE, .data.u64 = EV(TAG_LISTEN, 0)};

	l->listening = epoll_ctl(l->ep, EPOLL_CTL_ADD, l->set->listen_fd, &ev) == 0;
}

/* What the eventfd says: hand-overs, stop accepting, stop. */
static void
on_wake(struct http_loop *l)
{
	uint64_t v;
	ssize_t n = read(l->wake, &v, sizeof(v));

	(void)n;
	l->resumed = true; /* a connection may have been resumed: MHD_run */
	take_handed(l);
	if (l->listening && !atomic_load(&l->set->accepting)) {
		epoll_ctl(l->ep, EPOLL_CTL_DEL, l->set->listen_fd, NULL);
		l->listening = false;
	} else if (!l->listening && atomic_load(&l->set->accepting)) {
		listen_again(l);
	}
	if (atomic_load(&l->set->stop) && !l->aborting)
		abandon_waits(l);
}

/* One pass: wait for events and handle them. */
static void
loop_pass(struct http_loop *l)
{
	struct epoll_event evs[64];
	int n = epoll_wait(l->ep, evs, 64, loop_timeout(l));
	bool mhd = n == 0;

	for (int i = 0; i < n; i++) {
		int fd = (int)(uint32_t)evs[i].data.u64;

		switch (evs[i].data.u64 >> 32) {
		case TAG_MHD:
			mhd = true;
			break;
		case TAG_LISTEN:
			accept_some(l);
			break;
		case TAG_WAKE:
			on_wake(l);
			break;
		default:
			fd_event(l, fd, evs[i].events);
			break;
		}
	}
	run_ready(l);
	if (mhd || l->resumed) {
		l->resumed = false;
		MHD_run(l->daemon);
		run_ready(l);
	}
}

static void *
loop_main(void *arg)
{
	struct http_loop *l = arg;
	struct timespec t0, now;

	this_loop = l;
	db_loop_init(l->set->srv->s.loop_db_connections);
	coro_set_sched(&l->sched);
	while (!atomic_load(&l->set->stop) || !l->aborting)
		loop_pass(l);
	/* Stopping: the abandoned coroutines end with 503s; their answers go
	 * out, then the daemon closes every connection. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	now = t0;
	while (l->tasks > 0 &&
	       (now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000 <
	           STOP_GRACE_MS) {
		loop_pass(l);
		clock_gettime(CLOCK_MONOTONIC, &now);
	}
	/* What the last of them answered goes out (no waiting: resumed). */
	for (int i = 0; i < 2; i++) {
		l->resumed = true;
		loop_pass(l);
	}
	if (l->tasks > 0)
		/* libmicrohttpd refuses to stop with suspended connections. */
		log_msg(LOG_WARN, "shutdown: %u requests of an event loop did not end", l->tasks);
	else
		MHD_stop_daemon(l->daemon);
	l->daemon = NULL;
	take_handed(l);
	coro_set_sched(NULL);
	db_loop_cleanup();
	return NULL;
}

/* Set up loop l: its epoll, eventfd and daemon. */
static int
loop_init(struct loop_set *set, struct http_loop *l, char *err, size_t errlen)
{
	struct epoll_event ev;
	const union MHD_DaemonInfo *info;

	l->set = set;
	l->ep = epoll_create1(EPOLL_CLOEXEC);
	l->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	pthread_mutex_init(&l->lock, NULL);
	l->sched = (struct coro_sched){
	    l, sched_wait_fd, sched_wake, sched_aborting, sched_fd_quiet, sched_fd_opened};
	l->daemon = http_daemon_start(set->srv, MHD_USE_NO_LISTEN_SOCKET, 0, NULL);
	info = l->daemon ? MHD_get_daemon_info(l->daemon, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
	if (l->ep < 0 || l->wake < 0 || info == NULL) {
		snprintf(err, errlen, "cannot set up an event loop (epoll, eventfd, daemon)");
		return -1;
	}
	ev = (struct epoll_event){.events = EPOLLIN, .data.u64 = EV(TAG_MHD, 0)};
	if (epoll_ctl(l->ep, EPOLL_CTL_ADD, info->epoll_fd, &ev) != 0)
		goto fail;
	ev = (struct epoll_event){.events = EPOLLIN, .data.u64 = EV(TAG_WAKE, 0)};
	if (epoll_ctl(l->ep, EPOLL_CTL_ADD, l->wake, &ev) != 0)
		goto fail;
	/* Exclusive: one loop is woken per connection, not all. */
	ev =
	    (struct epoll_event){.events = EPOLLIN | EPOLLEXCLUSIVE, .data.u64 = EV(TAG_LISTEN, 0)};
	if (epoll_ctl(l->ep, EPOLL_CTL_ADD, set->listen_fd, &ev) != 0)
		goto fail;
	l->listening = true;
	return 0;
fail:
	snprintf(err, errlen, "cannot set up an event loop: epoll_ctl: %s", strerror(errno));
	return -1;
}

int
loops_start(struct http_server *srv, int listen_fd, char *err, size_t errlen)
{
	struct loop_set *set = xcalloc(1, sizeof(*set));

	set->srv = srv;
	set->n = srv->s.threads > 0 ? srv->s.threads : 1;
	set->loops = xcalloc(set->n, sizeof(*set->loops));
	set->listen_fd = listen_fd;
	atomic_store(&set->accepting, true);
	pthread_mutex_init(&set->ip_lock, NULL);
	srv->loops = set;
	for (unsigned i = 0; i < set->n; i++) {
		set->loops[i].ep = set->loops[i].wake = -1;
		if (loop_init(set, &set->loops[i], err, errlen) != 0)
			goto fail;
	}
	for (unsigned i = 0; i < set->n; i++) {
		if (pthread_create(&set->loops[i].thread, NULL, loop_main, &set->loops[i]) != 0) {
			snprintf(err, errlen, "cannot start the event-loop threads");
			goto fail;
		}
		set->loops[i].started = true;
	}
	return 0;
fail:
	set->listen_fd = -1; /* still the caller's */
	loops_stop(srv);
	return -1;
}

void
loops_quiesce(struct http_server *srv)
{
	struct loop_set *set = srv->loops;

	atomic_store(&set->accepting, false);
	for (unsigned i = 0; i < set->n; i++)
		if (set->loops[i].wake >= 0)
			wake_loop(&set->loops[i]);
}

void
loops_stop(struct http_server *srv)
{
	struct loop_set *set = srv->loops;

	atomic_store(&set->accepting, false);
	atomic_store(&set->stop, true);
	for (unsigned i = 0; i < set->n; i++) {
		struct http_loop *l = &set->loops[i];

		if (l->started) {
			wake_loop(l);
			pthread_join(l->thread, NULL);
		} else if (l->daemon != NULL) {
			MHD_stop_daemon(l->daemon);
		}
		if (l->ep >= 0)
			close(l->ep);
		if (l->wake >= 0)
			close(l->wake);
		pthread_mutex_destroy(&l->lock);
		free(l->fds);
		free(l->ready);
	}
	if (set->listen_fd >= 0)
		close(set->listen_fd);
	for (unsigned b = 0; b < IP_BUCKETS; b++)
		while (set->ip[b] != NULL) {
			struct ip_count *next = set->ip[b]->next;

			free(set->ip[b]);
			set->ip[b] = next;
		}
	pthread_mutex_destroy(&set->ip_lock);
	free(set->loops);
	free(set);
	srv->loops = NULL;
}
