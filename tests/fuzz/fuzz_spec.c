/* fuzz_spec.c - libFuzzer target: JSON request bodies against the real body
 * specs of the route table (api/routes.c), as lib/http.c's prepare_body
 * does (jansson with JSON_REJECT_DUPLICATES, then spec_validate_object).
 *
 * Invariants checked: the count returned equals the field errors added to
 * the problem; validating again gives the same count; the problem
 * serialises to JSON. */
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "../../api/app.h"
#include "../../api/routes.h"
#include "../../lib/problem.h"

static void
check_one(const struct spec_field *spec, const json_t *body)
{
	json_t *p = problem_new(ERR_VALIDATION_FAILED, "fuzz", "fuzz");
	size_t n = spec_validate_object(spec, body, NULL, p);
	size_t again;
	char *text;

	if (problem_field_error_count(p) != n)
		abort();
	again = spec_validate_object(spec, body, NULL, p);
	if (again != n || problem_field_error_count(p) != 2 * n)
		abort();
	text = json_dumps(p, JSON_COMPACT);
	if (text == NULL)
		abort();
	free(text);
	json_decref(p);
}

/* libFuzzer's entry point: one input, any bytes. Returns 0. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t e;
	json_t *body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &e);

	if (body == NULL)
		return 0;
	for (size_t i = 0; i < api_nroutes; i++)
		if (api_routes[i].body_spec != NULL)
			check_one(api_routes[i].body_spec, body);
	json_decref(body);
	return 0;
}
