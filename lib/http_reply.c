/* http_reply.c - the replies a handler gives (JSON, problems, data), the
 * headers it may set, conditional requests and keyset-list answers. */
#include <ctype.h>
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

const char *
http_header(const struct http_request *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, name);
}

void
set_response(struct http_request *rq, unsigned status, struct MHD_Response *resp, size_t bytes,
             const char *content_type)
{
	if (rq->response != NULL) {
		/* A handler answered twice: keep the first, which is the bug's
		 * symptom a test will catch, and log it. */
		log_msg(LOG_ERROR, "request %s answered twice", rq->request_id);
		MHD_destroy_response(resp);
		return;
	}
	if (resp == NULL)
		abort();
	rq->response = resp;
	rq->status = status;
	rq->response_bytes = bytes;
	if (content_type != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
}

void
http_reply_data(struct http_request *rq, unsigned status, const char *content_type,
                const void *data, size_t len, bool copy)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
	    len, (void *)data, copy ? MHD_RESPMEM_MUST_COPY : MHD_RESPMEM_PERSISTENT);

	set_response(rq, status, resp, len, content_type);
}

/* Answer with text (malloc'd, taken) of content type type; the text is
 * kept for the idempotency record too. */
static void
reply_text_typed(struct http_request *rq, unsigned status, char *text, size_t len, const char *type)
{
	struct MHD_Response *resp;

	if (text == NULL)
		abort();
	resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	set_response(rq, status, resp, len, type);
	if (rq->response == resp) {
		rq->response_text = text;
		rq->response_text_len = len;
	}
}

static void
reply_json_typed(struct http_request *rq, unsigned status, json_t *body, const char *type)
{
	char *text;
	size_t len;

	if (body == NULL) {
		http_reply_problem(rq, ERR_INTERNAL, NULL);
		return;
	}
	/* 15 significant digits: 55.3959 is answered as written, not as
	 * 55.395899999999997 (the nearest double printed to 17 digits). */
	text = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(15));
	json_decref(body);
	if (text == NULL)
		abort();
	len = strlen(text);
	reply_text_typed(rq, status, text, len, type);
}

void
http_reply_json(struct http_request *rq, unsigned status, json_t *body)
{
	reply_json_typed(rq, status, body, "application/json");
}

void
http_reply_json_text(struct http_request *rq, unsigned status, char *text, size_t len)
{
	reply_text_typed(rq, status, text, len, "application/json");
}

void
http_reply_problem_json(struct http_request *rq, json_t *problem)
{
	unsigned status = (unsigned)json_integer_value(json_object_get(problem, "status"));

	reply_json_typed(rq, status ? status : 500, problem, PROBLEM_CONTENT_TYPE);
}

void
http_reply_field_error(struct http_request *rq, enum err_code code, const char *field,
                       enum err_code fcode, const char *message)
{
	json_t *p = problem_new(code, NULL, rq->request_id);

	problem_add_field_error(p, field, fcode, message);
	http_reply_problem_json(rq, p);
}

void
http_reply_problem(struct http_request *rq, enum err_code code, const char *detail)
{
	http_reply_problem_json(rq, problem_new(code, detail, rq->request_id));
}

void
http_set_header(struct http_request *rq, const char *name, const char *value)
{
	if (rq->response == NULL)
		return;
	MHD_add_response_header(rq->response, name, value);
	if (strcasecmp(name, "Content-Security-Policy") == 0)
		rq->own_headers |= OWN_CSP;
	else if (strcasecmp(name, MHD_HTTP_HEADER_CACHE_CONTROL) == 0)
		rq->own_headers |= OWN_CACHE;
	else if (strcasecmp(name, "Referrer-Policy") == 0)
		rq->own_headers |= OWN_REFERRER;
}

int
http_if_match(const struct http_request *rq, long long *version)
{
	const char *h = http_header(rq, MHD_HTTP_HEADER_IF_MATCH);
	char *end;

	if (h == NULL || strcmp(h, "*") == 0)
		return 0;
	if (strncmp(h, "W/", 2) == 0)
		h += 2;
	if (*h != '"' || !isdigit((unsigned char)h[1]))
		return -1;
	*version = strtoll(h + 1, &end, 10);
	return (*end == '"' && end[1] == '\0') ? 1 : -1;
}

static void
append_encoded(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
			buf_append(b, s, 1);
		} else {
			char e[3] = {'%', hex[c >> 4], hex[c & 15]};

			buf_append(b, e, 3);
		}
	}
}

static void
append_query_value(struct buf *b, const json_t *v)
{
	char num[32];

	if (json_is_string(v)) {
		append_encoded(b, json_string_value(v));
	} else if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		buf_append_str(b, num);
	} else if (json_is_real(v)) {
		snprintf(num, sizeof(num), "%.17g", json_real_value(v));
		buf_append_str(b, num);
	} else if (json_is_boolean(v)) {
		buf_append_str(b, json_is_true(v) ? "true" : "false");
	} else if (json_is_array(v)) {
		for (size_t i = 0; i < json_array_size(v); i++) {
			if (i > 0)
				buf_append_str(b, "%2C");
			append_query_value(b, json_array_get(v, i));
		}
	}
}

