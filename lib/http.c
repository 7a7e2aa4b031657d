/* http.c - libmicrohttpd glue: request lifecycle, body limits, validation,
 * standard headers, metrics and the access log. */
#include "http.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <sodium.h>

#include "log.h"
#include "mem.h"
#include "metrics.h"
#include "problem.h"
#include "spec.h"
#include "http_internal.h"

/* Requests between their first access-handler call and their completion.
 * An atomic on the hot path; the lock and condition only serve
 * http_server_stop, which waits for zero (the decrement to zero signals
 * under the lock, so the wake-up cannot be lost). */
static pthread_mutex_t inflight_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t inflight_zero = PTHREAD_COND_INITIALIZER;
static _Atomic unsigned long inflight;
static _Atomic bool inflight_waiter; /* http_server_stop waits for zero */

unsigned long
http_in_flight(void)
{
	return atomic_load(&inflight);
}

static void
inflight_add(void)
{
	atomic_fetch_add(&inflight, 1);
}

static void
inflight_done(void)
{
	/* Sequentially consistent: either the waiter sees zero, or this
	 * thread sees the waiter and wakes it under the lock. */
	if (atomic_fetch_sub(&inflight, 1) == 1 && atomic_load(&inflight_waiter)) {
		pthread_mutex_lock(&inflight_lock);
		pthread_cond_broadcast(&inflight_zero);
		pthread_mutex_unlock(&inflight_lock);
	}
}

/* A new request id: 32 hex digits, a random 64-bit prefix drawn once per
 * thread followed by the thread's request counter. Unique within the
 * process and, with overwhelming probability, across processes; cheaper
 * than 16 fresh random bytes per request (measured: a fifth of the request
 * id's cost). Request ids are for correlation, not secrets. */
static void
new_request_id(char out[33])
{
	static const char hex[] = "0123456789abcdef";
	static _Thread_local uint64_t prefix, counter;
	uint64_t v;

	if (prefix == 0)
		randombytes_buf(&prefix, sizeof(prefix));
	v = prefix;
	for (int i = 15; i >= 0; i--, v >>= 4)
		out[i] = hex[v & 15];
	v = ++counter;
	for (int i = 31; i >= 16; i--, v >>= 4)
		out[i] = hex[v & 15];
	out[32] = '\0';
}

/* Accept a client's X-Request-Id when it is 1-64 characters of a safe
 * alphabet (it is echoed and logged); otherwise make one. */
static void
set_request_id(struct http_request *rq)
{
	const char *in = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "X-Request-Id");

	if (in != NULL) {
		size_t len = strlen(in);
		size_t ok = strspn(in, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		                       "0123456789._:-");

		if (len > 0 && len <= 64 && ok == len) {
			memcpy(rq->request_id, in, len + 1);
			return;
		}
	}
	new_request_id(rq->request_id);
}

const char *
http_param(const struct http_request *rq, const char *name)
{
	return router_param(&rq->match, name);
}

void
http_client_address(const struct http_request *rq, char *out, size_t outlen)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(rq->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	const char *proxy = rq->server->s.trusted_proxy;
	const char *xff, *last;
	size_t len;

	snprintf(out, outlen, "unknown");
	if (sa == NULL)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
		          (socklen_t)outlen);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
		          out, (socklen_t)outlen);
	if (proxy == NULL || *proxy == '\0' || strcmp(out, proxy) != 0)
		return;
	xff = http_header(rq, "X-Forwarded-For");
	if (xff == NULL)
		return;
	last = strrchr(xff, ',');
	last = last ? last + 1 : xff;
	while (*last == ' ')
		last++;
	len = strcspn(last, " ");
	if (len > 0 && len < outlen && len < 64 &&
	    strspn(last, "0123456789abcdefABCDEF.:") >= len) {
		memcpy(out, last, len);
		out[len] = '\0';
	}
}

#define CORS_ALLOW_HEADERS  "Authorization, Content-Type, If-Match, Idempotency-Key, X-Request-Id"
#define CORS_EXPOSE_HEADERS "ETag, Idempotent-Replayed, Location, Retry-After, X-Request-Id"

