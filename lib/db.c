/* db.c - libpq connections per worker thread, lazy prepared statements. */
#include "db.h"

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "coro.h"
#include "db_internal.h"
#include "log.h"
#include "mem.h"

static struct {
	char *conninfo;
	char *replica_conninfo; /* NULL: no replica */
	unsigned replica_max_lag;
	unsigned connect_timeout;
	unsigned tx_retries;
	pthread_key_t key;
	pthread_key_t replica_key;
	bool key_made;
} settings;

/* An event-loop worker's connections ([http] mode = events): a request's
 * coroutine takes one at its first db_thread_conn and gives it back when it
 * ends (db_request_done); requests that find none idle wait in line. */
struct db_pool {
	struct db_conn *conns; /* n of them, opened lazily */
	unsigned n;
	struct db_conn *idle;
	struct coro_queue waiting;
};

static _Thread_local struct db_pool *thread_pool, *thread_replica_pool;

static _Atomic unsigned next_stmt_id = 1;
static _Atomic unsigned long long error_count;
static _Atomic unsigned long long connect_count;
static _Atomic unsigned long long replica_reads;
static _Atomic unsigned long long replica_fallbacks;

static void
thread_conn_destroy(void *p)
{
	db_conn_free(p);
}

int
db_global_init(const struct db_settings *s)
{
	free(settings.conninfo);
	settings.conninfo = xstrdup(s->conninfo);
	free(settings.replica_conninfo);
	settings.replica_conninfo = s->replica_conninfo != NULL && *s->replica_conninfo != '\0'
	                                ? xstrdup(s->replica_conninfo)
	                                : NULL;
	settings.replica_max_lag = s->replica_max_lag;
	settings.connect_timeout = s->connect_timeout;
	settings.tx_retries = s->tx_retries;
	if (!settings.key_made) {
		if (pthread_key_create(&settings.key, thread_conn_destroy) != 0)
			return -1;
		if (pthread_key_create(&settings.replica_key, thread_conn_destroy) != 0) {
			pthread_key_delete(settings.key);
			return -1;
		}
		settings.key_made = true;
	}
	return 0;
}

void
db_global_cleanup(void)
{
	if (settings.key_made) {
		db_conn_free(pthread_getspecific(settings.key));
		pthread_setspecific(settings.key, NULL);
		pthread_key_delete(settings.key);
		db_conn_free(pthread_getspecific(settings.replica_key));
		pthread_setspecific(settings.replica_key, NULL);
		pthread_key_delete(settings.replica_key);
		settings.key_made = false;
	}
	free(settings.conninfo);
	settings.conninfo = NULL;
	free(settings.replica_conninfo);
	settings.replica_conninfo = NULL;
}

/* Connect c->pg; returns 0 or -1 with err set. */
static int
conn_connect(struct db_conn *c, const char *conninfo, unsigned timeout, char *err, size_t errlen)
{
	const char *keys[] = {"dbname", "connect_timeout", "application_name", "gssencmode", NULL};
	char tbuf[16];
	const char *vals[5];

	snprintf(tbuf, sizeof(tbuf), "%u", timeout);
	vals[0] = conninfo;
	vals[1] = tbuf;
	vals[2] = "kompasd";
	/* GSSAPI negotiation is never used here and costs a round trip. */
	vals[3] = "disable";
	vals[4] = NULL;
	if (c->pg != NULL)
		PQfinish(c->pg);
	c->pg = PQconnectdbParams(keys, vals, 1);
	if (c->pg == NULL || PQstatus(c->pg) != CONNECTION_OK) {
		const char *msg = c->pg ? PQerrorMessage(c->pg) : "out of memory";
		size_t len = strcspn(msg, "\n");

		snprintf(err, errlen, "%.*s", (int)(len > 400 ? 400 : len), msg);
		if (c->pg != NULL)
			PQfinish(c->pg);
		c->pg = NULL;
		return -1;
	}
	/* No JIT compilation: kompasd's statements are short, and compiling
	 * them costs more than it saves (measured on the national dataset: a
	 * year's funnel took 2.3 s with JIT and 1.0 s without). Set here, not
	 * in the conninfo, so that options given there stay in force. */
	PQclear(PQexec(c->pg, "SET jit = off"));
	/* Statements are sent and their results awaited with libpq's
	 * asynchronous calls (a request's coroutine yields meanwhile):
	 * sending must not block either. */
	if (c->pooled)
		PQsetnonblocking(c->pg, 1);
	/* Its descriptor number may be that of a socket libpq closed earlier
	 * (this connection's, when the server ended it): an event loop must
	 * not take what it knew of that one for this one. */
	coro_fd_opened(PQsocket(c->pg));
	c->generation++;
	c->lost = false;
	atomic_fetch_add(&connect_count, 1);
	return 0;
}

