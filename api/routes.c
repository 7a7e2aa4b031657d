/* routes.c - every endpoint of kompasd, in one table.
 *
 * Adding an endpoint: a handler in the resource's file, a row here, its
 * statements beside the handler, and the path in docs/openapi.yaml (a test
 * compares this table with that file). Literal paths come before
 * parameterised ones that could match them. */
#include "app.h"

#include <stdlib.h>
#include <string.h>

#include "../lib/mem.h"

const struct route api_routes[] = {
    /* system */
    {"GET", "/healthz", system_healthz, 0, 0, NULL, NULL},
    {"GET", "/readyz", system_readyz, 0, 0, NULL, NULL},
    {"GET", "/metrics", system_metrics, 0, 0, NULL, NULL},
    {"GET", "/v1", system_index, 0, 0, NULL, NULL},
    {"GET", "/v1/openapi.yaml", system_openapi, 0, 0, NULL, NULL},
    /* centres */
    {"GET", "/v1/centres", centres_list, ROUTE_NEEDS_DB, 0, NULL, centres_list_query},
    {"POST", "/v1/centres", centres_create, ROUTE_NEEDS_DB | ROUTE_JSON_BODY, 0,
     centres_create_spec, NULL},
    {"GET", "/v1/centres/{id}", centres_get, ROUTE_NEEDS_DB, 0, NULL, NULL},
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