/* The request's Origin when it is allowed to read the response, else NULL. */
static const char *
allowed_origin(struct http_request *rq)
{
	const char *origin = http_header(rq, "Origin");

	if (origin == NULL || rq->server->s.origin_allowed == NULL ||
	    !rq->server->s.origin_allowed(origin))
		return NULL;
	return origin;
}

/* A CORS preflight (OPTIONS with Origin and Access-Control-Request-Method)
 * for a known path: 204 with the methods the path allows; the allow-origin
 * header follows in standard_headers only for configured origins. */
static bool
answer_preflight(struct http_request *rq)
{
	const char *want = http_header(rq, "Access-Control-Request-Method");
	struct router_match m;
	enum router_result rr;

	if (strcmp(rq->method, "OPTIONS") != 0 || want == NULL || http_header(rq, "Origin") == NULL)
		return false;
	rr = router_match(rq->server->s.routes, rq->server->s.nroutes, want, rq->url, &m);
	if (rr == ROUTER_NOT_FOUND)
		return false;
	http_reply_data(rq, 204, NULL, "", 0, false);
	if (allowed_origin(rq) != NULL) {
		if (rr == ROUTER_FOUND)
			snprintf(m.allow, sizeof(m.allow), "%s", m.route->method);
		http_set_header(rq, "Access-Control-Allow-Methods", m.allow);
		http_set_header(rq, "Access-Control-Allow-Headers", CORS_ALLOW_HEADERS);
		http_set_header(rq, "Access-Control-Max-Age", "600");
	}
	return true;
}

/* Call add(ctx, name, value) for each header every response carries
 * unless its handler set it: the request id, the security headers,
 * Cache-Control and the CORS headers. */