struct db_conn *
db_conn_open(const char *conninfo, unsigned connect_timeout, char *err, size_t errlen)
{
	struct db_conn *c = xcalloc(1, sizeof(*c));

	if (conn_connect(c, conninfo, connect_timeout, err, errlen) != 0) {
		free(c);
		return NULL;
	}
	return c;
}

void
db_conn_free(struct db_conn *c)
{
	if (c == NULL)
		return;
	if (c->pg != NULL)
		PQfinish(c->pg);
	free(c);
}

static enum db_qs begin_now(struct db_conn *c);

PGconn *
db_pg(struct db_conn *c)
{
	/* Whoever uses the handle directly inside db_tx_run needs the
	 * transaction begun. */
	if (c->begin[0] != '\0')
		begin_now(c);
	return c->pg;
}

static long
ms_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

/* kompasd never LISTENs, so the server has nothing to say to an idle
 * connection: a readable socket means it is terminating the session (a
 * restart or an administrator's pg_terminate_backend) or has closed it.
 * Such a connection is replaced before a request's first statement fails.
 * Costs one poll(2) with zero timeout per request, or nothing in an event
 * loop, which watches its connections' sockets anyway. */
static bool
idle_conn_alive(struct db_conn *c)
{
	struct pollfd p = {.fd = PQsocket(c->pg), .events = POLLIN};
	int quiet;

	if (p.fd < 0)
		return false;
	/* An event loop watching the socket knows without asking. */
	quiet = coro_fd_quiet(p.fd);
	if (quiet >= 0)
		return quiet == 1;
	return poll(&p, 1, 0) == 0;
}

/* c made ready for a request on the primary: kept when it is alive, else
 * (re)connected, a failed connect not retried within 200 ms. NULL when
 * the database cannot be reached now. */
struct db_conn *
db_primary_ready(struct db_conn *c)
{
	char err[512];

	if (c->pg != NULL && !c->lost && PQstatus(c->pg) == CONNECTION_OK && idle_conn_alive(c))
		return c;
	if (c->pg == NULL && ms_since(&c->last_attempt) < 200)
		return NULL;
	if (conn_connect(c, settings.conninfo, settings.connect_timeout, err, sizeof(err)) != 0) {
		clock_gettime(CLOCK_MONOTONIC, &c->last_attempt);
		atomic_fetch_add(&error_count, 1);
		log_msg(LOG_WARN, "database connect failed: %s", err);
		return NULL;
	}
	log_msg(LOG_INFO, "database connected (generation %u)", c->generation);
	return c;
}

/* The running coroutine's connection of pool p (held in its slot), taken
 * from the idle ones when it has none, waiting in line while there are
 * none. NULL when it cannot wait (pinned, or the server is stopping). */
struct db_conn *
db_pool_take(struct db_pool *p, enum coro_slot slot)
{
	void **held = coro_local(slot);
	struct db_conn *c = *held;

	if (c != NULL)
		return c;
	while (p->idle == NULL)
		if (coro_wait(&p->waiting) != 0)
			return NULL;
	c = p->idle;
	p->idle = c->next_idle;
	c->next_idle = NULL;
	*held = c;
	return c;
}

