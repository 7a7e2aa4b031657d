/* test_router.c - unit tests for lib/router.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "../../lib/router.h"

static void
h_a(struct http_request *rq)
{
	(void)rq;
}

static void
h_b(struct http_request *rq)
{
	(void)rq;
}

/* Literal routes before parameterised ones, as the table order requires. */
static const struct route table[] = {
    {.method = "GET", .pattern = "/v1/health", .handler = h_a},                             /* 0 */
    {.method = "GET", .pattern = "/v1/centres", .handler = h_a},                            /* 1 */
    {.method = "POST", .pattern = "/v1/centres", .handler = h_b},                           /* 2 */
    {.method = "GET", .pattern = "/v1/centres/stats", .handler = h_a},                      /* 3 */
    {.method = "GET", .pattern = "/v1/centres/{id}", .handler = h_a, .params = "id=thing"}, /* 4 */
    {.method = "PATCH",
     .pattern = "/v1/centres/{id}",
     .handler = h_b,
     .params = "id=thing"}, /* 5 */
    {.method = "DELETE",
     .pattern = "/v1/centres/{id}",
     .handler = h_b,
     .params = "id=thing"}, /* 6 */
    {.method = "GET",
     .pattern = "/v1/requests/{id}/history",
     .handler = h_a,
     .params = "id=thing"}, /* 7 */
    {.method = "PUT",
     .pattern = "/v1/centres/{centre}/staff/{staff}",
     .handler = h_b,
     .params = "centre=thing staff=thing"},                      /* 8 */
    {.method = "POST", .pattern = "/v1/upload", .handler = h_b}, /* 9 */
};

#define NTABLE (sizeof(table) / sizeof(table[0]))

static enum router_result
match(const char *method, const char *path, struct router_match *m)
{
	memset(m, 0x5A, sizeof(*m));
	return router_match(table, NTABLE, method, path, m);
}

static void
test_table_is_valid(void **state)
{
	char why[128] = "";

	(void)state;
	assert_int_equal(router_check_table(table, NTABLE, why, sizeof(why)), 0);
}

static void
test_literal_match(void **state)
{
	struct router_match m;

	(void)state;
	assert_int_equal(match("GET", "/v1/health", &m), ROUTER_FOUND);
	assert_ptr_equal(m.route, &table[0]);
	assert_int_equal(m.index, 0);
	assert_int_equal(m.nparams, 0);

	assert_int_equal(match("GET", "/v1/centres", &m), ROUTER_FOUND);
	assert_int_equal(m.index, 1);
	assert_ptr_equal(m.route->handler, h_a);

	assert_int_equal(match("POST", "/v1/centres", &m), ROUTER_FOUND);
	assert_int_equal(m.index, 2);
	assert_ptr_equal(m.route->handler, h_b);
	assert_string_equal(m.route->method, "POST");
}

static void
test_params(void **state)
{
	struct router_match m;

	(void)state;
	assert_int_equal(match("GET", "/v1/centres/abc-123", &m), ROUTER_FOUND);
	assert_int_equal(m.index, 4);
	assert_int_equal(m.nparams, 1);
	assert_string_equal(m.params[0].name, "id");
	assert_string_equal(m.params[0].value, "abc-123");
	assert_string_equal(router_param(&m, "id"), "abc-123");
	assert_null(router_param(&m, "ID"));
	assert_null(router_param(&m, "centre"));

	assert_int_equal(match("GET", "/v1/requests/42/history", &m), ROUTER_FOUND);
	assert_int_equal(m.index, 7);
	assert_int_equal(m.nparams, 1);
	assert_string_equal(router_param(&m, "id"), "42");

	assert_int_equal(match("PUT", "/v1/centres/c9/staff/s7", &m), ROUTER_FOUND);
	assert_int_equal(m.index, 8);
	assert_int_equal(m.nparams, 2);
	assert_string_equal(m.params[0].name, "centre");
	assert_string_equal(m.params[1].name, "staff");
	assert_string_equal(router_param(&m, "centre"), "c9");
	assert_string_equal(router_param(&m, "staff"), "s7");
}

