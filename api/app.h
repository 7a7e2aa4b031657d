/* app.h - process-wide state shared by the handlers, set up once by
 * "kompasd serve" before the first request and read-only afterwards. */
#ifndef KOMPAS_APP_H
#define KOMPAS_APP_H

#include <stddef.h>
#include <stdio.h>

#include <libpq-fe.h>

#include "../lib/config.h"
#include "../lib/router.h"
#include "../lib/spec.h"

#ifndef KOMPAS_VERSION
#define KOMPAS_VERSION "0.0.0-dev"
#endif

struct crypto_keys;

struct app {
	const struct config *cfg;
	unsigned schema_expected; /* number of migration files this binary was started with */
	char *openapi;            /* docs/openapi.yaml, served at /v1/openapi.yaml */
	size_t openapi_len;
	struct crypto_keys *keys; /* from the key file */
	char dummy_hash[128];     /* argon2id of a random password, for unknown logins */
	char *index_json;         /* the GET /v1 body, built once */
	size_t index_len;
};

extern struct app app;

/* CORS (api/pipeline/cors.c): is origin one of the centres' configured web origins?
 * Cached for 30 s. cors_cleanup frees the cache at exit. */
bool cors_origin_allowed(const char *origin);
void cors_cleanup(void);

/* Password policy (api/passwords.c): NULL when password is acceptable for
 * the account with this e-mail, else the reason in English. */
const char *password_problem(const char *password, const char *email);

/* Bootstrap commands (api/commands/bootstrap.c), run as the schema owner. They print
 * what they did or why not, and return a process exit status. */
int cmd_create_admin(const struct config *cfg, const char *email, const char *name);
int cmd_create_centre(const struct config *cfg, const char *slug, const char *name,
                      const char *municipality);

/* Maintenance (api/jobs/maintenance.c): the hourly scheduler thread in serve,
 * and the same jobs as subcommands (exit statuses). */
int maintenance_start(const struct config *cfg);
void maintenance_stop(void);
struct db_conn;
long long maintenance_purge_access_log(struct db_conn *c, unsigned days);
int cmd_rotate_keys(const struct config *cfg);
int cmd_purge_access_log(const struct config *cfg);
long long maintenance_anonymise_due(struct db_conn *c);
int cmd_anonymise(const struct config *cfg);

/* Bulk loads (api/commands/seal_copy.c): read COPY text rows "id, name, phone,
 * email, address, notes" from in and write "id, the five sealed values,
 * phone and e-mail blind indexes" to out, sealed as POST /v1/requests
 * seals them. Returns a process exit status; a bad line stops it. */
int cmd_seal_requests(const struct config *cfg, FILE *in, FILE *out);

/* Idempotency-Key (api/pipeline/idempotency.c), called by the pipeline inside a route's
 * transaction: before the handler (a replay or a conflict sets the response
 * instead of the handler's) and after a handler answered below 400 (the
 * answer is stored for replays). Both return a query status. */
enum db_qs idempotency_before(struct http_request *rq);
enum db_qs idempotency_after(struct http_request *rq);

/* E-mail (api/jobs/mail.c). mail_check_config: 0, or -1 with the reason in err
 * when [mail] is set but unusable (serve and check-config refuse it).
 * mail_start starts the mail thread when [mail] server is set (0: started
 * or mail is off; -1: the thread could not be made); mail_stop stops it and
 * wipes the password. Both run in the main thread only. */
int mail_check_config(const struct config *cfg, char *err, size_t errlen);
int mail_start(const struct config *cfg);
void mail_stop(void);

/* Append the mail thread's counters (sent, failed attempts, given up) to a
 * GET /metrics body in Prometheus text format. */
struct buf;
void mail_metrics_render(struct buf *b);

/* GET /v1/me (api/handlers/sessions.c): answer with the caller's account, role and
 * settings; PATCH /v1/me (api/jobs/mail.c) answers with it after a change.
 * Replies on rq itself (200, or the database error). */
void sessions_me(struct http_request *rq);

/* Add the caller's e-mail settings to the GET /v1/me body `me`:
 * mail_enabled, and for accounts notifications {kind: on} for the kinds
 * their role receives. Returns 0, or -1 after answering a database error. */
int mail_me_settings(struct http_request *rq, json_t *me);

/* Render the Danish subject and body of a mail of `kind` from its outbox
 * payload (ids, counts, dates), with links under base_url. Appends to
 * subject and body (not NUL-terminated). Returns 0, or -1 for an unknown
 * kind. Never puts anything but the payload's ids, counts and dates in. */
int mail_render(const char *kind, const json_t *payload, const char *base_url, struct buf *subject,
                struct buf *body);

/* The caller's work lists (the GET /v1/worklists statement, default
 * thresholds) on connection c, in a transaction whose context is a
 * centre's coordinator: one row, one JSON column; NULL with *qs below 0 on
 * failure. The caller frees the result. */
struct db_conn;
PGresult *worklists_fetch(struct db_conn *c, enum db_qs *qs);

/* Webhooks (api/jobs/webhooks.c): the delivery thread in serve. */
int webhooks_start(const struct config *cfg);
void webhooks_stop(void);

/* Handlers and their specs are static in their resource's file, which
 * declares its routes itself (api/routes.h). */

#endif
