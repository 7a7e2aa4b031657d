/* db.h - PostgreSQL access: one connection per worker thread (or, in the
 * event-loop mode, one per request from the loop thread's pool), statements
 * prepared lazily once per connection, and a transaction runner.
 *
 * Each SQL statement lives in its own small function next to the code that
 * needs it, declared with DB_STMT:
 *
 *   static struct db_stmt stmt_ping = DB_STMT("ping", "SELECT 1", 0);
 *
 * db_exec prepares it on first use on each connection; a generation counter
 * bumped on every (re)connect makes a new connection prepare afresh.
 *
 * Query status convention (the Taler one): below 0 is an error
 * (DB_SOFT_ERROR may be retried, DB_HARD_ERROR not), 0 means no row and a
 * positive value is the number of rows. */
#ifndef KOMPAS_DB_H
#define KOMPAS_DB_H

#include <stdatomic.h>
#include <stdbool.h>

#include <jansson.h>
#include <libpq-fe.h>

enum db_qs {
	DB_ROLLBACK = -3, /* not an error: the transaction body asks to roll back */
	DB_HARD_ERROR = -2,
	DB_SOFT_ERROR = -1, /* serialization failure or deadlock: retry */
	DB_NO_RESULTS = 0,
	DB_ONE_RESULT = 1,
};

struct db_stmt {
	const char *name;
	const char *sql;
	int nparams;
	_Atomic unsigned id; /* assigned on first use; 0 = not yet */
};

#define DB_STMT(name, sql, nparams)                                                                \
	{                                                                                          \
		name, sql, nparams, 0                                                              \
	}

/* Most statements a process may declare. */
#define DB_MAX_STMTS 512

struct db_conn;

struct db_settings {
	const char *conninfo;
	unsigned connect_timeout; /* seconds */
	unsigned tx_retries;
	const char *replica_conninfo; /* NULL or "": no replica */
	unsigned replica_max_lag;     /* seconds */
};

/* Remember the settings every later connection uses (copied). Call once
 * before any worker thread starts. Returns 0, or -1 when the thread-local key
 * cannot be created. */
int db_global_init(const struct db_settings *s);

/* Close the calling thread's connection (if any) and forget the settings.
 * Worker threads close theirs when they exit. */
void db_global_cleanup(void);

/* The calling thread's connection, opened or re-opened as needed: a
 * connection the server has closed while idle (a restart) is noticed here
 * and replaced. Returns NULL when the database cannot be reached now;
 * reconnect attempts are then spaced by at least 200 ms so an outage does
 * not turn into a connection storm. The connection belongs to the thread:
 * do not free or share it. */
struct db_conn *db_thread_conn(void);

/* For the event-loop workers ([http] mode = events, lib/http_loop.c): make
 * the calling loop thread's pool of n connections to the primary (and n to
 * the replica when one is configured), opened lazily. From then on
 * db_thread_conn and db_thread_replica_conn called in a request's coroutine
 * give that request one of the pool's connections, the same one for the
 * whole request (waiting in line, the coroutine yielding, while all are
 * taken), and statements on it yield to the loop while PostgreSQL answers.
 * Outside a coroutine they give the thread's own connection as before. */
void db_loop_init(unsigned n);

/* Close and free the calling loop thread's pools (at its end). */
void db_loop_cleanup(void);

/* The running coroutine's request is over: give its connections back to
 * the thread's pools, waking a request that waits for one. Does nothing
 * outside a coroutine or without pools. */
void db_request_done(void);

/* The calling thread's connection to the read replica, for statements that
 * only read and may see data a few seconds old. Returns NULL when no
 * replica is configured, when it cannot be reached (connects are then
 * retried at most every 5 s) or when it is more than replica_max_lag
 * seconds behind (measured at most once a second): the caller then reads
 * from db_thread_conn. Owned by the thread, like db_thread_conn's. */
struct db_conn *db_thread_replica_conn(void);

/* Reads served by the replica, and reads meant for it that went to the
 * primary instead, since start (for /metrics). */
unsigned long long db_replica_read_count(void);
unsigned long long db_replica_fallback_count(void);

/* Open a connection outside the per-thread pool (migrations, CLI). Returns
 * NULL with a message in err on failure. Free with db_conn_free. */
struct db_conn *db_conn_open(const char *conninfo, unsigned connect_timeout, char *err,
                             size_t errlen);

/* Close and free c. NULL is accepted. */
void db_conn_free(struct db_conn *c);

/* The libpq handle of c, for statements that need it (COPY, multi-statement
 * scripts). Owned by c. */
PGconn *db_pg(struct db_conn *c);

