/* http.h - the glue between libmicrohttpd and the route handlers.
 *
 * The path of a request (see docs/architecture.md):
 *   1. first access-handler call: a struct http_request is made and stored
 *      in MHD's per-request pointer; the route is matched; a Content-Length
 *      above the body limit is answered 413 at once, without reading it.
 *   2. upload calls: the body is accumulated up to the limit.
 *   3. final call: 404/405/413 and CORS preflights are answered; then the
 *      application's pipeline (http_settings.pipeline; kompasd's is
 *      api/pipeline/pipeline.c) validates the query and the JSON body with the
 *      functions below, takes database connections and transactions and
 *      runs the handler. The response is queued with the standard headers
 *      (X-Request-Id, security headers, Cache-Control).
 *   4. completion callback: metrics and the access-log line are written and
 *      the request and everything it owns is freed, in that one place.
 *
 * Handlers answer with exactly one http_reply_* call and never queue
 * responses themselves. */
#ifndef KOMPAS_HTTP_H
#define KOMPAS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <microhttpd.h>

#include "buf.h"
#include "db.h"
#include "errors.h"
#include "router.h"

struct coro;
struct http_server;
struct live_conn;

/* Who is calling, filled in by the application's pipeline (authorization). */
struct http_caller {
	bool authenticated;
	unsigned role;          /* one bit of the route roles mask */
	const char *role_name;  /* "coordinator", ... (static string) */
	bool is_key;            /* an integration key rather than a login session */
	char credential_id[37]; /* session or key id */
	char account_id[37];    /* empty for keys */
	char centre_id[37];     /* empty for national roles */
	char name[121];         /* display name or key name */
	char email[255];        /* accounts only */
	char expires_at[40];    /* sessions only: RFC 3339 */
};

struct http_request {
	/* For handlers to read. */
	const char *method;        /* as received */
	const char *url;           /* path, decoded by MHD; never log it */
	struct router_match match; /* route and path parameters */
	json_t *body;              /* validated JSON body (routes with ROUTE_JSON_BODY) */
	json_t *query;      /* typed, validated query parameters; NULL when none were given */
	struct db_conn *db; /* this worker's connection (routes with ROUTE_NEEDS_DB): the
	                     * replica's while a ROUTE_REPLICA handler runs there */
	struct http_caller caller; /* set before the handler runs on routes with roles */
	char request_id[65];

	/* Private to http.c. */
	struct MHD_Connection *conn;
	struct http_server *server;
	enum router_result routed;
	struct buf upload;
	bool too_large;
	bool answered_early;       /* a 413 written while the body was still arriving */
	struct live_conn *live;    /* the connection guard's entry, or NULL */
	bool offloaded;            /* suspended for http_offload work, or resumed from it */
	_Atomic bool offload_done; /* the offloaded work has run */
	size_t received;           /* body bytes received so far */
	bool queued;
	unsigned status;
	struct MHD_Response *response;
	uint64_t response_bytes;
	unsigned own_headers;      /* standard headers the handler set itself (OWN_* in http.c) */
	struct db_conn *replica;   /* ROUTE_REPLICA: this worker's replica connection, or NULL */
	enum db_qs db_error;       /* set by http_reply_db_error: the transaction must not commit */
	const char *response_text; /* the JSON body of rq->response (owned by it), or NULL */
	size_t response_text_len;
	void *app_state;     /* for the application's pipeline (malloc'd; freed with the request) */
	void *handler_state; /* for a handler called again after http_offload (malloc'd; freed
	                      * with the request) */
	struct coro *task;   /* event-loop mode: the coroutine running its step, or NULL */
	bool loop_suspended; /* event-loop mode: suspended while its coroutine waits */
	bool step_done;      /* event-loop mode: its coroutine has finished: answer now */
	uint64_t start_us;
};