static void
test_param_does_not_match_empty_or_several_segments(void **state)
{
	struct router_match m;

	(void)state;
	assert_int_equal(match("GET", "/v1/requests/7/history", &m), ROUTER_FOUND);
	/* empty segment */
	assert_int_equal(match("GET", "/v1/requests//history", &m), ROUTER_NOT_FOUND);
	/* a parameter is one segment, never two */
	assert_int_equal(match("GET", "/v1/requests/a/b/history", &m), ROUTER_NOT_FOUND);
	assert_int_equal(match("GET", "/v1/centres/a/b", &m), ROUTER_NOT_FOUND);
	/* missing segment */
	assert_int_equal(match("GET", "/v1/requests/history", &m), ROUTER_NOT_FOUND);
}

static void
test_head_is_answered_by_get(void **state)
{
	struct router_match m;

	(void)state;
	assert_int_equal(match("HEAD", "/v1/health", &m), ROUTER_FOUND);
	assert_int_equal(m.index, 0);
	assert_string_equal(m.route->method, "GET");

	assert_int_equal(match("HEAD", "/v1/centres/x", &m), ROUTER_FOUND);
	assert_int_equal(m.index, 4);
	assert_string_equal(router_param(&m, "id"), "x");

	/* no GET route: HEAD is not allowed either */
	assert_int_equal(match("HEAD", "/v1/upload", &m), ROUTER_METHOD_NOT_ALLOWED);
	assert_string_equal(m.allow, "POST");
}

static void
test_not_found(void **state)
{
	struct router_match m;

	(void)state;
	assert_int_equal(match("GET", "/v1/health", &m), ROUTER_FOUND);
	assert_int_equal(match("GET", "/v1/nothing", &m), ROUTER_NOT_FOUND);
	assert_null(m.route);
	assert_int_equal(match("POST", "/v1/nothing", &m), ROUTER_NOT_FOUND);
	assert_null(m.route);
	assert_int_equal(match("GET", "/", &m), ROUTER_NOT_FOUND);
	assert_int_equal(match("GET", "", &m), ROUTER_NOT_FOUND);
	assert_int_equal(match("GET", "/v1", &m), ROUTER_NOT_FOUND);
	assert_int_equal(match("GET", "v1/health", &m), ROUTER_NOT_FOUND);
	/* matching is case-sensitive */
	assert_int_equal(match("GET", "/V1/health", &m), ROUTER_NOT_FOUND);
	/* prefixes and extensions do not match */
	assert_int_equal(match("GET", "/v1/healthz", &m), ROUTER_NOT_FOUND);
	assert_int_equal(match("GET", "/v1/heal", &m), ROUTER_NOT_FOUND);
	assert_int_equal(match("GET", "/v1/health/x", &m), ROUTER_NOT_FOUND);
}

static void
test_method_not_allowed_lists_allow(void **state)
{
	struct router_match m;

	(void)state;
	assert_int_equal(match("DELETE", "/v1/centres", &m), ROUTER_METHOD_NOT_ALLOWED);
	assert_null(m.route);
	assert_string_equal(m.allow, "GET, HEAD, POST");

	assert_int_equal(match("POST", "/v1/health", &m), ROUTER_METHOD_NOT_ALLOWED);
	assert_string_equal(m.allow, "GET, HEAD");

	assert_int_equal(match("POST", "/v1/centres/x", &m), ROUTER_METHOD_NOT_ALLOWED);
	assert_string_equal(m.allow, "GET, HEAD, PATCH, DELETE");

	assert_int_equal(match("GET", "/v1/upload", &m), ROUTER_METHOD_NOT_ALLOWED);
	assert_string_equal(m.allow, "POST");

	/* an unknown method on a known path is 405, not 404 */
	assert_int_equal(match("BREW", "/v1/health", &m), ROUTER_METHOD_NOT_ALLOWED);
	assert_string_equal(m.allow, "GET, HEAD");
}

static void
test_allow_covers_literal_and_param_routes(void **state)
{
	struct router_match m;

	(void)state;
	/* "/v1/centres/stats" is matched by the literal GET and by the
	 * parameterised PATCH and DELETE routes */
	assert_int_equal(match("POST", "/v1/centres/stats", &m), ROUTER_METHOD_NOT_ALLOWED);
	assert_string_equal(m.allow, "GET, HEAD, PATCH, DELETE");
}

