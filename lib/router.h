/* router.h - matching method and path against the route table.
 *
 * Patterns are absolute paths whose segments are literals or {name}
 * parameters: "/v1/requests/{id}/history". A parameter matches one
 * non-empty segment; on a route with ROUTE_REST_PARAM the last parameter
 * takes the rest of the path instead (one or more characters, slashes
 * included): "/app/{path}" matches "/app/js/app.js". The first route in table order whose pattern
 * and method match wins, so literal routes belong before parameterised ones. HEAD is answered by
 * GET routes. */
#ifndef KOMPAS_ROUTER_H
#define KOMPAS_ROUTER_H

#include <stddef.h>

#define ROUTER_MAX_PARAMS    4
#define ROUTER_MAX_PARAM_LEN 128

struct http_request;
struct spec_field;

/* A handler answers by setting a response on rq (see http.h); it must not
 * call MHD_queue_response itself. */
typedef void (*route_handler)(struct http_request *rq);

/* Flags for struct route.
 * ROUTE_NEEDS_DB: the glue hands the handler this worker's connection, or
 *   answers 503.
 * ROUTE_JSON_BODY: the request must carry a JSON body (413, 415 and 400 are
 *   checked first).
 * ROUTE_SESSION_ONLY: a login session is needed; integration keys get 403.
 * ROUTE_REPLICA: the handler only reads and may see data a few seconds old:
 *   it runs on the read replica when one is configured and current (on a
 *   route with roles, after authorization on the primary), else on the
 *   primary.
 * ROUTE_REST_PARAM: the pattern ends in a parameter that matches the rest
 *   of the path, slashes included (at most ROUTER_MAX_PARAM_LEN bytes). */
#define ROUTE_NEEDS_DB     0x1u
#define ROUTE_JSON_BODY    0x2u
#define ROUTE_SESSION_ONLY 0x4u
#define ROUTE_REPLICA      0x8u
#define ROUTE_REST_PARAM   0x10u

struct route {
	const char *method;  /* "GET", "POST", "PUT", "PATCH", "DELETE" */
	const char *pattern; /* "/v1/requests/{id}" */
	route_handler handler;
	unsigned flags;
	unsigned roles; /* bit set of caller roles allowed; 0 = public (no credential needed) */
	const struct spec_field *body_spec;  /* validated before the handler when set */
	const struct spec_field *query_spec; /* validated before the handler when set */
	/* What each path parameter names, in pattern order: "id=request" or
	 * "id=volunteer training_id=volunteer_training" (a table, or a kind
	 * such as "file"); NULL on a pattern without parameters. Read by
	 * `kompasd routes`, docs/roles.md and the role tests, which find the
	 * rows to name from it. */
	const char *params;
};

enum router_result { ROUTER_FOUND, ROUTER_NOT_FOUND, ROUTER_METHOD_NOT_ALLOWED };

struct router_match {
	const struct route *route;
	size_t index; /* position in the table */
	unsigned nparams;
	struct {
		char name[32];
		char value[ROUTER_MAX_PARAM_LEN + 1];
	} params[ROUTER_MAX_PARAMS];
	char allow[96]; /* for 405: "GET, HEAD, POST" */
};

/* Match method and path (without query string) against n routes. On
 * ROUTER_FOUND, m->route, m->index and the parameters are set. On
 * ROUTER_METHOD_NOT_ALLOWED, m->allow lists the methods the path supports.
 * A path segment longer than ROUTER_MAX_PARAM_LEN never matches a
 * parameter. Cannot fail otherwise; keeps no pointer to its arguments. */
enum router_result router_match(const struct route *routes, size_t n, const char *method,
                                const char *path, struct router_match *m);

/* Check a table: patterns start with '/', braces balanced, parameter names
 * at most 31 characters and at most ROUTER_MAX_PARAMS, no (method, pattern)
 * twice, no route that an earlier one of its method always takes (its
 * pattern covered segment by segment), roles only on routes with
 * ROUTE_NEEDS_DB (authorization reads the database), ROUTE_REST_PARAM only
 * on a pattern ending in a parameter, and params naming exactly the
 * pattern's parameters in order ("name=what", one space apart). Returns 0,
 * or -1 with the reason in why. */
int router_check_table(const struct route *routes, size_t n, char *why, size_t whylen);

/* What the i-th path parameter of r names (its "what" in r->params, not
 * NUL-terminated): sets *what and returns its length, or 0 when r declares
 * fewer parameters. */
size_t router_param_what(const struct route *r, unsigned i, const char **what);

/* The value of path parameter name in m, or NULL. */
const char *router_param(const struct router_match *m, const char *name);

#endif