static void
standard_headers(struct http_request *rq, void (*add)(void *ctx, const char *, const char *),
                 void *ctx)
{
	const char *origin = http_header(rq, "Origin");

	add(ctx, "X-Request-Id", rq->request_id);
	add(ctx, "X-Content-Type-Options", "nosniff");
	if ((rq->own_headers & OWN_REFERRER) == 0)
		add(ctx, "Referrer-Policy", "no-referrer");
	if ((rq->own_headers & OWN_CSP) == 0)
		add(ctx, "Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
	if ((rq->own_headers & OWN_CACHE) == 0)
		add(ctx, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	/* Serving HTTPS directly: browsers should never come back over http
	 * (behind nginx, nginx sends it; docs/operations.md). */
	if (rq->server->s.tls_cert_pem != NULL && rq->server->s.tls_key_pem != NULL)
		add(ctx, "Strict-Transport-Security", "max-age=31536000");
	if (origin == NULL)
		return;
	add(ctx, "Vary", "Origin");
	if (allowed_origin(rq) == NULL)
		return;
	add(ctx, "Access-Control-Allow-Origin", origin);
	add(ctx, "Access-Control-Expose-Headers", CORS_EXPOSE_HEADERS);
}

static void
add_to_response(void *ctx, const char *name, const char *value)
{
	MHD_add_response_header(ctx, name, value);
}

/* Add the headers every response carries, then queue it. */
enum MHD_Result
http_queue_response(struct http_request *rq)
{
	struct MHD_Response *resp = rq->response;
	enum MHD_Result ret;

	standard_headers(rq, add_to_response, resp);
	ret = MHD_queue_response(rq->conn, rq->status, resp);
	MHD_destroy_response(resp);
	rq->response = NULL;
	rq->queued = true;
	return ret;
}

static bool
media_type_is(const char *ct, const char *type)
{
	size_t n = strlen(type);

	return strncasecmp(ct, type, n) == 0 && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* Is the request's Content-Type application/json (parameters allowed), or
 * application/merge-patch+json on a PATCH (RFC 7396)? */
static bool
content_type_is_json(struct http_request *rq)
{
	const char *ct = http_header(rq, MHD_HTTP_HEADER_CONTENT_TYPE);

	if (ct == NULL)
		return false;
	return media_type_is(ct, "application/json") ||
	       (strcmp(rq->method, "PATCH") == 0 &&
	        media_type_is(ct, "application/merge-patch+json"));
}

static void
reply_malformed_json(struct http_request *rq, const json_error_t *e)
{
	char detail[256];
	json_t *p;

	snprintf(detail, sizeof(detail), "Malformed JSON at line %d, column %d: %s", e->line,
	         e->column, e->text);
	p = problem_new(ERR_MALFORMED_JSON, detail, rq->request_id);
	json_object_set_new(p, "line", json_integer(e->line));
	json_object_set_new(p, "column", json_integer(e->column));
	http_reply_problem_json(rq, p);
}

bool
http_prepare_body(struct http_request *rq)
{
	const struct route *r = rq->match.route;
	const char *ce;
	json_error_t e;
	json_t *p;

	if (!content_type_is_json(rq)) {
		http_reply_problem(rq, ERR_UNSUPPORTED_MEDIA_TYPE,
		                   "Send the body as Content-Type: application/json.");
		return false;
	}
	/* A coded body (gzip, br, ...) would be taken for JSON text: refuse
	 * every coding but identity (RFC 9110 15.5.16). */
	ce = http_header(rq, MHD_HTTP_HEADER_CONTENT_ENCODING);
	if (ce != NULL && strcasecmp(ce, "identity") != 0) {
		http_reply_problem(rq, ERR_UNSUPPORTED_MEDIA_TYPE,
		                   "Send the body without a Content-Encoding.");
		return false;
	}
	if (rq->upload.len == 0) {
		http_reply_problem(rq, ERR_MALFORMED_JSON, "The request body is empty.");
		return false;
	}
	rq->body = json_loadb(rq->upload.data, rq->upload.len, JSON_REJECT_DUPLICATES, &e);
	if (rq->body == NULL) {
		reply_malformed_json(rq, &e);
		return false;
	}
	if (r->body_spec == NULL)
		return true;
	p = problem_new(ERR_VALIDATION_FAILED, "The request body has invalid fields.",
	                rq->request_id);
	if (spec_validate_object(r->body_spec, rq->body, NULL, p) > 0) {
		http_reply_problem_json(rq, p);
		return false;
	}
	json_decref(p);
	return true;
}

struct query_collect {
	json_t *strings;
	json_t *problem;
	size_t errors;
};

static enum MHD_Result
collect_query(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct query_collect *qc = cls;

	(void)kind;
	qc->errors += spec_query_add(qc->strings, qc->problem, key, value);
	return MHD_YES;
}

bool
http_prepare_query(struct http_request *rq)
{
	static const struct spec_field none[] = {SPEC_END};
	const struct route *r = rq->match.route;
	struct query_collect qc;

	/* The common case, measured to matter: no arguments and nothing
	 * required. rq->query stays NULL (jansson lookups on NULL give NULL). */
	if (MHD_get_connection_values(rq->conn, MHD_GET_ARGUMENT_KIND, NULL, NULL) == 0 &&
	    !spec_has_required(r->query_spec))
		return true;
	qc.strings = json_object();
	qc.problem =
	    problem_new(ERR_VALIDATION_FAILED, "The query parameters are invalid.", rq->request_id);
	qc.errors = 0;
	MHD_get_connection_values(rq->conn, MHD_GET_ARGUMENT_KIND, collect_query, &qc);
	rq->query = spec_parse_query(r->query_spec ? r->query_spec : none, qc.strings, qc.problem);
	json_decref(qc.strings);
	if (qc.errors > 0 && rq->query != NULL) {
		json_decref(rq->query);
		rq->query = NULL;
	}
	if (rq->query == NULL) {
		http_reply_problem_json(rq, qc.problem);
		return false;
	}
	json_decref(qc.problem);
	return true;
}

static void
reply_too_large(struct http_request *rq)
{
	char detail[96];

	snprintf(detail, sizeof(detail), "The body limit is %zu bytes.", body_limit(rq->server));
	http_reply_problem(rq, ERR_BODY_TOO_LARGE, detail);
}

static void
add_to_buf(void *ctx, const char *name, const char *value)
{
	buf_appendf(ctx, "%s: %s\r\n", name, value);
}

/* Write data to the client now, behind libmicrohttpd's back: through the
 * connection's TLS session when serving HTTPS, else on the socket. The
 * socket is non-blocking; a short answer fits a fresh socket's send buffer,
 * and what does not fit is given up (the connection closes either way).
 * Only from the connection's own worker thread, inside a callback. */
static void
send_now(struct http_request *rq, const char *data, size_t len)
{
	const union MHD_ConnectionInfo *fdi =
	    MHD_get_connection_info(rq->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	const union MHD_ConnectionInfo *tls =
	    rq->server->s.tls_cert_pem != NULL
	        ? MHD_get_connection_info(rq->conn, MHD_CONNECTION_INFO_GNUTLS_SESSION)
	        : NULL;
	size_t off = 0;

	if (fdi == NULL)
		return;
	while (off < len) {
		ssize_t n;

		if (tls != NULL && tls->tls_session != NULL)
			n = gnutls_record_send(tls->tls_session, data + off, len - off);
		else
			n = send(fdi->connect_fd, data + off, len - off, MSG_NOSIGNAL);
		if (n <= 0)
			return;
		off += (size_t)n;
	}
	/* The client sees the end of the answer; the rest of its body is
	 * still read (and discarded), so that closing does not reset the
	 * connection before the answer is read. */
	if (tls == NULL)
		shutdown(fdi->connect_fd, SHUT_WR);
}

/* A body without Content-Length (chunked) has outgrown the limit while it
 * is being received. libmicrohttpd 0.9.75 refuses to queue a response
 * before the body is complete, so the 413 problem (with the standard
 * headers and Connection: close) is written directly; the connection is
 * closed when the body ends or the client goes, and the rest of the body is
 * discarded meanwhile. */
static void
answer_too_large_now(struct http_request *rq)
{
	char detail[96], date[64];
	json_t *p;
	char *text;
	struct buf b;
	struct tm tm;
	time_t t = time(NULL);

	snprintf(detail, sizeof(detail), "The body limit is %zu bytes.", body_limit(rq->server));
	p = problem_new(ERR_BODY_TOO_LARGE, detail, rq->request_id);
	text = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	if (text == NULL)
		abort();
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	buf_init(&b);
	buf_appendf(&b,
	            "HTTP/1.1 413 Content Too Large\r\nDate: %s\r\nConnection: close\r\n"
	            "Content-Type: " PROBLEM_CONTENT_TYPE "\r\nContent-Length: %zu\r\n",
	            date, strlen(text));
	standard_headers(rq, add_to_buf, &b);
	buf_appendf(&b, "\r\n%s", text);
	send_now(rq, b.data, b.len);
	rq->status = 413;
	rq->response_bytes = strlen(text);
	rq->answered_early = true;
	buf_cleanup(&b);
	free(text);
}

/* After the handler: it answered, or handed work to the offload pool
 * (then it is called again later); otherwise that is a bug, answered 500. */
static void
check_answered(struct http_request *rq)
{
	if (rq->response == NULL && !rq->offloaded) {
		log_msg(LOG_ERROR, "handler for %s %s set no response", rq->match.route->method,
		        rq->match.route->pattern);
		http_reply_problem(rq, ERR_INTERNAL, NULL);
	}
}

/* Answer what needs no application (CORS preflight, 404, 405, 413), then
 * hand the request to the application's pipeline. */
static void
dispatch(struct http_request *rq)
{
	if (answer_preflight(rq))
		return;
	switch (rq->routed) {
	case ROUTER_NOT_FOUND:
		http_reply_problem(rq, ERR_ROUTE_NOT_FOUND, "There is no endpoint at this path.");
		return;
	case ROUTER_METHOD_NOT_ALLOWED:
		http_reply_problem(rq, ERR_METHOD_NOT_ALLOWED,
		                   "This endpoint does not support the method.");
		http_set_header(rq, MHD_HTTP_HEADER_ALLOW, rq->match.allow);
		return;
	case ROUTER_FOUND:
		break;
	}
	if (rq->too_large) {
		reply_too_large(rq);
		return;
	}
	rq->server->s.pipeline(rq);
	check_answered(rq);
}

void
http_run_step(struct http_request *rq)
{
	if (rq->offloaded) {
		/* Resumed: the offloaded work is done; the handler again. */
		rq->offloaded = false;
		rq->match.route->handler(rq);
		check_answered(rq);
	} else {
		set_phase(rq->live, PHASE_HANDLER, now_us(), 0);
		dispatch(rq);
	}
}

static enum MHD_Result
count_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	(void)value;
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0)
		(*(unsigned *)cls)++;
	return MHD_YES;
}

/* What libmicrohttpd 0.9.75 lets through but RFC 9112 says is a 400: an
 * HTTP/1.1 request without Host (3.2), and Content-Length given more than
 * once or together with Transfer-Encoding (6.1, 6.3: the body's end is in
 * doubt, a request-smuggling vector). NULL when the framing is fine. */
static const char *
framing_problem(struct MHD_Connection *conn, const char *version)
{
	unsigned lengths = 0;

	if (strcmp(version, MHD_HTTP_VERSION_1_1) == 0 &&
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST) == NULL)
		return "An HTTP/1.1 request needs a Host header.";
	MHD_get_connection_values(conn, MHD_HEADER_KIND, count_header, &lengths);
	if (lengths > 1)
		return "Content-Length must be given once.";
	if (lengths == 1 && MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	                                                MHD_HTTP_HEADER_TRANSFER_ENCODING) != NULL)
		return "Send Content-Length or Transfer-Encoding, not both.";
	return NULL;
}

