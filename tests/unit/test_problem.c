/* test_problem.c - unit tests for lib/problem.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../../lib/problem.h"

static const char *
str_member(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	assert_non_null(v);
	assert_true(json_is_string(v));
	return json_string_value(v);
}

static void
test_new_with_detail_and_request_id(void **state)
{
	json_t *p = problem_new(ERR_NOT_FOUND, "No centre with that id.", "req-123");

	(void)state;
	assert_string_equal(PROBLEM_CONTENT_TYPE, "application/problem+json");
	assert_non_null(p);
	assert_true(json_is_object(p));
	assert_string_equal(str_member(p, "type"), "urn:kompas:problem:not_found");
	assert_string_equal(str_member(p, "title"), "The resource does not exist");
	assert_true(json_is_integer(json_object_get(p, "status")));
	assert_int_equal(json_integer_value(json_object_get(p, "status")), 404);
	assert_string_equal(str_member(p, "detail"), "No centre with that id.");
	assert_string_equal(str_member(p, "code"), "not_found");
	assert_string_equal(str_member(p, "request_id"), "req-123");
	assert_null(json_object_get(p, "errors"));
	assert_int_equal(json_object_size(p), 6);
	assert_int_equal(problem_field_error_count(p), 0);
	json_decref(p);
}

static void
test_new_default_detail_no_request_id(void **state)
{
	json_t *p = problem_new(ERR_METHOD_NOT_ALLOWED, NULL, NULL);

	(void)state;
	assert_non_null(p);
	assert_string_equal(str_member(p, "type"), "urn:kompas:problem:method_not_allowed");
	assert_string_equal(str_member(p, "title"), err_get(ERR_METHOD_NOT_ALLOWED)->title);
	assert_string_equal(str_member(p, "detail"), err_get(ERR_METHOD_NOT_ALLOWED)->title);
	assert_int_equal(json_integer_value(json_object_get(p, "status")), 405);
	assert_string_equal(str_member(p, "code"), "method_not_allowed");
	assert_null(json_object_get(p, "request_id"));
	assert_int_equal(json_object_size(p), 5);
	json_decref(p);
}

static void
test_new_for_every_code(void **state)
{
	(void)state;
	for (int i = 0; i < ERR__COUNT; i++) {
		const struct err_def *d = err_get((enum err_code)i);
		json_t *p = problem_new((enum err_code)i, NULL, "r");
		char type[128];

		snprintf(type, sizeof(type), "urn:kompas:problem:%s", d->code);
		assert_string_equal(str_member(p, "type"), type);
		assert_string_equal(str_member(p, "code"), d->code);
		assert_string_equal(str_member(p, "title"), d->title);
		assert_int_equal(json_integer_value(json_object_get(p, "status")), d->status);
		json_decref(p);
	}
}

static void
test_add_field_errors_accumulate(void **state)
{
	json_t *p = problem_new(ERR_VALIDATION_FAILED, NULL, "req-1");
	const json_t *errors, *e;

	(void)state;
	problem_add_field_error(p, "name", ERR_FIELD_REQUIRED, "is required");
	assert_int_equal(problem_field_error_count(p), 1);
	problem_add_field_error(p, "address.postal_code", ERR_FIELD_FORMAT,
	                        "must be a Danish postal code");
	problem_add_field_error(p, "languages[2]", ERR_FIELD_DUPLICATE_ITEM, NULL);
	assert_int_equal(problem_field_error_count(p), 3);

	errors = json_object_get(p, "errors");
	assert_true(json_is_array(errors));
	assert_int_equal(json_array_size(errors), 3);

	e = json_array_get(errors, 0);
	assert_string_equal(str_member(e, "field"), "name");
	assert_string_equal(str_member(e, "code"), "required");
	assert_string_equal(str_member(e, "message"), "is required");
	assert_int_equal(json_object_size(e), 3);

	e = json_array_get(errors, 1);
	assert_string_equal(str_member(e, "field"), "address.postal_code");
	assert_string_equal(str_member(e, "code"), "invalid_format");
	assert_string_equal(str_member(e, "message"), "must be a Danish postal code");

	/* a NULL message falls back to the title of the code */
	e = json_array_get(errors, 2);
	assert_string_equal(str_member(e, "field"), "languages[2]");
	assert_string_equal(str_member(e, "code"), "duplicate_item");
	assert_string_equal(str_member(e, "message"), err_get(ERR_FIELD_DUPLICATE_ITEM)->title);

	/* the rest of the problem is untouched */
	assert_string_equal(str_member(p, "code"), "validation_failed");
	assert_int_equal(json_integer_value(json_object_get(p, "status")), 422);
	json_decref(p);
}

static void
test_field_error_count_without_errors(void **state)
{
	json_t *o = json_object();

	(void)state;
	assert_int_equal(problem_field_error_count(o), 0);
	/* also works on any object, creating the list on first use */
	problem_add_field_error(o, "x", ERR_FIELD_TYPE, "must be a string");
	assert_int_equal(problem_field_error_count(o), 1);
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(json_object_get(o, "errors"), 0), "code")),
	                    "wrong_type");
	json_decref(o);
}

static void
test_problem_serialises(void **state)
{
	json_t *p = problem_new(ERR_CONFLICT, "Slug \"x\" taken", NULL);
	char *text;
	json_t *back;
	json_error_t jerr;

	(void)state;
	problem_add_field_error(p, "slug", ERR_FIELD_TOO_SHORT, "too short");
	text = json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS);
	assert_non_null(text);
	back = json_loads(text, 0, &jerr);
	assert_non_null(back);
	assert_true(json_equal(p, back));
	assert_non_null(strstr(text, "\"status\":409"));
	assert_non_null(strstr(text, "\"detail\":\"Slug \\\"x\\\" taken\""));
	json_decref(back);
	json_decref(p);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_new_with_detail_and_request_id),
	    cmocka_unit_test(test_new_default_detail_no_request_id),
	    cmocka_unit_test(test_new_for_every_code),
	    cmocka_unit_test(test_add_field_errors_accumulate),
	    cmocka_unit_test(test_field_error_count_without_errors),
	    cmocka_unit_test(test_problem_serialises),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
