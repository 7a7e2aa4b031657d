/* webhooks.c - status back to the portal. Coordinators register endpoints
 * (the signing secret is shown once and kept sealed); a change of what the
 * portal may tell the citizen writes an event to the outbox in the same
 * transaction (webhooks_enqueue); a delivery thread POSTs due events with
 * libcurl, signed with HMAC-SHA256, retrying with exponential backoff and
 * logging every attempt. Delivery is at least once: receivers deduplicate
 * by Kompas-Event-Id. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../lib/buf.h"
#include "../../lib/crypto.h"
#include "../../lib/db.h"
#include "../../lib/http.h"
#include "../../lib/log.h"
#include "../../lib/worker.h"
#include "../../lib/problem.h"
#include "../../lib/row.h"
#include "../../lib/spec.h"
#include "../app.h"
#include "../routes.h"
#include "../pipeline/auth.h"
#include "../handlers/requests.h"
#include "../sealed.h"
#include "../sql_format.h"

#define WEBHOOK_SECRET_PREFIX "whsec_"

static const char *const event_types[] = {"request.status_changed", NULL};
static const struct spec_field event_type_item = {.type = SPEC_STRING, .enum_values = event_types};

static const struct spec_field webhooks_create_spec[] = {SPEC_URL("url", SPEC_REQUIRED, 500),
                                                         {.name = "event_types",
                                                          .type = SPEC_ARRAY,
                                                          .flags = SPEC_UNIQUE,
                                                          .min = 1,
                                                          .max = 1,
                                                          .items = &event_type_item},
                                                         SPEC_END};

/* The columns of an endpoint, named for endpoint_fields (lib/row.h). A
 * statement that orders by a column also named here qualifies it
 * (webhook_endpoint.created_at), or the order would be the formatted
 * text's. */
#define ENDPOINT_COLUMNS                                                                           \
	"id, url, array_to_json(event_types) AS event_types, active,"                              \
	" " TS("created_at") " AS created_at, version"

/* An endpoint's answer, in this order (never its secret). */
static const struct row_field endpoint_fields[] = {ROW_TEXT("id"),          ROW_TEXT("url"),
                                                   ROW_JSON("event_types"), ROW_BOOLEAN("active"),
                                                   ROW_TEXT("created_at"),  ROW_END};

static struct db_stmt stmt_enqueue =
    DB_STMT("webhooks_enqueue", "SELECT kompas_webhook_enqueue($1, $2)", 2);

enum db_qs
webhooks_enqueue(struct http_request *rq, const char *request_id, const char *status)
{
	enum db_qs qs;
	PGresult *res =
	    db_exec(rq->db, &stmt_enqueue, (const char *const[]){request_id, status}, &qs);

	if (res == NULL)
		return qs;
	PQclear(res);
	return DB_ONE_RESULT;
}

static struct db_stmt stmt_insert = DB_STMT(
    "webhooks_insert",
    "INSERT INTO webhook_endpoint (id, centre_id, url, secret_sealed, event_types)"
    " VALUES ($1, kompas_centre(), $2, $3::bytea, ARRAY(SELECT json_array_elements_text($4::json)))"
    " RETURNING " ENDPOINT_COLUMNS,
    4);

/* POST /v1/webhooks {url, event_types?}: 201 with the signing secret,
 * shown this once. */
