/* test_ical.c - unit tests for lib/ical.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "../../lib/ical.h"

static void
test_text_escapes(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b);
	ical_text(&b, "a\\b;c,d\r\ne\rf\ng\x01h\x7fi");
	assert_string_equal(b.data, "a\\\\b\\;c\\,d\\ne\\nf\\ngh"
	                            "i");
	buf_cleanup(&b);
}

static void
test_fold_short_line_untouched(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b);
	ical_fold(&b, "SUMMARY:x", 9);
	assert_string_equal(b.data, "SUMMARY:x\r\n");
	buf_cleanup(&b);
}

static void
test_fold_long_line(void **state)
{
	char line[200];
	struct buf b;

	(void)state;
	memset(line, 'a', sizeof(line));
	buf_init(&b);
	ical_fold(&b, line, sizeof(line));
	/* 75, then 74 after the leading space each: 75 + 74 + 51 */
	assert_int_equal(b.len, 200 + 3 * 2 + 2 * 1);
	assert_memory_equal(b.data + 75, "\r\n a", 4);
	assert_memory_equal(b.data + 75 + 2 + 75, "\r\n a", 4);
	buf_cleanup(&b);
}

static void
test_fold_keeps_utf8_together(void **state)
{
	char line[100];
	struct buf b;

	(void)state;
	memset(line, 'a', 74);
	memcpy(line + 74, "\xc3\xa6", 2); /* æ across the 75-octet mark */
	memset(line + 76, 'b', 24);
	buf_init(&b);
	ical_fold(&b, line, sizeof(line));
	assert_memory_equal(b.data + 74, "\r\n \xc3\xa6", 5);
	buf_cleanup(&b);
}

/* Regression: a line of continuation bytes only used to loop forever
 * (found while writing tests/fuzz/fuzz_ical.c); a long run of them used to
 * move the cut back into the property name (found by fuzz_ical). */
static void
test_fold_non_utf8_terminates(void **state)
{
	char line[160];
	struct buf b;

	(void)state;
	memset(line, 0x80, sizeof(line));
	buf_init(&b);
	ical_fold(&b, line, sizeof(line));
	assert_int_equal(b.len, 160 + 3 * 2 + 2);
	buf_reset(&b);
	line[0] = 'X';
	line[1] = ':';
	ical_fold(&b, line, sizeof(line));
	assert_memory_equal(b.data, "X:\x80", 3);
	assert_memory_equal(b.data + 75, "\r\n \x80", 4);
	buf_cleanup(&b);
}

static void
test_event(void **state)
{
	const char *cats[] = {"Sport", "Mad, drikke"};
	struct ical_event e = {.uid = "u1",
	                       .stamp = "20260101T000000Z",
	                       .starts = "20260102T100000",
	                       .ends = "20260102T120000",
	                       .summary = "Fodbold; alle",
	                       .location = "Vej 1",
	                       .location2 = "5000",
	                       .categories = cats,
	                       .ncategories = 2,
	                       .cancelled = true};
	struct buf out, line;

	(void)state;
	buf_init(&out);
	buf_init(&line);
	ical_event(&out, &line, &e);
	assert_string_equal(out.data, "BEGIN:VEVENT\r\n"
	                              "UID:u1@kompas\r\n"
	                              "DTSTAMP:20260101T000000Z\r\n"
	                              "DTSTART;TZID=Europe/Copenhagen:20260102T100000\r\n"
	                              "DTEND;TZID=Europe/Copenhagen:20260102T120000\r\n"
	                              "SUMMARY:Fodbold\\; alle\r\n"
	                              "LOCATION:Vej 1\\, 5000\r\n"
	                              "CATEGORIES:Sport,Mad\\, drikke\r\n"
	                              "STATUS:CANCELLED\r\n"
	                              "END:VEVENT\r\n");
	assert_int_equal(line.len, 0);
	buf_cleanup(&out);
	buf_cleanup(&line);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_text_escapes),
	    cmocka_unit_test(test_fold_short_line_untouched),
	    cmocka_unit_test(test_fold_long_line),
	    cmocka_unit_test(test_fold_keeps_utf8_together),
	    cmocka_unit_test(test_fold_non_utf8_terminates),
	    cmocka_unit_test(test_event),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
