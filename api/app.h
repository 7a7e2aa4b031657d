/* app.h - process-wide state shared by the handlers, set up once by
 * "kompasd serve" before the first request and read-only afterwards. */
#ifndef KOMPAS_APP_H
#define KOMPAS_APP_H

#include <stddef.h>

#include "../lib/config.h"
#include "../lib/router.h"
#include "../lib/spec.h"

#ifndef KOMPAS_VERSION
#define KOMPAS_VERSION "0.0.0-dev"
#endif

struct app {
	const struct config *cfg;
	unsigned schema_expected; /* number of migration files this binary was started with */
	char *openapi;		  /* docs/openapi.yaml, served at /v1/openapi.yaml */
	size_t openapi_len;
	char *index_json; /* the GET /v1 body, built once */
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

/* Handlers, one file per resource. */
void system_healthz(struct http_request *rq);
void system_readyz(struct http_request *rq);
void system_index(struct http_request *rq);
void system_openapi(struct http_request *rq);
void system_metrics(struct http_request *rq);

void centres_list(struct http_request *rq);
void centres_get(struct http_request *rq);
void centres_create(struct http_request *rq);

/* Specs referenced by the route table. */
extern const struct spec_field centres_create_spec[];
extern const struct spec_field centres_list_query[];

#endif
