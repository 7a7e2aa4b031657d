/* test_spec.c - unit tests for lib/spec.c. */
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
#include "../../lib/spec.h"

/* ---- helpers ---------------------------------------------------------- */

static json_t *
parse(const char *text)
{
	json_error_t jerr;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &jerr);

	if (v == NULL)
		fail_msg("bad test JSON at %d: %s: %s", jerr.position, jerr.text, text);
	return v;
}

static json_t *
new_problem(void)
{
	return problem_new(ERR_VALIDATION_FAILED, NULL, NULL);
}

/* Validate text against spec; returns the number of errors and leaves the
 * problem in *out (caller decrefs). Checks the return value equals the
 * number of entries in "errors". */
static size_t
check(const struct spec_field *spec, const char *text, json_t **out)
{
	json_t *obj = parse(text);
	json_t *p = new_problem();
	char *before = json_dumps(obj, JSON_SORT_KEYS | JSON_ENCODE_ANY);
	char *after;
	size_t n = spec_validate_object(spec, obj, NULL, p);

	/* the object is not modified */
	after = json_dumps(obj, JSON_SORT_KEYS | JSON_ENCODE_ANY);
	assert_string_equal(before, after);
	free(before);
	free(after);
	json_decref(obj);
	assert_int_equal(n, problem_field_error_count(p));
	if (n == 0)
		assert_null(json_object_get(p, "errors"));
	*out = p;
	return n;
}

/* The i-th error of p must be (field, code). */
static void
expect_error(const json_t *p, size_t i, const char *field, const char *code)
{
	const json_t *e = json_array_get(json_object_get(p, "errors"), i);
	const char *f, *c, *msg;

	if (e == NULL)
		fail_msg("no error #%zu (want %s %s)", i, field, code);
	f = json_string_value(json_object_get(e, "field"));
	c = json_string_value(json_object_get(e, "code"));
	msg = json_string_value(json_object_get(e, "message"));
	assert_non_null(f);
	assert_non_null(c);
	assert_non_null(msg);
	assert_true(strlen(msg) > 0);
	if (strcmp(f, field) != 0 || strcmp(c, code) != 0)
		fail_msg("error #%zu is %s %s (%s), want %s %s", i, f, c, msg, field, code);
}

static const char *
error_message(const json_t *p, size_t i)
{
	return json_string_value(
	    json_object_get(json_array_get(json_object_get(p, "errors"), i), "message"));
}

/* Validate and expect exactly one error (field, code). */
static void
expect_one(const struct spec_field *spec, const char *text, const char *field, const char *code)
{
	json_t *p;
	size_t n = check(spec, text, &p);

	if (n != 1)
		fail_msg("%s: %zu errors, want 1 (%s %s)", text, n, field, code);
	expect_error(p, 0, field, code);
	json_decref(p);
}

static void
expect_valid(const struct spec_field *spec, const char *text)
{
	json_t *p;
	size_t n = check(spec, text, &p);

	if (n != 0) {
		char *dump = json_dumps(json_object_get(p, "errors"), JSON_COMPACT);

		fail_msg("%s: unexpected errors %s", text, dump);
	}
	json_decref(p);
}

/* ---- specs ------------------------------------------------------------ */

static const char *const colours[] = {"red", "green", "blue", NULL};

static const struct spec_field types_spec[] = {{.name = "s", .type = SPEC_STRING},
                                               {.name = "i", .type = SPEC_INTEGER},
                                               {.name = "n", .type = SPEC_NUMBER},
                                               {.name = "b", .type = SPEC_BOOLEAN},
                                               {.name = "a", .type = SPEC_ARRAY},
                                               {.name = "o", .type = SPEC_OBJECT},
                                               SPEC_END};

static const struct spec_field required_spec[] = {
    {.name = "name", .type = SPEC_STRING, .flags = SPEC_REQUIRED},
    {.name = "note", .type = SPEC_STRING},
    {.name = "phone", .type = SPEC_STRING, .flags = SPEC_NULLABLE},
    {.name = "website", .type = SPEC_STRING, .flags = SPEC_REQUIRED | SPEC_NULLABLE},
    SPEC_END};

static const struct spec_field bounds_spec[] = {
    {.name = "s", .type = SPEC_STRING, .min = 3, .max = 5},
    {.name = "free", .type = SPEC_STRING},
    {.name = "i", .type = SPEC_INTEGER, .min = 1, .max = 200},
    {.name = "lat", .type = SPEC_NUMBER, .min = -90, .max = 90},
    {.name = "big", .type = SPEC_INTEGER, .min = 0, .max = 9007199254740992LL},
    {.name = "neg", .type = SPEC_INTEGER, .min = -10, .max = -5},
    SPEC_END};

static const struct spec_field tag_item = {.name = "tag", .type = SPEC_STRING, .min = 1, .max = 8};

static const struct spec_field email_item = {
    .name = "email", .type = SPEC_STRING, .format = SPEC_FMT_EMAIL};

static const struct spec_field contact_fields[] = {
    {.name = "name", .type = SPEC_STRING, .flags = SPEC_REQUIRED, .min = 1, .max = 40},
    {.name = "email", .type = SPEC_STRING, .format = SPEC_FMT_EMAIL},
    SPEC_END};

static const struct spec_field contact_item = {
    .name = "contact", .type = SPEC_OBJECT, .fields = contact_fields};

static const struct spec_field array_spec[] = {
    {.name = "tags",
     .type = SPEC_ARRAY,
     .flags = SPEC_UNIQUE,
     .min = 1,
     .max = 3,
     .items = &tag_item},
    {.name = "any", .type = SPEC_ARRAY},
    {.name = "emails", .type = SPEC_ARRAY, .items = &email_item},
    {.name = "contacts", .type = SPEC_ARRAY, .items = &contact_item},
    {.name = "nums", .type = SPEC_ARRAY, .flags = SPEC_UNIQUE},
    SPEC_END};

static const struct spec_field geo_fields[] = {
    {.name = "lat", .type = SPEC_NUMBER, .flags = SPEC_REQUIRED, .min = -90, .max = 90},
    {.name = "lon", .type = SPEC_NUMBER, .flags = SPEC_REQUIRED, .min = -180, .max = 180},
    SPEC_END};

static const struct spec_field address_fields[] = {
    {.name = "street", .type = SPEC_STRING, .flags = SPEC_REQUIRED, .min = 1, .max = 80},
    {.name = "postal_code",
     .type = SPEC_STRING,
     .flags = SPEC_REQUIRED,
     .format = SPEC_FMT_POSTAL_CODE_DK},
    {.name = "geo", .type = SPEC_OBJECT, .fields = geo_fields},
    SPEC_END};

static const struct spec_field nested_spec[] = {
    {.name = "address", .type = SPEC_OBJECT, .flags = SPEC_REQUIRED, .fields = address_fields},
    {.name = "meta", .type = SPEC_OBJECT},
    SPEC_END};

static const struct spec_field enum_spec[] = {
    {.name = "colour", .type = SPEC_STRING, .enum_values = colours}, SPEC_END};

static const struct spec_field text_spec[] = {
    {.name = "line", .type = SPEC_STRING},
    {.name = "text", .type = SPEC_STRING, .flags = SPEC_MULTILINE},
    SPEC_END};

static const struct spec_field formats_spec[] = {
    {.name = "date", .type = SPEC_STRING, .format = SPEC_FMT_DATE},
    {.name = "at", .type = SPEC_STRING, .format = SPEC_FMT_DATETIME},
    {.name = "email", .type = SPEC_STRING, .format = SPEC_FMT_EMAIL},
    {.name = "id", .type = SPEC_STRING, .format = SPEC_FMT_UUID},
    {.name = "postal_code", .type = SPEC_STRING, .format = SPEC_FMT_POSTAL_CODE_DK},
    {.name = "website", .type = SPEC_STRING, .format = SPEC_FMT_URL},
    {.name = "cvr", .type = SPEC_STRING, .format = SPEC_FMT_CVR},
    SPEC_END};

/* ---- types, required, nullable ---------------------------------------- */

