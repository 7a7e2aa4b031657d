/* routes.c - every endpoint of kompasd: the resources' tables joined.
 *
 * Each resource file declares its own routes (api/routes.h); this file only
 * lists the tables, in the order the router tries them (the first match
 * wins; router_check_table refuses a route that an earlier one would always
 * take). */
#include "routes.h"

#include <stdlib.h>
#include <string.h>

#include "../lib/mem.h"
#include "pipeline/path_params.h"

extern const struct route_table system_routes;
extern const struct route_table static_routes;
extern const struct route_table sessions_routes;
extern const struct route_table mail_routes;
extern const struct route_table accounts_routes;
extern const struct route_table feeds_routes;
extern const struct route_table api_keys_routes;
extern const struct route_table request_lists_routes;
extern const struct route_table requests_routes;
extern const struct route_table request_workflow_routes;
extern const struct route_table conversations_routes;
extern const struct route_table data_protection_routes;
extern const struct route_table categories_routes;
extern const struct route_table associations_routes;
extern const struct route_table volunteer_lists_routes;
extern const struct route_table volunteers_routes;
extern const struct route_table volunteer_records_routes;
extern const struct route_table courses_routes;
extern const struct route_table referrals_routes;
extern const struct route_table measurements_routes;
extern const struct route_table worklists_routes;
extern const struct route_table event_lists_routes;
extern const struct route_table events_routes;
extern const struct route_table event_series_routes;
extern const struct route_table event_signups_routes;
extern const struct route_table matching_routes;
extern const struct route_table stats_routes;
extern const struct route_table webhooks_routes;
extern const struct route_table centres_routes;

static const struct route_table *const tables[] = {
    &system_routes,
    &static_routes,
    &sessions_routes,
    &mail_routes,
    &accounts_routes,
    &feeds_routes,
    &api_keys_routes,
    &request_lists_routes,
    &requests_routes,
    &request_workflow_routes,
    &conversations_routes,
    &data_protection_routes,
    &categories_routes,
    &associations_routes,
    &volunteer_lists_routes,
    &volunteers_routes,
    &volunteer_records_routes,
    &courses_routes,
    &referrals_routes,
    &measurements_routes,
    &worklists_routes,
    &event_lists_routes,
    &events_routes,
    &event_series_routes,
    &event_signups_routes,
    &matching_routes,
    &stats_routes,
    &webhooks_routes,
    &centres_routes,
};

const struct route *api_routes;
size_t api_nroutes;
static struct route *joined;
static char **labels;

int
api_routes_init(char *why, size_t whylen)
{
	size_t n = 0, k = 0;

	api_routes_cleanup();
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		n += tables[t]->n;
	joined = xcalloc(n, sizeof(*joined));
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		for (size_t i = 0; i < tables[t]->n; i++)
			joined[k++] = tables[t]->routes[i];
	if (router_check_table(joined, n, why, whylen) != 0 ||
	    path_params_check_table(joined, n, why, whylen) != 0) {
		free(joined);
		joined = NULL;
		return -1;
	}
	api_routes = joined;
	api_nroutes = n;
	return 0;
}

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
api_routes_cleanup(void)
{
	if (labels != NULL) {
		for (size_t i = 0; i < api_nroutes; i++)
			free(labels[i]);
		free(labels);
		labels = NULL;
	}
	free(joined);
	joined = NULL;
	api_routes = NULL;
	api_nroutes = 0;
}