struct http_settings {
	const char *listen; /* IPv4 or IPv6 literal */
	unsigned port;      /* 0 = any free port */
	unsigned threads;   /* worker threads (event loops when events is set), >= 1 */
	bool events;        /* event-loop workers (lib/http_loop.c) instead of a thread pool */
	unsigned loop_db_connections; /* events: database connections of each loop */
	size_t body_limit;
	unsigned connection_timeout;
	unsigned connection_limit;
	unsigned per_ip_connection_limit;
	unsigned request_header_timeout; /* seconds for a request line and headers, in all */
	size_t body_min_rate;            /* body bytes per second after the grace; 0: none */
	unsigned body_rate_grace;        /* seconds of a body before the minimum rate applies */
	unsigned retry_after;
	unsigned offload_threads;  /* threads doing http_offload work (0 is taken as 1) */
	unsigned offload_queue;    /* offloaded jobs that may wait beyond those running */
	const char *trusted_proxy; /* peer address whose X-Forwarded-For is believed, or NULL */
	bool listen_fd_set;        /* serve on listen_fd (http_listen_socket) instead of binding */
	int listen_fd;
	const char *tls_cert_pem; /* both set: HTTPS only (TLS 1.2 and 1.3), PEM text */
	const char *tls_key_pem;
	const struct route *routes;
	size_t nroutes;
	/* Called with every request whose route matched, once 404, 405, 413
	 * and CORS preflights are answered: the application's rules and the
	 * handler (kompasd: api/pipeline/pipeline.c). It validates the query and body
	 * (http_prepare_query, http_prepare_body), takes database connections
	 * and runs the handler; it leaves a response on rq or rq offloaded.
	 * Called on worker threads; must not be NULL. */
	void (*pipeline)(struct http_request *rq);
	/* May a browser page from this origin call the API (CORS)? NULL: no
	 * origin may. Called from worker threads. */
	bool (*origin_allowed)(const char *origin);
};

/* For the pipeline: parse the query parameters with the route's query
 * spec (no spec: none allowed) into rq->query. Returns true when it is
 * ready (rq->query may stay NULL when there are none), false after setting
 * a 422 listing every failing parameter. */
bool http_prepare_query(struct http_request *rq);

/* For the pipeline: check Content-Type (415) and Content-Encoding, parse the
 * JSON body (duplicate keys refused: 400) and validate it with the route's
 * body spec (422) into rq->body. Returns true when rq->body is ready, false
 * after setting the error response. */
bool http_prepare_body(struct http_request *rq);

/* Drop the response an earlier attempt of a retried transaction set (and
 * the database error it recorded), so that the next attempt starts clean.
 * Safe when there is none. */
void http_clear_response(struct http_request *rq);

/* Answer 503 database_unavailable with Retry-After (the server's current
 * value) and detail. */
void http_reply_unavailable(struct http_request *rq, const char *detail);

/* Bind a listening TCP socket on address (IPv4 or IPv6 literal) and
 * port (0 = any free port), for http_settings.listen_fd: binding first lets
 * kompasd drop root before any request is served. Returns the socket, or -1
 * with the reason in err. */
int http_listen_socket(const char *address, unsigned port, char *err, size_t errlen);

/* Start serving. The route table must outlive the server. Returns the
 * running server, or NULL with the reason in err (bad address, port in use,
 * threads). Free with http_server_stop. */
struct http_server *http_server_start(const struct http_settings *s, char *err, size_t errlen);

/* Change the body limit and the Retry-After seconds of a running server (a
 * configuration reload); requests in progress may see either value.
 * Thread-safe; cannot fail. */
void http_server_set_limits(struct http_server *srv, size_t body_limit_bytes, unsigned retry_after);

/* The port the server listens on (useful when started on port 0). */
unsigned http_server_port(const struct http_server *srv);

/* Stop accepting connections, wait up to timeout seconds for in-flight
 * requests to finish, close every connection and free srv. Worker threads
 * exit, closing their database connections. */
void http_server_stop(struct http_server *srv, unsigned timeout);

/* Requests being processed right now (all servers of this process). */
unsigned long http_in_flight(void);

/* The value of path parameter name, or NULL. */
const char *http_param(const struct http_request *rq, const char *name);

/* A request header, or NULL. The string belongs to MHD and lives as long as
 * the request. */
const char *http_header(const struct http_request *rq, const char *name);

/* The client's address as text (IPv4 or IPv6) into out; "unknown" when it
 * cannot be had. When the peer is the configured trusted proxy, the last
 * address of X-Forwarded-For (the one that proxy appended) is used. */
void http_client_address(const struct http_request *rq, char *out, size_t outlen);

/* Answer with body as compact JSON. Takes ownership of body (a NULL body
 * answers 500). status is the HTTP status. */
void http_reply_json(struct http_request *rq, unsigned status, json_t *body);

/* Answer with text, len bytes of JSON already written as http_reply_json
 * would write it (for a large answer built without a jansson tree).
 * Takes ownership of text (malloc'd; NULL aborts). */
void http_reply_json_text(struct http_request *rq, unsigned status, char *text, size_t len);

/* Answer with len bytes of data of the given content type. With copy false,
 * data must be static or outlive the response. */
void http_reply_data(struct http_request *rq, unsigned status, const char *content_type,
                     const void *data, size_t len, bool copy);

/* Answer with an RFC 9457 problem for code (status from the error table).
 * detail is English text shown to the client: no personal data. */
