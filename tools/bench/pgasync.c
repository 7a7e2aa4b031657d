/* pgasync.c - bench-pgasync, the asynchronous database reference server of
 * `make bench`: what kompasd GET /readyz is compared with. It is built the
 * way Kore's workers use PostgreSQL (kore_pgsql in KORE_PGSQL_ASYNC mode):
 *
 *   - THREADS worker threads (Kore: worker processes), each with one epoll
 *     event loop that serves its HTTP connections and its PostgreSQL
 *     connections alike; nothing blocks in the loop once it runs;
 *   - each worker owns up to CONNS libpq connections (Kore: pgsql_conn_max),
 *     put in non-blocking mode (PQsetnonblocking) with a statement prepared
 *     on each at start ("SELECT $1::int", run as SELECT 1);
 *   - a request takes an idle connection of its worker and sends the query
 *     with PQsendQueryPrepared; when all are busy it waits in the worker's
 *     FIFO queue (Kore: pgsql_wait queue) and takes the next one to finish;
 *     the socket's readiness drives PQconsumeInput / PQgetResult and the
 *     answer is written when the result is complete.
 *
 * The HTTP side is a small keep-alive HTTP/1.1 server (GET and HEAD only, no
 * bodies, requests up to 8 KiB, pipelined requests answered in order), which
 * is about what Kore's own parser costs for wrk's requests; it is not
 * libmicrohttpd, so that the reference is not held back by the thread pool
 * it is compared against. GET /healthz answers 200 {"status":"ok"} without
 * the database (the HTTP side's own cost, as kompasd's /healthz); every
 * other path answers 200
 * {"status":"ready","schema_version":1} (1 from the database) or, when the
 * query fails, 503 with Retry-After: 1; a lost connection is re-opened
 * (blocking, at most every 200 ms) when a request next needs it.
 *
 *   bench-pgasync PORT THREADS CONNS CONNINFO [SQL]
 *
 * SQL, when given, is prepared and run instead (without parameters; its first
 * value goes into the answer), e.g. kompasd's own readiness query, to see
 * how much of a difference is the statement's.
 *
 * PORT 0 picks a free port. Prints "listening on http://127.0.0.1:PORT" on
 * stdout once it accepts connections and serves until SIGINT or SIGTERM. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#define IN_MAX     8192
#define OUT_MAX    16384
#define MAX_EVENTS 64

struct worker;

struct client {
	int fd;
	size_t inlen;
	size_t outlen, outoff;
	bool waiting;        /* its request is queued or at the database */
	bool head;           /* the request being answered is a HEAD */
	bool close_after;    /* close once the answer is written */
	bool gone;           /* closed while at the database: free on its result */
	bool want_out;       /* EPOLLOUT registered */
	struct client *next; /* in the wait queue, or among the closed */
	char in[IN_MAX];
	char out[OUT_MAX];
};

struct pgc {
	PGconn *pg;
	struct client *cl; /* the request at the database, or NULL when idle */
	bool want_out;
	struct timespec failed; /* last failed connect */
	char value[16];         /* the result */
	bool ok;
};

/* What an epoll event's data points to: a struct client, or one of these
 * (told apart by address). */
struct handle {
	struct pgc *p; /* for a database connection's */
};

struct worker {
	pthread_t thread;
	int ep;
	int wake;
	unsigned nconns;
	struct pgc *conns;
	struct handle *conn_handles;
	struct client *qhead, *qtail;
	struct client *closed; /* freed after the current batch of events */
};

static const char *conninfo;
static const char *sql = "SELECT $1::int";
static int sql_params = 1;
static int listen_fd;
static struct handle listen_handle, wake_handle;
static volatile int stopping;

static long
ms_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

/* Open (or re-open) p's connection, non-blocking with the statement
 * prepared. Blocking: at start, and after a loss. Returns 0 or -1. */