static void
test_all_types_valid(void **state)
{
	(void)state;
	expect_valid(
	    types_spec,
	    "{\"s\":\"x\",\"i\":-7,\"n\":1.5,\"b\":false,\"a\":[1,\"x\"],\"o\":{\"k\":1}}");
	/* an integer is a number too */
	expect_valid(types_spec, "{\"n\":3}");
	/* nothing is required here */
	expect_valid(types_spec, "{}");
	/* but not everything is valid */
	expect_one(types_spec, "{\"i\":true}", "i", "wrong_type");
}

static void
test_wrong_types(void **state)
{
	json_t *p;

	(void)state;
	expect_one(types_spec, "{\"s\":1}", "s", "wrong_type");
	expect_one(types_spec, "{\"s\":true}", "s", "wrong_type");
	expect_one(types_spec, "{\"i\":\"1\"}", "i", "wrong_type");
	expect_one(types_spec, "{\"i\":1.5}", "i", "wrong_type");
	expect_one(types_spec, "{\"n\":\"1.5\"}", "n", "wrong_type");
	expect_one(types_spec, "{\"b\":0}", "b", "wrong_type");
	expect_one(types_spec, "{\"b\":\"true\"}", "b", "wrong_type");
	expect_one(types_spec, "{\"a\":{}}", "a", "wrong_type");
	expect_one(types_spec, "{\"a\":\"x,y\"}", "a", "wrong_type");
	expect_one(types_spec, "{\"o\":[]}", "o", "wrong_type");

	assert_int_equal(check(types_spec, "{\"s\":1,\"i\":\"x\"}", &p), 2);
	assert_string_equal(error_message(p, 0), "must be a string");
	assert_string_equal(error_message(p, 1), "must be an integer");
	json_decref(p);
}

static void
test_required(void **state)
{
	json_t *p;

	(void)state;
	expect_valid(required_spec, "{\"name\":\"Anna\",\"website\":null}");
	assert_int_equal(check(required_spec, "{}", &p), 2);
	expect_error(p, 0, "name", "required");
	expect_error(p, 1, "website", "required");
	assert_string_equal(error_message(p, 0), "is required");
	json_decref(p);
}

static void
test_nullable(void **state)
{
	json_t *p;

	(void)state;
	expect_valid(required_spec, "{\"name\":\"A\",\"phone\":null,\"website\":null}");
	expect_one(required_spec, "{\"name\":\"A\",\"note\":null,\"website\":null}", "note",
	           "wrong_type");
	/* required does not accept null unless nullable */
	assert_int_equal(check(required_spec, "{\"name\":null,\"website\":null}", &p), 1);
	expect_error(p, 0, "name", "wrong_type");
	assert_string_equal(error_message(p, 0), "must be a string, not null");
	json_decref(p);
}

/* ---- bounds ----------------------------------------------------------- */

static void
test_utf8_length(void **state)
{
	(void)state;
	assert_int_equal(spec_utf8_length("", 0), 0);
	assert_int_equal(spec_utf8_length("abc", 3), 3);
	assert_int_equal(spec_utf8_length("\xc3\xa6\xc3\xb8\xc3\xa5", 6), 3); /* æøå */
	assert_int_equal(spec_utf8_length("\xe2\x82\xac", 3), 1);             /* € */
	assert_int_equal(spec_utf8_length("\xf0\x9f\x98\x80!", 5), 2);        /* 😀! */
	assert_int_equal(spec_utf8_length("a\xc3\xa6z", 2), 2);               /* only len bytes */
}

static void
test_string_bounds_in_characters(void **state)
{
	json_t *p;

	(void)state;
	/* "æøå" is 6 bytes but 3 characters */
	expect_valid(bounds_spec, "{\"s\":\"\xc3\xa6\xc3\xb8\xc3\xa5\"}");
	expect_valid(bounds_spec, "{\"s\":\"abc\"}");
	expect_valid(bounds_spec, "{\"s\":\"abcde\"}");
	/* 5 characters, 10 bytes */
	expect_valid(bounds_spec, "{\"s\":\"\xc3\xa6\xc3\xa6\xc3\xa6\xc3\xa6\xc3\xa6\"}");
	expect_one(bounds_spec, "{\"s\":\"ab\"}", "s", "too_short");
	expect_one(bounds_spec, "{\"s\":\"\"}", "s", "too_short");
	expect_one(bounds_spec, "{\"s\":\"\xc3\xa6\xc3\xb8\"}", "s", "too_short");
	expect_one(bounds_spec, "{\"s\":\"abcdef\"}", "s", "too_long");
	expect_one(bounds_spec, "{\"s\":\"\xc3\xa6\xc3\xa6\xc3\xa6\xc3\xa6\xc3\xa6\xc3\xa6\"}", "s",
	           "too_long");
	assert_int_equal(check(bounds_spec, "{\"s\":\"abcdef\"}", &p), 1);
	assert_string_equal(error_message(p, 0), "must be at most 5 characters long");
	json_decref(p);
	assert_int_equal(check(bounds_spec, "{\"s\":\"a\"}", &p), 1);
	assert_string_equal(error_message(p, 0), "must be at least 3 characters long");
	json_decref(p);
}

static void
test_no_bounds_when_zero(void **state)
{
	char text[5000];

	(void)state;
	expect_valid(bounds_spec, "{\"free\":\"\"}");
	memcpy(text, "{\"free\":\"", 9);
	memset(text + 9, 'x', 4000);
	memcpy(text + 4009, "\"}", 3);
	expect_valid(bounds_spec, text);
	/* the same text in a bounded field is refused */
	memcpy(text + 2, "s\":\"", 4);
	memmove(text + 6, text + 9, 4003);
	expect_one(bounds_spec, text, "s", "too_long");
}

static void
test_number_bounds(void **state)
{
	json_t *p;

	(void)state;
	expect_valid(bounds_spec, "{\"i\":1}");
	expect_valid(bounds_spec, "{\"i\":200}");
	expect_one(bounds_spec, "{\"i\":0}", "i", "too_small");
	expect_one(bounds_spec, "{\"i\":-1}", "i", "too_small");
	expect_one(bounds_spec, "{\"i\":201}", "i", "too_large");
	expect_valid(bounds_spec, "{\"lat\":-90}");
	expect_valid(bounds_spec, "{\"lat\":90.0}");
	expect_valid(bounds_spec, "{\"lat\":55.6761}");
	expect_one(bounds_spec, "{\"lat\":-90.0001}", "lat", "too_small");
	expect_one(bounds_spec, "{\"lat\":90.5}", "lat", "too_large");
	expect_valid(bounds_spec, "{\"neg\":-5}");
	expect_valid(bounds_spec, "{\"neg\":-10}");
	expect_one(bounds_spec, "{\"neg\":0}", "neg", "too_large");
	expect_one(bounds_spec, "{\"neg\":-11}", "neg", "too_small");
	assert_int_equal(check(bounds_spec, "{\"i\":500}", &p), 1);
	assert_string_equal(error_message(p, 0), "must be at most 200");
	json_decref(p);
	assert_int_equal(check(bounds_spec, "{\"i\":0}", &p), 1);
	assert_string_equal(error_message(p, 0), "must be at least 1");
	json_decref(p);
}

static void
test_integer_bounds_are_exact(void **state)
{
	(void)state;
	/* 2^53 + 1 is not representable as a double: it must still be
	 * compared exactly */
	expect_valid(bounds_spec, "{\"big\":9007199254740992}");
	expect_one(bounds_spec, "{\"big\":9007199254740993}", "big", "too_large");
	expect_one(bounds_spec, "{\"big\":9223372036854775807}", "big", "too_large");
}

/* ---- arrays ------------------------------------------------------------ */

