/* test_buf.c - unit tests for lib/buf.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/buf.h"

static void
test_init_is_empty(void **state)
{
	struct buf b;

	(void)state;
	memset(&b, 0xAB, sizeof(b));
	buf_init(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	buf_cleanup(&b);
	assert_null(b.data);
	/* cleaning twice is allowed */
	buf_cleanup(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
}

static void
test_append_bytes_and_strings(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b);
	buf_append(&b, "abc", 3);
	assert_int_equal(b.len, 3);
	assert_true(b.cap > b.len);
	assert_string_equal(b.data, "abc");
	buf_append_str(&b, "def");
	assert_int_equal(b.len, 6);
	assert_string_equal(b.data, "abcdef");
	/* embedded NUL bytes are kept, the buffer stays NUL-terminated */
	buf_append(&b, "x\0y", 3);
	assert_int_equal(b.len, 9);
	assert_memory_equal(b.data, "abcdefx\0y", 9);
	assert_int_equal(b.data[9], '\0');
	buf_cleanup(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
}

static void
test_append_empty_allocates_terminated_string(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b);
	buf_append(&b, "", 0);
	assert_non_null(b.data);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	buf_cleanup(&b);
}

static void
test_append_grows(void **state)
{
	struct buf b;
	char expect[1001];

	(void)state;
	buf_init(&b);
	for (int i = 0; i < 1000; i++) {
		char c = (char)('a' + i % 26);

		buf_append(&b, &c, 1);
		expect[i] = c;
	}
	expect[1000] = '\0';
	assert_int_equal(b.len, 1000);
	assert_true(b.cap >= 1001);
	assert_string_equal(b.data, expect);
	buf_cleanup(&b);
}

static void
test_appendf_short(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b);
	buf_appendf(&b, "%d-%s-%c", 42, "x", 'y');
	assert_string_equal(b.data, "42-x-y");
	assert_int_equal(b.len, 6);
	buf_appendf(&b, "|%05u", 7u);
	assert_string_equal(b.data, "42-x-y|00007");
	assert_int_equal(b.len, 12);
	buf_cleanup(&b);
}

static void
test_appendf_grows_past_64_bytes(void **state)
{
	struct buf b;
	char longstr[301];
	char expect[400];

	(void)state;
	memset(longstr, 'q', 300);
	longstr[300] = '\0';
	buf_init(&b);
	buf_append_str(&b, "head:");
	buf_appendf(&b, "[%s]%d", longstr, 12345);
	snprintf(expect, sizeof(expect), "head:[%s]12345", longstr);
	assert_int_equal(b.len, strlen(expect));
	assert_int_equal(b.len, 5 + 1 + 300 + 1 + 5);
	assert_string_equal(b.data, expect);
	assert_true(b.cap > b.len);

	/* exactly at the boundary of the space left */
	buf_reset(&b);
	buf_appendf(&b, "%.*s", 63, longstr);
	assert_int_equal(b.len, 63);
	buf_appendf(&b, "%.*s", 100, longstr);
	assert_int_equal(b.len, 163);
	assert_int_equal(strlen(b.data), 163);
	buf_cleanup(&b);
}

static void
test_appendf_many_small(void **state)
{
	struct buf b;
	size_t expect_len = 0;

	(void)state;
	buf_init(&b);
	for (int i = 0; i < 200; i++) {
		buf_appendf(&b, "%d,", i);
		expect_len += (size_t)snprintf(NULL, 0, "%d,", i);
	}
	assert_int_equal(b.len, expect_len);
	assert_int_equal(strlen(b.data), expect_len);
	assert_memory_equal(b.data, "0,1,2,3,", 8);
	assert_string_equal(b.data + expect_len - 4, "199,");
	buf_cleanup(&b);
}

static void
check_json(const char *in, size_t n, const char *expect)
{
	struct buf b;

	buf_init(&b);
	buf_append_json_string(&b, in, n);
	assert_string_equal(b.data, expect);
	assert_int_equal(b.len, strlen(expect));
	buf_cleanup(&b);
}