/* Execute stmt with params (text format, NULL for SQL NULL). Prepares it on
 * this connection first when needed. On success returns the result (caller
 * frees with PQclear) and sets *qs to the row count (0 for commands without
 * rows); on failure returns NULL and sets *qs below 0, logs the error
 * without parameters and, when the connection is lost, marks it for
 * reconnection. */
PGresult *db_exec(struct db_conn *c, struct db_stmt *stmt, const char *const *params,
                  enum db_qs *qs);

/* Execute stmt with params as a transaction of its own (no BEGIN: the
 * statement's implicit transaction, without the request's context), for a
 * request that needs nothing else of the database: GET /readyz. In an
 * event loop's request coroutine that holds no connection yet, it joins the
 * statements the loop's other requests run alone in the same pass: the
 * first of them (the leader) sends them all on one pooled connection in
 * one libpq pipeline, each ended by its own Sync, so each is still its own
 * transaction and a failure stays its own, and hands the results back in
 * order (lib/db_alone.c). Elsewhere it runs on db_thread_conn. Returns as
 * db_exec; *unavailable is true when it failed because the database cannot
 * be reached or cannot take statements now (the caller answers 503), false
 * otherwise. */
PGresult *db_exec_alone(struct db_stmt *stmt, const char *const *params, enum db_qs *qs,
                        bool *unavailable);

/* Execute stmt with params for its effect, as db_exec, and free the result:
 * returns the row count (0 for commands without rows) or the error status
 * below 0. */
enum db_qs db_run(struct db_conn *c, struct db_stmt *stmt, const char *const *params);

/* Run a plain command (BEGIN, COMMIT, SET LOCAL ...) without parameters.
 * Returns DB_NO_RESULTS on success or an error status. */
enum db_qs db_command(struct db_conn *c, const char *sql);

/* True when c's connection has been lost (a new one is made by the next
 * db_thread_conn call). */
bool db_conn_lost(const struct db_conn *c);

/* True when c's connection is lost, or its last failed statement (since
 * the last successful one) failed because the database cannot take
 * statements now rather than because of the statement: disk full, out of
 * memory or connections, read-only, shutting down or starting. Such
 * failures are answered 503 with Retry-After, not 500. */
bool db_conn_unavailable(const struct db_conn *c);

/* A transaction body: runs inside BEGIN ... COMMIT and returns a query status.
 * Returning DB_SOFT_ERROR makes db_tx_run roll back and retry; DB_ROLLBACK
 * or DB_HARD_ERROR make it roll back and return that status. */
typedef enum db_qs (*db_tx_fn)(struct db_conn *c, void *cls);

/* Run fn in a transaction at isolation level iso ("READ COMMITTED",
 * "REPEATABLE READ" or "SERIALIZABLE"), retrying serialization failures and
 * deadlocks up to the configured number of times. Returns fn's status, or an
 * error status when BEGIN or COMMIT failed (DB_SOFT_ERROR after the retries
 * are used up). BEGIN is not sent on its own: the first db_exec in fn sends
 * it in one libpq pipeline with its statement (one round trip for both; a
 * failed BEGIN is that db_exec's error), the first db_command or db_pg sends
 * it just before; when fn runs no statement, neither BEGIN nor COMMIT is
 * sent and fn's status is returned. */
enum db_qs db_tx_run(struct db_conn *c, const char *iso, db_tx_fn fn, void *cls);

/* The SQLSTATE of the last failed statement on c (e.g. "23503"), or NULL. */
const char *db_last_sqlstate(const struct db_conn *c);

/* A bytea parameter in text format ("\\x" and hex) for len bytes of data.
 * Returns a new string (caller frees). */
char *db_bytea_param(const void *data, size_t len);

/* A PostgreSQL array literal ("{a,b}") of the strings in the JSON array a,
 * which the caller has validated as UUIDs (no quoting is done). Returns a
 * new string (caller frees). */
char *db_uuid_array_param(const json_t *a);

/* Decode a bytea column (text format) into a new buffer; *len gets its
 * size. Returns NULL for SQL NULL or a malformed value. Caller frees. */
unsigned char *db_bytea_value(const PGresult *res, int row, int col, size_t *len);

/* Column col of row as JSON: a string, or null for SQL NULL. */
json_t *db_json_text(const PGresult *res, int row, int col);

/* Column col of row (a PostgreSQL boolean) as JSON true/false/null. */
json_t *db_json_bool(const PGresult *res, int row, int col);

/* Count of database errors since start (for /metrics). */
unsigned long long db_error_count(void);

/* Count of (re)connects since start (for /metrics). */
unsigned long long db_connect_count(void);

#endif