/* Give the running coroutine's connection of p back, waking the first
 * request waiting for one. */
void
db_pool_give_back(struct db_pool *p, enum coro_slot slot)
{
	void **held = coro_local(slot);
	struct db_conn *c;

	if (p == NULL || held == NULL || *held == NULL)
		return;
	c = *held;
	*held = NULL;
	c->begin[0] = '\0';
	c->next_idle = p->idle;
	p->idle = c;
	coro_wake_one(&p->waiting);
}

static struct db_pool *
pool_new(unsigned n)
{
	struct db_pool *p = xcalloc(1, sizeof(*p));

	p->n = n > 0 ? n : 1;
	p->conns = xcalloc(p->n, sizeof(*p->conns));
	for (unsigned i = p->n; i-- > 0;) {
		p->conns[i].pooled = true;
		p->conns[i].next_idle = p->idle;
		p->idle = &p->conns[i];
	}
	return p;
}

static void
pool_free(struct db_pool *p)
{
	if (p == NULL)
		return;
	for (unsigned i = 0; i < p->n; i++)
		if (p->conns[i].pg != NULL)
			PQfinish(p->conns[i].pg);
	free(p->conns);
	free(p);
}

void
db_loop_init(unsigned n)
{
	thread_pool = pool_new(n);
	if (settings.replica_conninfo != NULL)
		thread_replica_pool = pool_new(n);
}

void
db_loop_cleanup(void)
{
	pool_free(thread_pool);
	pool_free(thread_replica_pool);
	thread_pool = thread_replica_pool = NULL;
}

struct db_pool *
db_loop_pool(void)
{
	return thread_pool;
}

void
db_count_error(void)
{
	atomic_fetch_add(&error_count, 1);
}

void
db_request_done(void)
{
	db_pool_give_back(thread_pool, CORO_SLOT_DB);
	db_pool_give_back(thread_replica_pool, CORO_SLOT_REPLICA);
}

struct db_conn *
db_thread_conn(void)
{
	struct db_conn *c;

	if (thread_pool != NULL && coro_self() != NULL) {
		c = db_pool_take(thread_pool, CORO_SLOT_DB);
		return c != NULL ? db_primary_ready(c) : NULL;
	}
	c = pthread_getspecific(settings.key);
	if (c == NULL) {
		c = xcalloc(1, sizeof(*c));
		c->pooled = true;
		pthread_setspecific(settings.key, c);
	}
	return db_primary_ready(c);
}

/* Wait until c's socket is ready for events; in an event-loop worker's
 * coroutine it yields to the loop meanwhile. false: the wait was abandoned
 * (the server is stopping) or failed, and c is marked lost. */
static bool
wait_socket(struct db_conn *c, short events)
{
	int fd = PQsocket(c->pg);

	if (fd >= 0 && coro_wait_fd(fd, events) >= 0)
		return true;
	c->lost = true;
	return false;
}

/* Send what libpq has queued for c. false: it could not (c marked lost). */
bool
db_flush_out(struct db_conn *c)
{
	int r;

	while ((r = PQflush(c->pg)) == 1) {
		if (!wait_socket(c, POLLIN | POLLOUT))
			return false;
		if (PQconsumeInput(c->pg) != 1)
			break;
	}
	if (r != 0)
		c->lost = true;
	return r == 0;
}

/* The next result of what was sent on c (NULL once the current query's
 * are read, or when the wait for it was abandoned), waiting for it. */
PGresult *
db_next_result(struct db_conn *c)
{
	while (!c->lost && PQisBusy(c->pg)) {
		if (!wait_socket(c, POLLIN))
			return NULL;
		if (PQconsumeInput(c->pg) != 1)
			break;
	}
	return c->lost ? NULL : PQgetResult(c->pg);
}

/* Flush the query just sent (sent: whether PQsend* took it) and read its
 * results to the end: the first that failed, else the last; NULL when the
 * connection broke without one. As PQexec, without blocking a loop. */