static int
pg_open(struct worker *w, struct pgc *p)
{
	PGresult *res;
	struct epoll_event ev;

	if (p->pg != NULL) {
		epoll_ctl(w->ep, EPOLL_CTL_DEL, PQsocket(p->pg), NULL);
		PQfinish(p->pg);
	}
	p->pg = PQconnectdb(conninfo);
	if (p->pg == NULL || PQstatus(p->pg) != CONNECTION_OK) {
		fprintf(stderr, "bench-pgasync: connect: %s",
		        p->pg ? PQerrorMessage(p->pg) : "out of memory\n");
		goto fail;
	}
	res = PQprepare(p->pg, "ready", sql, sql_params, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		fprintf(stderr, "bench-pgasync: prepare: %s", PQerrorMessage(p->pg));
		PQclear(res);
		goto fail;
	}
	PQclear(res);
	if (PQsetnonblocking(p->pg, 1) != 0)
		goto fail;
	p->want_out = false;
	ev.events = EPOLLIN;
	ev.data.ptr = &w->conn_handles[p - w->conns];
	if (epoll_ctl(w->ep, EPOLL_CTL_ADD, PQsocket(p->pg), &ev) != 0)
		goto fail;
	return 0;
fail:
	if (p->pg != NULL)
		PQfinish(p->pg);
	p->pg = NULL;
	clock_gettime(CLOCK_MONOTONIC, &p->failed);
	return -1;
}

/* Close c's socket; c itself is freed after the current batch of events
 * (one of them may still name it), or when its query comes back. */
static void
client_shut(struct worker *w, struct client *c)
{
	if (c->fd >= 0) {
		epoll_ctl(w->ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
		c->fd = -1;
	}
}

static void
client_free(struct worker *w, struct client *c)
{
	client_shut(w, c);
	c->next = w->closed;
	w->closed = c;
}

/* Close c now, or when its query comes back. */
static void
client_close(struct worker *w, struct client *c)
{
	if (c->waiting) {
		struct client **pp = &w->qhead, *prev = NULL;

		/* Still queued: take it out. */
		while (*pp != NULL && *pp != c) {
			prev = *pp;
			pp = &(*pp)->next;
		}
		if (*pp == c) {
			*pp = c->next;
			if (w->qtail == c)
				w->qtail = prev;
			client_free(w, c);
			return;
		}
		c->gone = true;
		client_shut(w, c);
		return;
	}
	client_free(w, c);
}

static void
client_want_out(struct worker *w, struct client *c, bool want)
{
	struct epoll_event ev;

	if (c->want_out == want)
		return;
	ev.events = EPOLLIN | (want ? EPOLLOUT : 0);
	ev.data.ptr = c;
	epoll_ctl(w->ep, EPOLL_CTL_MOD, c->fd, &ev);
	c->want_out = want;
}

static void client_process(struct worker *w, struct client *c);

/* Write what is buffered; returns -1 when c was closed. */
static int
client_flush(struct worker *w, struct client *c)
{
	while (c->outoff < c->outlen) {
		ssize_t n = write(c->fd, c->out + c->outoff, c->outlen - c->outoff);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			client_want_out(w, c, true);
			return 0;
		}
		if (n <= 0) {
			client_close(w, c);
			return -1;
		}
		c->outoff += (size_t)n;
	}
	c->outoff = c->outlen = 0;
	client_want_out(w, c, false);
	if (c->close_after) {
		client_close(w, c);
		return -1;
	}
	return 0;
}

static void
client_answer(struct client *c, int status, const char *body)
{
	size_t blen = strlen(body);
	int n;

	n = snprintf(c->out + c->outlen, OUT_MAX - c->outlen,
	             "HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: "
	             "%zu\r\n%s%s\r\n%s",
	             status == 200   ? "200 OK"
	             : status == 503 ? "503 Service Unavailable"
	                             : "400 Bad Request",
	             blen, status == 503 ? "Retry-After: 1\r\n" : "",
	             c->close_after ? "Connection: close\r\n" : "", c->head ? "" : body);
	if (n > 0 && (size_t)n < OUT_MAX - c->outlen)
		c->outlen += (size_t)n;
}