/* First call: set up the request. Answers 413 at once when the announced
 * length is over the limit, so the body is never read, and 400 for broken
 * framing (then the connection is closed). */
static enum MHD_Result
request_begin(struct http_server *srv, struct MHD_Connection *conn, const char *url,
              const char *method, const char *version, void **con_cls)
{
	const char *framing;
	struct http_request *rq = xcalloc(1, sizeof(*rq));
	const char *cl;

	rq->start_us = now_us();
	rq->server = srv;
	rq->conn = conn;
	rq->method = method;
	rq->url = url;
	buf_init(&rq->upload);
	set_request_id(rq);
	*con_cls = rq;
	inflight_add();
	rq->routed = router_match(srv->s.routes, srv->s.nroutes, method, url, &rq->match);
	rq->live = live_conn_of(conn);
	/* The headers are in: no header deadline from here on. */
	set_phase(rq->live, PHASE_HANDLER, rq->start_us, 0);
	framing = framing_problem(conn, version);
	if (framing != NULL) {
		http_reply_problem(rq, ERR_BAD_REQUEST, framing);
		http_set_header(rq, MHD_HTTP_HEADER_CONNECTION, "close");
		return http_queue_response(rq);
	}
	cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl != NULL && strtoull(cl, NULL, 10) > body_limit(srv)) {
		rq->too_large = true;
		reply_too_large(rq);
		return http_queue_response(rq);
	}
	if ((cl != NULL && strtoull(cl, NULL, 10) > 0) ||
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING) !=
	        NULL)
		guard_body_start(srv, rq->live);
	return MHD_YES;
}