static void
test_table_order_wins(void **state)
{
	struct router_match m;

	(void)state;
	/* the literal route comes first */
	assert_int_equal(match("GET", "/v1/centres/stats", &m), ROUTER_FOUND);
	assert_int_equal(m.index, 3);
	assert_int_equal(m.nparams, 0);
	assert_null(router_param(&m, "id"));
	/* with no literal DELETE the parameterised route takes it */
	assert_int_equal(match("DELETE", "/v1/centres/stats", &m), ROUTER_FOUND);
	assert_int_equal(m.index, 6);
	assert_string_equal(router_param(&m, "id"), "stats");
}

static void
test_table_order_param_first(void **state)
{
	static const struct route t[] = {
	    {.method = "GET", .pattern = "/a/{x}", .handler = h_a, .params = "x=thing"},
	    {.method = "GET", .pattern = "/a/lit", .handler = h_b},
	};
	struct router_match m;

	(void)state;
	assert_int_equal(router_match(t, 2, "GET", "/a/lit", &m), ROUTER_FOUND);
	assert_int_equal(m.index, 0);
	assert_ptr_equal(m.route, &t[0]);
	assert_string_equal(router_param(&m, "x"), "lit");
	/* and the same table reversed */
	assert_int_equal(router_match(t + 1, 1, "GET", "/a/lit", &m), ROUTER_FOUND);
	assert_int_equal(m.index, 0);
	assert_ptr_equal(m.route, &t[1]);
	assert_int_equal(m.nparams, 0);
}

static void
test_trailing_slash_is_not_found(void **state)
{
	struct router_match m;

	(void)state;
	assert_int_equal(match("GET", "/v1/centres/x", &m), ROUTER_FOUND);
	assert_int_equal(match("GET", "/v1/health/", &m), ROUTER_NOT_FOUND);
	assert_int_equal(match("GET", "/v1/centres/", &m), ROUTER_NOT_FOUND);
	assert_int_equal(match("GET", "/v1/centres/x/", &m), ROUTER_NOT_FOUND);
	assert_int_equal(match("GET", "/v1/requests/1/history/", &m), ROUTER_NOT_FOUND);
	assert_int_equal(match("GET", "//v1/health", &m), ROUTER_NOT_FOUND);
}