static void
pg_send(struct worker *w, struct pgc *p, struct client *c)
{
	static const char *const params[] = {"1"};
	int rc;

	p->cl = c;
	p->ok = false;
	if (p->pg == NULL || PQstatus(p->pg) != CONNECTION_OK) {
		if (p->pg != NULL || ms_since(&p->failed) >= 200)
			pg_open(w, p);
	}
	if (p->pg == NULL ||
	    PQsendQueryPrepared(p->pg, "ready", sql_params, params, NULL, NULL, 0) != 1)
		goto fail;
	rc = PQflush(p->pg);
	if (rc < 0)
		goto fail;
	if (rc == 1 && !p->want_out) {
		struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT,
		                         .data.ptr = &w->conn_handles[p - w->conns]};

		epoll_ctl(w->ep, EPOLL_CTL_MOD, PQsocket(p->pg), &ev);
		p->want_out = true;
	}
	return;
fail:
	/* Answered at once; the connection is re-opened by a later request. */
	if (p->pg != NULL && PQstatus(p->pg) != CONNECTION_OK) {
		epoll_ctl(w->ep, EPOLL_CTL_DEL, PQsocket(p->pg), NULL);
		PQfinish(p->pg);
		p->pg = NULL;
		clock_gettime(CLOCK_MONOTONIC, &p->failed);
	}
	p->cl = NULL;
	c->waiting = false;
	if (c->gone) {
		client_free(w, c);
		return;
	}
	client_answer(c, 503, "{\"status\":\"database unavailable\"}");
	if (client_flush(w, c) == 0)
		client_process(w, c);
}

/* Queue c's request, or send it at once on an idle connection. */
static void
dispatch(struct worker *w, struct client *c)
{
	c->waiting = true;
	for (unsigned i = 0; i < w->nconns; i++) {
		if (w->conns[i].cl == NULL) {
			pg_send(w, &w->conns[i], c);
			return;
		}
	}
	c->next = NULL;
	if (w->qtail != NULL)
		w->qtail->next = c;
	else
		w->qhead = c;
	w->qtail = c;
}

/* Parse and answer the complete requests in c's buffer, one at a time:
 * stops at a request that went to the database. */
static void
client_process(struct worker *w, struct client *c)
{
	while (!c->waiting) {
		char *end = memmem(c->in, c->inlen, "\r\n\r\n", 4);
		size_t len;
		char *line_end, *h;
		bool get, healthz, body = false;

		if (end == NULL) {
			if (c->inlen == IN_MAX) {
				c->close_after = true;
				client_answer(c, 400, "{\"status\":\"request too large\"}");
				client_flush(w, c);
			}
			return;
		}
		len = (size_t)(end - c->in) + 4;
		*end = '\0';
		line_end = strstr(c->in, "\r\n");
		if (line_end == NULL)
			line_end = end;
		*line_end = '\0';
		get = strncmp(c->in, "GET ", 4) == 0;
		c->head = strncmp(c->in, "HEAD ", 5) == 0;
		healthz = strncmp(c->in + (c->head ? 5 : 4), "/healthz ", 9) == 0;
		c->close_after = strstr(c->in, " HTTP/1.0") != NULL;
		/* Headers: Connection and (refused) request bodies. */
		for (h = line_end < end ? line_end + 2 : end; h < end;) {
			char *e = strstr(h, "\r\n");

			if (e == NULL)
				e = end;
			*e = '\0';
			if (strncasecmp(h, "Connection:", 11) == 0) {
				if (strcasestr(h + 11, "close") != NULL)
					c->close_after = true;
				else if (strcasestr(h + 11, "keep-alive") != NULL)
					c->close_after = false;
			} else if (strncasecmp(h, "Content-Length:", 15) == 0 ||
			           strncasecmp(h, "Transfer-Encoding:", 18) == 0) {
				body = true;
			}
			h = e + 2;
		}
		memmove(c->in, c->in + len, c->inlen - len);
		c->inlen -= len;
		if (!(get || c->head) || body) {
			c->close_after = true;
			client_answer(c, 400, "{\"status\":\"GET or HEAD without a body only\"}");
			client_flush(w, c);
			return;
		}
		if (healthz) {
			/* The HTTP side alone: no database. */
			client_answer(c, 200, "{\"status\":\"ok\"}");
			if (client_flush(w, c) != 0)
				return;
			continue;
		}
		dispatch(w, c);
	}
}

