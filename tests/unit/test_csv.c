/* test_csv.c - unit tests for lib/csv.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "../../lib/csv.h"

static void
expect_field(const char *in, const char *out)
{
	struct buf b;

	buf_init(&b);
	csv_field(&b, in);
	assert_string_equal(b.data, out);
	buf_cleanup(&b);
}

static void
test_plain_field_verbatim(void **state)
{
	(void)state;
	expect_field("odense", "odense");
	expect_field("Ærø; 12 'x'", "Ærø; 12 'x'");
	expect_field("", "");
}

static void
test_quotes_when_needed(void **state)
{
	(void)state;
	expect_field("a,b", "\"a,b\"");
	expect_field("say \"hi\"", "\"say \"\"hi\"\"\"");
	expect_field("two\r\nlines", "\"two\r\nlines\"");
	expect_field("lf\nonly", "\"lf\nonly\"");
	expect_field("\"", "\"\"\"\"");
}

static void
test_record(void **state)
{
	const char *cells[] = {"2026-01", NULL, "a,b", "x"};
	struct buf b;

	(void)state;
	buf_init(&b);
	csv_record(&b, cells, 4);
	assert_string_equal(b.data, "2026-01,,\"a,b\",x\r\n");
	buf_cleanup(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain_field_verbatim),
	    cmocka_unit_test(test_quotes_when_needed),
	    cmocka_unit_test(test_record),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
