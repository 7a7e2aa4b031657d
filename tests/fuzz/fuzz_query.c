/* fuzz_query.c - libFuzzer target: a raw query string turned into validated
 * values for every query spec of the route table, the way a request goes:
 * split on '&' and '=', '+' and %XX decoded by libmicrohttpd's own
 * MHD_http_unescape (as libmicrohttpd does before our code sees them), each
 * pair added with spec_query_add, then spec_parse_query.
 *
 * Invariants checked: a result exists exactly when no error was reported;
 * a result is an object that spec_validate_object accepts without error
 * (the converted values obey the spec); the number of errors returned
 * matches the problem. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <microhttpd.h>

#include "../../api/app.h"
#include "../../api/routes.h"
#include "../../lib/problem.h"

static void
check_one(const struct spec_field *spec, char *query)
{
	json_t *strings = json_object();
	json_t *p = problem_new(ERR_VALIDATION_FAILED, "fuzz", "fuzz");
	size_t errors = 0;
	char *save = NULL;
	json_t *typed;

	for (char *pair = strtok_r(query, "&", &save); pair != NULL;
	     pair = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(pair, '=');
		char *value = NULL;

		if (eq != NULL) {
			*eq = '\0';
			value = eq + 1;
			for (char *c = value; *c; c++)
				if (*c == '+')
					*c = ' ';
			MHD_http_unescape(value);
		}
		for (char *c = pair; *c; c++)
			if (*c == '+')
				*c = ' ';
		MHD_http_unescape(pair);
		errors += spec_query_add(strings, p, pair, value);
	}
	if (problem_field_error_count(p) != errors)
		abort();
	typed = spec_parse_query(spec, strings, p);
	/* NULL exactly when spec_parse_query itself reported something. */
	if ((typed == NULL) != (problem_field_error_count(p) > errors))
		abort();
	if (typed != NULL) {
		json_t *p2 = problem_new(ERR_VALIDATION_FAILED, "fuzz", "fuzz");

		if (!json_is_object(typed) || spec_validate_object(spec, typed, NULL, p2) != 0)
			abort();
		json_decref(p2);
		json_decref(typed);
	}
	json_decref(strings);
	json_decref(p);
}

/* libFuzzer's entry point: one input, any bytes. Returns 0. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct spec_field none[] = {SPEC_END};
	char *q = malloc(size + 1);

	for (size_t i = 0; i <= api_nroutes; i++) {
		const struct spec_field *spec = i < api_nroutes ? api_routes[i].query_spec : none;

		if (spec == NULL)
			continue;
		memcpy(q, data, size);
		q[size] = '\0';
		check_one(spec, q);
	}
	free(q);
	return 0;
}
