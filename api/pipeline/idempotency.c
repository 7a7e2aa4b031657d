/* idempotency.c - Idempotency-Key on POST: a retry with the same key and
 * body gets the first answer again instead of doing the work twice; the
 * same key with another body or path is refused with 422.
 *
 * Runs inside the route's transaction, called by the pipeline
 * (api/pipeline/pipeline.c) before and after the handler. The key row is inserted first: a
 * concurrent request with the same key waits on it and then sees the committed answer. Only
 * successful answers are kept (a failed request leaves nothing and may be retried), for 24 hours
 * (maintenance purges older ones). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "../../lib/crypto.h"
#include "../../lib/db.h"
#include "../../lib/http.h"
#include "../../lib/problem.h"
#include "../app.h"

#define IDEMPOTENCY_HEADER "Idempotency-Key"

struct idem {
	char principal[37];
	char key[101];
};

static struct db_stmt stmt_claim =
    DB_STMT("idempotency_claim",
            "INSERT INTO idempotency_key (principal, key, centre_id, method, path, body_hash)"
            " VALUES ($1, $2, kompas_centre(), 'POST', $3, $4::bytea)"
            " ON CONFLICT (principal, key) DO NOTHING RETURNING 1",
            4);

static struct db_stmt stmt_stored =
    DB_STMT("idempotency_stored",
            "SELECT path, body_hash = $3::bytea, status, response_sealed, location, etag"
            " FROM idempotency_key WHERE principal = $1 AND key = $2",
            3);

static struct db_stmt stmt_store = DB_STMT(
    "idempotency_store",
    "UPDATE idempotency_key SET status = $3, response_sealed = $4::bytea, location = $5, etag = $6"
    " WHERE principal = $1 AND key = $2",
    6);

static bool
key_ok(const char *k)
{
	size_t n = strlen(k);

	if (n == 0 || n > 100)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)k[i] < 0x21 || (unsigned char)k[i] > 0x7e)
			return false;
	return true;
}

/* Where a stored answer is bound: its principal and key. */
static void
answer_place(char *out, size_t outlen, const struct idem *st)
{
	snprintf(out, outlen, "idempotency/%s/%s", st->principal, st->key);
}

static void
replay(struct http_request *rq, PGresult *res, const struct idem *st)
{
	size_t len = 0, plen = 0;
	unsigned char *sealed = db_bytea_value(res, 0, 3, &len), *body = NULL;
	char place[160];

	answer_place(place, sizeof(place), st);
	if (sealed != NULL)
		body = crypto_open(app.keys, place, sealed, len, &plen);
	free(sealed);
	if (body == NULL) {
		http_reply_problem(rq, ERR_INTERNAL, "The stored answer cannot be decrypted.");
		return;
	}
	http_reply_data(rq, (unsigned)atoi(PQgetvalue(res, 0, 2)), "application/json", body, plen,
	                true);
	sodium_memzero(body, plen);
	free(body);
	if (!PQgetisnull(res, 0, 4))
		http_set_header(rq, "Location", PQgetvalue(res, 0, 4));
	if (!PQgetisnull(res, 0, 5))
		http_set_header(rq, "ETag", PQgetvalue(res, 0, 5));
	http_set_header(rq, "Idempotent-Replayed", "true");
}

enum db_qs
idempotency_before(struct http_request *rq)
{
	const char *key = http_header(rq, IDEMPOTENCY_HEADER);
	unsigned char h[crypto_hash_sha256_BYTES];
	struct idem *st;
	char *hash;
	const char *params[4];
	enum db_qs qs;
	PGresult *res;
	json_t *p;

	free(rq->app_state);
	rq->app_state = NULL;
	if (key == NULL || strcmp(rq->method, "POST") != 0)
		return DB_ONE_RESULT;
	if (!key_ok(key)) {
		p = problem_new(ERR_VALIDATION_FAILED, NULL, rq->request_id);
		problem_add_field_error(p, IDEMPOTENCY_HEADER, ERR_FIELD_FORMAT,
		                        "must be 1-100 visible ASCII characters");
		http_reply_problem_json(rq, p);
		return DB_ROLLBACK;
	}
	st = calloc(1, sizeof(*st));
	if (st == NULL)
		abort();
	snprintf(st->principal, sizeof(st->principal), "%s",
	         rq->caller.is_key ? rq->caller.credential_id : rq->caller.account_id);
	snprintf(st->key, sizeof(st->key), "%s", key);
	crypto_hash_sha256(h, (const unsigned char *)(rq->upload.data ? rq->upload.data : ""),
	                   rq->upload.len);
	hash = db_bytea_param(h, sizeof(h));
	params[0] = st->principal;
	params[1] = st->key;
	params[2] = rq->url;
	params[3] = hash;
	res = db_exec(rq->db, &stmt_claim, params, &qs);
	if (res == NULL)
		goto fail;
	PQclear(res);
	if (qs == DB_ONE_RESULT) {
		rq->app_state = st; /* ours: store the answer after the handler */
		free(hash);
		return DB_ONE_RESULT;
	}
	params[2] = hash;
	res = db_exec(rq->db, &stmt_stored, params, &qs);
	if (res == NULL)
		goto fail;
	if (qs == DB_NO_RESULTS || PQgetisnull(res, 0, 2)) {
		/* cannot happen: a row is committed only with its answer */
		PQclear(res);
		qs = DB_SOFT_ERROR;
		goto fail;
	}
	if (strcmp(PQgetvalue(res, 0, 0), rq->url) != 0 || PQgetvalue(res, 0, 1)[0] != 't')
		http_reply_problem(rq, ERR_IDEMPOTENCY_KEY_REUSED,
		                   "This Idempotency-Key was used with another request; use a new "
		                   "key for a new request.");
	else
		replay(rq, res, st);
	PQclear(res);
	free(hash);
	free(st);
	return rq->status >= 400 ? DB_ROLLBACK : DB_ONE_RESULT;
fail:
	free(hash);
	free(st);
	return qs;
}

enum db_qs
idempotency_after(struct http_request *rq)
{
	struct idem *st = rq->app_state;
	char status[8], place[160], *body;
	unsigned char *sealed;
	size_t slen;
	const char *params[6];
	enum db_qs qs;
	PGresult *res;

	if (st == NULL)
		return DB_ONE_RESULT;
	rq->app_state = NULL;
	snprintf(status, sizeof(status), "%u", rq->status);
	answer_place(place, sizeof(place), st);
	sealed = crypto_seal(app.keys, place, rq->response_text ? rq->response_text : "",
	                     rq->response_text ? rq->response_text_len : 0, &slen);
	body = db_bytea_param(sealed, slen);
	free(sealed);
	params[0] = st->principal;
	params[1] = st->key;
	params[2] = status;
	params[3] = body;
	params[4] = MHD_get_response_header(rq->response, "Location");
	params[5] = MHD_get_response_header(rq->response, "ETag");
	res = db_exec(rq->db, &stmt_store, params, &qs);
	free(body);
	free(st);
	if (res == NULL)
		return qs;
	PQclear(res);
	return DB_ONE_RESULT;
}