static void
webhooks_create(struct http_request *rq)
{
	const char *url = json_string_value(json_object_get(rq->body, "url"));
	json_t *types = json_object_get(rq->body, "event_types");
	char id[37], secret[CRYPTO_TOKEN_TEXT_MAX], place[96], location[80];
	char *types_text, *secret_param;
	const char *params[4];
	enum db_qs qs;
	PGresult *res;
	json_t *body;

	if (strncmp(url, "https://", 8) != 0 && !app.cfg->webhooks_allow_http) {
		http_reply_field_error(rq, ERR_VALIDATION_FAILED, "url", ERR_FIELD_FORMAT,
		                       "must be an https URL");
		return;
	}
	crypto_uuid_v4(id);
	crypto_token_new(WEBHOOK_SECRET_PREFIX, secret, sizeof(secret));
	snprintf(place, sizeof(place), "webhook/%s/secret", id);
	secret_param = sealed_param(place, secret, strlen(secret));
	types_text =
	    types ? json_dumps(types, JSON_COMPACT) : strdup("[\"request.status_changed\"]");
	params[0] = id;
	params[1] = url;
	params[2] = secret_param;
	params[3] = types_text;
	res = db_exec(rq->db, &stmt_insert, params, &qs);
	free(secret_param);
	free(types_text);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		goto out;
	}
	body = row_json(res, 0, endpoint_fields);
	json_object_set_new(body, "secret", json_string(secret));
	snprintf(location, sizeof(location), "/v1/webhooks/%s", id);
	http_reply_json(rq, 201, body);
	http_set_header(rq, "Location", location);
	http_set_etag(rq, row_value(res, 0, "version"));
	PQclear(res);
out:
	sodium_memzero(secret, sizeof(secret));
}

static struct db_stmt stmt_list =
    DB_STMT("webhooks_list",
            "SELECT " ENDPOINT_COLUMNS " FROM webhook_endpoint"
            " ORDER BY webhook_endpoint.created_at, webhook_endpoint.id LIMIT 100",
            0);

/* GET /v1/webhooks: the centre's endpoints (never the secrets). */
static void
webhooks_list(struct http_request *rq)
{
	enum db_qs qs;
	PGresult *res = db_exec(rq->db, &stmt_list, NULL, &qs);
	json_t *items;

	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return;
	}
	items = json_array();
	for (int i = 0; i < PQntuples(res); i++)
		json_array_append_new(items, row_json(res, i, endpoint_fields));
	PQclear(res);
	http_reply_json(rq, 200, json_pack("{s:o, s:n}", "items", items, "next"));
}

static struct db_stmt stmt_deactivate =
    DB_STMT("webhooks_deactivate",
            "UPDATE webhook_endpoint SET active = false, updated_at = now(), version = version + 1"
            " WHERE id = $1 RETURNING id",
            1);

/* DELETE /v1/webhooks/{id}: no new events go there (the log stays). */
static void
webhooks_delete(struct http_request *rq)
{
	PGresult *res;
	enum db_qs qs = http_fetch_row(rq, &stmt_deactivate, http_param(rq, "id"), &res);

	if (res == NULL) {
		http_reply_fetch_failure(rq, qs, "webhook");
		return;
	}
	PQclear(res);
	http_reply_data(rq, 204, NULL, "", 0, false);
}

/* The newest 100 events of endpoint $1 with their delivery log, as one
 * JSON array (items). */
/* clang-format off */
static struct db_stmt stmt_events = DB_STMT(
    "webhooks_events",
    "SELECT coalesce(json_agg(json_build_object('id', e.id, 'type', e.event_type,"
    " 'payload', e.payload, 'created_at', " TS("e.created_at") ", 'attempts', e.attempts,"
    " 'delivered_at', " TS("e.delivered_at") ", 'gave_up_at', " TS("e.gave_up_at") ","
    " 'next_attempt_at', " TS("e.next_attempt_at") ", 'last_status', e.last_status,"
    " 'last_error', e.last_error,"
    " 'log', (SELECT coalesce(json_agg(json_build_object('at', " TS("a.at") ","
    "   'status', a.status, 'error', a.error, 'duration_ms', a.duration_ms) ORDER BY a.id), '[]')"
    "   FROM webhook_attempt a WHERE a.event_id = e.id))"
    " ORDER BY e.created_at DESC, e.id), '[]') AS items"
    " FROM (SELECT * FROM webhook_event WHERE endpoint_id = $1"
    "   ORDER BY created_at DESC, id LIMIT 100) e",
    1);
/* clang-format on */

/* The answer of webhooks_events: {items}. */
static const struct row_field events_fields[] = {ROW_JSON("items"), ROW_END};

static struct db_stmt stmt_endpoint =
    DB_STMT("webhooks_endpoint", "SELECT id FROM webhook_endpoint WHERE id = $1", 1);

