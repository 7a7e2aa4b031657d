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

/* The route table (api/routes.c) and its length. */
extern const struct route api_routes[];
extern const size_t api_nroutes;

/* Labels "METHOD pattern" for each route, for metrics (api/routes.c). */
const char *const *api_route_labels(void);

/* Free the labels made by api_route_labels (at exit). */
void api_route_labels_free(void);

/* CORS (api/cors.c): is origin one of the centres' configured web origins?
 * Cached for 30 s. cors_cleanup frees the cache at exit. */
bool cors_origin_allowed(const char *origin);
void cors_cleanup(void);

/* Password policy (api/passwords.c): NULL when password is acceptable for
 * the account with this e-mail, else the reason in English. */
const char *password_problem(const char *password, const char *email);

/* Bootstrap commands (api/bootstrap.c), run as the schema owner. They print
 * what they did or why not, and return a process exit status. */
int cmd_create_admin(const struct config *cfg, const char *email, const char *name);
int cmd_create_centre(const struct config *cfg, const char *slug, const char *name,
                      const char *municipality);

/* Maintenance (api/maintenance.c): the hourly scheduler thread in serve,
 * and the same jobs as subcommands (exit statuses). */
int maintenance_start(const struct config *cfg);
void maintenance_stop(void);
struct db_conn;
long long maintenance_purge_access_log(struct db_conn *c, unsigned days);
int cmd_rotate_keys(const struct config *cfg);
int cmd_purge_access_log(const struct config *cfg);
long long maintenance_anonymise_due(struct db_conn *c);
int cmd_anonymise(const struct config *cfg);

/* Bulk loads (api/seal_copy.c): read COPY text rows "id, name, phone,
 * email, address, notes" from in and write "id, the five sealed values,
 * phone and e-mail blind indexes" to out, sealed as POST /v1/requests
 * seals them. Returns a process exit status; a bad line stops it. */
int cmd_seal_requests(const struct config *cfg, FILE *in, FILE *out);

/* Idempotency-Key (api/idempotency.c): the before/after handler hooks. */
enum db_qs idempotency_before(struct http_request *rq);
enum db_qs idempotency_after(struct http_request *rq);

/* E-mail (api/mail.c). mail_check_config: 0, or -1 with the reason in err
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

/* PATCH /v1/me (api/mail.c): the caller's own e-mail settings. */
void me_update(struct http_request *rq);
extern const struct spec_field me_update_spec[];

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

/* Webhooks (api/webhooks.c): the delivery thread in serve. */
int webhooks_start(const struct config *cfg);
void webhooks_stop(void);
void webhooks_create(struct http_request *rq);
void webhooks_list(struct http_request *rq);
void webhooks_delete(struct http_request *rq);
void webhooks_events(struct http_request *rq);
void webhooks_replay(struct http_request *rq);
extern const struct spec_field webhooks_create_spec[];

/* Handlers, one file per resource. */
void system_healthz(struct http_request *rq);
void system_readyz(struct http_request *rq);
void system_index(struct http_request *rq);
void system_openapi(struct http_request *rq);
void system_metrics(struct http_request *rq);

/* The web client (api/static.c): files of [paths] web_root under /app/. */
void static_app_redirect(struct http_request *rq);
void static_app_index(struct http_request *rq);
void static_app_file(struct http_request *rq);

void centres_list(struct http_request *rq);
void centres_get(struct http_request *rq);
void centres_create(struct http_request *rq);
void centres_update(struct http_request *rq);

void sessions_create(struct http_request *rq);
void sessions_delete_current(struct http_request *rq);
void sessions_me(struct http_request *rq);

void accounts_create(struct http_request *rq);
void accounts_list(struct http_request *rq);
void accounts_get(struct http_request *rq);
void accounts_update(struct http_request *rq);
void accounts_reset_password(struct http_request *rq);
void me_change_password(struct http_request *rq);

void requests_create(struct http_request *rq);
void requests_list(struct http_request *rq);
void requests_get(struct http_request *rq);
void requests_status(struct http_request *rq);
void requests_search(struct http_request *rq);
void requests_transition(struct http_request *rq);
void requests_history(struct http_request *rq);
void requests_add_consents(struct http_request *rq);
void requests_update(struct http_request *rq);
void requests_anonymise(struct http_request *rq);
void worklists_get(struct http_request *rq);
extern const struct spec_field worklists_query[];
void requests_export(struct http_request *rq);
void conversations_create(struct http_request *rq);
void conversations_list(struct http_request *rq);

void api_keys_create(struct http_request *rq);
void api_keys_list(struct http_request *rq);
void api_keys_revoke(struct http_request *rq);

/* Categories and associations (api/categories.c, api/associations.c). */
void categories_list(struct http_request *rq);
void categories_get(struct http_request *rq);
void categories_create(struct http_request *rq);
void categories_update(struct http_request *rq);
void associations_list(struct http_request *rq);
void associations_get(struct http_request *rq);
void associations_create(struct http_request *rq);
void associations_update(struct http_request *rq);
extern const struct spec_field categories_list_query[];
extern const struct spec_field categories_create_spec[];
extern const struct spec_field categories_update_spec[];
extern const struct spec_field associations_list_query[];
extern const struct spec_field associations_create_spec[];
extern const struct spec_field associations_update_spec[];