static void
test_segment_length_limit(void **state)
{
	struct router_match m;
	char path[512];
	char seg[ROUTER_MAX_PARAM_LEN + 2];

	(void)state;
	/* exactly ROUTER_MAX_PARAM_LEN characters: matches */
	memset(seg, 'a', ROUTER_MAX_PARAM_LEN);
	seg[ROUTER_MAX_PARAM_LEN] = '\0';
	snprintf(path, sizeof(path), "/v1/centres/%s", seg);
	assert_int_equal(match("GET", path, &m), ROUTER_FOUND);
	assert_int_equal(m.index, 4);
	assert_int_equal(strlen(router_param(&m, "id")), ROUTER_MAX_PARAM_LEN);
	assert_string_equal(router_param(&m, "id"), seg);

	/* one more: never matches a parameter */
	seg[ROUTER_MAX_PARAM_LEN] = 'a';
	seg[ROUTER_MAX_PARAM_LEN + 1] = '\0';
	snprintf(path, sizeof(path), "/v1/centres/%s", seg);
	assert_int_equal(match("GET", path, &m), ROUTER_NOT_FOUND);
	assert_int_equal(match("DELETE", path, &m), ROUTER_NOT_FOUND);
	snprintf(path, sizeof(path), "/v1/requests/%s/history", seg);
	assert_int_equal(match("GET", path, &m), ROUTER_NOT_FOUND);

	/* a very long path that is not a parameter is simply not found */
	memset(path, 'z', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	assert_int_equal(match("GET", path, &m), ROUTER_NOT_FOUND);
}

static void
test_four_params(void **state)
{
	static const struct route t[] = {
	    {.method = "GET",
	     .pattern = "/{a}/{b}/{c}/{d}",
	     .handler = h_a,
	     .params = "a=thing b=thing c=thing d=thing"},
	};
	struct router_match m;
	char why[128];

	(void)state;
	assert_int_equal(router_check_table(t, 1, why, sizeof(why)), 0);
	assert_int_equal(router_match(t, 1, "GET", "/1/22/333/4444", &m), ROUTER_FOUND);
	assert_int_equal(m.nparams, 4);
	assert_string_equal(router_param(&m, "a"), "1");
	assert_string_equal(router_param(&m, "b"), "22");
	assert_string_equal(router_param(&m, "c"), "333");
	assert_string_equal(router_param(&m, "d"), "4444");
	assert_int_equal(router_match(t, 1, "GET", "/1/22/333", &m), ROUTER_NOT_FOUND);
}

static void
test_empty_table(void **state)
{
	struct router_match m;
	char why[64];

	(void)state;
	assert_int_equal(router_match(table, 0, "GET", "/v1/health", &m), ROUTER_NOT_FOUND);
	assert_null(m.route);
	assert_int_equal(router_check_table(table, 0, why, sizeof(why)), 0);
	/* the same path in a one-route table */
	assert_int_equal(router_match(table, 1, "GET", "/v1/health", &m), ROUTER_FOUND);
	assert_ptr_equal(m.route, &table[0]);
}

static void
test_no_pointer_to_arguments(void **state)
{
	struct router_match m;
	char path[] = "/v1/centres/abc";

	(void)state;
	assert_int_equal(match("GET", path, &m), ROUTER_FOUND);
	memcpy(path, "/v1/centres/xyz", sizeof(path));
	assert_string_equal(router_param(&m, "id"), "abc");
}

/* The params declaration of a well-formed pattern ("id=thing ..."), in
 * out; NULL when the pattern has no parameters (or is NULL). */
static const char *
declared(const char *pattern, char out[128])
{
	size_t n = 0;

	out[0] = '\0';
	for (const char *p = pattern ? strchr(pattern, '{') : NULL; p != NULL;
	     p = strchr(p + 1, '{')) {
		const char *close = strchr(p, '}');

		if (close == NULL)
			break;
		n += (size_t)snprintf(out + n, 128 - n, "%s%.*s=thing", n ? " " : "",
		                      (int)(close - p - 1), p + 1);
		if (n >= 128)
			break;
	}
	return out[0] ? out : NULL;
}

/* Check that a one- or two-route table is refused with a reason. */
static void
expect_bad(const char *pattern1, const char *pattern2, const char *reason_part)
{
	char params1[128], params2[128];
	struct route t[2] = {
	    {.method = "GET",
	     .pattern = pattern1,
	     .handler = h_a,
	     .params = declared(pattern1, params1)},
	    {.method = "GET",
	     .pattern = pattern2,
	     .handler = h_a,
	     .params = declared(pattern2, params2)},
	};
	char why[160] = "";

	assert_int_equal(router_check_table(t, pattern2 ? 2 : 1, why, sizeof(why)), -1);
	if (strstr(why, reason_part) == NULL)
		fail_msg("pattern %s: reason \"%s\" lacks \"%s\"", pattern1, why, reason_part);
}

static void
test_check_rejects_malformed_patterns(void **state)
{
	(void)state;
	expect_bad("v1/health", NULL, "not absolute");
	expect_bad("", NULL, "not absolute");
	expect_bad("/a/{id", NULL, "malformed");
	expect_bad("/a/id}", NULL, "unbalanced");
	expect_bad("/a/{}", NULL, "malformed");
	expect_bad("/a/{{id}}", NULL, "malformed");
	expect_bad("/a/{id}}", NULL, "malformed");
	expect_bad("/a/x{id}", NULL, "malformed");
	expect_bad("/a/{id}x", NULL, "malformed");
	expect_bad("/a/{id}.json", NULL, "malformed");
	expect_bad("/a/{a{b}", NULL, "malformed");
	/* 32 characters is one too many for a name */
	expect_bad("/a/{abcdefghijklmnopqrstuvwxyz012345}", NULL, "malformed");
	expect_bad("/{a}/{b}/{c}/{d}/{e}", NULL, "more than 4 parameters");
}

/* A route that an earlier one of its method always takes is refused; a
 * literal before a parameter, another method or another length is fine. */
static void
test_check_rejects_shadowed_routes(void **state)
{
	static const struct route fine[] = {
	    {.method = "GET", .pattern = "/v1/requests/search", .handler = h_a},
	    {.method = "GET", .pattern = "/v1/requests/{id}", .handler = h_a, .params = "id=thing"},
	    {.method = "POST",
	     .pattern = "/v1/requests/{id}",
	     .handler = h_a,
	     .params = "id=thing"},
	    {.method = "GET",
	     .pattern = "/v1/requests/{id}/history",
	     .handler = h_a,
	     .params = "id=thing"},
	    {.method = "GET",
	     .pattern = "/v1/{kind}/{id}/history",
	     .handler = h_a,
	     .params = "kind=thing id=thing"},
	    {.method = "GET",
	     .pattern = "/app/{path}",
	     .handler = h_a,
	     .params = "path=thing",
	     .flags = ROUTE_REST_PARAM},
	    {.method = "GET", .pattern = "/app", .handler = h_a},
	};
	char why[160] = "";

	(void)state;
	assert_int_equal(router_check_table(fine, sizeof(fine) / sizeof(fine[0]), why, sizeof(why)),
	                 0);
	expect_bad("/v1/requests/{id}", "/v1/requests/search", "never reached");
	expect_bad("/v1/{a}/{b}", "/v1/requests/{id}", "/v1/{a}/{b} comes first");
	expect_bad("/v1/{a}/x", "/v1/{b}/x", "never reached");
	{
		struct route t[2] = {
		    {.method = "GET",
		     .pattern = "/app/{path}",
		     .handler = h_a,
		     .params = "path=thing",
		     .flags = ROUTE_REST_PARAM},
		    {.method = "GET",
		     .pattern = "/app/js/{file}",
		     .handler = h_a,
		     .params = "file=thing"},
		};

		assert_int_equal(router_check_table(t, 2, why, sizeof(why)), -1);
		assert_non_null(strstr(why, "never reached"));
	}
}

/* Each path parameter is declared, in order, as name=what; nothing else. */
static void
test_check_rejects_undeclared_params(void **state)
{
	static const char *const bad[] = {
	    NULL, "", "id", "id=", "x=request", "id=request extra=thing", "id=request ",
	};
	static const char *const bad2[] = {
	    "id=volunteer",
	    "training_id=t id=volunteer",
	    "id=volunteer training_id=",
	};
	struct route t = {.method = "GET", .pattern = "/v1/requests/{id}", .handler = h_a};
	char why[160];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t.params = bad[i];
		why[0] = '\0';
		assert_int_equal(router_check_table(&t, 1, why, sizeof(why)), -1);
		assert_non_null(strstr(why, "params must name each parameter"));
	}
	t.params = "id=request";
	assert_int_equal(router_check_table(&t, 1, why, sizeof(why)), 0);
	t.pattern = "/v1/volunteers/{id}/trainings/{training_id}";
	for (size_t i = 0; i < sizeof(bad2) / sizeof(bad2[0]); i++) {
		t.params = bad2[i];
		assert_int_equal(router_check_table(&t, 1, why, sizeof(why)), -1);
	}
	t.params = "id=volunteer training_id=volunteer_training";
	assert_int_equal(router_check_table(&t, 1, why, sizeof(why)), 0);
	t.pattern = "/v1/requests";
	assert_int_equal(router_check_table(&t, 1, why, sizeof(why)), -1);
	t.params = NULL;
	assert_int_equal(router_check_table(&t, 1, why, sizeof(why)), 0);
}