static PGresult *
query_result(struct db_conn *c, bool sent)
{
	PGresult *keep = NULL, *r;

	if (!sent || !db_flush_out(c))
		return NULL;
	while ((r = db_next_result(c)) != NULL) {
		ExecStatusType st = PQresultStatus(keep);

		if (keep != NULL && st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
			PQclear(r);
			continue;
		}
		PQclear(keep);
		keep = r;
	}
	return keep;
}

/* How far the replica c is behind its primary, in seconds: 0 when it has
 * replayed all the WAL it received, else the age of the last transaction
 * it replayed. A replica that is cut off from its primary but has replayed
 * what it got counts as current: the primary being unreachable from it is
 * not visible from here (pg_stat_wal_receiver needs more privileges than
 * kompasd has). Returns -1 when the query fails. */
static double
replica_lag(struct db_conn *c)
{
	static const char sql[] = "SELECT CASE WHEN NOT pg_is_in_recovery() THEN 0 "
	                          "WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() "
	                          "THEN 0 ELSE coalesce(extract(epoch FROM now() - "
	                          "pg_last_xact_replay_timestamp()), 0) END::float8";
	PGresult *res = query_result(c, PQsendQuery(c->pg, sql) == 1);
	double lag = -1;

	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		lag = strtod(PQgetvalue(res, 0, 0), NULL);
	else
		c->lost = PQstatus(c->pg) != CONNECTION_OK;
	PQclear(res);
	return lag;
}

/* Whether the live replica connection c may serve a read now: not more
 * than replica_max_lag behind, measured at most once a second. */
static bool
replica_usable(struct db_conn *c)
{
	double lag;

	if (ms_since(&c->lag_checked) < 1000)
		return !c->lagging;
	clock_gettime(CLOCK_MONOTONIC, &c->lag_checked);
	lag = replica_lag(c);
	if (lag < 0)
		return false;
	if (lag > (double)settings.replica_max_lag && !c->lagging)
		log_msg(LOG_WARN, "replica is %.1f s behind the primary: reading from the primary",
		        lag);
	else if (lag <= (double)settings.replica_max_lag && c->lagging)
		log_msg(LOG_INFO, "replica has caught up: reading from it again");
	c->lagging = lag > (double)settings.replica_max_lag;
	return !c->lagging;
}

/* Spacing of connect attempts to a replica that is down: reads go to the
 * primary meanwhile, so there is no hurry, and a replica host that does
 * not answer would otherwise cost connect_timeout per request. */
#define REPLICA_RETRY_MS 5000

/* The replica connection c made ready for a read, or NULL (reads go to
 * the primary): see db_thread_replica_conn. */
static struct db_conn *
replica_ready(struct db_conn *c)
{
	char err[512];

	if (c->pg != NULL && !c->lost && PQstatus(c->pg) == CONNECTION_OK && idle_conn_alive(c))
		goto check;
	if (ms_since(&c->last_attempt) < REPLICA_RETRY_MS)
		goto fallback;
	if (conn_connect(c, settings.replica_conninfo, settings.connect_timeout, err,
	                 sizeof(err)) != 0) {
		clock_gettime(CLOCK_MONOTONIC, &c->last_attempt);
		atomic_fetch_add(&error_count, 1);
		log_msg(LOG_WARN, "replica connect failed (reading from the primary): %s", err);
		goto fallback;
	}
	memset(&c->lag_checked, 0, sizeof(c->lag_checked));
	c->lagging = false;
	log_msg(LOG_INFO, "replica connected (generation %u)", c->generation);
check:
	if (replica_usable(c)) {
		atomic_fetch_add_explicit(&replica_reads, 1, memory_order_relaxed);
		return c;
	}
	if (c->lost || c->pg == NULL || PQstatus(c->pg) != CONNECTION_OK)
		clock_gettime(CLOCK_MONOTONIC, &c->last_attempt);
fallback:
	atomic_fetch_add_explicit(&replica_fallbacks, 1, memory_order_relaxed);
	return NULL;
}