static enum MHD_Result
access_cb(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
          const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct http_server *srv = cls;
	struct http_request *rq = *con_cls;

	if (rq == NULL)
		return request_begin(srv, conn, url, method, version, con_cls);
	if (rq->queued) {
		/* 413 already sent: discard whatever still arrives. */
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		bool wants =
		    rq->routed == ROUTER_FOUND && (rq->match.route->flags & ROUTE_JSON_BODY) != 0;

		rq->received += *upload_data_size;
		guard_body_bytes(srv, rq->live, *upload_data_size);
		if (rq->received > body_limit(srv) && !rq->too_large) {
			/* Only a body without Content-Length gets here (a
			 * longer announced one was answered at once, a shorter
			 * one cannot outgrow it): answer 413 now. */
			rq->too_large = true;
			buf_cleanup(&rq->upload);
			answer_too_large_now(rq);
		}
		if (wants && !rq->too_large)
			buf_append(&rq->upload, upload_data, *upload_data_size);
		*upload_data_size = 0;
		/* The rest of a body over the limit is discarded, not stored;
		 * a client still sending past four times the limit after its
		 * 413 is cut off. */
		if (rq->received > 4 * body_limit(srv)) {
			rq->status = 413;
			return MHD_NO;
		}
		return MHD_YES;
	}
	if (rq->answered_early)
		return MHD_NO; /* the body ended after its 413: close */
	if (rq->offloaded && !rq->offload_done)
		return MHD_YES;
	if (srv->loops != NULL)
		return loop_final_call(rq);
	http_run_step(rq);
	if (rq->offloaded)
		return MHD_YES; /* suspended until the pool has done the work */
	return http_queue_response(rq);
}