static void
client_readable(struct worker *w, struct client *c)
{
	for (;;) {
		size_t room = IN_MAX - c->inlen;
		ssize_t n;

		if (room == 0)
			break;
		n = read(c->fd, c->in + c->inlen, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			client_close(w, c);
			return;
		}
		c->inlen += (size_t)n;
		if ((size_t)n < room)
			break; /* a short read: nothing more for now */
	}
	client_process(w, c);
}

/* The result of p's query is complete: answer it, and give p to the next
 * queued request. */
static void
pg_done(struct worker *w, struct pgc *p)
{
	struct client *c = p->cl, *next;
	bool ok = p->ok;
	char body[64];

	if (ok)
		snprintf(body, sizeof(body), "{\"status\":\"ready\",\"schema_version\":%s}",
		         p->value);
	p->cl = NULL;
	next = w->qhead;
	if (next != NULL) {
		w->qhead = next->next;
		if (w->qhead == NULL)
			w->qtail = NULL;
	}
	if (next != NULL)
		pg_send(w, p, next);
	c->waiting = false;
	if (c->gone) {
		client_free(w, c);
		return;
	}
	if (ok) {
		client_answer(c, 200, body);
	} else {
		client_answer(c, 503, "{\"status\":\"database unavailable\"}");
	}
	if (client_flush(w, c) == 0)
		client_process(w, c);
}

static void
pg_event(struct worker *w, struct pgc *p, uint32_t events)
{
	if (p->pg == NULL)
		return;
	if ((events & EPOLLOUT) && p->want_out) {
		int rc = PQflush(p->pg);

		if (rc == 0) {
			struct epoll_event ev = {.events = EPOLLIN,
			                         .data.ptr = &w->conn_handles[p - w->conns]};

			epoll_ctl(w->ep, EPOLL_CTL_MOD, PQsocket(p->pg), &ev);
			p->want_out = false;
		} else if (rc < 0) {
			goto lost;
		}
	}
	if (!(events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
		return;
	if (PQconsumeInput(p->pg) != 1)
		goto lost;
	while (p->cl != NULL && !PQisBusy(p->pg)) {
		PGresult *res = PQgetResult(p->pg);

		if (res == NULL) {
			pg_done(w, p);
			return;
		}
		if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
			snprintf(p->value, sizeof(p->value), "%s", PQgetvalue(res, 0, 0));
			p->ok = true;
		}
		PQclear(res);
	}
	if (p->cl == NULL && PQstatus(p->pg) != CONNECTION_OK)
		goto lost;
	return;
lost:
	epoll_ctl(w->ep, EPOLL_CTL_DEL, PQsocket(p->pg), NULL);
	PQfinish(p->pg);
	p->pg = NULL;
	clock_gettime(CLOCK_MONOTONIC, &p->failed);
	if (p->cl != NULL) {
		p->ok = false;
		pg_done(w, p);
	}
}

static void
accept_one(struct worker *w)
{
	struct epoll_event ev;
	struct client *c;
	int fd, one = 1;

	fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		close(fd);
		return;
	}
	c->fd = fd;
	ev.events = EPOLLIN;
	ev.data.ptr = c;
	if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
		close(fd);
		free(c);
	}
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct epoll_event evs[MAX_EVENTS];

	while (!stopping) {
		int n = epoll_wait(w->ep, evs, MAX_EVENTS, -1);

		for (int i = 0; i < n; i++) {
			struct handle *h = evs[i].data.ptr;

			if (h == &listen_handle) {
				accept_one(w);
			} else if (h == &wake_handle) {
				stopping = 1;
			} else if (h >= w->conn_handles && h < w->conn_handles + w->nconns) {
				pg_event(w, h->p, evs[i].events);
			} else {
				struct client *c = (struct client *)(void *)h;

				if (c->fd < 0)
					continue; /* closed earlier in this batch */
				if (evs[i].events & EPOLLOUT) {
					if (client_flush(w, c) != 0)
						continue;
					if (!c->want_out)
						client_process(w, c);
				}
				if (c->fd >= 0 && (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
					client_readable(w, c);
			}
		}
		while (w->closed != NULL) {
			struct client *c = w->closed;

			w->closed = c->next;
			free(c);
		}
	}
	return NULL;
}

static int
parse_uint(const char *s, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v > max)
		return -1;
	*out = (unsigned)v;
	return 0;
}