struct db_conn *
db_thread_replica_conn(void)
{
	struct db_conn *c;

	if (settings.replica_conninfo == NULL)
		return NULL;
	if (thread_replica_pool != NULL && coro_self() != NULL) {
		c = db_pool_take(thread_replica_pool, CORO_SLOT_REPLICA);
		if (c == NULL) {
			atomic_fetch_add_explicit(&replica_fallbacks, 1, memory_order_relaxed);
			return NULL;
		}
		return replica_ready(c);
	}
	c = pthread_getspecific(settings.replica_key);
	if (c == NULL) {
		c = xcalloc(1, sizeof(*c));
		c->pooled = true;
		/* Never connected: the first attempt is not spaced. */
		pthread_setspecific(settings.replica_key, c);
	}
	return replica_ready(c);
}

unsigned long long
db_replica_read_count(void)
{
	return atomic_load(&replica_reads);
}

unsigned long long
db_replica_fallback_count(void)
{
	return atomic_load(&replica_fallbacks);
}

bool
db_conn_lost(const struct db_conn *c)
{
	return c->lost || c->pg == NULL || PQstatus(c->pg) != CONNECTION_OK;
}

/* SQLSTATEs that say the database cannot take a statement now, whatever
 * the statement: connection exceptions (08), insufficient resources (53:
 * disk full, out of memory, too many connections), a read-only database
 * (25006: a standby, or default_transaction_read_only set by an
 * administrator), an administrator's or crash shutdown and a server that
 * is starting (57P01-57P03), and an I/O error (58030). */
static bool
sqlstate_unavailable(const char *s)
{
	return strncmp(s, "08", 2) == 0 || strncmp(s, "53", 2) == 0 || strcmp(s, "25006") == 0 ||
	       strcmp(s, "57P01") == 0 || strcmp(s, "57P02") == 0 || strcmp(s, "57P03") == 0 ||
	       strcmp(s, "58030") == 0;
}

bool
db_conn_unavailable(const struct db_conn *c)
{
	return db_conn_lost(c) || sqlstate_unavailable(c->sqlstate);
}

/* Classify a failed result; marks the connection lost when it is. */
static enum db_qs
classify_failure(struct db_conn *c, PGresult *res, const char *what)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	atomic_fetch_add(&error_count, 1);
	snprintf(c->sqlstate, sizeof(c->sqlstate), "%s", state ? state : "");
	if (c->lost || PQstatus(c->pg) != CONNECTION_OK) {
		c->lost = true;
		log_msg(LOG_WARN, "database connection lost during %s", what);
		return DB_HARD_ERROR;
	}
	if (state != NULL && (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)) {
		log_msg(LOG_INFO, "%s: serialization failure (%s), will retry", what, state);
		return DB_SOFT_ERROR;
	}
	if (state != NULL && sqlstate_unavailable(state)) {
		log_msg(LOG_WARN, "%s: the database cannot take it now: SQLSTATE %s: %s", what,
		        state, msg ? msg : PQerrorMessage(c->pg));
		return DB_HARD_ERROR;
	}
	/* The primary message never carries parameter values; DETAIL may. */
	log_msg(LOG_ERROR, "%s failed: SQLSTATE %s: %s", what, state ? state : "?",
	        msg ? msg : PQerrorMessage(c->pg));
	return DB_HARD_ERROR;
}

unsigned
db_stmt_id(struct db_stmt *s)
{
	unsigned id = atomic_load(&s->id);

	if (id == 0) {
		unsigned fresh = atomic_fetch_add(&next_stmt_id, 1);
		unsigned expected = 0;

		if (fresh >= DB_MAX_STMTS) {
			log_msg(LOG_ERROR, "more than %d SQL statements declared", DB_MAX_STMTS);
			abort();
		}
		if (!atomic_compare_exchange_strong(&s->id, &expected, fresh))
			fresh = expected;
		id = fresh;
	}
	return id;
}