static void
completed_cb(void *cls, struct MHD_Connection *conn, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
	struct http_server *srv = cls;
	struct http_request *rq = *con_cls;
	struct log_access_entry e;
	uint64_t dur;

	/* A keep-alive connection now waits for its next request's headers. */
	if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
		guard_headers(srv, live_conn_of(conn), srv->guard.idle_us);
	if (rq == NULL)
		return;
	dur = now_us() - rq->start_us;
	e.request_id = rq->request_id;
	e.method = rq->method;
	e.route = rq->routed == ROUTER_FOUND ? rq->match.route->pattern : NULL;
	e.status = rq->status;
	e.duration_us = dur;
	e.bytes = rq->response_bytes;
	e.aborted = toe != MHD_REQUEST_TERMINATED_COMPLETED_OK;
	metrics_observe(rq->routed == ROUTER_FOUND ? rq->match.index : srv->s.nroutes, rq->status,
	                dur);
	log_access(&e);
	if (rq->response != NULL)
		MHD_destroy_response(rq->response);
	free(rq->app_state); /* the pipeline's state left by an aborted attempt */
	free(rq->handler_state);
	json_decref(rq->body);
	json_decref(rq->query);
	buf_cleanup(&rq->upload);
	free(rq);
	*con_cls = NULL;
	inflight_done();
}

static void
mhd_logger(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t len;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	len = strlen(msg);
	while (len > 0 && msg[len - 1] == '\n')
		msg[--len] = '\0';
	log_msg(LOG_WARN, "libmicrohttpd: %s", msg);
}

