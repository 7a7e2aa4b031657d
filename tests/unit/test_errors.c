/* test_errors.c - unit tests for lib/errors.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/errors.h"

static void
test_table_check_and_round_trip(void **state)
{
	char why[256] = "untouched";

	(void)state;
	assert_int_equal(err_table_check(why, sizeof(why)), 0);
	for (int i = 0; i < ERR__COUNT; i++) {
		const struct err_def *d = err_get((enum err_code)i);
		const struct err_def *f;

		assert_non_null(d);
		assert_int_equal(d->id, i);
		assert_non_null(d->code);
		assert_non_null(d->title);
		assert_true(strlen(d->code) > 0);
		assert_true(strlen(d->title) > 0);
		assert_in_range(d->status, 400, 599);
		for (const char *p = d->code; *p; p++)
			assert_true((*p >= 'a' && *p <= 'z') || *p == '_');
		f = err_find(d->code);
		assert_ptr_equal(f, d);
		/* codes are unique */
		for (int j = 0; j < i; j++)
			assert_string_not_equal(err_get((enum err_code)j)->code, d->code);
	}
}

static void
test_out_of_range_is_internal(void **state)
{
	const struct err_def *internal = err_get(ERR_INTERNAL);

	(void)state;
	assert_string_equal(internal->code, "internal_error");
	assert_int_equal(internal->status, 500);
	assert_ptr_equal(err_get(ERR__COUNT), internal);
	assert_ptr_equal(err_get((enum err_code)(ERR__COUNT + 100)), internal);
	assert_ptr_equal(err_get((enum err_code) - 1), internal);
}

static void
test_find_unknown(void **state)
{
	(void)state;
	assert_non_null(err_find("not_found"));
	assert_null(err_find("no_such_code"));
	assert_null(err_find(""));
	assert_null(err_find("NOT_FOUND"));
	assert_null(err_find("not_found "));
}

static const struct {
	enum err_code id;
	const char *code;
	unsigned status;
	enum err_scope scope;
} expected[] = {
    {ERR_MALFORMED_JSON, "malformed_json", 400, ERR_SCOPE_REQUEST},
    {ERR_BAD_REQUEST, "bad_request", 400, ERR_SCOPE_REQUEST},
    {ERR_UNAUTHENTICATED, "unauthenticated", 401, ERR_SCOPE_REQUEST},
    {ERR_FORBIDDEN, "forbidden", 403, ERR_SCOPE_REQUEST},
    {ERR_ROUTE_NOT_FOUND, "route_not_found", 404, ERR_SCOPE_REQUEST},
    {ERR_NOT_FOUND, "not_found", 404, ERR_SCOPE_REQUEST},
    {ERR_METHOD_NOT_ALLOWED, "method_not_allowed", 405, ERR_SCOPE_REQUEST},
    {ERR_CONFLICT, "conflict", 409, ERR_SCOPE_REQUEST},
    {ERR_PRECONDITION_FAILED, "precondition_failed", 412, ERR_SCOPE_REQUEST},
    {ERR_BODY_TOO_LARGE, "body_too_large", 413, ERR_SCOPE_REQUEST},
    {ERR_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", 415, ERR_SCOPE_REQUEST},
    {ERR_VALIDATION_FAILED, "validation_failed", 422, ERR_SCOPE_REQUEST},
    {ERR_TOO_MANY_REQUESTS, "too_many_requests", 429, ERR_SCOPE_REQUEST},
    {ERR_INTERNAL, "internal_error", 500, ERR_SCOPE_REQUEST},
    {ERR_DATABASE_UNAVAILABLE, "database_unavailable", 503, ERR_SCOPE_REQUEST},
    {ERR_SCHEMA_BEHIND, "schema_behind", 503, ERR_SCOPE_REQUEST},
    {ERR_FIELD_REQUIRED, "required", 422, ERR_SCOPE_FIELD},
    {ERR_FIELD_UNKNOWN, "unknown_field", 422, ERR_SCOPE_FIELD},
    {ERR_FIELD_TYPE, "wrong_type", 422, ERR_SCOPE_FIELD},
    {ERR_FIELD_TOO_SHORT, "too_short", 422, ERR_SCOPE_FIELD},
    {ERR_FIELD_TOO_LONG, "too_long", 422, ERR_SCOPE_FIELD},
    {ERR_FIELD_TOO_SMALL, "too_small", 422, ERR_SCOPE_FIELD},
    {ERR_FIELD_TOO_LARGE, "too_large", 422, ERR_SCOPE_FIELD},
    {ERR_FIELD_NOT_IN_ENUM, "not_in_enum", 422, ERR_SCOPE_FIELD},
    {ERR_FIELD_FORMAT, "invalid_format", 422, ERR_SCOPE_FIELD},
    {ERR_FIELD_TOO_MANY_ITEMS, "too_many_items", 422, ERR_SCOPE_FIELD},
    {ERR_FIELD_DUPLICATE_ITEM, "duplicate_item", 422, ERR_SCOPE_FIELD},
    {ERR_FIELD_REPEATED, "repeated_parameter", 422, ERR_SCOPE_FIELD},
    {ERR_FIELD_TAKEN, "already_taken", 409, ERR_SCOPE_FIELD},
    {ERR_IDEMPOTENCY_KEY_REUSED, "idempotency_key_reused", 422, ERR_SCOPE_REQUEST},
    {ERR_BUSY, "server_busy", 503, ERR_SCOPE_REQUEST},
    {ERR_PERIOD_NOT_CLOSED, "period_not_closed", 422, ERR_SCOPE_REQUEST},
    {ERR_FIELD_NOT_WHOLE_PERIOD, "not_whole_period", 422, ERR_SCOPE_FIELD},
};

/* The codes are a public, stable interface: pin every one of them. */
static void
test_codes_and_statuses_are_stable(void **state)
{
	(void)state;
	assert_int_equal(sizeof(expected) / sizeof(expected[0]), ERR__COUNT);
	for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
		const struct err_def *d = err_get(expected[i].id);

		assert_int_equal(expected[i].id, i);
		assert_string_equal(d->code, expected[i].code);
		assert_int_equal(d->status, expected[i].status);
		assert_int_equal(d->scope, expected[i].scope);
		assert_ptr_equal(err_find(expected[i].code), d);
	}
}