/* Send the pending BEGIN on its own. */
static enum db_qs
begin_now(struct db_conn *c)
{
	char begin[sizeof(c->begin)];

	memcpy(begin, c->begin, sizeof(begin));
	c->begin[0] = '\0';
	return db_command(c, begin);
}

/* Read and drop results up to the query's terminating NULL. */
void
db_drain_query(struct db_conn *c)
{
	PGresult *r;

	while ((r = db_next_result(c)) != NULL)
		PQclear(r);
}

/* The pending BEGIN, stmt's preparation when this connection lacks it, and
 * stmt itself, in one pipeline (libpq pipeline mode) ended by one Sync: one
 * round trip. Returns stmt's result, or NULL with the result of whichever
 * part failed first in *failed (caller classifies and frees it; NULL when
 * the connection broke without one). */
static PGresult *
exec_pipelined(struct db_conn *c, struct db_stmt *stmt, unsigned id, const char *const *params,
               PGresult **failed)
{
	bool prepare = c->prepared[id] != c->generation;
	PGresult *r, *res = NULL;
	bool sent;

	*failed = NULL;
	if (PQenterPipelineMode(c->pg) != 1)
		return NULL;
	sent =
	    PQsendQueryParams(c->pg, c->begin, 0, NULL, NULL, NULL, NULL, 0) == 1 &&
	    (!prepare || PQsendPrepare(c->pg, stmt->name, stmt->sql, stmt->nparams, NULL) == 1) &&
	    PQsendQueryPrepared(c->pg, stmt->name, stmt->nparams, params, NULL, NULL, 0) == 1 &&
	    PQpipelineSync(c->pg) == 1 && db_flush_out(c);
	c->begin[0] = '\0';
	if (!sent) {
		/* Part of it may be queued: the connection cannot be trusted to
		 * be idle and out of pipeline mode again; replace it. */
		PQexitPipelineMode(c->pg);
		c->lost = true;
		return NULL;
	}
	/* BEGIN, then the preparation, then the statement: each a result and
	 * a NULL. After a failure the rest come back PGRES_PIPELINE_ABORTED. */
	for (int part = 0; part < (prepare ? 3 : 2); part++) {
		bool last = part == (prepare ? 2 : 1);
		ExecStatusType st;

		r = db_next_result(c);
		if (r == NULL)
			break; /* the connection broke */
		st = PQresultStatus(r);
		if (last && (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)) {
			res = r;
		} else if (st == PGRES_PIPELINE_ABORTED || (!last && st == PGRES_COMMAND_OK)) {
			PQclear(r);
		} else if (*failed == NULL) {
			*failed = r;
		} else {
			PQclear(r);
		}
		db_drain_query(c);
	}
	if (prepare && *failed == NULL && res != NULL)
		c->prepared[id] = c->generation;
	/* The Sync's PGRES_PIPELINE_SYNC, unless the connection is gone. */
	if (PQstatus(c->pg) == CONNECTION_OK && !c->lost) {
		r = db_next_result(c);
		PQclear(r);
	}
	if (PQexitPipelineMode(c->pg) != 1 && PQstatus(c->pg) == CONNECTION_OK && !c->lost) {
		/* Cannot happen once the Sync is read; never leave the connection
		 * in pipeline mode for the next statement. */
		log_msg(LOG_ERROR, "database: could not leave pipeline mode; reconnecting");
		c->lost = true;
	}
	if (res == NULL && *failed == NULL)
		c->lost = true;
	return res;
}

/* stmt's result res on c (NULL: none came) as db_exec returns it: res with
 * *qs the row count, or NULL (res freed) with the failure classified. */