int
http_listen_socket(const char *address, unsigned port, char *err, size_t errlen)
{
	struct sockaddr_in6 a6;
	struct sockaddr_in a4;
	const struct sockaddr *addr = (const struct sockaddr *)&a4;
	socklen_t alen = sizeof(a4);
	int fd, on = 1;

	memset(&a4, 0, sizeof(a4));
	memset(&a6, 0, sizeof(a6));
	if (inet_pton(AF_INET, address, &a4.sin_addr) == 1) {
		a4.sin_family = AF_INET;
		a4.sin_port = htons((uint16_t)port);
	} else if (inet_pton(AF_INET6, address, &a6.sin6_addr) == 1) {
		a6.sin6_family = AF_INET6;
		a6.sin6_port = htons((uint16_t)port);
		addr = (const struct sockaddr *)&a6;
		alen = sizeof(a6);
	} else {
		snprintf(err, errlen, "listen address '%s' is not an IPv4 or IPv6 literal",
		         address);
		return -1;
	}
	fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0 ||
	    (addr->sa_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) != 0) ||
	    bind(fd, addr, alen) != 0 || listen(fd, SOMAXCONN) != 0) {
		snprintf(err, errlen, "cannot listen on %s port %u: %s", address, port,
		         strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* The options beyond the common ones: a socket bound by the caller, TLS. */
static void
extra_options(const struct http_settings *s, struct MHD_OptionItem *o, unsigned *flags)
{
	size_t n = 0;

	if (s->listen_fd_set && (*flags & MHD_USE_NO_LISTEN_SOCKET) == 0)
		o[n++] = (struct MHD_OptionItem){MHD_OPTION_LISTEN_SOCKET, s->listen_fd, NULL};
	if (s->tls_cert_pem != NULL && s->tls_key_pem != NULL) {
		*flags |= MHD_USE_TLS;
		o[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0,
		                                 (void *)(uintptr_t)s->tls_cert_pem};
		o[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0,
		                                 (void *)(uintptr_t)s->tls_key_pem};
		o[n++] = (struct MHD_OptionItem){
		    MHD_OPTION_HTTPS_PRIORITIES, 0,
		    (void *)(uintptr_t) "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"};
	}
	o[n] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
}

/* MHD_OPTION_UNESCAPE_CALLBACK: decode %XX escapes in place as
 * libmicrohttpd's default does (malformed escapes stay as they are), except
 * %00, which is left as the three characters "%00": a NUL must not cut a path
 * or query value short unseen (the /app/ route refuses the '%'). */
static size_t
unescape_cb(void *cls, struct MHD_Connection *conn, char *s)
{
	static const char hex[] = "0123456789abcdef";
	char *r = s, *w = s;

	(void)cls;
	(void)conn;
	while (*r != '\0') {
		if (r[0] == '%' && isxdigit((unsigned char)r[1]) && isxdigit((unsigned char)r[2]) &&
		    !(r[1] == '0' && r[2] == '0')) {
			int hi = (int)(strchr(hex, tolower((unsigned char)r[1])) - hex);
			int lo = (int)(strchr(hex, tolower((unsigned char)r[2])) - hex);

			*w++ = (char)(hi * 16 + lo);
			r += 3;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
	return (size_t)(w - s);
}

struct MHD_Daemon *
http_daemon_start(struct http_server *srv, unsigned flags, unsigned threads,
                  const struct sockaddr *addr)
{
	const struct http_settings *s = &srv->s;
	struct MHD_OptionItem extra[8];
	/* Event loops count connections against the limits themselves
	 * (http_loop.c): the daemon of each may take them all. */
	unsigned per_ip = srv->loops != NULL ? 0 : s->per_ip_connection_limit;

	flags |= MHD_USE_EPOLL | MHD_USE_ITC | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
	extra_options(s, extra, &flags);
	if (threads > 0) {
		size_t n = 0;

		while (extra[n].option != MHD_OPTION_END)
			n++;
		extra[n] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, threads, NULL};
		extra[n + 1] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
	}
	return MHD_start_daemon(
	    flags, (uint16_t)s->port, NULL, NULL, access_cb, srv, MHD_OPTION_EXTERNAL_LOGGER,
	    mhd_logger, NULL, MHD_OPTION_SOCK_ADDR, addr, MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned)s->connection_timeout, MHD_OPTION_CONNECTION_LIMIT,
	    (unsigned)s->connection_limit, MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
	    MHD_OPTION_NOTIFY_COMPLETED, completed_cb, srv, MHD_OPTION_NOTIFY_CONNECTION,
	    notify_connection_cb, srv, MHD_OPTION_UNESCAPE_CALLBACK, unescape_cb, NULL,
	    MHD_OPTION_ARRAY, extra, MHD_OPTION_END);
}

/* The listening address of s into a4 or a6; NULL when it is not a literal
 * (*ipv6 set for an IPv6 one). */
static const struct sockaddr *
listen_addr(const struct http_settings *s, struct sockaddr_in *a4, struct sockaddr_in6 *a6,
            bool *ipv6)
{
	memset(a4, 0, sizeof(*a4));
	memset(a6, 0, sizeof(*a6));
	*ipv6 = false;
	if (inet_pton(AF_INET, s->listen, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)s->port);
		return (const struct sockaddr *)a4;
	}
	if (inet_pton(AF_INET6, s->listen, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)s->port);
		*ipv6 = true;
		return (const struct sockaddr *)a6;
	}
	return NULL;
}