static void
test_json_string_plain(void **state)
{
	(void)state;
	check_json("", 0, "\"\"");
	check_json("hello", 5, "\"hello\"");
	/* UTF-8 is copied as is */
	check_json("\xc3\xa6\xc3\xb8\xc3\xa5", 6, "\"\xc3\xa6\xc3\xb8\xc3\xa5\"");
	/* only n bytes are used */
	check_json("abcdef", 3, "\"abc\"");
}

static void
test_json_string_quotes_and_backslashes(void **state)
{
	(void)state;
	check_json("say \"hi\"", 8, "\"say \\\"hi\\\"\"");
	check_json("a\\b", 3, "\"a\\\\b\"");
	check_json("\"", 1, "\"\\\"\"");
	check_json("\\\"\\", 3, "\"\\\\\\\"\\\\\"");
}

static void
test_json_string_control_characters(void **state)
{
	(void)state;
	check_json("a\nb", 3, "\"a\\nb\"");
	check_json("\r\t", 2, "\"\\r\\t\"");
	check_json("\x01", 1, "\"\\u0001\"");
	check_json("\x1f", 1, "\"\\u001f\"");
	check_json("x\by\fz", 5, "\"x\\u0008y\\u000cz\"");
	check_json("nul\0byte", 8, "\"nul\\u0000byte\"");
	/* space and DEL are not control characters for JSON */
	check_json(" \x7f", 2, "\" \x7f\"");
}

static void
test_json_string_appends(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b);
	buf_append_str(&b, "{\"k\":");
	buf_append_json_string(&b, "v\"", 2);
	buf_append_str(&b, "}");
	assert_string_equal(b.data, "{\"k\":\"v\\\"\"}");
	buf_cleanup(&b);
}

static void
test_reset_keeps_memory(void **state)
{
	struct buf b;
	char *before;
	size_t cap;

	(void)state;
	buf_init(&b);
	buf_append_str(&b, "some content here");
	before = b.data;
	cap = b.cap;
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_ptr_equal(b.data, before);
	assert_int_equal(b.cap, cap);
	assert_string_equal(b.data, "");
	buf_append_str(&b, "new");
	assert_string_equal(b.data, "new");
	assert_int_equal(b.len, 3);
	buf_cleanup(&b);

	/* reset on an empty buffer is harmless */
	buf_init(&b);
	buf_reset(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
}

static void
test_steal(void **state)
{
	struct buf b;
	size_t len = 99;
	char *s;

	(void)state;
	buf_init(&b);
	buf_append_str(&b, "stolen");
	s = buf_steal(&b, &len);
	assert_non_null(s);
	assert_string_equal(s, "stolen");
	assert_int_equal(len, 6);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	free(s);

	/* the buffer can be reused after stealing */
	buf_append_str(&b, "again");
	s = buf_steal(&b, NULL);
	assert_string_equal(s, "again");
	free(s);
	assert_null(b.data);
}

static void
test_steal_empty(void **state)
{
	struct buf b;
	size_t len = 99;
	char *s;

	(void)state;
	buf_init(&b);
	s = buf_steal(&b, &len);
	assert_non_null(s);
	assert_string_equal(s, "");
	assert_int_equal(len, 0);
	assert_null(b.data);
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_init_is_empty),
	    cmocka_unit_test(test_append_bytes_and_strings),
	    cmocka_unit_test(test_append_empty_allocates_terminated_string),
	    cmocka_unit_test(test_append_grows),
	    cmocka_unit_test(test_appendf_short),
	    cmocka_unit_test(test_appendf_grows_past_64_bytes),
	    cmocka_unit_test(test_appendf_many_small),
	    cmocka_unit_test(test_json_string_plain),
	    cmocka_unit_test(test_json_string_quotes_and_backslashes),
	    cmocka_unit_test(test_json_string_control_characters),
	    cmocka_unit_test(test_json_string_appends),
	    cmocka_unit_test(test_reset_keeps_memory),
	    cmocka_unit_test(test_steal),
	    cmocka_unit_test(test_steal_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