/* GET /v1/webhooks/{id}/events: the newest 100 events with their delivery
 * log. */
static void
webhooks_events(struct http_request *rq)
{
	PGresult *ep, *res;
	enum db_qs qs = http_fetch_row(rq, &stmt_endpoint, http_param(rq, "id"), &ep);

	if (ep == NULL) {
		http_reply_fetch_failure(rq, qs, "webhook");
		return;
	}
	res = db_exec(rq->db, &stmt_events, (const char *const[]){row_value(ep, 0, "id")}, &qs);
	PQclear(ep);
	if (res == NULL) {
		http_reply_db_error(rq, qs);
		return;
	}
	http_reply_json(rq, 200, row_json(res, 0, events_fields));
	PQclear(res);
}

static struct db_stmt stmt_replay = DB_STMT(
    "webhooks_replay",
    "UPDATE webhook_event SET delivered_at = NULL, gave_up_at = NULL, next_attempt_at = now(),"
    " replay_requested = true WHERE id = $1 RETURNING id",
    1);

/* POST /v1/webhook-events/{id}/replay: deliver the event again (also one
 * the worker gave up on). 202: the worker picks it up within a second. */
static void
webhooks_replay(struct http_request *rq)
{
	PGresult *res;
	enum db_qs qs = http_fetch_row(rq, &stmt_replay, http_param(rq, "id"), &res);

	if (res == NULL) {
		http_reply_fetch_failure(rq, qs, "webhook event");
		return;
	}
	PQclear(res);
	http_reply_json(rq, 202,
	                json_pack("{s:s, s:s}", "id", http_param(rq, "id"), "status", "queued"));
}

/* --- delivery ------------------------------------------------------- */

static unsigned delivery_pass(struct bg_worker *w);

/* The delivery thread (lib/worker.h); its arg is the configuration. */
static struct bg_worker worker = BG_WORKER_INIT("webhooks", delivery_pass);

static struct db_stmt stmt_claim =
    DB_STMT("webhooks_claim",
            "SELECT event_id, endpoint_id, url, secret_sealed, payload, attempts"
            " FROM kompas_webhook_claim(20, make_interval(secs => $1::int))",
            1);

static struct db_stmt stmt_result =
    DB_STMT("webhooks_result", "SELECT kompas_webhook_result($1, $2, $3, $4, $5)", 5);

static size_t
discard_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	(void)ptr;
	(void)userdata;
	return size * nmemb;
}

/* The signature header value: v1=hex(HMAC-SHA256(secret, "<ts>.<body>")). */
static void
sign(const char *secret, const char *ts, const char *body, char out[80])
{
	crypto_auth_hmacsha256_state st;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];

	crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, strlen(ts));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, strlen(body));
	crypto_auth_hmacsha256_final(&st, mac);
	memcpy(out, "v1=", 3);
	sodium_bin2hex(out + 3, 77, mac, sizeof(mac));
}

/* POST one event; returns the HTTP status (0: no answer) and an error. */
static long
post_event(const struct config *cfg, const char *url, const char *event_id, const char *secret,
           const char *body, char *err, size_t errlen)
{
	CURL *curl = curl_easy_init();
	struct curl_slist *h = NULL;
	char ts[24], sig[80], line[160];
	long status = 0;
	CURLcode rc;

	err[0] = '\0';
	if (curl == NULL) {
		snprintf(err, errlen, "curl_easy_init failed");
		return 0;
	}
	snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
	sign(secret, ts, body, sig);
	h = curl_slist_append(h, "Content-Type: application/json");
	snprintf(line, sizeof(line), "Kompas-Event-Id: %s", event_id);
	h = curl_slist_append(h, line);
	snprintf(line, sizeof(line), "Kompas-Timestamp: %s", ts);
	h = curl_slist_append(h, line);
	snprintf(line, sizeof(line), "Kompas-Signature: %s", sig);
	h = curl_slist_append(h, line);
	h = curl_slist_append(h, "User-Agent: kompasd/" KOMPAS_VERSION);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR,
	                 cfg->webhooks_allow_http ? "http,https" : "https");
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)cfg->webhooks_timeout);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard_body);
	rc = curl_easy_perform(curl);
	if (rc == CURLE_OK) {
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
		if (status < 200 || status > 299)
			snprintf(err, errlen, "answered %ld", status);
	} else {
		snprintf(err, errlen, "%s", curl_easy_strerror(rc));
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(curl);
	return status;
}