static void
test_check_accepts_edge_patterns(void **state)
{
	static const struct route t[] = {
	    {.method = "GET", .pattern = "/", .handler = h_a},
	    /* 31 characters is the longest name */
	    {.method = "GET",
	     .pattern = "/a/{abcdefghijklmnopqrstuvwxyz01234}",
	     .handler = h_a,
	     .params = "abcdefghijklmnopqrstuvwxyz01234=thing"},
	    {.method = "GET", .pattern = "/{x}", .handler = h_a, .params = "x=thing"},
	};
	struct router_match m;
	char why[128] = "";

	(void)state;
	assert_int_equal(router_check_table(t, 3, why, sizeof(why)), 0);
	assert_int_equal(router_match(t, 3, "GET", "/a/v", &m), ROUTER_FOUND);
	assert_int_equal(m.index, 1);
	assert_string_equal(router_param(&m, "abcdefghijklmnopqrstuvwxyz01234"), "v");
	assert_int_equal(router_match(t, 3, "GET", "/", &m), ROUTER_FOUND);
	assert_int_equal(m.index, 0);
	assert_int_equal(router_match(t, 3, "GET", "/q", &m), ROUTER_FOUND);
	assert_int_equal(m.index, 2);
}

static void
test_check_rejects_incomplete_routes(void **state)
{
	struct route t[1] = {{.method = "GET", .pattern = "/a", .handler = NULL}};
	char why[128] = "";

	(void)state;
	assert_int_equal(router_check_table(t, 1, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "route 0"));
	t[0].handler = h_a;
	t[0].method = NULL;
	why[0] = '\0';
	assert_int_equal(router_check_table(t, 1, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "route 0"));
	t[0].method = "GET";
	t[0].pattern = NULL;
	assert_int_equal(router_check_table(t, 1, why, sizeof(why)), -1);
	t[0].pattern = "/a";
	assert_int_equal(router_check_table(t, 1, why, sizeof(why)), 0);
}