static void
test_array_counts(void **state)
{
	json_t *p;

	(void)state;
	expect_valid(array_spec, "{\"tags\":[\"a\"]}");
	expect_valid(array_spec, "{\"tags\":[\"a\",\"b\",\"c\"]}");
	expect_one(array_spec, "{\"tags\":[]}", "tags", "too_short");
	expect_one(array_spec, "{\"tags\":[\"a\",\"b\",\"c\",\"d\"]}", "tags", "too_many_items");
	assert_int_equal(check(array_spec, "{\"tags\":[\"a\",\"b\",\"c\",\"d\"]}", &p), 1);
	assert_string_equal(error_message(p, 0), "must have at most 3 items");
	json_decref(p);
	/* no bounds, no item spec: anything goes */
	expect_valid(array_spec, "{\"any\":[]}");
	expect_valid(array_spec, "{\"any\":[1,\"a\",null,{},[],1,1]}");
}

static void
test_array_unique(void **state)
{
	json_t *p;

	(void)state;
	expect_one(array_spec, "{\"tags\":[\"a\",\"b\",\"a\"]}", "tags[2]", "duplicate_item");
	assert_int_equal(check(array_spec, "{\"tags\":[\"a\",\"b\",\"a\"]}", &p), 1);
	assert_string_equal(error_message(p, 0), "repeats item 0");
	json_decref(p);
	expect_valid(array_spec, "{\"nums\":[1,2,3,\"1\"]}");
	expect_one(array_spec, "{\"nums\":[1,2,[1],{\"a\":1},{\"a\":1}]}", "nums[4]",
	           "duplicate_item");
	/* each repeat is one error */
	assert_int_equal(check(array_spec, "{\"nums\":[7,7,7]}", &p), 2);
	expect_error(p, 0, "nums[1]", "duplicate_item");
	expect_error(p, 1, "nums[2]", "duplicate_item");
	json_decref(p);
}

static void
test_array_items(void **state)
{
	json_t *p;

	(void)state;
	assert_int_equal(check(array_spec, "{\"tags\":[\"ok\",5,\"waytoolong\"]}", &p), 2);
	expect_error(p, 0, "tags[1]", "wrong_type");
	expect_error(p, 1, "tags[2]", "too_long");
	json_decref(p);

	expect_one(array_spec, "{\"tags\":[\"a\",\"\"]}", "tags[1]", "too_short");
	expect_valid(array_spec, "{\"emails\":[\"a@example.dk\",\"b@example.dk\"]}");
	expect_one(array_spec, "{\"emails\":[\"a@example.dk\",\"nope\"]}", "emails[1]",
	           "invalid_format");
	expect_one(array_spec, "{\"emails\":[null]}", "emails[0]", "wrong_type");
}

static void
test_array_of_objects(void **state)
{
	json_t *p;

	(void)state;
	expect_valid(array_spec, "{\"contacts\":[{\"name\":\"A\",\"email\":\"a@b.dk\"}]}");
	assert_int_equal(check(array_spec,
	                       "{\"contacts\":[{\"name\":\"A\"},{\"email\":\"x\"},3,"
	                       "{\"name\":\"B\",\"extra\":1}]}",
	                       &p),
	                 4);
	expect_error(p, 0, "contacts[1].name", "required");
	expect_error(p, 1, "contacts[1].email", "invalid_format");
	expect_error(p, 2, "contacts[2]", "wrong_type");
	expect_error(p, 3, "contacts[3].extra", "unknown_field");
	json_decref(p);
}

/* ---- nested objects ---------------------------------------------------- */

static void
test_nested_objects(void **state)
{
	json_t *p;

	(void)state;
	expect_valid(nested_spec, "{\"address\":{\"street\":\"Vej 1\",\"postal_code\":\"2100\"}}");
	expect_valid(nested_spec, "{\"address\":{\"street\":\"Vej 1\",\"postal_code\":\"2100\","
	                          "\"geo\":{\"lat\":55.7,\"lon\":12.5}},\"meta\":{\"free\":1}}");
	expect_one(nested_spec, "{\"address\":{\"street\":\"Vej 1\",\"postal_code\":\"0123\"}}",
	           "address.postal_code", "invalid_format");
	expect_one(nested_spec, "{\"address\":{\"street\":\"Vej 1\"}}", "address.postal_code",
	           "required");
	expect_one(nested_spec, "{\"address\":\"Vej 1, 2100\"}", "address", "wrong_type");
	expect_one(nested_spec, "{}", "address", "required");

	assert_int_equal(check(nested_spec,
	                       "{\"address\":{\"street\":\"\",\"postal_code\":\"2100\","
	                       "\"geo\":{\"lat\":91},\"floor\":2}}",
	                       &p),
	                 4);
	expect_error(p, 0, "address.street", "too_short");
	expect_error(p, 1, "address.geo.lat", "too_large");
	expect_error(p, 2, "address.geo.lon", "required");
	expect_error(p, 3, "address.floor", "unknown_field");
	json_decref(p);
}

static void
test_prefix_and_non_object(void **state)
{
	json_t *p = new_problem();
	json_t *arr = parse("[1,2]");
	json_t *obj = parse("{\"street\":\"x\",\"postal_code\":\"1\"}");

	(void)state;
	assert_int_equal(spec_validate_object(address_fields, arr, NULL, p), 1);
	expect_error(p, 0, "$", "wrong_type");
	assert_string_equal(error_message(p, 0), "must be an object");
	assert_int_equal(spec_validate_object(address_fields, arr, "", p), 1);
	expect_error(p, 1, "$", "wrong_type");
	assert_int_equal(spec_validate_object(address_fields, arr, "body", p), 1);
	expect_error(p, 2, "body", "wrong_type");
	assert_int_equal(spec_validate_object(address_fields, obj, "item", p), 1);
	expect_error(p, 3, "item.postal_code", "invalid_format");
	assert_int_equal(problem_field_error_count(p), 4);
	json_decref(arr);
	json_decref(obj);
	json_decref(p);
}

/* ---- enum -------------------------------------------------------------- */

static void
test_enum(void **state)
{
	json_t *p;

	(void)state;
	expect_valid(enum_spec, "{\"colour\":\"red\"}");
	expect_valid(enum_spec, "{\"colour\":\"blue\"}");
	expect_one(enum_spec, "{\"colour\":\"Red\"}", "colour", "not_in_enum");
	expect_one(enum_spec, "{\"colour\":\"\"}", "colour", "not_in_enum");
	expect_one(enum_spec, "{\"colour\":\"redd\"}", "colour", "not_in_enum");
	expect_one(enum_spec, "{\"colour\":1}", "colour", "wrong_type");
	assert_int_equal(check(enum_spec, "{\"colour\":\"purple\"}", &p), 1);
	assert_string_equal(error_message(p, 0), "must be one of: red, green, blue");
	json_decref(p);
}

/* ---- formats ----------------------------------------------------------- */

static void
test_format_none(void **state)
{
	(void)state;
	assert_true(spec_format_ok(SPEC_FMT_NONE, ""));
	assert_true(spec_format_ok(SPEC_FMT_NONE, "anything at all"));
}

static void
test_format_date(void **state)
{
	(void)state;
	assert_true(spec_format_ok(SPEC_FMT_DATE, "2024-01-31"));
	assert_true(spec_format_ok(SPEC_FMT_DATE, "2023-12-31"));
	assert_true(spec_format_ok(SPEC_FMT_DATE, "2023-02-28"));
	/* leap years: divisible by 4, except centuries, except every 400 years */
	assert_true(spec_format_ok(SPEC_FMT_DATE, "2024-02-29"));
	assert_true(spec_format_ok(SPEC_FMT_DATE, "2000-02-29"));
	assert_false(spec_format_ok(SPEC_FMT_DATE, "2023-02-29"));
	assert_false(spec_format_ok(SPEC_FMT_DATE, "2100-02-29"));
	assert_false(spec_format_ok(SPEC_FMT_DATE, "1900-02-29"));
	assert_false(spec_format_ok(SPEC_FMT_DATE, "2024-02-30"));
	/* month lengths */
	assert_false(spec_format_ok(SPEC_FMT_DATE, "2023-04-31"));
	assert_true(spec_format_ok(SPEC_FMT_DATE, "2023-04-30"));
	assert_false(spec_format_ok(SPEC_FMT_DATE, "2023-06-31"));
	assert_false(spec_format_ok(SPEC_FMT_DATE, "2023-01-32"));
	assert_false(spec_format_ok(SPEC_FMT_DATE, "2023-13-01"));
	assert_false(spec_format_ok(SPEC_FMT_DATE, "2023-00-10"));
	assert_false(spec_format_ok(SPEC_FMT_DATE, "2023-01-00"));
	/* shape */
	assert_false(spec_format_ok(SPEC_FMT_DATE, ""));
	assert_false(spec_format_ok(SPEC_FMT_DATE, "2023-1-01"));
	assert_false(spec_format_ok(SPEC_FMT_DATE, "2023-01-1"));
	assert_false(spec_format_ok(SPEC_FMT_DATE, "20230101"));
	assert_false(spec_format_ok(SPEC_FMT_DATE, "2023/01/01"));
	assert_false(spec_format_ok(SPEC_FMT_DATE, "01-01-2023"));
	assert_false(spec_format_ok(SPEC_FMT_DATE, "2023-01-01 "));
	assert_false(spec_format_ok(SPEC_FMT_DATE, " 2023-01-01"));
	assert_false(spec_format_ok(SPEC_FMT_DATE, "2023-01-01T00:00:00Z"));
	assert_false(spec_format_ok(SPEC_FMT_DATE, "abcd-ef-gh"));
	assert_false(spec_format_ok(SPEC_FMT_DATE, "2023-0a-01"));
	assert_false(spec_format_ok(SPEC_FMT_DATE, "+202-01-01"));
}