PGresult *
db_settle(struct db_conn *c, struct db_stmt *stmt, PGresult *res, enum db_qs *qs)
{
	ExecStatusType st = PQresultStatus(res);

	if (st == PGRES_TUPLES_OK) {
		int n = PQntuples(res);

		*qs = n > 0 ? (enum db_qs)n : DB_NO_RESULTS;
		c->sqlstate[0] = '\0';
		return res;
	}
	if (st == PGRES_COMMAND_OK) {
		const char *affected = PQcmdTuples(res);

		*qs = (affected && *affected) ? (enum db_qs)atoi(affected) : DB_NO_RESULTS;
		c->sqlstate[0] = '\0';
		return res;
	}
	*qs = classify_failure(c, res, stmt->name);
	PQclear(res);
	return NULL;
}

enum db_qs
db_run(struct db_conn *c, struct db_stmt *stmt, const char *const *params)
{
	enum db_qs qs;

	PQclear(db_exec(c, stmt, params, &qs));
	return qs;
}

PGresult *
db_exec(struct db_conn *c, struct db_stmt *stmt, const char *const *params, enum db_qs *qs)
{
	unsigned id = db_stmt_id(stmt);
	PGresult *res;

	if (c->pg == NULL || c->lost) {
		*qs = DB_HARD_ERROR;
		return NULL;
	}
	if (c->begin[0] != '\0') {
		PGresult *failed;

		res = exec_pipelined(c, stmt, id, params, &failed);
		if (res == NULL) {
			*qs = classify_failure(c, failed, stmt->name);
			PQclear(failed);
			return NULL;
		}
		goto done;
	}
	if (c->prepared[id] != c->generation) {
		res = query_result(
		    c, PQsendPrepare(c->pg, stmt->name, stmt->sql, stmt->nparams, NULL) == 1);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			*qs = classify_failure(c, res, stmt->name);
			PQclear(res);
			return NULL;
		}
		PQclear(res);
		c->prepared[id] = c->generation;
	}
	res = query_result(
	    c, PQsendQueryPrepared(c->pg, stmt->name, stmt->nparams, params, NULL, NULL, 0) == 1);
done:
	return db_settle(c, stmt, res, qs);
}

enum db_qs
db_command(struct db_conn *c, const char *sql)
{
	PGresult *res;
	enum db_qs qs = DB_NO_RESULTS;

	if (c->pg == NULL || c->lost)
		return DB_HARD_ERROR;
	if (c->begin[0] != '\0') {
		qs = begin_now(c);
		if (qs < 0)
			return qs;
	}
	res = query_result(c, PQsendQuery(c->pg, sql) == 1);
	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
		qs = classify_failure(c, res, sql);
	PQclear(res);
	return qs;
}

enum db_qs
db_tx_run(struct db_conn *c, const char *iso, db_tx_fn fn, void *cls)
{
	char begin[64];
	enum db_qs qs = DB_HARD_ERROR;

	snprintf(begin, sizeof(begin), "BEGIN ISOLATION LEVEL %s", iso);
	for (unsigned attempt = 0; attempt <= settings.tx_retries; attempt++) {
		if (c->pg == NULL || c->lost)
			return DB_HARD_ERROR;
		/* Sent with the first statement (db_exec, db_command, db_pg). */
		snprintf(c->begin, sizeof(c->begin), "%s", begin);
		qs = fn(c, cls);
		if (c->begin[0] != '\0') {
			/* No statement ran: there is no transaction to end. */
			c->begin[0] = '\0';
			return qs;
		}
		if (qs >= 0) {
			enum db_qs cq = db_command(c, "COMMIT");

			if (cq == DB_NO_RESULTS)
				return qs;
			qs = cq;
		}
		if (db_conn_lost(c))
			return DB_HARD_ERROR;
		db_command(c, "ROLLBACK");
		if (qs != DB_SOFT_ERROR)
			return qs;
	}
	log_msg(LOG_WARN, "transaction gave up after %u retries", settings.tx_retries);
	return DB_SOFT_ERROR;
}

unsigned long long
db_error_count(void)
{
	return atomic_load(&error_count);
}

unsigned long long
db_connect_count(void)
{
	return atomic_load(&connect_count);
}

const char *
db_last_sqlstate(const struct db_conn *c)
{
	return c->sqlstate[0] ? c->sqlstate : NULL;
}
