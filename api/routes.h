/* routes.h - how a resource declares its routes.
 *
 * Each resource file (api/handlers/requests.c, api/handlers/courses.c, ...) ends with its own
 * table of routes with static handlers and specs beside them:
 *
 *     static const struct route routes[] = {
 *         {"GET", "/v1/things/{id}", things_get, DB, ROLE_COORDINATOR, NULL, NULL},
 *     };
 *     API_ROUTES(things_routes, routes);
 *
 * and api/routes.c joins the resources' tables into the one table the
 * server matches against (lib/router.h). Adding an endpoint to a resource
 * touches that resource's file, docs/openapi.yaml and a test. */
#ifndef KOMPAS_ROUTES_H
#define KOMPAS_ROUTES_H

#include <stddef.h>

#include "../lib/router.h"
#include "pipeline/auth.h" /* the roles of a route */

/* Short flags for the tables (lib/router.h). */
#define DB   ROUTE_NEEDS_DB
#define BODY ROUTE_JSON_BODY
#define SESS ROUTE_SESSION_ONLY
/* Reads that may be served by the read replica (see lib/router.h). */
#define RO (ROUTE_NEEDS_DB | ROUTE_REPLICA)

/* One resource's routes: n rows of a static array. */
struct route_table {
	const struct route *routes;
	size_t n;
};

/* Export the static array rows as the resource's table `name`, which
 * api/routes.c lists. */
#define API_ROUTES(name, rows)                                                                     \
	const struct route_table name = {(rows), sizeof(rows) / sizeof((rows)[0])}

/* Join the resources' tables (api/routes.c) into api_routes, in the order
 * routes.c lists them, and check the result (lib/router.h's
 * router_check_table). Call once at start, before any thread reads
 * api_routes. Returns 0, or -1 with the reason in why (nothing to free). */
int api_routes_init(char *why, size_t whylen);

/* Free the joined table and the labels; api_routes is NULL afterwards. */
void api_routes_cleanup(void);

/* The joined table and its length, set by api_routes_init. */
extern const struct route *api_routes;
extern size_t api_nroutes;

/* Labels "METHOD pattern" for each route of the joined table, for metrics,
 * owned by this module (freed by api_routes_cleanup). */
const char *const *api_route_labels(void);

#endif