/* Volunteers (api/volunteers.c). */
void volunteers_list(struct http_request *rq);
void volunteers_get(struct http_request *rq);
void volunteers_create(struct http_request *rq);
void volunteers_update(struct http_request *rq);
void volunteers_history(struct http_request *rq);
void volunteers_add_training(struct http_request *rq);
void volunteers_delete_training(struct http_request *rq);
void volunteers_add_record_check(struct http_request *rq);
void volunteers_delete_record_check(struct http_request *rq);
void me_volunteer_get(struct http_request *rq);
void me_volunteer_update(struct http_request *rq);
extern const struct spec_field volunteers_list_query[];
extern const struct spec_field volunteers_history_query[];
extern const struct spec_field volunteers_create_spec[];
extern const struct spec_field volunteers_update_spec[];
extern const struct spec_field volunteers_me_update_spec[];
extern const struct spec_field volunteers_training_spec[];
extern const struct spec_field volunteers_record_check_spec[];

/* Events, series and sign-ups (api/events.c). */
void events_list(struct http_request *rq);
void events_public_list(struct http_request *rq);
void events_get(struct http_request *rq);
void events_create(struct http_request *rq);
void events_update(struct http_request *rq);
void event_series_create(struct http_request *rq);
void event_series_get(struct http_request *rq);
void event_series_update(struct http_request *rq);
void event_signups_list(struct http_request *rq);
void event_signups_create(struct http_request *rq);
void event_signups_cancel(struct http_request *rq);
extern const struct spec_field events_list_query[];
extern const struct spec_field events_public_query[];
extern const struct spec_field events_create_spec[];
extern const struct spec_field events_update_spec[];
extern const struct spec_field event_series_create_spec[];
extern const struct spec_field event_series_update_spec[];
extern const struct spec_field event_signups_list_query[];
extern const struct spec_field event_signups_create_spec[];

/* Public feeds of a centre (api/feeds.c): iCalendar and HSDS 3.0. */
void events_ics(struct http_request *rq);
void hsds_organizations(struct http_request *rq);
void hsds_services(struct http_request *rq);
void me_calendar_token_create(struct http_request *rq);
void me_calendar_token_revoke(struct http_request *rq);
void guide_calendar(struct http_request *rq);
extern const struct spec_field events_ics_query[];
extern const struct spec_field hsds_list_query[];

/* Matching suggestions for a request (api/matching.c). */
void matching_guide_suggestions(struct http_request *rq);
void matching_activity_suggestions(struct http_request *rq);
extern const struct spec_field matching_guides_query[];
extern const struct spec_field matching_activities_query[];

/* Specs referenced by the route table. */
extern const struct spec_field centres_create_spec[];
extern const struct spec_field centres_list_query[];
extern const struct spec_field centres_update_spec[];
extern const struct spec_field sessions_create_spec[];
extern const struct spec_field accounts_create_spec[];
extern const struct spec_field accounts_update_spec[];
extern const struct spec_field accounts_password_spec[];
extern const struct spec_field accounts_list_query[];
extern const struct spec_field me_password_spec[];
extern const struct spec_field api_keys_create_spec[];
extern const struct spec_field api_keys_list_query[];
extern const struct spec_field requests_create_spec[];
extern const struct spec_field requests_list_query[];
extern const struct spec_field requests_search_spec[];
extern const struct spec_field requests_transition_spec[];
extern const struct spec_field requests_consents_spec[];
extern const struct spec_field requests_update_spec[];
extern const struct spec_field conversations_create_spec[];

/* Courses, referrals, measurements (api/courses.c, api/referrals.c,
 * api/measurements.c). */
void courses_create(struct http_request *rq);
void courses_list(struct http_request *rq);
void courses_get(struct http_request *rq);
void courses_update(struct http_request *rq);
void courses_transition(struct http_request *rq);
void courses_add_visit(struct http_request *rq);
void courses_follow_up(struct http_request *rq);
void referrals_create(struct http_request *rq);
void referrals_list(struct http_request *rq);
void referrals_get(struct http_request *rq);
void referrals_transition(struct http_request *rq);
void measurements_create(struct http_request *rq);
void measurements_list(struct http_request *rq);
extern const struct spec_field courses_create_spec[];
extern const struct spec_field courses_update_spec[];
extern const struct spec_field courses_transition_spec[];
extern const struct spec_field courses_visit_spec[];
extern const struct spec_field courses_follow_up_spec[];
extern const struct spec_field courses_list_query[];
extern const struct spec_field referrals_create_spec[];
extern const struct spec_field referrals_transition_spec[];
extern const struct spec_field referrals_list_query[];
extern const struct spec_field measurements_create_spec[];

/* Statistics (api/stats.c). */
void stats_funnel(struct http_request *rq);
void stats_outcomes(struct http_request *rq);
void stats_courses(struct http_request *rq);
void stats_volunteers(struct http_request *rq);
void stats_associations(struct http_request *rq);
extern const struct spec_field stats_query[];

#endif