static void
test_format_datetime(void **state)
{
	(void)state;
	assert_true(spec_format_ok(SPEC_FMT_DATETIME, "2024-02-29T12:34:56Z"));
	assert_true(spec_format_ok(SPEC_FMT_DATETIME, "2024-02-29t12:34:56z"));
	assert_true(spec_format_ok(SPEC_FMT_DATETIME, "2024-01-01T00:00:00+01:00"));
	assert_true(spec_format_ok(SPEC_FMT_DATETIME, "2024-01-01T23:59:59-05:30"));
	assert_true(spec_format_ok(SPEC_FMT_DATETIME, "2024-01-01T00:00:00.5Z"));
	assert_true(spec_format_ok(SPEC_FMT_DATETIME, "2024-01-01T00:00:00.123456789+02:00"));
	/* the date part must be a real date */
	assert_false(spec_format_ok(SPEC_FMT_DATETIME, "2023-02-29T12:00:00Z"));
	/* an offset is required */
	assert_false(spec_format_ok(SPEC_FMT_DATETIME, "2024-01-01T00:00:00"));
	assert_false(spec_format_ok(SPEC_FMT_DATETIME, "2024-01-01T00:00:00.5"));
	/* time ranges */
	assert_false(spec_format_ok(SPEC_FMT_DATETIME, "2024-01-01T24:00:00Z"));
	assert_false(spec_format_ok(SPEC_FMT_DATETIME, "2024-01-01T12:60:00Z"));
	assert_false(spec_format_ok(SPEC_FMT_DATETIME, "2024-01-01T12:00:61Z"));
	assert_false(spec_format_ok(SPEC_FMT_DATETIME, "2024-01-01T12:00:00+24:00"));
	assert_false(spec_format_ok(SPEC_FMT_DATETIME, "2024-01-01T12:00:00+01:60"));
	/* shape */
	assert_false(spec_format_ok(SPEC_FMT_DATETIME, ""));
	assert_false(spec_format_ok(SPEC_FMT_DATETIME, "2024-01-01"));
	assert_false(spec_format_ok(SPEC_FMT_DATETIME, "2024-01-01 12:00:00Z"));
	assert_false(spec_format_ok(SPEC_FMT_DATETIME, "2024-01-01T12:00Z"));
	assert_false(spec_format_ok(SPEC_FMT_DATETIME, "2024-01-01T12:00:00.Z"));
	assert_false(spec_format_ok(SPEC_FMT_DATETIME, "2024-01-01T12:00:00.1234567890Z"));
	assert_false(spec_format_ok(SPEC_FMT_DATETIME, "2024-01-01T12:00:00+1:00"));
	assert_false(spec_format_ok(SPEC_FMT_DATETIME, "2024-01-01T12:00:00+0100"));
	assert_false(spec_format_ok(SPEC_FMT_DATETIME, "2024-01-01T12:00:00Zx"));
	assert_false(spec_format_ok(SPEC_FMT_DATETIME, "2024-01-01T12:00:00+01:00x"));
	assert_false(spec_format_ok(SPEC_FMT_DATETIME, "2024-01-01T1a:00:00Z"));
}

static void
test_format_email(void **state)
{
	char s[300];

	(void)state;
	assert_true(spec_format_ok(SPEC_FMT_EMAIL, "anna@example.dk"));
	assert_true(spec_format_ok(SPEC_FMT_EMAIL, "a.b+tag@sub.example.com"));
	assert_true(spec_format_ok(SPEC_FMT_EMAIL, "o'neil_x-1@ex-ample.co.uk"));
	assert_false(spec_format_ok(SPEC_FMT_EMAIL, ""));
	assert_false(spec_format_ok(SPEC_FMT_EMAIL, "no-at.example.dk"));
	assert_false(spec_format_ok(SPEC_FMT_EMAIL, "a@b@example.dk"));
	assert_false(spec_format_ok(SPEC_FMT_EMAIL, "@example.dk"));
	assert_false(spec_format_ok(SPEC_FMT_EMAIL, "anna@"));
	assert_false(spec_format_ok(SPEC_FMT_EMAIL, "anna@localhost"));
	assert_false(spec_format_ok(SPEC_FMT_EMAIL, ".anna@example.dk"));
	assert_false(spec_format_ok(SPEC_FMT_EMAIL, "anna.@example.dk"));
	assert_false(spec_format_ok(SPEC_FMT_EMAIL, "an..na@example.dk"));
	assert_false(spec_format_ok(SPEC_FMT_EMAIL, "an na@example.dk"));
	assert_false(spec_format_ok(SPEC_FMT_EMAIL, "anna@-example.dk"));
	assert_false(spec_format_ok(SPEC_FMT_EMAIL, "anna@example-.dk"));
	assert_false(spec_format_ok(SPEC_FMT_EMAIL, "anna@example..dk"));
	assert_false(spec_format_ok(SPEC_FMT_EMAIL, "anna@.example.dk"));
	assert_false(spec_format_ok(SPEC_FMT_EMAIL, "anna@example.dk."));
	assert_false(spec_format_ok(SPEC_FMT_EMAIL, "anna@exa_mple.dk"));
	assert_false(spec_format_ok(SPEC_FMT_EMAIL, "anna@example.dk>"));
	assert_false(spec_format_ok(SPEC_FMT_EMAIL, "<anna@example.dk"));

	/* local part: 64 characters at most */
	memset(s, 'l', 64);
	strcpy(s + 64, "@example.dk");
	assert_true(spec_format_ok(SPEC_FMT_EMAIL, s));
	memset(s, 'l', 65);
	strcpy(s + 65, "@example.dk");
	assert_false(spec_format_ok(SPEC_FMT_EMAIL, s));

	/* whole address: 254 characters at most (64 + 1 + 63 + 1 + 63 + 1 + 61) */
	memset(s, 'a', 64);
	s[64] = '@';
	memset(s + 65, 'b', 63);
	s[128] = '.';
	memset(s + 129, 'c', 63);
	s[192] = '.';
	memset(s + 193, 'd', 61);
	s[254] = '\0';
	assert_int_equal(strlen(s), 254);
	assert_true(spec_format_ok(SPEC_FMT_EMAIL, s));
	s[254] = 'd';
	s[255] = '\0';
	assert_false(spec_format_ok(SPEC_FMT_EMAIL, s));

	/* a domain label is 63 characters at most */
	strcpy(s, "x@");
	memset(s + 2, 'b', 64);
	strcpy(s + 66, ".dk");
	assert_false(spec_format_ok(SPEC_FMT_EMAIL, s));
}