enum db_qs
http_fetch_row(const struct http_request *rq, struct db_stmt *stmt, const char *id, PGresult **res)
{
	enum db_qs qs;

	*res = NULL;
	if (id == NULL || !spec_format_ok(SPEC_FMT_UUID, id))
		return DB_NO_RESULTS;
	*res = db_exec(rq->db, stmt, (const char *const[]){id}, &qs);
	if (*res != NULL && qs == DB_NO_RESULTS) {
		PQclear(*res);
		*res = NULL;
	}
	return qs;
}

void
http_reply_not_found(struct http_request *rq, const char *what)
{
	char detail[80];

	snprintf(detail, sizeof(detail), "No %s has this id.", what);
	http_reply_problem(rq, ERR_NOT_FOUND, detail);
}

void
http_reply_fetch_failure(struct http_request *rq, enum db_qs qs, const char *what)
{
	if (qs < 0)
		http_reply_db_error(rq, qs);
	else
		http_reply_not_found(rq, what);
}

void
http_reply_failure(struct http_request *rq, enum db_qs qs, json_t *problem)
{
	if (problem != NULL)
		http_reply_problem_json(rq, problem);
	else
		http_reply_db_error(rq, qs);
}

PGresult *
http_fetch_by_id(struct http_request *rq, struct db_stmt *stmt, const char *id, const char *what)
{
	PGresult *res;
	enum db_qs qs = http_fetch_row(rq, stmt, id, &res);

	if (res == NULL)
		http_reply_fetch_failure(rq, qs, what);
	return res;
}

json_t *
http_next_link(const struct http_request *rq, const char *path, const char *cursor)
{
	const char *key;
	json_t *v, *out;
	struct buf b;

	buf_init(&b);
	buf_append_str(&b, path);
	buf_append_str(&b, "?");
	json_object_foreach(rq->query, key, v)
	{
		if (strcmp(key, "cursor") == 0)
			continue;
		append_encoded(&b, key);
		buf_append_str(&b, "=");
		append_query_value(&b, v);
		buf_append_str(&b, "&");
	}
	buf_append_str(&b, "cursor=");
	append_encoded(&b, cursor);
	out = json_stringn(b.data, b.len);
	buf_cleanup(&b);
	return out;
}

long long
http_query_limit(const struct http_request *rq, long long dflt)
{
	json_t *jl = json_object_get(rq->query, "limit");

	return jl ? json_integer_value(jl) : dflt;
}

bool
http_version_ok(const struct http_request *rq, const char *version)
{
	long long want;
	int m = http_if_match(rq, &want);

	return m == 0 || (m == 1 && want == atoll(version));
}

void
http_reply_stale(struct http_request *rq, const char *what)
{
	char detail[96];

	snprintf(detail, sizeof(detail), "The %s has changed since you read it; read it again.",
	         what);
	http_reply_problem(rq, ERR_PRECONDITION_FAILED, detail);
}

bool
http_version_matches(struct http_request *rq, const char *version, const char *what)
{
	if (http_version_ok(rq, version))
		return true;
	http_reply_stale(rq, what);
	return false;
}

void
http_set_etag(struct http_request *rq, const char *version)
{
	char etag[40];

	snprintf(etag, sizeof(etag), "\"%.30s\"", version);
	http_set_header(rq, MHD_HTTP_HEADER_ETAG, etag);
}

void
http_reply_unavailable(struct http_request *rq, const char *detail)
{
	char secs[16];

	snprintf(secs, sizeof(secs), "%u",
	         atomic_load_explicit(&rq->server->retry_after, memory_order_relaxed));
	http_reply_problem(rq, ERR_DATABASE_UNAVAILABLE, detail);
	http_set_header(rq, MHD_HTTP_HEADER_RETRY_AFTER, secs);
}

void
http_reply_busy(struct http_request *rq, const char *detail)
{
	char secs[16];

	snprintf(secs, sizeof(secs), "%u",
	         atomic_load_explicit(&rq->server->retry_after, memory_order_relaxed));
	http_reply_problem(rq, ERR_BUSY, detail);
	http_set_header(rq, MHD_HTTP_HEADER_RETRY_AFTER, secs);
}

void
http_clear_response(struct http_request *rq)
{
	if (rq->response != NULL)
		MHD_destroy_response(rq->response);
	rq->response = NULL;
	rq->status = 0;
	rq->response_bytes = 0;
	rq->response_text = NULL;
	rq->response_text_len = 0;
	rq->own_headers = 0;
	rq->db_error = DB_NO_RESULTS;
}

void
http_reply_db_error(struct http_request *rq, enum db_qs qs)
{
	rq->db_error = qs < 0 ? qs : DB_HARD_ERROR;
	if ((rq->db != NULL && db_conn_unavailable(rq->db)) || qs == DB_SOFT_ERROR)
		http_reply_unavailable(rq, "The database is unavailable; try again shortly.");
	else
		http_reply_problem(rq, ERR_INTERNAL, NULL);
}