static void
test_check_rejects_duplicates(void **state)
{
	static const struct route t[] = {
	    {.method = "GET", .pattern = "/a/{id}", .handler = h_a, .params = "id=thing"},
	    {.method = "POST", .pattern = "/a/{id}", .handler = h_a, .params = "id=thing"},
	    {.method = "GET", .pattern = "/b", .handler = h_a},
	    {.method = "GET", .pattern = "/a/{id}", .handler = h_b, .params = "id=thing"},
	};
	char why[128] = "";

	(void)state;
	/* the same pattern with different methods is fine */
	assert_int_equal(router_check_table(t, 3, why, sizeof(why)), 0);
	assert_int_equal(router_check_table(t, 4, why, sizeof(why)), -1);
	assert_string_equal(why, "GET /a/{id} appears twice");
}

static void
test_check_reports_the_bad_route(void **state)
{
	static const struct route t[] = {
	    {.method = "GET", .pattern = "/ok", .handler = h_a},
	    {.method = "GET", .pattern = "/bad/{x", .handler = h_a},
	};
	char why[128] = "";

	(void)state;
	assert_int_equal(router_check_table(t, 2, why, sizeof(why)), -1);
	assert_string_equal(why, "/bad/{x: malformed parameter");
	/* a tiny reason buffer is still NUL-terminated */
	memset(why, 'X', sizeof(why));
	assert_int_equal(router_check_table(t, 2, why, 5), -1);
	assert_string_equal(why, "/bad");
}

/* A rest parameter takes the remainder of the path; literal routes before
 * it still win, and a one-segment route with the same shape is unaffected. */
static const struct route rest_table[] = {
    {.method = "GET", .pattern = "/app", .handler = h_a},  /* 0 */
    {.method = "GET", .pattern = "/app/", .handler = h_a}, /* 1 */
    {.method = "GET",
     .pattern = "/app/{path}",
     .handler = h_b,
     .params = "path=thing",
     .flags = ROUTE_REST_PARAM},                                                      /* 2 */
    {.method = "GET", .pattern = "/v1/x/{id}", .handler = h_a, .params = "id=thing"}, /* 3 */
};

static void
test_rest_param(void **state)
{
	struct router_match m;
	char why[128] = "";
	char longpath[ROUTER_MAX_PARAM_LEN + 16];
	size_t n = sizeof(rest_table) / sizeof(rest_table[0]);

	(void)state;
	assert_int_equal(router_check_table(rest_table, n, why, sizeof(why)), 0);
	assert_int_equal(router_match(rest_table, n, "GET", "/app", &m), ROUTER_FOUND);
	assert_int_equal(m.index, 0);
	assert_int_equal(router_match(rest_table, n, "GET", "/app/", &m), ROUTER_FOUND);
	assert_int_equal(m.index, 1);
	assert_int_equal(router_match(rest_table, n, "GET", "/app/index.html", &m), ROUTER_FOUND);
	assert_int_equal(m.index, 2);
	assert_string_equal(router_param(&m, "path"), "index.html");
	assert_int_equal(router_match(rest_table, n, "HEAD", "/app/js/pages/queue.js", &m),
	                 ROUTER_FOUND);
	assert_int_equal(m.index, 2);
	assert_string_equal(router_param(&m, "path"), "js/pages/queue.js");
	/* the rest is passed as it is: checking it is the handler's job */
	assert_int_equal(router_match(rest_table, n, "GET", "/app/a//../b/", &m), ROUTER_FOUND);
	assert_string_equal(router_param(&m, "path"), "a//../b/");
	/* without the flag a parameter stays one segment */
	assert_int_equal(router_match(rest_table, n, "GET", "/v1/x/a/b", &m), ROUTER_NOT_FOUND);
	assert_int_equal(router_match(rest_table, n, "POST", "/app/x/y", &m),
	                 ROUTER_METHOD_NOT_ALLOWED);
	assert_string_equal(m.allow, "GET, HEAD");
	/* longer than the parameter limit: no match */
	memset(longpath, 'a', sizeof(longpath) - 1);
	memcpy(longpath, "/app/", 5);
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(router_match(rest_table, n, "GET", longpath, &m), ROUTER_NOT_FOUND);
	longpath[5 + ROUTER_MAX_PARAM_LEN] = '\0';
	assert_int_equal(router_match(rest_table, n, "GET", longpath, &m), ROUTER_FOUND);
}