static void
test_format_uuid(void **state)
{
	(void)state;
	assert_true(spec_format_ok(SPEC_FMT_UUID, "123e4567-e89b-12d3-a456-426614174000"));
	assert_true(spec_format_ok(SPEC_FMT_UUID, "123E4567-E89B-12D3-A456-426614174000"));
	assert_true(spec_format_ok(SPEC_FMT_UUID, "00000000-0000-0000-0000-000000000000"));
	assert_false(spec_format_ok(SPEC_FMT_UUID, ""));
	assert_false(spec_format_ok(SPEC_FMT_UUID, "123e4567e89b12d3a456426614174000"));
	assert_false(spec_format_ok(SPEC_FMT_UUID, "123e4567-e89b-12d3-a456-42661417400"));
	assert_false(spec_format_ok(SPEC_FMT_UUID, "123e4567-e89b-12d3-a456-4266141740000"));
	assert_false(spec_format_ok(SPEC_FMT_UUID, "123e4567-e89b-12d3-a456-42661417400g"));
	assert_false(spec_format_ok(SPEC_FMT_UUID, "123e4567-e89b-12d3-a4564-26614174000"));
	assert_false(spec_format_ok(SPEC_FMT_UUID, "123e45678e89b-12d3-a456-426614174000"));
	assert_false(spec_format_ok(SPEC_FMT_UUID, "{23e4567-e89b-12d3-a456-426614174000}"));
}

static void
test_format_postal_code_dk(void **state)
{
	(void)state;
	assert_true(spec_format_ok(SPEC_FMT_POSTAL_CODE_DK, "0800"));
	assert_true(spec_format_ok(SPEC_FMT_POSTAL_CODE_DK, "1050"));
	assert_true(spec_format_ok(SPEC_FMT_POSTAL_CODE_DK, "2100"));
	assert_true(spec_format_ok(SPEC_FMT_POSTAL_CODE_DK, "9990"));
	assert_false(spec_format_ok(SPEC_FMT_POSTAL_CODE_DK, "0799"));
	assert_false(spec_format_ok(SPEC_FMT_POSTAL_CODE_DK, "0000"));
	assert_false(spec_format_ok(SPEC_FMT_POSTAL_CODE_DK, "9991"));
	assert_false(spec_format_ok(SPEC_FMT_POSTAL_CODE_DK, "9999"));
	assert_false(spec_format_ok(SPEC_FMT_POSTAL_CODE_DK, "800"));
	assert_false(spec_format_ok(SPEC_FMT_POSTAL_CODE_DK, "21000"));
	assert_false(spec_format_ok(SPEC_FMT_POSTAL_CODE_DK, "21a0"));
	assert_false(spec_format_ok(SPEC_FMT_POSTAL_CODE_DK, " 2100"));
	assert_false(spec_format_ok(SPEC_FMT_POSTAL_CODE_DK, "DK-2100"));
	assert_false(spec_format_ok(SPEC_FMT_POSTAL_CODE_DK, ""));
}

static void
test_format_url(void **state)
{
	(void)state;
	assert_true(spec_format_ok(SPEC_FMT_URL, "https://example.dk"));
	assert_true(spec_format_ok(SPEC_FMT_URL, "http://example.dk/a/b?c=d&e=f#g"));
	assert_true(spec_format_ok(SPEC_FMT_URL, "https://kommune.dk:8443/%C3%A6"));
	assert_false(spec_format_ok(SPEC_FMT_URL, ""));
	assert_false(spec_format_ok(SPEC_FMT_URL, "example.dk"));
	assert_false(spec_format_ok(SPEC_FMT_URL, "www.example.dk/x"));
	assert_false(spec_format_ok(SPEC_FMT_URL, "ftp://example.dk"));
	assert_false(spec_format_ok(SPEC_FMT_URL, "javascript:alert(1)"));
	assert_false(spec_format_ok(SPEC_FMT_URL, "https://"));
	/* a DEL byte (found by tests/fuzz/fuzz_ical.c: it reached iCalendar URL lines) */
	assert_false(spec_format_ok(SPEC_FMT_URL, "https://example.dk/\x7f"));
	assert_false(spec_format_ok(SPEC_FMT_URL, "http:///path"));
	assert_false(spec_format_ok(SPEC_FMT_URL, "https://.example.dk"));
	assert_false(spec_format_ok(SPEC_FMT_URL, "https://exa mple.dk"));
	assert_false(spec_format_ok(SPEC_FMT_URL, "https://example.dk/\"x"));
	assert_false(spec_format_ok(SPEC_FMT_URL, "https://example.dk/<script>"));
	assert_false(spec_format_ok(SPEC_FMT_URL, "https://example.dk/a\\b"));
	assert_false(spec_format_ok(SPEC_FMT_URL, "https://example.dk/\n"));
}

static int
cvr_checksum(const char *s)
{
	static const int w[] = {2, 7, 6, 5, 4, 3, 2, 1};
	int sum = 0;

	for (int i = 0; i < 8; i++)
		sum += (s[i] - '0') * w[i];
	return sum % 11;
}

static void
test_format_cvr(void **state)
{
	char s[9];
	int valid = 0;

	(void)state;
	/* 1*2 + 0*7 + 1*6 + 5*5 + 0*4 + 8*3 + 1*2 + 7*1 = 66 = 6 * 11 */
	assert_int_equal(cvr_checksum("10150817"), 0);
	assert_true(spec_format_ok(SPEC_FMT_CVR, "10150817"));
	/* 2*2 + 4*7 + 2*6 + 5*5 + 6*4 + 7*3 + 9*2 + 0*1 = 132 = 12 * 11 */
	assert_true(spec_format_ok(SPEC_FMT_CVR, "24256790"));
	/* 2 + 14 + 18 + 20 + 20 + 18 + 14 + 4 = 110 */
	assert_true(spec_format_ok(SPEC_FMT_CVR, "12345674"));
	/* wrong check digit */
	assert_false(spec_format_ok(SPEC_FMT_CVR, "10150818"));
	assert_false(spec_format_ok(SPEC_FMT_CVR, "10150816"));
	assert_false(spec_format_ok(SPEC_FMT_CVR, "12345678"));
	/* shape */
	assert_false(spec_format_ok(SPEC_FMT_CVR, ""));
	assert_false(spec_format_ok(SPEC_FMT_CVR, "1015081"));
	assert_false(spec_format_ok(SPEC_FMT_CVR, "101508170"));
	assert_false(spec_format_ok(SPEC_FMT_CVR, "1015081a"));
	assert_false(spec_format_ok(SPEC_FMT_CVR, "1015 0817"));
	assert_false(spec_format_ok(SPEC_FMT_CVR, "DK10150817"));
	/* CVR numbers never start with 0 (00000000 passes modulus 11) */
	assert_int_equal(cvr_checksum("00000000"), 0);
	assert_false(spec_format_ok(SPEC_FMT_CVR, "00000000"));

	/* exactly one digit completes 1015081x */
	memcpy(s, "1015081", 7);
	s[8] = '\0';
	for (char d = '0'; d <= '9'; d++) {
		s[7] = d;
		assert_int_equal(spec_format_ok(SPEC_FMT_CVR, s), cvr_checksum(s) == 0);
		valid += spec_format_ok(SPEC_FMT_CVR, s);
	}
	assert_int_equal(valid, 1);
}

static void
test_format_slug(void **state)
{
	(void)state;
	assert_true(spec_format_ok(SPEC_FMT_SLUG, "aarhus"));
	assert_true(spec_format_ok(SPEC_FMT_SLUG, "centre-2100-oe"));
	assert_true(spec_format_ok(SPEC_FMT_SLUG, "7"));
	assert_false(spec_format_ok(SPEC_FMT_SLUG, ""));
	assert_false(spec_format_ok(SPEC_FMT_SLUG, "-aarhus"));
	assert_false(spec_format_ok(SPEC_FMT_SLUG, "aarhus-"));
	assert_false(spec_format_ok(SPEC_FMT_SLUG, "Aarhus"));
	assert_false(spec_format_ok(SPEC_FMT_SLUG, "aar hus"));
	assert_false(spec_format_ok(SPEC_FMT_SLUG, "aar_hus"));
	assert_false(spec_format_ok(SPEC_FMT_SLUG, "aarhus/1"));
	assert_false(spec_format_ok(SPEC_FMT_SLUG, "\xc3\xa6r\xc3\xb8"));
}