/* Start the event loops on the settings' socket (or one bound here). */
static int
start_loops(struct http_server *srv, char *err, size_t errlen)
{
	int fd = srv->s.listen_fd_set ? srv->s.listen_fd
	                              : http_listen_socket(srv->s.listen, srv->s.port, err, errlen);
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (fd < 0)
		return -1;
	if (loops_start(srv, fd, err, errlen) != 0) {
		if (!srv->s.listen_fd_set)
			close(fd);
		return -1;
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
		srv->port =
		    ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)(void *)&ss)->sin6_port
		                                   : ((struct sockaddr_in *)(void *)&ss)->sin_port);
	return 0;
}

struct http_server *
http_server_start(const struct http_settings *s, char *err, size_t errlen)
{
	struct http_server *srv = xcalloc(1, sizeof(*srv));
	struct sockaddr_in6 a6;
	struct sockaddr_in a4;
	const struct sockaddr *addr;
	const union MHD_DaemonInfo *info;
	bool ipv6;

	if (s->pipeline == NULL) {
		snprintf(err, errlen, "no pipeline to run the requests");
		free(srv);
		return NULL;
	}
	srv->s = *s;
	atomic_store(&srv->body_limit, s->body_limit);
	atomic_store(&srv->retry_after, s->retry_after);
	addr = listen_addr(s, &a4, &a6, &ipv6);
	if (addr == NULL) {
		snprintf(err, errlen, "listen address '%s' is not an IPv4 or IPv6 literal",
		         s->listen);
		free(srv);
		return NULL;
	}
	if (guard_start(srv) != 0 || offload_start(srv) != 0) {
		snprintf(err, errlen, "cannot start the connection guard or offload threads");
		goto fail;
	}
	if (s->events) {
		if (start_loops(srv, err, errlen) != 0)
			goto fail;
		return srv;
	}
	srv->daemon = http_daemon_start(
	    srv, MHD_USE_INTERNAL_POLLING_THREAD | (ipv6 ? MHD_USE_IPv6 : 0), s->threads, addr);
	if (srv->daemon == NULL) {
		snprintf(err, errlen, "cannot listen on %s port %u (in use, or not permitted)",
		         s->listen, s->port);
		goto fail;
	}
	info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = info ? info->port : s->port;
	return srv;
fail:
	offload_stop(srv);
	guard_stop(srv);
	guard_cleanup(srv);
	free(srv);
	return NULL;
}

void
http_server_set_limits(struct http_server *srv, size_t body_limit_bytes, unsigned retry_after)
{
	atomic_store(&srv->body_limit, body_limit_bytes);
	atomic_store(&srv->retry_after, retry_after);
}

unsigned
http_server_port(const struct http_server *srv)
{
	return srv->port;
}

void
http_server_stop(struct http_server *srv, unsigned timeout)
{
	MHD_socket fd;
	struct timespec deadline;

	if (srv == NULL)
		return;
	if (srv->loops != NULL) {
		loops_quiesce(srv);
	} else {
		fd = MHD_quiesce_daemon(srv->daemon);
		if (fd != MHD_INVALID_SOCKET)
			close(fd);
	}
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += timeout;
	atomic_store(&inflight_waiter, true);
	pthread_mutex_lock(&inflight_lock);
	while (atomic_load(&inflight) > 0) {
		if (pthread_cond_timedwait(&inflight_zero, &inflight_lock, &deadline) == ETIMEDOUT)
			break;
	}
	if (atomic_load(&inflight) > 0)
		log_msg(LOG_WARN, "shutdown: %lu requests still running after %u s",
		        atomic_load(&inflight), timeout);
	pthread_mutex_unlock(&inflight_lock);
	offload_stop(srv);
	guard_stop(srv);
	if (srv->loops != NULL)
		loops_stop(srv);
	else
		MHD_stop_daemon(srv->daemon);
	guard_cleanup(srv);
	atomic_store(&inflight_waiter, false);
	free(srv);
}