static char *
markdown(size_t *len)
{
	char *text = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&text, &n);

	assert_non_null(f);
	err_write_markdown(f);
	assert_int_equal(fclose(f), 0);
	assert_non_null(text);
	if (len != NULL)
		*len = n;
	return text;
}

static void
test_markdown_contains_every_code(void **state)
{
	size_t len;
	char *md = markdown(&len);
	const char *field_section;

	(void)state;
	assert_true(len > 0);
	assert_int_equal(strlen(md), len);
	assert_memory_equal(md, "# Error codes\n", 14);
	field_section = strstr(md, "## Field codes");
	assert_non_null(field_section);
	assert_non_null(strstr(md, "## Problem codes"));
	assert_true(strstr(md, "## Problem codes") < field_section);

	for (int i = 0; i < ERR__COUNT; i++) {
		const struct err_def *d = err_get((enum err_code)i);
		char cell[128];
		const char *at;

		snprintf(cell, sizeof(cell), "| `%s` |", d->code);
		at = strstr(md, cell);
		assert_non_null(at);
		/* exactly one row per code */
		assert_null(strstr(at + 1, cell));
		assert_non_null(strstr(at, d->title));
		if (d->scope == ERR_SCOPE_REQUEST) {
			char row[256];

			assert_true(at < field_section);
			snprintf(row, sizeof(row), "| `%s` | %u | %s |\n", d->code, d->status,
			         d->title);
			assert_non_null(strstr(md, row));
		} else {
			char row[256];

			assert_true(at > field_section);
			snprintf(row, sizeof(row), "| `%s` | %s |\n", d->code, d->title);
			assert_non_null(strstr(md, row));
		}
	}
	free(md);
}

static void
test_markdown_is_deterministic(void **state)
{
	char *a = markdown(NULL);
	char *b = markdown(NULL);

	(void)state;
	assert_true(strlen(a) > 200);
	assert_non_null(strstr(a, "| `validation_failed` | 422 |"));
	assert_string_equal(a, b);
	free(a);
	free(b);
}

static void
test_markdown_to_tmpfile(void **state)
{
	FILE *f = tmpfile();
	char line[512];
	int rows = 0;

	(void)state;
	assert_non_null(f);
	err_write_markdown(f);
	rewind(f);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "| `", 3) == 0)
			rows++;
	fclose(f);
	assert_int_equal(rows, ERR__COUNT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table_check_and_round_trip),
	    cmocka_unit_test(test_out_of_range_is_internal),
	    cmocka_unit_test(test_find_unknown),
	    cmocka_unit_test(test_codes_and_statuses_are_stable),
	    cmocka_unit_test(test_markdown_contains_every_code),
	    cmocka_unit_test(test_markdown_is_deterministic),
	    cmocka_unit_test(test_markdown_to_tmpfile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