static void
test_format_origin_and_keyset(void **state)
{
	(void)state;
	assert_true(spec_format_ok(SPEC_FMT_ORIGIN, "https://odense.socialkompas.dk"));
	assert_true(spec_format_ok(SPEC_FMT_ORIGIN, "http://localhost:8080"));
	assert_false(spec_format_ok(SPEC_FMT_ORIGIN, "https://odense.socialkompas.dk/"));
	assert_false(spec_format_ok(SPEC_FMT_ORIGIN, "https://x.dk/path"));
	assert_false(spec_format_ok(SPEC_FMT_ORIGIN, "https://user@x.dk"));
	assert_false(spec_format_ok(SPEC_FMT_ORIGIN, "https://x.dk:"));
	assert_false(spec_format_ok(SPEC_FMT_ORIGIN, "https://x.dk:123456"));
	assert_false(spec_format_ok(SPEC_FMT_ORIGIN, "ftp://x.dk"));
	assert_true(spec_format_ok(SPEC_FMT_KEYSET, "2026-11-23T05:03:40.123456Z_"
	                                            "48dddbc7-df88-4fde-b884-a64e90605d6d"));
	assert_false(spec_format_ok(SPEC_FMT_KEYSET, "x"));
	assert_false(spec_format_ok(SPEC_FMT_KEYSET, "2026-11-23T05:03:40Z_not-a-uuid"));
	assert_false(spec_format_ok(SPEC_FMT_KEYSET, "2026-13-23T05:03:40Z_"
	                                             "48dddbc7-df88-4fde-b884-a64e90605d6d"));
	assert_false(spec_format_ok(SPEC_FMT_KEYSET, "_48dddbc7-df88-4fde-b884-a64e90605d6d"));
}

static void
test_formats_in_validation(void **state)
{
	json_t *p;

	(void)state;
	expect_valid(formats_spec, "{\"date\":\"2024-02-29\",\"at\":\"2024-02-29T10:00:00Z\","
	                           "\"email\":\"a@b.dk\",\"id\":\"123e4567-e89b-12d3-a456-"
	                           "426614174000\",\"postal_code\":\"8000\","
	                           "\"website\":\"https://aarhus.dk\",\"cvr\":\"10150817\"}");
	assert_int_equal(check(formats_spec,
	                       "{\"date\":\"2023-02-29\",\"at\":\"2024-02-29 10:00\","
	                       "\"email\":\"a@b\",\"id\":\"x\",\"postal_code\":\"0799\","
	                       "\"website\":\"aarhus.dk\",\"cvr\":\"10150818\"}",
	                       &p),
	                 7);
	expect_error(p, 0, "date", "invalid_format");
	expect_error(p, 1, "at", "invalid_format");
	expect_error(p, 2, "email", "invalid_format");
	expect_error(p, 3, "id", "invalid_format");
	expect_error(p, 4, "postal_code", "invalid_format");
	expect_error(p, 5, "website", "invalid_format");
	expect_error(p, 6, "cvr", "invalid_format");
	assert_string_equal(error_message(p, 0), "must be a date (YYYY-MM-DD)");
	assert_non_null(strstr(error_message(p, 4), "postal code"));
	assert_non_null(strstr(error_message(p, 6), "CVR"));
	json_decref(p);
}

/* ---- control characters ------------------------------------------------ */

static void
test_control_characters(void **state)
{
	json_t *p;

	(void)state;
	expect_valid(text_spec, "{\"line\":\"plain text \xc3\xa6\xc3\xb8\xc3\xa5\"}");
	expect_one(text_spec, "{\"line\":\"a\\nb\"}", "line", "invalid_format");
	expect_one(text_spec, "{\"line\":\"a\\tb\"}", "line", "invalid_format");
	expect_one(text_spec, "{\"line\":\"a\\rb\"}", "line", "invalid_format");
	expect_one(text_spec, "{\"line\":\"a\\u0001b\"}", "line", "invalid_format");
	expect_one(text_spec, "{\"line\":\"\\u001f\"}", "line", "invalid_format");
	expect_one(text_spec, "{\"line\":\"a\\u007fb\"}", "line", "invalid_format");
	assert_int_equal(check(text_spec, "{\"line\":\"a\\nb\"}", &p), 1);
	assert_string_equal(error_message(p, 0), "must not contain control characters");
	json_decref(p);

	/* multiline: newlines and tabs are fine, other controls are not */
	expect_valid(text_spec, "{\"text\":\"line 1\\nline 2\\n\\tindented\"}");
	expect_one(text_spec, "{\"text\":\"bell\\u0007\"}", "text", "invalid_format");
	expect_one(text_spec, "{\"text\":\"esc\\u001b[0m\"}", "text", "invalid_format");
	expect_one(text_spec, "{\"text\":\"del\\u007f\"}", "text", "invalid_format");
}

static void
test_control_characters_embedded_nul(void **state)
{
	json_t *obj = json_object();
	json_t *p = new_problem();

	(void)state;
	json_object_set_new(obj, "line", json_stringn("a\0b", 3));
	assert_int_equal(spec_validate_object(text_spec, obj, NULL, p), 1);
	expect_error(p, 0, "line", "invalid_format");
	json_decref(obj);
	json_decref(p);
}

/* ---- unknown fields and collecting every error -------------------------- */

static void
test_unknown_fields(void **state)
{
	json_t *p;
	char text[300];
	char expect[80];

	(void)state;
	expect_one(enum_spec, "{\"color\":\"red\"}", "color", "unknown_field");
	assert_int_equal(check(enum_spec, "{\"colour\":\"red\",\"a\":1,\"b\":null}", &p), 2);
	expect_error(p, 0, "a", "unknown_field");
	expect_error(p, 1, "b", "unknown_field");
	assert_string_equal(error_message(p, 0), "is not a known field");
	json_decref(p);

	/* an unknown name is echoed back cut to 64 characters */
	memcpy(text, "{\"", 2);
	memset(text + 2, 'k', 200);
	memcpy(text + 202, "\":1}", 5);
	memset(expect, 'k', 64);
	expect[64] = '\0';
	expect_one(enum_spec, text, expect, "unknown_field");
}

static const struct spec_field centre_spec[] = {
    {.name = "slug", .type = SPEC_STRING, .flags = SPEC_REQUIRED, .min = 2, .max = 40},
    {.name = "name", .type = SPEC_STRING, .flags = SPEC_REQUIRED, .min = 2, .max = 120},
    {.name = "postal_code",
     .type = SPEC_STRING,
     .flags = SPEC_NULLABLE,
     .format = SPEC_FMT_POSTAL_CODE_DK},
    {.name = "email",
     .type = SPEC_STRING,
     .flags = SPEC_NULLABLE,
     .max = 254,
     .format = SPEC_FMT_EMAIL},
    {.name = "kind", .type = SPEC_STRING, .enum_values = colours},
    {.name = "capacity", .type = SPEC_INTEGER, .min = 1, .max = 500},
    {.name = "tags", .type = SPEC_ARRAY, .flags = SPEC_UNIQUE, .max = 3, .items = &tag_item},
    {.name = "address", .type = SPEC_OBJECT, .fields = address_fields},
    {.name = "active", .type = SPEC_BOOLEAN, .flags = SPEC_REQUIRED},
    SPEC_END};