int
main(int argc, char **argv)
{
	unsigned port, threads, conns;
	struct sockaddr_in a4;
	socklen_t alen = sizeof(a4);
	struct worker *ws;
	sigset_t set;
	int sig = 0, one = 1;
	int wake;

	if ((argc != 5 && argc != 6) || parse_uint(argv[1], 65535, &port) != 0 ||
	    parse_uint(argv[2], 256, &threads) != 0 || threads == 0 ||
	    parse_uint(argv[3], 64, &conns) != 0 || conns == 0) {
		fprintf(stderr, "usage: %s PORT THREADS CONNS CONNINFO [SQL]\n", argv[0]);
		return 2;
	}
	conninfo = argv[4];
	if (argc == 6) {
		sql = argv[5];
		sql_params = 0;
	}

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	memset(&a4, 0, sizeof(a4));
	a4.sin_family = AF_INET;
	a4.sin_port = htons((uint16_t)port);
	a4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&a4, sizeof(a4)) != 0 ||
	    listen(listen_fd, 1024) != 0 ||
	    getsockname(listen_fd, (struct sockaddr *)&a4, &alen) != 0) {
		fprintf(stderr, "bench-pgasync: cannot listen on 127.0.0.1 port %u: %s\n", port,
		        strerror(errno));
		return 1;
	}
	wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (wake < 0)
		return 1;

	ws = calloc(threads, sizeof(*ws));
	if (ws == NULL)
		return 1;
	for (unsigned t = 0; t < threads; t++) {
		struct worker *w = &ws[t];
		struct epoll_event ev;

		w->ep = epoll_create1(EPOLL_CLOEXEC);
		w->nconns = conns;
		w->conns = calloc(conns, sizeof(*w->conns));
		w->conn_handles = calloc(conns, sizeof(*w->conn_handles));
		if (w->ep < 0 || w->conns == NULL || w->conn_handles == NULL)
			return 1;
		for (unsigned i = 0; i < conns; i++) {
			w->conn_handles[i].p = &w->conns[i];
			if (pg_open(w, &w->conns[i]) != 0)
				return 1;
		}
		/* Level-triggered on the shared socket: every idle worker may
		 * take the next connection, one accept per wake-up. */
		ev.events = EPOLLIN;
		ev.data.ptr = &listen_handle;
		epoll_ctl(w->ep, EPOLL_CTL_ADD, listen_fd, &ev);
		ev.events = EPOLLIN;
		ev.data.ptr = &wake_handle;
		epoll_ctl(w->ep, EPOLL_CTL_ADD, wake, &ev);
	}
	for (unsigned t = 0; t < threads; t++)
		if (pthread_create(&ws[t].thread, NULL, worker_main, &ws[t]) != 0)
			return 1;
	printf("bench-pgasync listening on http://127.0.0.1:%u with %u worker threads, %u "
	       "database connections each\n",
	       ntohs(a4.sin_port), threads, conns);
	fflush(stdout);

	if (sigwait(&set, &sig) != 0)
		sig = SIGTERM;
	stopping = 1;
	{
		uint64_t v = 1;

		if (write(wake, &v, sizeof(v)) < 0)
			perror("bench-pgasync: eventfd");
	}
	for (unsigned t = 0; t < threads; t++) {
		pthread_join(ws[t].thread, NULL);
		for (unsigned i = 0; i < conns; i++)
			if (ws[t].conns[i].pg != NULL)
				PQfinish(ws[t].conns[i].pg);
	}
	fprintf(stderr, "bench-pgasync: stopped (%s)\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
	return 0;
}
