/* routes.c - every endpoint of kompasd, in one table.
 *
 * Adding an endpoint: a handler in the resource's file, a row here, its
 * statements beside the handler, and the path in docs/openapi.yaml (a test
 * compares this table with that file). Literal paths come before
 * parameterised ones that could match them. */
#include "app.h"
#include "auth.h"

#include <stdlib.h>
#include <string.h>

#include "../lib/mem.h"

#define DB   ROUTE_NEEDS_DB
#define BODY ROUTE_JSON_BODY
#define SESS ROUTE_SESSION_ONLY
/* Reads that may be served by the read replica (see lib/router.h). */
#define RO (ROUTE_NEEDS_DB | ROUTE_REPLICA)

const struct route api_routes[] = {
    /* system */
    {"GET", "/healthz", system_healthz, 0, 0, NULL, NULL},
    {"GET", "/readyz", system_readyz, 0, 0, NULL, NULL},
    {"GET", "/metrics", system_metrics, 0, 0, NULL, NULL},
    {"GET", "/v1", system_index, 0, 0, NULL, NULL},
    {"GET", "/v1/openapi.yaml", system_openapi, 0, 0, NULL, NULL},
    /* the web client (clients/web) */
    {"GET", "/app", static_app_redirect, 0, 0, NULL, NULL},
    {"GET", "/app/", static_app_index, 0, 0, NULL, NULL},
    {"GET", "/app/{path}", static_app_file, ROUTE_REST_PARAM, 0, NULL, NULL},
    /* sessions and the caller */
    {"POST", "/v1/sessions", sessions_create, DB | BODY, 0, sessions_create_spec, NULL},
    {"DELETE", "/v1/sessions/current", sessions_delete_current, DB | SESS, ROLES_ACCOUNTS, NULL,
     NULL},
    {"GET", "/v1/me", sessions_me, DB, ROLES_ALL, NULL, NULL},
    {"PATCH", "/v1/me", me_update, DB | BODY | SESS, ROLES_ACCOUNTS, me_update_spec, NULL},
    {"PUT", "/v1/me/password", me_change_password, DB | BODY | SESS, ROLES_ACCOUNTS,
     me_password_spec, NULL},
    {"POST", "/v1/me/calendar-token", me_calendar_token_create, DB, ROLE_GUIDE, NULL, NULL},
    {"DELETE", "/v1/me/calendar-token", me_calendar_token_revoke, DB, ROLE_GUIDE, NULL, NULL},
    /* accounts */
    {"GET", "/v1/accounts", accounts_list, DB, ROLE_ADMIN | ROLE_COORDINATOR, NULL,
     accounts_list_query},
    {"POST", "/v1/accounts", accounts_create, DB | BODY, ROLE_ADMIN | ROLE_COORDINATOR,
     accounts_create_spec, NULL},
    {"GET", "/v1/accounts/{id}", accounts_get, DB, ROLE_ADMIN | ROLE_COORDINATOR, NULL, NULL},
    {"PATCH", "/v1/accounts/{id}", accounts_update, DB | BODY, ROLE_ADMIN | ROLE_COORDINATOR,
     accounts_update_spec, NULL},
    {"POST", "/v1/accounts/{id}/password", accounts_reset_password, DB | BODY,
     ROLE_ADMIN | ROLE_COORDINATOR, accounts_password_spec, NULL},
    /* integration keys */
    {"GET", "/v1/api-keys", api_keys_list, DB, ROLE_ADMIN | ROLE_COORDINATOR, NULL,
     api_keys_list_query},
    {"POST", "/v1/api-keys", api_keys_create, DB | BODY, ROLE_ADMIN | ROLE_COORDINATOR,
     api_keys_create_spec, NULL},
    {"DELETE", "/v1/api-keys/{id}", api_keys_revoke, DB, ROLE_ADMIN | ROLE_COORDINATOR, NULL, NULL},
    /* requests */
    {"GET", "/v1/requests", requests_list, DB, ROLE_COORDINATOR | ROLE_GUIDE, NULL,
     requests_list_query},
    {"POST", "/v1/requests", requests_create, DB | BODY, ROLE_COORDINATOR | ROLE_PORTAL,
     requests_create_spec, NULL},
    {"POST", "/v1/requests/search", requests_search, DB | BODY, ROLE_COORDINATOR,
     requests_search_spec, NULL},
    {"GET", "/v1/requests/{id}", requests_get, DB, ROLE_COORDINATOR | ROLE_GUIDE, NULL, NULL},
    {"PATCH", "/v1/requests/{id}", requests_update, DB | BODY, ROLE_COORDINATOR,
     requests_update_spec, NULL},
    {"GET", "/v1/requests/{id}/status", requests_status, DB, ROLE_COORDINATOR | ROLE_PORTAL, NULL,
     NULL},
    {"POST", "/v1/requests/{id}/transitions", requests_transition, DB | BODY,
     ROLE_COORDINATOR | ROLE_GUIDE, requests_transition_spec, NULL},
    {"GET", "/v1/requests/{id}/history", requests_history, DB, ROLE_COORDINATOR | ROLE_GUIDE, NULL,
     NULL},
    {"POST", "/v1/requests/{id}/consents", requests_add_consents, DB | BODY,
     ROLE_COORDINATOR | ROLE_PORTAL, requests_consents_spec, NULL},
    {"GET", "/v1/requests/{id}/conversations", conversations_list, DB,
     ROLE_COORDINATOR | ROLE_GUIDE, NULL, NULL},
    {"POST", "/v1/requests/{id}/conversations", conversations_create, DB | BODY,
     ROLE_COORDINATOR | ROLE_GUIDE, conversations_create_spec, NULL},
    {"GET", "/v1/requests/{id}/export", requests_export, DB, ROLE_COORDINATOR, NULL, NULL},
    {"POST", "/v1/requests/{id}/anonymise", requests_anonymise, DB, ROLE_COORDINATOR, NULL, NULL},
    /* categories and associations */
    {"GET", "/v1/categories", categories_list, RO, ROLES_ALL, NULL, categories_list_query},
    {"POST", "/v1/categories", categories_create, DB | BODY, ROLE_ADMIN | ROLE_COORDINATOR,
     categories_create_spec, NULL},
    {"GET", "/v1/categories/{id}", categories_get, DB, ROLES_ALL, NULL, NULL},
    {"PATCH", "/v1/categories/{id}", categories_update, DB | BODY, ROLE_ADMIN | ROLE_COORDINATOR,
     categories_update_spec, NULL},
    {"GET", "/v1/associations", associations_list, RO,
     ROLE_ADMIN | ROLE_COORDINATOR | ROLE_GUIDE | ROLE_ASSOCIATION | ROLE_PORTAL, NULL,
     associations_list_query},
    {"POST", "/v1/associations", associations_create, DB | BODY, ROLE_ADMIN | ROLE_COORDINATOR,
     associations_create_spec, NULL},
    {"GET", "/v1/associations/{id}", associations_get, DB,
     ROLE_ADMIN | ROLE_COORDINATOR | ROLE_GUIDE | ROLE_ASSOCIATION | ROLE_PORTAL, NULL, NULL},
    {"PATCH", "/v1/associations/{id}", associations_update, DB | BODY,
     ROLE_ADMIN | ROLE_COORDINATOR | ROLE_ASSOCIATION, associations_update_spec, NULL},
    /* volunteers */
    {"GET", "/v1/me/volunteer", me_volunteer_get, DB, ROLE_GUIDE, NULL, NULL},
    {"PATCH", "/v1/me/volunteer", me_volunteer_update, DB | BODY, ROLE_GUIDE,
     volunteers_me_update_spec, NULL},
    {"GET", "/v1/volunteers", volunteers_list, DB, ROLE_ADMIN | ROLE_COORDINATOR, NULL,
     volunteers_list_query},
    {"POST", "/v1/volunteers", volunteers_create, DB | BODY, ROLE_COORDINATOR,
     volunteers_create_spec, NULL},
    {"GET", "/v1/volunteers/{id}", volunteers_get, DB, ROLE_ADMIN | ROLE_COORDINATOR | ROLE_GUIDE,
     NULL, NULL},
    {"PATCH", "/v1/volunteers/{id}", volunteers_update, DB | BODY, ROLE_COORDINATOR,
     volunteers_update_spec, NULL},
    {"GET", "/v1/volunteers/{id}/history", volunteers_history, DB,
     ROLE_ADMIN | ROLE_COORDINATOR | ROLE_GUIDE, NULL, volunteers_history_query},
    {"POST", "/v1/volunteers/{id}/trainings", volunteers_add_training, DB | BODY, ROLE_COORDINATOR,
     volunteers_training_spec, NULL},
    {"DELETE", "/v1/volunteers/{id}/trainings/{training_id}", volunteers_delete_training, DB,
     ROLE_COORDINATOR, NULL, NULL},
    {"POST", "/v1/volunteers/{id}/record-checks", volunteers_add_record_check, DB | BODY,
     ROLE_COORDINATOR, volunteers_record_check_spec, NULL},
    {"DELETE", "/v1/volunteers/{id}/record-checks/{check_id}", volunteers_delete_record_check, DB,
     ROLE_COORDINATOR, NULL, NULL},
    /* courses, referrals, measurements */
    {"GET", "/v1/courses", courses_list, DB, ROLE_COORDINATOR | ROLE_GUIDE, NULL,
     courses_list_query},
    {"GET", "/v1/courses/{id}", courses_get, DB, ROLE_COORDINATOR | ROLE_GUIDE, NULL, NULL},
    {"PATCH", "/v1/courses/{id}", courses_update, DB | BODY, ROLE_COORDINATOR, courses_update_spec,
     NULL},
    {"POST", "/v1/courses/{id}/transitions", courses_transition, DB | BODY,
     ROLE_COORDINATOR | ROLE_GUIDE, courses_transition_spec, NULL},
    {"POST", "/v1/courses/{id}/visits", courses_add_visit, DB | BODY, ROLE_COORDINATOR | ROLE_GUIDE,
     courses_visit_spec, NULL},
    {"POST", "/v1/courses/{id}/follow-up", courses_follow_up, DB | BODY,
     ROLE_COORDINATOR | ROLE_GUIDE, courses_follow_up_spec, NULL},
    {"POST", "/v1/requests/{id}/courses", courses_create, DB | BODY, ROLE_COORDINATOR,
     courses_create_spec, NULL},
    {"GET", "/v1/referrals", referrals_list, DB, ROLE_COORDINATOR | ROLE_ASSOCIATION, NULL,
     referrals_list_query},
    {"GET", "/v1/referrals/{id}", referrals_get, DB, ROLE_COORDINATOR | ROLE_ASSOCIATION, NULL,
     NULL},
    {"POST", "/v1/referrals/{id}/transitions", referrals_transition, DB | BODY,
     ROLE_COORDINATOR | ROLE_ASSOCIATION, referrals_transition_spec, NULL},
    {"POST", "/v1/requests/{id}/referrals", referrals_create, DB | BODY, ROLE_COORDINATOR,
     referrals_create_spec, NULL},
    {"GET", "/v1/requests/{id}/measurements", measurements_list, DB, ROLE_COORDINATOR | ROLE_GUIDE,
     NULL, NULL},
    {"POST", "/v1/requests/{id}/measurements", measurements_create, DB | BODY,
     ROLE_COORDINATOR | ROLE_GUIDE, measurements_create_spec, NULL},
    /* the coordinator's work lists */
    {"GET", "/v1/worklists", worklists_get, DB, ROLE_COORDINATOR, NULL, worklists_query},
    /* events */
    {"GET", "/v1/events", events_list, RO,
     ROLE_ADMIN | ROLE_COORDINATOR | ROLE_GUIDE | ROLE_ASSOCIATION, NULL, events_list_query},
    {"POST", "/v1/events", events_create, DB | BODY, ROLE_COORDINATOR | ROLE_ASSOCIATION,
     events_create_spec, NULL},
    {"POST", "/v1/event-series", event_series_create, DB | BODY, ROLE_COORDINATOR,
     event_series_create_spec, NULL},
    {"GET", "/v1/event-series/{id}", event_series_get, DB, ROLE_ADMIN | ROLE_COORDINATOR, NULL,
     NULL},
    {"PATCH", "/v1/event-series/{id}", event_series_update, DB | BODY, ROLE_COORDINATOR,
     event_series_update_spec, NULL},
    {"GET", "/v1/public/events", events_public_list, RO, 0, NULL, events_public_query},
    {"GET", "/v1/events/{id}", events_get, DB,
     ROLE_ADMIN | ROLE_COORDINATOR | ROLE_GUIDE | ROLE_ASSOCIATION, NULL, NULL},
    {"PATCH", "/v1/events/{id}", events_update, DB | BODY, ROLE_COORDINATOR | ROLE_ASSOCIATION,
     events_update_spec, NULL},
    {"GET", "/v1/events/{id}/signups", event_signups_list, DB, ROLE_COORDINATOR, NULL,
     event_signups_list_query},
    {"POST", "/v1/events/{id}/signups", event_signups_create, DB | BODY,
     ROLE_COORDINATOR | ROLE_GUIDE | ROLE_ASSOCIATION, event_signups_create_spec, NULL},
    {"DELETE", "/v1/events/{id}/signups/{signup_id}", event_signups_cancel, DB,
     ROLE_COORDINATOR | ROLE_GUIDE | ROLE_ASSOCIATION, NULL, NULL},
    /* feeds */
    {"GET", "/v1/events.ics", events_ics, RO, 0, NULL, events_ics_query},
    {"GET", "/v1/hsds/organizations", hsds_organizations, RO, 0, NULL, hsds_list_query},
    {"GET", "/v1/hsds/services", hsds_services, RO, 0, NULL, hsds_list_query},
    {"GET", "/v1/guides/calendar/{token}", guide_calendar, DB, 0, NULL, NULL},
    /* matching */
    {"GET", "/v1/requests/{id}/guide-suggestions", matching_guide_suggestions, DB, ROLE_COORDINATOR,
     NULL, matching_guides_query},
    {"GET", "/v1/requests/{id}/activity-suggestions", matching_activity_suggestions, DB,
     ROLE_COORDINATOR | ROLE_GUIDE, NULL, matching_activities_query},
    /* statistics */
    {"GET", "/v1/stats/funnel", stats_funnel, RO, ROLE_ANALYST | ROLE_COORDINATOR, NULL,
     stats_query},
    {"GET", "/v1/stats/outcomes", stats_outcomes, RO, ROLE_ANALYST | ROLE_COORDINATOR, NULL,
     stats_query},
    {"GET", "/v1/stats/courses", stats_courses, RO, ROLE_ANALYST | ROLE_COORDINATOR, NULL,
     stats_query},
    {"GET", "/v1/stats/volunteers", stats_volunteers, RO, ROLE_ANALYST | ROLE_COORDINATOR, NULL,
     stats_query},
    {"GET", "/v1/stats/associations", stats_associations, RO, ROLE_ANALYST | ROLE_COORDINATOR, NULL,
     stats_query},
    /* webhooks: status back to the portal */
    {"GET", "/v1/webhooks", webhooks_list, DB, ROLE_COORDINATOR, NULL, NULL},
    {"POST", "/v1/webhooks", webhooks_create, DB | BODY, ROLE_COORDINATOR, webhooks_create_spec,
     NULL},
    {"DELETE", "/v1/webhooks/{id}", webhooks_delete, DB, ROLE_COORDINATOR, NULL, NULL},
    {"GET", "/v1/webhooks/{id}/events", webhooks_events, DB, ROLE_COORDINATOR, NULL, NULL},
    {"POST", "/v1/webhook-events/{id}/replay", webhooks_replay, DB, ROLE_COORDINATOR, NULL, NULL},
    /* centres */
    {"GET", "/v1/centres", centres_list, RO, 0, NULL, centres_list_query},
    {"POST", "/v1/centres", centres_create, DB | BODY, ROLE_ADMIN, centres_create_spec, NULL},
    {"GET", "/v1/centres/{id}", centres_get, RO, 0, NULL, NULL},
    {"PATCH", "/v1/centres/{id}", centres_update, DB | BODY, ROLE_ADMIN, centres_update_spec, NULL},
};

const size_t api_nroutes = sizeof(api_routes) / sizeof(api_routes[0]);

static char **labels;

const char *const *
api_route_labels(void)
{
	if (labels == NULL) {
		labels = xcalloc(api_nroutes, sizeof(*labels));
		for (size_t i = 0; i < api_nroutes; i++) {
			size_t n = strlen(api_routes[i].method) + strlen(api_routes[i].pattern) + 2;

			labels[i] = xmalloc(n);
			strcpy(labels[i], api_routes[i].method);
			strcat(labels[i], " ");
			strcat(labels[i], api_routes[i].pattern);
		}
	}
	return (const char *const *)labels;
}

void
api_route_labels_free(void)
{
	if (labels == NULL)
		return;
	for (size_t i = 0; i < api_nroutes; i++)
		free(labels[i]);
	free(labels);
	labels = NULL;
}