static void
test_all_errors_reported_at_once(void **state)
{
	json_t *p;
	json_t *obj = parse("{\"name\":\"X\",\"postal_code\":\"12\",\"email\":\"nope\","
	                    "\"kind\":\"pink\",\"capacity\":0,\"tags\":[\"a\",\"a\",7],"
	                    "\"address\":{\"street\":\"Vej\",\"postal_code\":\"9999\",\"x\":1},"
	                    "\"active\":\"yes\",\"colour\":1,\"zzz\":2}");
	size_t n;

	(void)state;
	p = new_problem();
	n = spec_validate_object(centre_spec, obj, NULL, p);
	assert_int_equal(n, 13);
	assert_int_equal(problem_field_error_count(p), 13);
	expect_error(p, 0, "slug", "required");
	expect_error(p, 1, "name", "too_short");
	expect_error(p, 2, "postal_code", "invalid_format");
	expect_error(p, 3, "email", "invalid_format");
	expect_error(p, 4, "kind", "not_in_enum");
	expect_error(p, 5, "capacity", "too_small");
	expect_error(p, 6, "tags[1]", "duplicate_item");
	expect_error(p, 7, "tags[2]", "wrong_type");
	expect_error(p, 8, "address.postal_code", "invalid_format");
	expect_error(p, 9, "address.x", "unknown_field");
	expect_error(p, 10, "active", "wrong_type");
	expect_error(p, 11, "colour", "unknown_field");
	expect_error(p, 12, "zzz", "unknown_field");
	/* the problem itself still reads as a validation failure */
	assert_string_equal(json_string_value(json_object_get(p, "code")), "validation_failed");
	json_decref(obj);
	json_decref(p);
}

static void
test_errors_accumulate_across_calls(void **state)
{
	json_t *p = new_problem();
	json_t *a = parse("{}");
	json_t *b = parse("{\"name\":1,\"website\":null}");

	(void)state;
	assert_int_equal(spec_validate_object(required_spec, a, NULL, p), 2);
	assert_int_equal(spec_validate_object(required_spec, b, NULL, p), 1);
	assert_int_equal(problem_field_error_count(p), 3);
	expect_error(p, 2, "name", "wrong_type");
	json_decref(a);
	json_decref(b);
	json_decref(p);
}

/* ---- query parameters -------------------------------------------------- */

static const struct spec_field int_item = {.name = "id", .type = SPEC_INTEGER, .min = 1, .max = 99};

static const struct spec_field query_spec[] = {
    {.name = "limit", .type = SPEC_INTEGER, .min = 1, .max = 200},
    {.name = "offset", .type = SPEC_INTEGER},
    {.name = "ratio", .type = SPEC_NUMBER},
    {.name = "active", .type = SPEC_BOOLEAN},
    {.name = "ids", .type = SPEC_ARRAY, .max = 3, .items = &int_item},
    {.name = "langs", .type = SPEC_ARRAY, .flags = SPEC_UNIQUE},
    {.name = "q", .type = SPEC_STRING, .min = 2, .max = 10},
    {.name = "colour", .type = SPEC_STRING, .enum_values = colours},
    SPEC_END};

static const struct spec_field query_required_spec[] = {
    {.name = "from", .type = SPEC_STRING, .flags = SPEC_REQUIRED, .format = SPEC_FMT_DATE},
    {.name = "limit", .type = SPEC_INTEGER, .min = 1, .max = 200},
    {.name = "page", .type = SPEC_INTEGER, .min = 1, .max = 10},
    SPEC_END};

/* Parse query strings; returns the typed object or NULL, with problem. */
static json_t *
query(const struct spec_field *spec, const char *strings_text, json_t **problem)
{
	json_t *strings = parse(strings_text);
	char *before = json_dumps(strings, JSON_SORT_KEYS);
	char *after;
	json_t *p = new_problem();
	json_t *typed = spec_parse_query(spec, strings, p);

	after = json_dumps(strings, JSON_SORT_KEYS);
	assert_string_equal(before, after);
	free(before);
	free(after);
	json_decref(strings);
	if (typed != NULL)
		assert_int_equal(problem_field_error_count(p), 0);
	else
		assert_true(problem_field_error_count(p) > 0);
	*problem = p;
	return typed;
}

static void
expect_query_error(const struct spec_field *spec, const char *strings_text, const char *field,
                   const char *code)
{
	json_t *p;
	json_t *typed = query(spec, strings_text, &p);

	if (typed != NULL)
		fail_msg("%s: accepted", strings_text);
	if (problem_field_error_count(p) != 1)
		fail_msg("%s: %zu errors, want 1", strings_text, problem_field_error_count(p));
	expect_error(p, 0, field, code);
	json_decref(p);
}

static void
test_query_conversions(void **state)
{
	json_t *p;
	json_t *t =
	    query(query_spec,
	          "{\"limit\":\"25\",\"offset\":\"-3\",\"ratio\":\"2.5\",\"active\":\"true\","
	          "\"ids\":\"1,22,3\",\"langs\":\"da,en\",\"q\":\"abc\"}",
	          &p);
	const json_t *v;

	(void)state;
	assert_non_null(t);
	assert_int_equal(json_object_size(t), 7);
	v = json_object_get(t, "limit");
	assert_true(json_is_integer(v));
	assert_int_equal(json_integer_value(v), 25);
	v = json_object_get(t, "offset");
	assert_true(json_is_integer(v));
	assert_int_equal(json_integer_value(v), -3);
	v = json_object_get(t, "ratio");
	assert_true(json_is_real(v));
	assert_float_equal(json_real_value(v), 2.5, 1e-12);
	assert_true(json_is_true(json_object_get(t, "active")));
	v = json_object_get(t, "ids");
	assert_true(json_is_array(v));
	assert_int_equal(json_array_size(v), 3);
	assert_int_equal(json_integer_value(json_array_get(v, 0)), 1);
	assert_int_equal(json_integer_value(json_array_get(v, 1)), 22);
	assert_int_equal(json_integer_value(json_array_get(v, 2)), 3);
	v = json_object_get(t, "langs");
	assert_int_equal(json_array_size(v), 2);
	assert_string_equal(json_string_value(json_array_get(v, 0)), "da");
	assert_string_equal(json_string_value(json_array_get(v, 1)), "en");
	assert_string_equal(json_string_value(json_object_get(t, "q")), "abc");
	json_decref(t);
	json_decref(p);

	t = query(query_spec, "{\"active\":\"false\",\"ratio\":\"1e3\",\"langs\":\"\"}", &p);
	assert_non_null(t);
	assert_true(json_is_false(json_object_get(t, "active")));
	assert_float_equal(json_real_value(json_object_get(t, "ratio")), 1000.0, 1e-9);
	assert_true(json_is_array(json_object_get(t, "langs")));
	assert_int_equal(json_array_size(json_object_get(t, "langs")), 0);
	json_decref(t);
	json_decref(p);

	/* a number may be given as an integer */
	t = query(query_spec, "{\"ratio\":\"3\"}", &p);
	assert_non_null(t);
	assert_float_equal(json_number_value(json_object_get(t, "ratio")), 3.0, 1e-12);
	json_decref(t);
	json_decref(p);

	/* no parameters at all */
	t = query(query_spec, "{}", &p);
	assert_non_null(t);
	assert_int_equal(json_object_size(t), 0);
	json_decref(t);
	json_decref(p);
}

static void
test_query_bad_integers(void **state)
{
	static const char *const bad[] = {"{\"limit\":\"abc\"}",
	                                  "{\"limit\":\"12abc\"}",
	                                  "{\"limit\":\"\"}",
	                                  "{\"limit\":\" 5\"}",
	                                  "{\"limit\":\"5 \"}",
	                                  "{\"limit\":\"1.5\"}",
	                                  "{\"limit\":\"0x10\"}",
	                                  "{\"limit\":\"1e2\"}",
	                                  "{\"limit\":\"--1\"}",
	                                  "{\"limit\":\"99999999999999999999\"}",
	                                  NULL};
	json_t *p;

	(void)state;
	for (const char *const *b = bad; *b; b++)
		expect_query_error(query_spec, *b, "limit", "wrong_type");
	assert_null(query(query_spec, "{\"limit\":\"abc\"}", &p));
	assert_string_equal(error_message(p, 0), "must be an integer");
	json_decref(p);
}