static void
test_check_rejects_rest_without_final_param(void **state)
{
	char why[128] = "";
	const struct route bad[] = {
	    {.method = "GET",
	     .pattern = "/app/{path}/x",
	     .handler = h_a,
	     .flags = ROUTE_REST_PARAM},
	};
	const struct route bad2[] = {
	    {.method = "GET", .pattern = "/app", .handler = h_a, .flags = ROUTE_REST_PARAM},
	};

	(void)state;
	assert_int_equal(router_check_table(bad, 1, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "ROUTE_REST_PARAM"));
	assert_int_equal(router_check_table(bad2, 1, why, sizeof(why)), -1);
}

/* router_param_what: the i-th parameter's what, for the pipeline's checks
 * of declared path parameters. */
static void
test_param_what(void **state)
{
	static const struct route two = {"DELETE", "/v1/v/{id}/t/{training_id}",
	                                 NULL,     0,
	                                 0,        NULL,
	                                 NULL,     "id=volunteer training_id=volunteer_training"};
	static const struct route none = {"GET", "/v1/x", NULL, 0, 0, NULL, NULL, NULL};
	const char *what = NULL;
	size_t len;

	(void)state;
	len = router_param_what(&two, 0, &what);
	assert_int_equal(len, 9);
	assert_memory_equal(what, "volunteer", 9);
	len = router_param_what(&two, 1, &what);
	assert_int_equal(len, 18);
	assert_memory_equal(what, "volunteer_training", 18);
	assert_int_equal(router_param_what(&two, 2, &what), 0);
	assert_int_equal(router_param_what(&none, 0, &what), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table_is_valid),
	    cmocka_unit_test(test_literal_match),
	    cmocka_unit_test(test_params),
	    cmocka_unit_test(test_param_does_not_match_empty_or_several_segments),
	    cmocka_unit_test(test_head_is_answered_by_get),
	    cmocka_unit_test(test_not_found),
	    cmocka_unit_test(test_method_not_allowed_lists_allow),
	    cmocka_unit_test(test_allow_covers_literal_and_param_routes),
	    cmocka_unit_test(test_table_order_wins),
	    cmocka_unit_test(test_table_order_param_first),
	    cmocka_unit_test(test_trailing_slash_is_not_found),
	    cmocka_unit_test(test_segment_length_limit),
	    cmocka_unit_test(test_four_params),
	    cmocka_unit_test(test_empty_table),
	    cmocka_unit_test(test_no_pointer_to_arguments),
	    cmocka_unit_test(test_check_rejects_malformed_patterns),
	    cmocka_unit_test(test_check_rejects_shadowed_routes),
	    cmocka_unit_test(test_check_rejects_undeclared_params),
	    cmocka_unit_test(test_check_accepts_edge_patterns),
	    cmocka_unit_test(test_check_rejects_incomplete_routes),
	    cmocka_unit_test(test_check_rejects_duplicates),
	    cmocka_unit_test(test_check_reports_the_bad_route),
	    cmocka_unit_test(test_rest_param),
	    cmocka_unit_test(test_check_rejects_rest_without_final_param),
	    cmocka_unit_test(test_param_what),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
