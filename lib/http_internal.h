/* http_internal.h - what the parts of lib/http (http.c: the request
 * lifecycle and the server; http_reply.c: replies and headers;
 * http_offload.c: the offload pool; http_guard.c: the connection guard)
 * share. Not for the application: it uses http.h. */
#ifndef KOMPAS_HTTP_INTERNAL_H
#define KOMPAS_HTTP_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "http.h"

struct http_loop; /* http_loop.c */
struct loop_set;

/* The phase a live connection is in, for the connection guard. */
enum conn_phase {
	PHASE_HEADERS, /* waiting for a request line and headers: deadline from its start */
	PHASE_BODY,    /* receiving a body: at least body_min_rate after the grace */
	PHASE_HANDLER, /* the handler runs, or the answer is written: no deadline */
};

/* One live connection (MHD_OPTION_NOTIFY_CONNECTION's socket context):
 * made at STARTED, unlinked and freed at CLOSED, which libmicrohttpd calls
 * on the connection's worker thread before it closes the socket. The
 * phase fields are written by that worker and read by the reaper. */
struct live_conn {
	struct live_conn *prev, *next; /* under guard.lock */
	int fd;
	bool cut; /* under guard.lock: shut down, waiting for CLOSED */
	_Atomic int phase;
	_Atomic uint64_t phase_start_us;
	_Atomic uint64_t deadline_us; /* 0: none */
	uint64_t body_received;       /* worker only */
	/* Event-loop mode: the loop serving it, and its address as counted
	 * against the shared limits (http_loop.c). */
	struct http_loop *loop;
	unsigned char addr[17];
	bool counted;
};

/* The connection guard: every live connection, and a reaper thread that
 * shuts down those past their phase's deadline, and under pressure those
 * idle in their header phase (docs/architecture.md, "Slow clients"). */
struct conn_guard {
	pthread_mutex_t lock; /* the list, live, stop; CLOSED takes it too */
	pthread_cond_t wake;
	struct live_conn *head;
	unsigned live;
	bool stop;
	bool running;
	pthread_t thread;
	uint64_t header_us; /* request line and headers, from their start */
	uint64_t idle_us;   /* a kept-alive connection's wait for its next request */
	uint64_t grace_us;  /* of a body, before the minimum rate applies */
	size_t min_rate;    /* body bytes per second; 0: no minimum */
	unsigned shed_at;   /* live connections from which idle header phases are cut */
};

/* The offload pool: a few threads for expensive work (argon2id) so that
 * the worker threads keep serving other requests meanwhile. */
struct offload_pool {
	pthread_mutex_t lock;
	pthread_cond_t more;
	struct offload_job *head, *tail;
	unsigned waiting, running; /* jobs queued, jobs being worked on */
	unsigned nthreads, max_waiting;
	bool stop;
	pthread_t *threads;
	unsigned started;
};

struct http_server {
	struct MHD_Daemon *daemon; /* thread mode; NULL with event loops */
	struct loop_set *loops;    /* event-loop mode, else NULL */
	struct http_settings s;
	unsigned port;
	/* The limits a configuration reload may change while serving. */
	_Atomic size_t body_limit;
	_Atomic unsigned retry_after;
	struct conn_guard guard;
	struct offload_pool pool;
};

/* Standard headers queue_response adds unless the handler set them. */
#define OWN_CSP      0x1u
#define OWN_CACHE    0x2u
#define OWN_REFERRER 0x4u

static inline size_t
body_limit(const struct http_server *srv)
{
	return atomic_load_explicit(&srv->body_limit, memory_order_relaxed);
}

/* Microseconds of the monotonic clock. */
static inline uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Set resp (taken; not NULL) as rq's answer with its status, body size
 * and Content-Type (NULL: none) (http_reply.c): the first answer stands, a
 * second is logged and dropped. */
void set_response(struct http_request *rq, unsigned status, struct MHD_Response *resp, size_t bytes,
                  const char *content_type);

/* The offload pool (http_offload.c): start its threads (0, or -1 when one
 * could not be made; stop then frees what started), and stop them after
 * the queued work is done. */
int offload_start(struct http_server *srv);
void offload_stop(struct http_server *srv);

/* The connection guard (http_guard.c). The live connection of conn (its
 * socket context), or NULL. */
struct live_conn *live_conn_of(struct MHD_Connection *conn);

/* Enter phase at start (us) with a deadline (us, 0: none). */
void set_phase(struct live_conn *lc, enum conn_phase phase, uint64_t start, uint64_t deadline);

/* A request line and headers begin: their deadline from now, or for a
 * kept-alive connection's next request, idle first. */
void guard_headers(struct http_server *srv, struct live_conn *lc, uint64_t idle);

/* A body begins: the minimum rate applies after the grace. */
void guard_body_start(struct http_server *srv, struct live_conn *lc);

/* n more body bytes arrived. */
void guard_body_bytes(struct http_server *srv, struct live_conn *lc, size_t n);

/* MHD_OPTION_NOTIFY_CONNECTION: a connection started or closed. */
void notify_connection_cb(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe);

/* Start the reaper thread (0, or -1), stop it, and free what is left. */
int guard_start(struct http_server *srv);
void guard_stop(struct http_server *srv);
void guard_cleanup(struct http_server *srv);

/* Start a libmicrohttpd daemon for srv with flags (beyond the common ones)
 * and the common options, threads in its pool (0: none), on the socket or
 * address of the settings unless flags has MHD_USE_NO_LISTEN_SOCKET
 * (http.c). NULL when it cannot start. */
struct MHD_Daemon *http_daemon_start(struct http_server *srv, unsigned flags, unsigned threads,
                                     const struct sockaddr *addr);

/* The request's next step on its worker: the pipeline, or after offloaded
 * work the handler again (http.c). Sets a response or leaves rq offloaded. */
void http_run_step(struct http_request *rq);

/* Queue rq's response with the standard headers (http.c). */
enum MHD_Result http_queue_response(struct http_request *rq);

/* The event-loop workers (http_loop.c). Start srv->s.threads loops, each
 * with its daemon, sharing listen_fd (taken: closed at loops_stop). Returns
 * 0, or -1 with the reason in err (what started is stopped). */
int loops_start(struct http_server *srv, int listen_fd, char *err, size_t errlen);

/* Accept no more connections (those accepted are still served). */
void loops_quiesce(struct http_server *srv);

/* Abandon what still waits, finish, close every connection, stop the loops
 * and free them. */
void loops_stop(struct http_server *srv);

/* The access handler's final call in the event-loop mode: run the request's
 * step on a coroutine; answer when it finishes, or suspend the connection
 * while it waits. */
enum MHD_Result loop_final_call(struct http_request *rq);

/* Wake loop (NULL: every loop of srv) to run its daemon: a connection of
 * it was resumed from another thread. */
void loop_poke(struct http_server *srv, struct http_loop *loop);

/* The connection guard's notifications in the event-loop mode: a
 * connection started on this loop (count its address), or closed. */
void loop_conn_started(struct http_server *srv, struct live_conn *lc);
void loop_conn_closed(struct http_server *srv, struct live_conn *lc);

#endif