static void
test_query_bad_numbers_and_booleans(void **state)
{
	json_t *p;

	(void)state;
	expect_query_error(query_spec, "{\"ratio\":\"abc\"}", "ratio", "wrong_type");
	expect_query_error(query_spec, "{\"ratio\":\"\"}", "ratio", "wrong_type");
	expect_query_error(query_spec, "{\"ratio\":\"1.5x\"}", "ratio", "wrong_type");
	expect_query_error(query_spec, "{\"ratio\":\"nan\"}", "ratio", "wrong_type");
	expect_query_error(query_spec, "{\"ratio\":\"1e999\"}", "ratio", "wrong_type");
	expect_query_error(query_spec, "{\"active\":\"1\"}", "active", "wrong_type");
	expect_query_error(query_spec, "{\"active\":\"yes\"}", "active", "wrong_type");
	expect_query_error(query_spec, "{\"active\":\"TRUE\"}", "active", "wrong_type");
	expect_query_error(query_spec, "{\"active\":\"\"}", "active", "wrong_type");
	assert_null(query(query_spec, "{\"active\":\"on\"}", &p));
	assert_string_equal(error_message(p, 0), "must be a boolean");
	json_decref(p);
}

static void
test_query_lists(void **state)
{
	json_t *p;

	(void)state;
	expect_query_error(query_spec, "{\"ids\":\"1,x,3\"}", "ids", "wrong_type");
	expect_query_error(query_spec, "{\"ids\":\"1,,3\"}", "ids", "wrong_type");
	assert_null(query(query_spec, "{\"ids\":\"1,x\"}", &p));
	assert_string_equal(error_message(p, 0), "must be a comma-separated list");
	json_decref(p);
	/* converted items are validated with their spec and path */
	expect_query_error(query_spec, "{\"ids\":\"1,100\"}", "ids[1]", "too_large");
	expect_query_error(query_spec, "{\"ids\":\"1,2,3,4\"}", "ids", "too_many_items");
	expect_query_error(query_spec, "{\"langs\":\"da,en,da\"}", "langs[2]", "duplicate_item");
}

static void
test_query_validation_after_conversion(void **state)
{
	(void)state;
	expect_query_error(query_spec, "{\"limit\":\"0\"}", "limit", "too_small");
	expect_query_error(query_spec, "{\"limit\":\"201\"}", "limit", "too_large");
	expect_query_error(query_spec, "{\"q\":\"a\"}", "q", "too_short");
	expect_query_error(query_spec, "{\"colour\":\"pink\"}", "colour", "not_in_enum");
	expect_query_error(query_spec, "{\"q\":\"a\\u0001b\"}", "q", "invalid_format");
	expect_query_error(query_spec, "{\"sort\":\"name\"}", "sort", "unknown_field");
	expect_query_error(query_required_spec, "{}", "from", "required");
	expect_query_error(query_required_spec, "{\"from\":\"2023-02-29\"}", "from",
	                   "invalid_format");
}

static void
test_query_unknown_message(void **state)
{
	json_t *p;

	(void)state;
	assert_null(query(query_spec, "{\"sort\":\"name\"}", &p));
	assert_string_equal(error_message(p, 0), "is not a known query parameter");
	json_decref(p);
}

static void
test_query_all_errors_at_once(void **state)
{
	json_t *p;
	json_t *t;

	(void)state;
	/* a parameter that cannot be converted must not hide the others:
	 * unknown, missing required and out of range are all reported */
	t = query(query_required_spec, "{\"limit\":\"ten\",\"page\":\"11\",\"sort\":\"x\"}", &p);
	assert_null(t);
	assert_int_equal(problem_field_error_count(p), 4);
	expect_error(p, 0, "limit", "wrong_type");
	expect_error(p, 1, "sort", "unknown_field");
	expect_error(p, 2, "from", "required");
	expect_error(p, 3, "page", "too_large");
	json_decref(p);

	/* without conversion errors the same holds */
	t = query(query_required_spec, "{\"limit\":\"0\",\"page\":\"11\",\"sort\":\"x\"}", &p);
	assert_null(t);
	assert_int_equal(problem_field_error_count(p), 4);
	expect_error(p, 0, "sort", "unknown_field");
	expect_error(p, 1, "from", "required");
	expect_error(p, 2, "limit", "too_small");
	expect_error(p, 3, "page", "too_large");
	json_decref(p);

	/* a required parameter that fails conversion is reported once */
	t = query(query_required_spec, "{\"from\":\"\\u0001\",\"limit\":\"x\"}", &p);
	assert_null(t);
	assert_int_equal(problem_field_error_count(p), 2);
	expect_error(p, 0, "limit", "wrong_type");
	expect_error(p, 1, "from", "invalid_format");
	json_decref(p);
}

static void
test_query_required_present(void **state)
{
	json_t *p;
	json_t *t = query(query_required_spec, "{\"from\":\"2024-02-29\",\"page\":\"10\"}", &p);

	(void)state;
	assert_non_null(t);
	assert_string_equal(json_string_value(json_object_get(t, "from")), "2024-02-29");
	assert_int_equal(json_integer_value(json_object_get(t, "page")), 10);
	assert_null(json_object_get(t, "limit"));
	json_decref(t);
	json_decref(p);
}

/* spec_query_add: a repeated name and a value that is not UTF-8 are errors
 * and are not added; NULL counts as "". */
static void
test_query_add(void **state)
{
	json_t *strings = json_object();
	json_t *p = new_problem();

	(void)state;
	assert_int_equal(spec_query_add(strings, p, "limit", "5"), 0);
	assert_int_equal(spec_query_add(strings, p, "flag", NULL), 0);
	assert_string_equal(json_string_value(json_object_get(strings, "flag")), "");
	assert_int_equal(spec_query_add(strings, p, "limit", "6"), 1);
	assert_string_equal(json_string_value(json_object_get(strings, "limit")), "5");
	assert_int_equal(spec_query_add(strings, p, "q", "\xff\xfe"), 1);
	assert_null(json_object_get(strings, "q"));
	assert_int_equal(problem_field_error_count(p), 2);
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(json_object_get(p, "errors"), 0), "code")),
	                    "repeated_parameter");
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(json_object_get(p, "errors"), 1), "field")),
	                    "query");
	json_decref(strings);
	json_decref(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_all_types_valid),
	    cmocka_unit_test(test_wrong_types),
	    cmocka_unit_test(test_required),
	    cmocka_unit_test(test_nullable),
	    cmocka_unit_test(test_utf8_length),
	    cmocka_unit_test(test_string_bounds_in_characters),
	    cmocka_unit_test(test_no_bounds_when_zero),
	    cmocka_unit_test(test_number_bounds),
	    cmocka_unit_test(test_integer_bounds_are_exact),
	    cmocka_unit_test(test_array_counts),
	    cmocka_unit_test(test_array_unique),
	    cmocka_unit_test(test_array_items),
	    cmocka_unit_test(test_array_of_objects),
	    cmocka_unit_test(test_nested_objects),
	    cmocka_unit_test(test_prefix_and_non_object),
	    cmocka_unit_test(test_enum),
	    cmocka_unit_test(test_format_none),
	    cmocka_unit_test(test_format_date),
	    cmocka_unit_test(test_format_datetime),
	    cmocka_unit_test(test_format_email),
	    cmocka_unit_test(test_format_uuid),
	    cmocka_unit_test(test_format_postal_code_dk),
	    cmocka_unit_test(test_format_url),
	    cmocka_unit_test(test_format_cvr),
	    cmocka_unit_test(test_format_slug),
	    cmocka_unit_test(test_format_origin_and_keyset),
	    cmocka_unit_test(test_formats_in_validation),
	    cmocka_unit_test(test_control_characters),
	    cmocka_unit_test(test_control_characters_embedded_nul),
	    cmocka_unit_test(test_unknown_fields),
	    cmocka_unit_test(test_all_errors_reported_at_once),
	    cmocka_unit_test(test_errors_accumulate_across_calls),
	    cmocka_unit_test(test_query_conversions),
	    cmocka_unit_test(test_query_add),
	    cmocka_unit_test(test_query_bad_integers),
	    cmocka_unit_test(test_query_bad_numbers_and_booleans),
	    cmocka_unit_test(test_query_lists),
	    cmocka_unit_test(test_query_validation_after_conversion),
	    cmocka_unit_test(test_query_unknown_message),
	    cmocka_unit_test(test_query_all_errors_at_once),
	    cmocka_unit_test(test_query_required_present),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