void http_reply_problem(struct http_request *rq, enum err_code code, const char *detail);

/* Answer with a problem object built by the caller (problem_new plus field
 * errors). Takes ownership of problem. */
void http_reply_problem_json(struct http_request *rq, json_t *problem);

/* Answer a problem for code with one field error {field, fcode, message}
 * (the common case of a rule a field spec cannot express). */
void http_reply_field_error(struct http_request *rq, enum err_code code, const char *field,
                            enum err_code fcode, const char *message);

/* Answer a failed query: 503 with Retry-After when the connection was lost
 * or a retryable conflict persisted, else 500. */
void http_reply_db_error(struct http_request *rq, enum db_qs qs);

/* The version a client names in If-Match ("N" or W/"N"): returns 1 and sets
 * *version, 0 when there is no If-Match (or it is *), -1 when it is
 * malformed (answer 412: it cannot match). */
int http_if_match(const struct http_request *rq, long long *version);

/* Does the request's If-Match (if any) name `version`? When not, answer 412
 * "The <what> has changed since you read it" and return false. A malformed
 * If-Match never matches. */
bool http_version_matches(struct http_request *rq, const char *version, const char *what);

/* Does the request's If-Match (if any) name `version`? Answers nothing: on
 * false the handler answers with http_reply_stale. A malformed If-Match
 * never matches. */
bool http_version_ok(const struct http_request *rq, const char *version);

/* Answer 412 precondition_failed "The <what> has changed since you read it;
 * read it again." */
void http_reply_stale(struct http_request *rq, const char *what);

/* Set ETag: "N" on the response already set. */
void http_set_etag(struct http_request *rq, const char *version);

/* Run stmt (one parameter: the id) on rq's connection and set *res to its
 * single row (caller frees with PQclear). Answers nothing. Returns the
 * query status: below 0 a database error (*res NULL; answer with
 * http_reply_db_error), DB_NO_RESULTS when id is not a UUID or no row is
 * visible (*res NULL; answer with http_reply_not_found), else DB_ONE_RESULT. */
enum db_qs http_fetch_row(const struct http_request *rq, struct db_stmt *stmt, const char *id,
                          PGresult **res);

/* Answer 404 not_found "No <what> has this id." */
void http_reply_not_found(struct http_request *rq, const char *what);

/* Answer a http_fetch_row that gave no row: the database error when qs is
 * below 0, else 404 as http_reply_not_found. */
void http_reply_fetch_failure(struct http_request *rq, enum db_qs qs, const char *what);

/* Answer the failure a helper reported: the problem when it is not NULL
 * (taken), else the database error for qs (as http_reply_db_error). The
 * contract of helpers (docs/conventions.md): they return a status and,
 * when they refuse, a problem object; the handler answers with this. */
void http_reply_failure(struct http_request *rq, enum db_qs qs, json_t *problem);

/* Run stmt (one parameter: the id) and return its single row, or NULL after
 * answering: 404 "No <what> has this id." when id is not a UUID or no row is
 * visible (another centre's rows are invisible), or the database error.
 * The caller frees the result with PQclear. */
PGresult *http_fetch_by_id(struct http_request *rq, struct db_stmt *stmt, const char *id,
                           const char *what);

/* The link to the next page of a keyset-paged list: path with the
 * request's validated query parameters, cursor replaced by the given one
 * (percent-encoded). Returns a new JSON string. */
json_t *http_next_link(const struct http_request *rq, const char *path, const char *cursor);

/* The validated `limit` query parameter, or dflt when absent. */
long long http_query_limit(const struct http_request *rq, long long dflt);

/* Run work(arg) on the server's offload pool (argon2id password checks),
 * off the worker thread, which serves other connections meanwhile: the
 * connection is suspended, and once work has returned the route's handler is
 * called again on its worker, with everything it needs kept in
 * rq->handler_state (so work and arg must not use rq's response). A handler
 * that calls this sets no response now. Only for public routes: no
 * transaction may be open, as the worker's database connection serves other
 * requests in between. Returns false, having done nothing, when the pool's
 * queue is full: then answer with http_reply_busy. */
bool http_offload(struct http_request *rq, void (*work)(void *arg), void *arg);

/* Would http_offload refuse now? A cheap look before costlier work (it may
 * still refuse later: others offload meanwhile). */
bool http_offload_full(const struct http_request *rq);

/* Answer 503 `server_busy` with Retry-After (http.retry_after). */
void http_reply_busy(struct http_request *rq, const char *detail);

/* Add a header to the response already set by an http_reply_* call.
 * Ignored when there is none yet. */
void http_set_header(struct http_request *rq, const char *name, const char *value);

#endif