static uint64_t
ms_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* Deliver one claimed row and record the result. */
static void
deliver(struct db_conn *c, PGresult *res, int i, void *arg)
{
	const struct config *cfg = arg;
	const char *event_id = row_value(res, i, "event_id");
	size_t len = 0, plen = 0;
	unsigned char *sealed = db_bytea_value(res, i, row_col(res, "secret_sealed"), &len);
	unsigned char *secret = NULL;
	char place[96], err[300], status_text[16], ms_text[16], max_text[16];
	const char *params[5];
	uint64_t start = ms_now();
	long status = 0;
	enum db_qs qs;
	PGresult *r;

	snprintf(place, sizeof(place), "webhook/%s/secret", row_value(res, i, "endpoint_id"));
	if (sealed != NULL)
		secret = crypto_open(app.keys, place, sealed, len, &plen);
	free(sealed);
	if (secret == NULL)
		snprintf(err, sizeof(err), "the endpoint's secret cannot be decrypted");
	else
		status = post_event(cfg, row_value(res, i, "url"), event_id, (const char *)secret,
		                    row_value(res, i, "payload"), err, sizeof(err));
	if (secret != NULL) {
		sodium_memzero(secret, plen);
		free(secret);
	}
	snprintf(status_text, sizeof(status_text), "%ld", status);
	snprintf(ms_text, sizeof(ms_text), "%llu", (unsigned long long)(ms_now() - start));
	snprintf(max_text, sizeof(max_text), "%u", cfg->webhooks_max_attempts);
	params[0] = event_id;
	params[1] = status > 0 ? status_text : NULL;
	params[2] = err[0] ? err : NULL;
	params[3] = ms_text;
	params[4] = max_text;
	r = db_exec(c, &stmt_result, params, &qs);
	if (r == NULL)
		log_msg(LOG_WARN, "webhooks: could not record the result for event %s", event_id);
	else
		PQclear(r);
}

/* Claim and deliver due events; returns how many were claimed. */
static int
deliver_due(struct db_conn *c, const struct config *cfg)
{
	return bg_worker_claim_each(c, &stmt_claim, cfg->webhooks_timeout * 2 + 30, deliver,
	                            (void *)cfg);
}

/* One pass of the delivery thread: deliver what is due; at once again when
 * something was, else in a second. */
static unsigned
delivery_pass(struct bg_worker *w)
{
	struct db_conn *c = bg_worker_db(w);

	return c != NULL && deliver_due(c, w->arg) > 0 ? 0 : 1;
}

int
webhooks_start(const struct config *cfg)
{
	worker.arg = (void *)cfg;
	return bg_worker_start(&worker, cfg->conninfo, cfg->connect_timeout);
}

void
webhooks_stop(void)
{
	bg_worker_stop(&worker);
}

/* The routes of this resource, joined into the one table by api/routes.c. */
static const struct route routes[] = {
    /* webhooks: status back to the portal */
    {"GET", "/v1/webhooks", webhooks_list, DB, ROLE_COORDINATOR, NULL, NULL, NULL},
    {"POST", "/v1/webhooks", webhooks_create, DB | BODY, ROLE_COORDINATOR, webhooks_create_spec,
     NULL, NULL},
    {"DELETE", "/v1/webhooks/{id}", webhooks_delete, DB, ROLE_COORDINATOR, NULL, NULL,
     "id=webhook_endpoint"},
    {"GET", "/v1/webhooks/{id}/events", webhooks_events, DB, ROLE_COORDINATOR, NULL, NULL,
     "id=webhook_endpoint"},
    {"POST", "/v1/webhook-events/{id}/replay", webhooks_replay, DB, ROLE_COORDINATOR, NULL, NULL,
     "id=webhook_event"},
};

API_ROUTES(webhooks_routes, routes);
